package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/httpapi"
	"github.com/switchboard/switchboard/internal/seal"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
)

// env is one running API over a fresh store.
type env struct {
	t     *testing.T
	url   string
	store *store.Store
	svc   *service.Service
	api   *httpapi.Server
}

// eachEnv runs fn on every backend with a fresh server.
func eachEnv(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		fn(t, newEnv(t, st, 0))
	})
}

func newEnv(t *testing.T, st *store.Store, maxBody int64) *env {
	t.Helper()
	return newEnvWith(t, st, maxBody, nil)
}

// testSeal is the server key of the tests' services.
func testSeal(tb testing.TB) *seal.Box {
	tb.Helper()
	box, err := seal.New(bytes.Repeat([]byte{42}, seal.KeySize))
	if err != nil {
		tb.Fatal(err)
	}
	return box
}

// newEnvWith starts a server whose service config tweak may change.
func newEnvWith(t *testing.T, st *store.Store, maxBody int64, tweak func(*service.Config)) *env {
	t.Helper()
	box, err := seal.New(bytes.Repeat([]byte{42}, seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	cfg := service.Config{Store: st, Hasher: auth.NewHasher(auth.TestParams), Seal: box}
	if tweak != nil {
		tweak(&cfg)
	}
	svc := service.New(cfg)
	api := httpapi.New(httpapi.Config{Services: svc, MaxBodyBytes: maxBody})
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	return &env{t: t, url: srv.URL, store: st, svc: svc, api: api}
}

// tenant creates a tenant and returns its auth token, obtained through /auth.
func (e *env) tenant(name string, role string) string {
	e.t.Helper()
	if _, err := e.svc.CreateTenant(context.Background(), sb.SystemActor, name, "pw-"+name+"-secret", role); err != nil {
		e.t.Fatalf("create tenant %s: %v", name, err)
	}
	res := e.do("POST", "/auth", "", form{"username": name, "password": "pw-" + name + "-secret"})
	res.want(200)
	tok, _ := res.json["token"].(string)
	if tok == "" {
		e.t.Fatalf("no token in %s", res.body)
	}
	return tok
}

// form is a request body; the encoding is chosen per request.
type form map[string]string

type encoding int

const (
	multipartForm encoding = iota
	urlencodedForm
	jsonBody
	queryString
)

type result struct {
	t      *testing.T
	status int
	body   string
	json   map[string]any
	header http.Header
}

func (r *result) want(status int) *result {
	r.t.Helper()
	if r.status != status {
		r.t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	return r
}

// wantError checks a refusal in the mail admin format.
func (r *result) wantError(status int, msgPart string) {
	r.t.Helper()
	r.want(status)
	if r.json["result"] != false {
		r.t.Fatalf("refusal without result:false: %s", r.body)
	}
	msg, _ := r.json["msg"].(string)
	if msg == "" || !strings.Contains(msg, msgPart) {
		r.t.Fatalf("msg %q does not say %q", msg, msgPart)
	}
}

func (e *env) do(method, path, token string, f form) *result {
	e.t.Helper()
	return e.doEnc(method, path, token, f, multipartForm)
}

func (e *env) doEnc(method, path, token string, f form, enc encoding) *result {
	e.t.Helper()
	var body io.Reader
	ctype := ""
	if f != nil {
		switch enc {
		case multipartForm:
			var b bytes.Buffer
			mw := multipart.NewWriter(&b)
			for k, v := range f {
				mw.WriteField(k, v)
			}
			mw.Close()
			body, ctype = &b, mw.FormDataContentType()
		case urlencodedForm:
			v := url.Values{}
			for k, x := range f {
				v.Set(k, x)
			}
			body, ctype = strings.NewReader(v.Encode()), "application/x-www-form-urlencoded"
		case jsonBody:
			b, _ := json.Marshal(f)
			body, ctype = bytes.NewReader(b), "application/json"
		case queryString:
			v := url.Values{}
			for k, x := range f {
				v.Set(k, x)
			}
			path += "?" + v.Encode()
		}
	}
	return e.raw(method, path, token, ctype, body)
}

func (e *env) raw(method, path, token, ctype string, body io.Reader) *result {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Auth-token", token)
	}
	req.Header.Set("Cache-Control", "no-cache")
	client := &http.Client{Timeout: 30 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	r := &result{t: e.t, status: res.StatusCode, body: string(data), header: res.Header}
	json.Unmarshal(data, &r.json)
	return r
}

// snapshot is what the store holds, to check that refusals change nothing.
type snapshot struct {
	Domains  []string
	Accounts []string
	Aliases  []string
	Audit    int
}

func (e *env) snapshot() snapshot {
	e.t.Helper()
	ctx := context.Background()
	var s snapshot
	tx := e.store.Read()
	err := tx.EachDomain(ctx, 0, sb.Page{}, func(d sb.Domain) error {
		s.Domains = append(s.Domains, d.Name)
		err := tx.EachAccount(ctx, d.ID, sb.Page{}, func(a sb.Account) error {
			_, hash, err := tx.AccountByEmail(ctx, a.Email)
			s.Accounts = append(s.Accounts, a.Email+" "+hash)
			return err
		})
		if err != nil {
			return err
		}
		return tx.EachAlias(ctx, d.ID, sb.Page{}, func(a sb.Alias) error {
			s.Aliases = append(s.Aliases, a.Email+" "+strings.Join(a.Destinations, ","))
			return nil
		})
	})
	if err != nil {
		e.t.Fatal(err)
	}
	audit, err := tx.AuditLog(ctx, 0, 1_000_000)
	if err != nil {
		e.t.Fatal(err)
	}
	s.Audit = len(audit)
	return s
}

func (e *env) unchanged(before snapshot) {
	e.t.Helper()
	after := e.snapshot()
	b, _ := json.Marshal(before)
	a, _ := json.Marshal(after)
	if !bytes.Equal(a, b) {
		e.t.Fatalf("a refused request changed the store:\nbefore %s\nafter  %s", b, a)
	}
}

// idOf returns a number field of a nested object in a JSON answer.
func idOf(r *result, obj, field string) int64 {
	m, _ := r.json[obj].(map[string]any)
	f, _ := m[field].(float64)
	return int64(f)
}

func (e *env) login(name, password string) string {
	e.t.Helper()
	res := e.do("POST", "/auth", "", form{"username": name, "password": password}).want(200)
	return res.json["token"].(string)
}

func (e *env) rawBearer(method, path, token string) *result {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	r := &result{t: e.t, status: res.StatusCode, body: string(data)}
	json.Unmarshal(data, &r.json)
	return r
}

type namedEnv struct {
	name string
	env  *env
}

// backendsForSmallBody starts one server per backend with a 4 KiB body limit.
func backendsForSmallBody(t *testing.T) []namedEnv {
	var out []namedEnv
	for _, b := range storetest.Backends() {
		out = append(out, namedEnv{b.Name, newEnv(t, storetest.Open(t, b), 4<<10)})
	}
	return out
}

func newTestServer(t *testing.T, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
