package httpapi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
)

// fakeIssuer is an ACME CA that issues every name it is asked for.
type fakeIssuer struct{ t *testing.T }

func (f fakeIssuer) Issue(_ context.Context, names []string) ([]byte, []byte, error) {
	c := issueTestCert(f.t, names, time.Now().Add(90*24*time.Hour))
	return []byte(c.chainPEM), []byte(c.keyPEM), nil
}

// claimFixture is tenant a with a.test, tenant b with b.test and an
// operator, on a server with an ACME CA.
type claimFixture struct {
	e         *env
	a, b, ops string // tokens
}

func newClaimFixture(t *testing.T, st *store.Store) claimFixture {
	t.Helper()
	e := newEnvWith(t, st, 0, func(c *service.Config) { c.Issuer = fakeIssuer{t} })
	f := claimFixture{e: e, a: e.tenant("a", sb.RoleTenant), b: e.tenant("b", sb.RoleTenant), ops: e.tenant("ops", sb.RoleOperator)}
	f.createDomain(f.a, "a.test").want(201)
	f.createDomain(f.b, "b.test").want(201)
	return f
}

// in returns the fixture reporting to the subtest t.
func (f claimFixture) in(t *testing.T) claimFixture {
	e := *f.e
	e.t = t
	f.e = &e
	return f
}

func (f claimFixture) createDomain(token, name string) *result {
	f.e.t.Helper()
	return f.e.do("POST", "/domains", token, form{"domain": name, "username": "admin@" + name, "password": "password123"})
}

func (f claimFixture) upload(token string, names ...string) *result {
	f.e.t.Helper()
	c := issueTestCert(f.e.t, names, time.Now().Add(60*24*time.Hour))
	return f.e.do("POST", "/ssl/upload", token, form{"ssl_certificate": c.chainPEM, "ssl_certificate_key": c.keyPEM})
}

func (f claimFixture) letsEncrypt(token, hostname string) *result {
	f.e.t.Helper()
	return f.e.do("POST", "/ssl/letsencrypt/install", token, form{"hostname": hostname})
}

// owner names the tenant that holds a domain.
func (f claimFixture) owner(name string) string {
	f.e.t.Helper()
	d, err := f.e.store.Read().DomainByName(context.Background(), name)
	if err != nil {
		f.e.t.Fatalf("domain %s: %v", name, err)
	}
	return d.TenantName
}

func (f claimFixture) noCertificate(hostname string) {
	f.e.t.Helper()
	if _, _, err := f.e.store.Read().CertificateByHostname(context.Background(), hostname); sb.ErrorCode(err) != sb.ENOTFOUND {
		f.e.t.Fatalf("a refused request stored a certificate for %s: %v", hostname, err)
	}
}

