package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	sb "github.com/switchboard/switchboard"
)

// The iConfig-style API: /config/create and /config/{id} (Bearer tokens
// from /oauth/token), and the password-protected HTML page a link opens.
func (s *Server) registerConfigLinks() {
	s.handle("POST /config/create", s.iconfig(s.withOAuth(s.postConfigCreate)))
	s.handleSecret("DELETE /config/{id}", "id", s.iconfig(s.withOAuth(s.deleteConfig)))
	s.handleSecret("GET /config/{id}", "id", s.page(s.getConfigForm))
	s.handleSecret("POST /config/{id}", "id", s.page(s.postConfigDownload))
}

// iconfig adapts a handler to the iConfig API's error format:
// {"message":..., "errors":{"field":["..."]}}.
func (s *Server) iconfig(h handlerFunc) http.Handler { return s.adapt(writeIConfigError, h) }

func writeIConfigError(w http.ResponseWriter, _ *http.Request, err error) {
	if sb.ErrorCode(err) == sb.EUNAUTHORIZED {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	}
	writeJSON(w, statusOf(err), fieldErrorBody(sb.ErrorField(err), sb.ErrorMessage(err)))
}

// withOAuth authenticates the Authorization: Bearer token from
// /oauth/token and puts the tenant actor in the request context.
func (s *Server) withOAuth(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		actor, err := s.svc.AuthenticateOAuth(r.Context(), bearer(r), clientIP(r))
		if err != nil {
			s.countAuthFailure("iconfig", err)
			return err
		}
		r, st := stateOf(r)
		st.actor = actor
		return h(w, r)
	}
}

// configBody is the body of POST /config/create, as iConfig documents it.
type configBody struct {
	Configs struct {
		Email []emailBody `json:"email"`
	} `json:"configs"`
	Settings struct {
		Password        string `json:"password"`
		RemovalPassword string `json:"removal_password"`
	} `json:"settings"`
}

type emailBody struct {
	EmailAddress                           string    `json:"email_address"`
	EmailAccountType                       string    `json:"EmailAccountType"`
	EmailAccountName                       string    `json:"EmailAccountName"`
	EmailAccountDescription                string    `json:"EmailAccountDescription"`
	IncomingMailServerAuthentication       string    `json:"IncomingMailServerAuthentication"`
	OutgoingMailServerAuthentication       string    `json:"OutgoingMailServerAuthentication"`
	IncomingMailServerHostName             string    `json:"IncomingMailServerHostName"`
	OutgoingMailServerHostName             string    `json:"OutgoingMailServerHostName"`
	IncomingMailServerPortNumber           flexValue `json:"IncomingMailServerPortNumber"`
	OutgoingMailServerPortNumber           flexValue `json:"OutgoingMailServerPortNumber"`
	IncomingMailServerUsername             string    `json:"IncomingMailServerUsername"`
	OutgoingMailServerUsername             string    `json:"OutgoingMailServerUsername"`
	IncomingPassword                       string    `json:"IncomingPassword"`
	OutgoingPassword                       string    `json:"OutgoingPassword"`
	IncomingMailServerUseSSL               flexValue `json:"IncomingMailServerUseSSL"`
	OutgoingMailServerUseSSL               flexValue `json:"OutgoingMailServerUseSSL"`
	OutgoingPasswordSameAsIncomingPassword flexValue `json:"OutgoingPasswordSameAsIncomingPassword"`
}

// flexValue keeps a JSON value as sent, for fields clients send both as
// numbers or booleans and as strings ("993", "true").
type flexValue struct{ raw json.RawMessage }

// UnmarshalJSON implements json.Unmarshaler.
func (v *flexValue) UnmarshalJSON(b []byte) error {
	v.raw = append(v.raw[:0], b...)
	return nil
}

// text returns the value as a string: a JSON string unquoted, anything
// else as written; "" for absent and null.
func (v flexValue) text() (string, bool) {
	raw := bytes.TrimSpace(v.raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", true
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return "", false
		}
		return strings.TrimSpace(s), true
	}
	if raw[0] == '{' || raw[0] == '[' {
		return "", false
	}
	return string(raw), true
}

func (v flexValue) int(field string) (int, error) {
	t, ok := v.text()
	if ok && t == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(t)
	if !ok || err != nil || n < 0 {
		return 0, sb.FieldError(field, "%s must be a port number", field)
	}
	if n == 0 {
		return -1, nil // a port given as 0 is out of range, not absent
	}
	return n, nil
}

func (v flexValue) bool(field string) (bool, error) {
	t, ok := v.text()
	if ok {
		switch strings.ToLower(t) {
		case "true", "1", "yes", "on":
			return true, nil
		case "", "false", "0", "no", "off":
			return false, nil
		}
	}
	return false, sb.FieldError(field, "%s must be true or false", field)
}

