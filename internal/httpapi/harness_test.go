package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/httpapi"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
	"github.com/switchboard/switchboard/internal/testenv"
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

// newEnvWith starts a server whose service config tweak may change.
func newEnvWith(t *testing.T, st *store.Store, maxBody int64, tweak func(*service.Config)) *env {
	t.Helper()
	svc, _ := testenv.Service(t, st, tweak)
	return serveEnv(t, st, svc, httpapi.Config{MaxBodyBytes: maxBody})
}

// serveEnv serves svc through the whole REST server configured by cfg.
func serveEnv(t testing.TB, st *store.Store, svc *service.Service, cfg httpapi.Config) *env {
	cfg.Services = svc
	api := httpapi.New(cfg)
	e := &env{url: testenv.Serve(t, api), store: st, svc: svc, api: api}
	if tt, ok := t.(*testing.T); ok {
		e.t = tt
	}
	return e
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
	return e.exchange(req)
}

// exchange sends req and reads the whole answer.
func (e *env) exchange(req *http.Request) *result {
	e.t.Helper()
	client := &http.Client{Timeout: 30 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	r := &result{t: e.t, status: res.StatusCode, body: string(data), header: res.Header}
	json.Unmarshal(data, &r.json)
	return r
}

// snapshot is what the store holds, to check that refusals change nothing.
// Last uses (of API keys and sessions) are left out: a refused request may
// authenticate first.
type snapshot struct {
	Tenants      []string
	Domains      []string
	Accounts     []string
	Aliases      []string
	DKIMKeys     []string
	Certificates []string
	APIKeys      []string
	AppPasswords []string
	Logins       []string // auth tokens and JSON-RPC sessions
	Audit        int
}

func (e *env) snapshot() snapshot {
	e.t.Helper()
	ctx := context.Background()
	var s snapshot
	tx := e.store.Read()
	tenants, err := tx.ListTenants(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, t := range tenants {
		_, hash, err := tx.TenantByName(ctx, t.Name)
		if err != nil {
			e.t.Fatal(err)
		}
		s.Tenants = append(s.Tenants, fmt.Sprintf("%d %s %s %s", t.ID, t.Name, t.Role, hash))
	}
	err = tx.EachDomain(ctx, 0, sb.Page{}, func(d sb.Domain) error {
		s.Domains = append(s.Domains, fmt.Sprintf("%s tenant %d", d.Name, d.TenantID))
		err := tx.EachAccount(ctx, d.ID, sb.Page{}, func(a sb.Account) error {
			_, hash, err := tx.AccountByEmail(ctx, a.Email)
			if err != nil {
				return err
			}
			s.Accounts = append(s.Accounts, a.Email+" "+hash)
			aps, err := tx.AppPasswords(ctx, a.ID)
			for _, p := range aps {
				s.AppPasswords = append(s.AppPasswords, fmt.Sprintf("%d %s %s %s", p.ID, p.Email, p.Name, strings.Join(p.Protocols, ",")))
			}
			return err
		})
		if err != nil {
			return err
		}
		err = tx.EachAlias(ctx, d.ID, sb.Page{}, func(a sb.Alias) error {
			s.Aliases = append(s.Aliases, a.Email+" "+strings.Join(a.Destinations, ","))
			return nil
		})
		if err != nil {
			return err
		}
		keys, err := tx.DKIMKeys(ctx, d.ID)
		if err != nil {
			return err
		}
		for _, k := range keys {
			s.DKIMKeys = append(s.DKIMKeys, fmt.Sprintf("%s %s %s active=%v %s", d.Name, k.Selector, k.Algorithm, k.Active, k.Public))
		}
		return tx.EachCertificate(ctx, d.ID, func(c sb.Certificate, _ string) error {
			s.Certificates = append(s.Certificates, fmt.Sprintf("%s %s %s %s", c.Hostname, c.Source,
				c.NotAfter.UTC().Format(time.RFC3339), strings.Join(c.Names, ",")))
			return nil
		})
	})
	if err != nil {
		e.t.Fatal(err)
	}
	keys, err := tx.APIKeys(ctx, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, k := range keys {
		s.APIKeys = append(s.APIKeys, fmt.Sprintf("%d %s", k.ID, k.Email))
	}
	logins, err := tx.Logins(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, l := range logins {
		s.Logins = append(s.Logins, fmt.Sprintf("%s %s tenant %d account %d %s until %d", l.Kind, l.Hash, l.TenantID, l.AccountID, l.Level, l.Expires.Unix()))
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

func TestSnapshotSeesEveryTableItCovers(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		tok := e.tenant("acme", sb.RoleTenant)
		e.do("POST", "/domains", tok, form{"domain": "a.example", "username": "admin@a.example", "password": "admin-password"}).want(201)
		e.do("POST", "/alias/1", tok, form{"address": "info@a.example", "goto": "admin@a.example"}).want(201)
		e.do("POST", "/dkim/add-new-domain", tok, form{"domain": "a.example", "selector": "s1"}).want(201)
		e.do("POST", "/app-password/1", tok, form{"name": "phone"}).want(201)
		cert := issueTestCert(t, []string{"mail.a.example"}, time.Now().Add(60*24*time.Hour))
		e.do("POST", "/ssl/upload", tok, form{"ssl_certificate": cert.chainPEM, "ssl_certificate_key": cert.keyPEM}).want(200)
		ctx := context.Background()
		a, _, err := e.store.Read().AccountByEmail(ctx, "admin@a.example")
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		err = e.store.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.CreateAPIKey(ctx, "key-digest", a.ID, "", now); err != nil {
				return err
			}
			return tx.CreateSession(ctx, "session-digest", store.Session{AccountID: a.ID, Level: "mail", Expires: now.Add(time.Hour)}, now)
		})
		if err != nil {
			t.Fatal(err)
		}
		s := e.snapshot()
		for name, rows := range map[string][]string{"tenants": s.Tenants, "domains": s.Domains, "accounts": s.Accounts,
			"aliases": s.Aliases, "DKIM keys": s.DKIMKeys, "certificates": s.Certificates, "API keys": s.APIKeys,
			"app passwords": s.AppPasswords} {
			if len(rows) != 1 {
				t.Errorf("the snapshot holds %d %s, want 1: %q", len(rows), name, rows)
			}
		}
		if len(s.Logins) != 2 || !strings.HasPrefix(s.Logins[0], "token ") || !strings.HasPrefix(s.Logins[1], "session session-digest ") {
			t.Errorf("the snapshot's logins are %q, want acme's token and the session", s.Logins)
		}
	})
}
