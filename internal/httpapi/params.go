package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	sb "github.com/switchboard/switchboard"
)

// Params are a request's input: query parameters overlaid by the body,
// whether it came as multipart/form-data, x-www-form-urlencoded or JSON, and
// whatever the method (clients send `curl -X DELETE -F ...`).
type Params url.Values

// maxParts bounds the number of fields a form may carry.
const maxParts = 100

// ReadParams parses the query and the body of r; the body must already be
// limited by http.MaxBytesReader.
func ReadParams(r *http.Request) (Params, error) {
	p := Params(r.URL.Query())
	if p == nil {
		p = Params{}
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" || r.Body == nil || r.Body == http.NoBody {
		// A body without a type is ignored, as curl -X DELETE sends none.
		return p, nil
	}
	mt, mparams, err := mime.ParseMediaType(ct)
	if err != nil {
		return nil, sb.Errorf(sb.EMALFORMED, "malformed Content-Type header")
	}
	var body Params
	switch mt {
	case "multipart/form-data":
		body, err = parseMultipart(r.Body, mparams["boundary"])
	case "application/x-www-form-urlencoded":
		body, err = parseURLEncoded(r.Body)
	case "application/json":
		body, err = parseJSON(r.Body)
	default:
		var b [1]byte
		if n, _ := io.ReadFull(r.Body, b[:]); n == 0 {
			return p, nil
		}
		return nil, sb.Errorf(sb.EMALFORMED, "unsupported Content-Type %q: send multipart/form-data, application/x-www-form-urlencoded or application/json", mt)
	}
	if err != nil {
		return nil, err
	}
	for k, v := range body {
		p[k] = v
	}
	return p, nil
}

func asMaxBytes(err error, target **http.MaxBytesError) bool { return errors.As(err, target) }

// bodyError turns a read error into a domain error, 413 for an oversize body.
func bodyError(err error) error {
	var mbe *http.MaxBytesError
	if asMaxBytes(err, &mbe) {
		return sb.Errorf(sb.ETOOLARGE, "request body is larger than %d bytes", mbe.Limit)
	}
	return sb.Errorf(sb.EMALFORMED, "malformed request body")
}

func parseMultipart(r io.Reader, boundary string) (Params, error) {
	if boundary == "" {
		return nil, sb.Errorf(sb.EMALFORMED, "multipart body without a boundary")
	}
	mr := multipart.NewReader(r, boundary)
	p := Params{}
	for n := 0; ; n++ {
		part, err := mr.NextPart()
		if err == io.EOF {
			return p, nil
		}
		if err != nil {
			return nil, bodyError(err)
		}
		if n >= maxParts {
			return nil, sb.Errorf(sb.EMALFORMED, "too many form fields")
		}
		name := part.FormName()
		data, err := io.ReadAll(part)
		if err != nil {
			return nil, bodyError(err)
		}
		if name != "" {
			p[name] = append(p[name], string(data))
		}
	}
}

func parseURLEncoded(r io.Reader) (Params, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, bodyError(err)
	}
	v, err := url.ParseQuery(string(data))
	if err != nil {
		return nil, sb.Errorf(sb.EMALFORMED, "malformed form body")
	}
	return Params(v), nil
}

func parseJSON(r io.Reader) (Params, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, bodyError(err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return Params{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, sb.Errorf(sb.EMALFORMED, "malformed JSON body: want an object")
	}
	if dec.More() {
		return nil, sb.Errorf(sb.EMALFORMED, "malformed JSON body: trailing data")
	}
	p := Params{}
	for k, v := range m {
		switch v := v.(type) {
		case nil:
		case string:
			p[k] = []string{v}
		case json.Number:
			p[k] = []string{v.String()}
		case bool:
			p[k] = []string{strconv.FormatBool(v)}
		default:
			raw, _ := json.Marshal(v)
			p[k] = []string{string(raw)}
		}
	}
	return p, nil
}

// Get returns the first value of a field, or "".
func (p Params) Get(name string) string {
	if v := p[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Required returns a field that must be present and non-empty.
func (p Params) Required(name string) (string, error) {
	v := strings.TrimSpace(p.Get(name))
	if v == "" {
		return "", sb.FieldError(name, "%s is required", name)
	}
	return p.Get(name), nil
}

// readRequired parses the request and returns the named fields, each of
// which must be present, in order.
func readRequired(r *http.Request, names ...string) (Params, []string, error) {
	p, err := ReadParams(r)
	if err != nil {
		return nil, nil, err
	}
	vals := make([]string, len(names))
	for i, n := range names {
		if vals[i], err = p.Required(n); err != nil {
			return nil, nil, err
		}
	}
	return p, vals, nil
}

// ID returns a required positive integer field.
func (p Params) ID(name string) (int64, error) {
	v, err := p.Required(name)
	if err != nil {
		return 0, err
	}
	return parseID(name, v)
}

// Int returns an optional non-negative integer field (def when absent).
func (p Params) Int(name string, def int64) (int64, error) {
	v := strings.TrimSpace(p.Get(name))
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, sb.FieldError(name, "%s must be a non-negative integer", name)
	}
	return n, nil
}

func parseID(name, v string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n <= 0 {
		return 0, sb.FieldError(name, "%s must be a positive integer", name)
	}
	return n, nil
}

// Page reads the optional keyset pagination fields limit and after.
func (p Params) Page() (sb.Page, error) {
	limit, err := p.Int("limit", 0)
	if err != nil {
		return sb.Page{}, err
	}
	after, err := p.Int("after", 0)
	if err != nil {
		return sb.Page{}, err
	}
	if limit > 1_000_000 {
		return sb.Page{}, sb.FieldError("limit", "limit must be at most 1000000")
	}
	return sb.Page{Limit: int(limit), After: after}, nil
}