// readConfigBody parses and converts a /config/create body; the service
// validates the values.
func readConfigBody(r *http.Request) (sb.ClientConfig, error) {
	var in sb.ClientConfig
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return in, sb.Errorf(sb.EMALFORMED, "send the configuration as application/json")
		}
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return in, bodyError(err)
	}
	var body configBody
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&body); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return in, sb.FieldError(te.Field, "%s must be a %s", te.Field, jsonKind(te.Type.Kind().String()))
		}
		return in, sb.Errorf(sb.EMALFORMED, "malformed JSON body")
	}
	if dec.More() {
		return in, sb.Errorf(sb.EMALFORMED, "malformed JSON body: trailing data")
	}
	in.Password, in.RemovalPassword = body.Settings.Password, body.Settings.RemovalPassword
	for i, e := range body.Configs.Email {
		f := func(name string) string { return "configs.email." + strconv.Itoa(i) + "." + name }
		a := sb.EmailAccount{
			Address: e.EmailAddress, AccountType: e.EmailAccountType, AccountName: e.EmailAccountName,
			AccountDescription: e.EmailAccountDescription,
			IncomingAuth:       e.IncomingMailServerAuthentication, IncomingHost: e.IncomingMailServerHostName,
			IncomingUsername: e.IncomingMailServerUsername, IncomingPassword: e.IncomingPassword,
			OutgoingAuth: e.OutgoingMailServerAuthentication, OutgoingHost: e.OutgoingMailServerHostName,
			OutgoingUsername: e.OutgoingMailServerUsername, OutgoingPassword: e.OutgoingPassword,
		}
		if a.IncomingPort, err = e.IncomingMailServerPortNumber.int(f("IncomingMailServerPortNumber")); err != nil {
			return in, err
		}
		if a.OutgoingPort, err = e.OutgoingMailServerPortNumber.int(f("OutgoingMailServerPortNumber")); err != nil {
			return in, err
		}
		if a.IncomingSSL, err = e.IncomingMailServerUseSSL.bool(f("IncomingMailServerUseSSL")); err != nil {
			return in, err
		}
		if a.OutgoingSSL, err = e.OutgoingMailServerUseSSL.bool(f("OutgoingMailServerUseSSL")); err != nil {
			return in, err
		}
		if a.OutgoingPasswordSameAsIncoming, err = e.OutgoingPasswordSameAsIncomingPassword.bool(f("OutgoingPasswordSameAsIncomingPassword")); err != nil {
			return in, err
		}
		in.Emails = append(in.Emails, a)
	}
	return in, nil
}

func jsonKind(k string) string {
	switch k {
	case "slice":
		return "list"
	case "struct", "map":
		return "object"
	}
	return k
}

func (s *Server) postConfigCreate(w http.ResponseWriter, r *http.Request) error {
	in, err := readConfigBody(r)
	if err != nil {
		return err
	}
	link, err := s.svc.CreateClientConfig(r.Context(), actorOf(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"id": link.ID, "url": s.requestBase(r) + "/config/" + link.ID,
		"expires_at": link.ExpiresAt.UTC().Format(time.RFC3339)})
}

func (s *Server) deleteConfig(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.DeleteClientConfig(r.Context(), actorOf(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// pageData fills the one HTML page: a password form, maybe with a message.
type pageData struct {
	Title, Message string
	Email          bool // ask for an address too
	Form           bool
}

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title></head>
<body><h1>{{.Title}}</h1>
{{if .Message}}<p role="alert">{{.Message}}</p>{{end}}
{{if .Form}}<form method="post">
{{if .Email}}<p><label>Email address <input type="email" name="email" autocomplete="username" required></label></p>{{end}}
<p><label>Password <input type="password" name="password" autocomplete="{{if .Email}}current-password{{else}}off{{end}}" required autofocus></label></p>
<p><button type="submit">Download profile</button></p>
</form>{{end}}
</body></html>
`))

// writePage renders the HTML page with headers that keep it out of frames,
// caches and referrers.
func writePage(w http.ResponseWriter, status int, d pageData) error {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	return pageTemplate.Execute(w, d)
}

// page adapts a handler whose errors are shown as an HTML page; refused
// passwords show the form again.
func (s *Server) page(h handlerFunc) http.Handler { return s.adapt(writePageError, h) }

func writePageError(w http.ResponseWriter, r *http.Request, err error) {
	code := sb.ErrorCode(err)
	d := pageData{Title: "Configuration profile", Message: sb.ErrorMessage(err),
		Form:  code == sb.EUNAUTHORIZED || code == sb.EINVALID || code == sb.EMALFORMED,
		Email: strings.HasPrefix(r.URL.Path, "/mail/")}
	writePage(w, statusOf(err), d)
}

func (s *Server) getConfigForm(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.CheckClientConfig(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return writePage(w, http.StatusOK, pageData{Title: "Configuration profile", Form: true,
		Message: "Enter the password you were given to download the profile."})
}

func (s *Server) postConfigDownload(w http.ResponseWriter, r *http.Request) error {
	p, err := ReadParams(r)
	if err != nil {
		return err
	}
	f, err := s.svc.OpenClientConfig(r.Context(), r.PathValue("id"), p.Get("password"), clientIP(r))
	if err != nil {
		s.countAuthFailure("config_link", err)
		return err
	}
	return writeProfile(w, r, f)
}

func writeProfile(w http.ResponseWriter, r *http.Request, f *sb.ProfileFile) error {
	h := w.Header()
	h.Set("Content-Type", f.ContentType)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Filename}))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	return writeDocument(w, r, f.Data)
}