func TestDomainUnderAnotherTenantsDomain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		root := newClaimFixture(t, st)
		refusals := []struct {
			name string
			req  func(f claimFixture) *result
			msg  string
		}{
			{"a subdomain of another tenant's domain is refused", func(f claimFixture) *result { return f.createDomain(f.b, "sub.a.test") },
				"domain sub.a.test lies under a domain of another tenant"},
			{"a deeper subdomain is refused", func(f claimFixture) *result { return f.createDomain(f.b, "deep.sub.a.test") },
				"domain deep.sub.a.test lies under a domain of another tenant"},
			{"a respelt subdomain is refused", func(f claimFixture) *result { return f.createDomain(f.b, " Sub.A.TEST.") },
				"domain sub.a.test lies under a domain of another tenant"},
			{"importing a subdomain of another tenant's domain is refused", func(f claimFixture) *result {
				return f.e.importArchive(f.b, buildArchive(t, "sub.a.test", []string{"x@sub.a.test"}, nil))
			}, "domain sub.a.test lies under a domain of another tenant"},
			{"a certificate for a name under another tenant's domain is refused", func(f claimFixture) *result { return f.upload(f.b, "www.sub.a.test") },
				"www.sub.a.test is not under one of your domains"},
			{"a certificate naming one such name among its own is refused", func(f claimFixture) *result { return f.upload(f.b, "mail.b.test", "www.sub.a.test") },
				"www.sub.a.test is not under one of your domains"},
			{"Let's Encrypt for a name under another tenant's domain is refused", func(f claimFixture) *result { return f.letsEncrypt(f.b, "www.sub.a.test") },
				"www.sub.a.test is not under one of your domains"},
		}
		for _, tt := range refusals {
			t.Run(tt.name, func(t *testing.T) {
				f := root.in(t)
				e := f.e
				before := e.snapshot()
				res := tt.req(f)
				res.wantError(403, tt.msg)
				if msg := res.json["msg"]; msg != tt.msg {
					t.Fatalf("msg %q, want exactly %q", msg, tt.msg)
				}
				e.unchanged(before)
				f.noCertificate("www.sub.a.test")
				f.noCertificate("mail.b.test")
			})
		}

		t.Run("a name that merely ends in another tenant's domain name is allowed", func(t *testing.T) {
			f := root.in(t)
			f.createDomain(f.b, "xa.test").want(201)
			f.upload(f.b, "www.xa.test").want(200)
		})
		t.Run("the owner may create a subdomain of its domain", func(t *testing.T) {
			f := root.in(t)
			f.createDomain(f.a, "sub.a.test").want(201)
			f.createDomain(f.a, "deep.sub.a.test").want(201)
		})
		t.Run("the owner gets a certificate and Let's Encrypt for names under its domain", func(t *testing.T) {
			f := root.in(t)
			f.upload(f.a, "www.sub.a.test").want(200)
			f.letsEncrypt(f.a, "mail.deep.sub.a.test").want(200)
		})
		t.Run("an operator may create a subdomain of a tenant's domain", func(t *testing.T) {
			f := root.in(t)
			f.createDomain(f.ops, "ops.a.test").want(201)
			if got := f.owner("ops.a.test"); got != "ops" {
				t.Fatalf("ops.a.test is owned by %q", got)
			}
		})
		t.Run("the system actor (the command line) may create a subdomain for a tenant", func(t *testing.T) {
			f := root.in(t)
			if _, _, err := f.e.svc.CreateDomain(t.Context(), sb.SystemActor, sb.NewDomain{Name: "cli.a.test", Owner: "b"}); err != nil {
				t.Fatal(err)
			}
			if got := f.owner("cli.a.test"); got != "b" {
				t.Fatalf("cli.a.test is owned by %q", got)
			}
		})
		t.Run("an operator may import a subdomain of a tenant's domain for another tenant", func(t *testing.T) {
			f := root.in(t)
			e := f.e
			e.raw("POST", "/import/domain?tenant=b", f.ops, "application/gzip",
				strings.NewReader(string(buildArchive(t, "given.a.test", []string{"x@given.a.test"}, nil)))).want(201)
			if got := f.owner("given.a.test"); got != "b" {
				t.Fatalf("given.a.test is owned by %q", got)
			}
		})
	})
}

// TestNearestDomainDecides checks the longest-suffix rule: a name belongs to
// the tenant holding its nearest domain, for creating domains and for
// certificates alike.
func TestNearestDomainDecides(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		root := newClaimFixture(t, st)
		root.e.raw("POST", "/import/domain?tenant=b", root.ops, "application/gzip",
			strings.NewReader(string(buildArchive(t, "given.a.test", []string{"x@given.a.test"}, nil)))).want(201)

		t.Run("the tenant given a subdomain may create domains under it", func(t *testing.T) {
			f := root.in(t)
			f.createDomain(f.b, "deep.given.a.test").want(201)
		})
		t.Run("the tenant given a subdomain gets certificates under it", func(t *testing.T) {
			f := root.in(t)
			f.upload(f.b, "www.given.a.test").want(200)
			f.letsEncrypt(f.b, "mail.given.a.test").want(200)
		})
		t.Run("the parent's owner may not create domains under another tenant's subdomain", func(t *testing.T) {
			f := root.in(t)
			e := f.e
			before := e.snapshot()
			f.createDomain(f.a, "x.given.a.test").wantError(403, "domain x.given.a.test lies under a domain of another tenant")
			e.unchanged(before)
		})
		t.Run("the parent's owner gets no certificate under another tenant's subdomain", func(t *testing.T) {
			f := root.in(t)
			f.upload(f.a, "other.given.a.test").wantError(403, "other.given.a.test is not under one of your domains")
			f.letsEncrypt(f.a, "smtp.given.a.test").wantError(403, "smtp.given.a.test is not under one of your domains")
			f.noCertificate("other.given.a.test")
			f.noCertificate("smtp.given.a.test")
		})

		t.Run("a parent may be created over another tenant's existing subdomain", func(t *testing.T) {
			f := root.in(t)
			f.createDomain(f.b, "sub.c.test").want(201)
			f.createDomain(f.a, "c.test").want(201)
		})
		t.Run("the existing subdomain's names stay its tenant's", func(t *testing.T) {
			f := root.in(t)
			f.upload(f.a, "www.c.test").want(200)
			f.upload(f.a, "www.sub.c.test").wantError(403, "www.sub.c.test is not under one of your domains")
			f.upload(f.b, "www.sub.c.test").want(200)
			f.createDomain(f.a, "deep.sub.c.test").wantError(403, "lies under a domain of another tenant")
		})
	})
}
