package panel_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/httpapi"
	"github.com/switchboard/switchboard/internal/jsonrpc"
	"github.com/switchboard/switchboard/internal/panel"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
	"github.com/switchboard/switchboard/internal/testenv"
)

// env is the whole server, as serve wires it, with the panel mounted, and
// these principals: tenants acme and other, operator root, domain
// sip.example.org of acme with mailbox alice@ and SIP admin admin@, and
// domain other.example of other with bob@ and admin@.
type env struct {
	t     *testing.T
	url   string
	svc   *service.Service
	st    *store.Store
	clock *testenv.Clock
}

const (
	tenantPassword = "tenant-password-1"
	alicePassword  = "alice-password-1"
	adminPassword  = "admin-password-1"
)

func eachEnv(t *testing.T, fn func(t *testing.T, e *env)) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		svc, c := testenv.Service(t, st, nil)
		h := httpapi.New(httpapi.Config{Services: svc, JSONRPC: jsonrpc.NewAPI(svc, nil), Panel: panel.New(panel.Config{Services: svc})})
		e := &env{t: t, url: testenv.Serve(t, h), svc: svc, st: st, clock: c}
		ctx := context.Background()
		for _, ten := range []struct{ name, role string }{{"acme", sb.RoleTenant}, {"other", sb.RoleTenant}, {"root", sb.RoleOperator}} {
			if _, err := svc.CreateTenant(ctx, sb.SystemActor, ten.name, tenantPassword, ten.role); err != nil {
				t.Fatal(err)
			}
		}
		for _, d := range []struct{ tenant, domain, user string }{{"acme", "sip.example.org", "alice"}, {"other", "other.example", "bob"}} {
			if _, _, err := svc.CreateDomain(ctx, sb.SystemActor, sb.NewDomain{Name: d.domain, Owner: d.tenant,
				First: &sb.FirstAccount{Address: d.user + "@" + d.domain, Password: alicePassword}}); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.CreateAccountCLI(ctx, sb.SystemActor, "admin@"+d.domain, adminPassword, "", true); err != nil {
				t.Fatal(err)
			}
		}
		fn(t, e)
	})
}

// browser is one user's browser: a cookie jar, no automatic redirects, and
// the headers a browser sends with a same-origin form.
type browser struct {
	e      *env
	client *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, client: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// login logs in through the form and fails the test unless it worked.
func (e *env) login(user, password string) *browser {
	e.t.Helper()
	b := e.browser()
	res := b.post("/panel/login", url.Values{"user": {user}, "password": {password}})
	if res.status != http.StatusSeeOther {
		e.t.Fatalf("login %s: %d %s", user, res.status, res.body)
	}
	return b
}

type page struct {
	status int
	body   string
	header http.Header
}

func (b *browser) do(req *http.Request) *page {
	b.e.t.Helper()
	res, err := b.client.Do(req)
	if err != nil {
		b.e.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return &page{status: res.StatusCode, body: string(data), header: res.Header}
}

func (b *browser) get(path string) *page {
	req, _ := http.NewRequest("GET", b.e.url+path, nil)
	req.Header.Set("Sec-Fetch-Site", "none")
	return b.do(req)
}

// post sends a form as a same-origin browser form does.
func (b *browser) post(path string, form url.Values) *page {
	req, _ := http.NewRequest("POST", b.e.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", b.e.url)
	return b.do(req)
}

// want fails unless the page has the status.
func (p *page) want(t *testing.T, status int) *page {
	t.Helper()
	if p.status != status {
		t.Fatalf("status %d, want %d; body:\n%s", p.status, status, p.body)
	}
	return p
}

// has fails unless the page's text holds every s.
func (p *page) has(t *testing.T, s ...string) *page {
	t.Helper()
	for _, s := range s {
		if !strings.Contains(p.body, s) {
			t.Fatalf("page lacks %q:\n%s", s, p.body)
		}
	}
	return p
}

// lacks fails if the page's text holds any s.
func (p *page) lacks(t *testing.T, s ...string) *page {
	t.Helper()
	for _, s := range s {
		if strings.Contains(p.body, s) {
			t.Fatalf("page shows %q:\n%s", s, p.body)
		}
	}
	return p
}

// location is where a redirect goes.
func (p *page) location() string { return p.header.Get("Location") }

var flashRE = regexp.MustCompile(`class="flash[^"]*"[^>]*>([^<]*)<`)

// flash is the message a page shows after a redirect.
func (p *page) flash() string {
	if m := flashRE.FindStringSubmatch(p.body); m != nil {
		return m[1]
	}
	return ""
}

// follow fails unless res is a redirect, and loads where it goes.
func (b *browser) follow(t *testing.T, res *page) *page {
	t.Helper()
	res.want(t, http.StatusSeeOther)
	return b.get(res.location())
}

// account reloads an account from the store, nil when it is gone.
func (e *env) account(email string) *sb.Account {
	e.t.Helper()
	a, _, err := e.st.Read().AccountByEmail(context.Background(), email)
	if sb.ErrorCode(err) == sb.ENOTFOUND {
		return nil
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}
