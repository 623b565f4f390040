package jsonrpc_test

import (
	"context"
	"fmt"
	"testing"

	sb "github.com/switchboard/switchboard"
)

// domainState is what a refused domain.add must leave as it was: every
// domain with its owner, and the length of the audit log.
func (e *rpcEnv) domainState() string {
	e.t.Helper()
	ctx := context.Background()
	tx := e.st.Read()
	var rows []string
	err := tx.EachDomain(ctx, 0, sb.Page{}, func(d sb.Domain) error {
		rows = append(rows, d.Name+" "+d.TenantName)
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	audit, err := tx.AuditLog(ctx, 0, 1_000_000)
	if err != nil {
		e.t.Fatal(err)
	}
	return fmt.Sprintf("%q audit=%d", rows, len(audit))
}

func (e *rpcEnv) ownerOf(t *testing.T, domain string) string {
	t.Helper()
	d, err := e.st.Read().DomainByName(context.Background(), domain)
	if err != nil {
		t.Fatalf("domain %s: %v", domain, err)
	}
	return d.TenantName
}

func TestDomainAddUnderAnotherTenantsDomain(t *testing.T) {
	eachRPC(t, func(t *testing.T, e *rpcEnv) {
		a := e.login("test_account", "123456-secret")
		b := e.login("other", "123456-secret")
		root := e.login("root", "123456-secret")
		e.call(a, "domain.add", map[string]string{"domain": "a.test"}).ok(t)

		refusals := []struct {
			name    string
			session string
			domain  string
		}{
			{"a subdomain of another tenant's domain is refused", b, "sub.a.test"},
			{"a deeper subdomain is refused", b, "deep.sub.a.test"},
			{"a respelt subdomain is refused", b, "SUB.a.test."},
		}
		for _, tt := range refusals {
			t.Run(tt.name, func(t *testing.T) {
				before := e.domainState()
				e.call(tt.session, "domain.add", map[string]string{"domain": tt.domain}).fails(t, 2, "")
				if after := e.domainState(); after != before {
					t.Fatalf("a refused call changed the store:\nbefore %s\nafter  %s", before, after)
				}
			})
		}

		t.Run("a name that merely ends in another tenant's domain name is allowed", func(t *testing.T) {
			e.call(b, "domain.add", map[string]string{"domain": "xa.test"}).ok(t)
		})
		t.Run("the owner may create a subdomain of its domain", func(t *testing.T) {
			e.call(a, "domain.add", map[string]string{"domain": "sub.a.test"}).ok(t)
			e.call(a, "domain.add", map[string]string{"domain": "deep.sub.a.test"}).ok(t)
		})
		t.Run("an operator may create a subdomain of a tenant's domain for another tenant", func(t *testing.T) {
			e.call(root, "domain.add", map[string]string{"domain": "given.a.test", "account": "other"}).ok(t)
			if got := e.ownerOf(t, "given.a.test"); got != "other" {
				t.Fatalf("given.a.test is owned by %q", got)
			}
		})
		t.Run("the tenant given a subdomain may create domains under it", func(t *testing.T) {
			e.call(b, "domain.add", map[string]string{"domain": "deep.given.a.test"}).ok(t)
		})
		t.Run("the parent's owner may not create domains under another tenant's subdomain", func(t *testing.T) {
			before := e.domainState()
			e.call(a, "domain.add", map[string]string{"domain": "x.given.a.test"}).fails(t, 2, "")
			if after := e.domainState(); after != before {
				t.Fatalf("a refused call changed the store:\nbefore %s\nafter  %s", before, after)
			}
		})
		t.Run("a parent may be created over another tenant's existing subdomain", func(t *testing.T) {
			e.call(b, "domain.add", map[string]string{"domain": "sub.c.test"}).ok(t)
			e.call(a, "domain.add", map[string]string{"domain": "c.test"}).ok(t)
			if got := e.ownerOf(t, "sub.c.test"); got != "other" {
				t.Fatalf("sub.c.test is owned by %q", got)
			}
		})
	})
}
