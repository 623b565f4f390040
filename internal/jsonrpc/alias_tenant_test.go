package jsonrpc_test

import (
	"context"
	"strings"
	"testing"

	sb "github.com/switchboard/switchboard"
)

// aliasRows lists a domain's aliases as "address goto".
func (e *rpcEnv) aliasRows(t *testing.T, domain string) string {
	t.Helper()
	ctx := context.Background()
	d, err := e.st.Read().DomainByName(ctx, domain)
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	err = e.st.Read().EachAlias(ctx, d.ID, sb.Page{}, func(a sb.Alias) error {
		rows = append(rows, a.Email+" "+strings.Join(a.Destinations, ","))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(rows, "; ")
}

func TestMailDelLeavesOtherTenantsAliases(t *testing.T) {
	eachRPC(t, func(t *testing.T, e *rpcEnv) {
		a := e.login("test_account", "123456-secret")
		b := e.login("other", "123456-secret")
		e.call(a, "domain.add", map[string]string{"domain": "a.test"}).ok(t)
		e.call(a, "mail.add", map[string]string{"mail": "victim@a.test", "password": "password123"}).ok(t)
		e.call(a, "alias.add", map[string]any{"alias": "team@a.test", "goto": "victim@a.test,x@elsewhere.org"}).ok(t)
		e.call(a, "alias.add", map[string]any{"alias": "only@a.test", "goto": "victim@a.test"}).ok(t)
		e.call(b, "domain.add", map[string]string{"domain": "b.test"}).ok(t)
		e.call(b, "alias.add", map[string]any{"alias": "onlyvictim@b.test", "goto": "victim@a.test"}).ok(t)
		e.call(b, "alias.add", map[string]any{"alias": "mixed@b.test", "goto": "victim@a.test,y@elsewhere.org"}).ok(t)
		bBefore := e.aliasRows(t, "b.test")
		audit, err := e.st.Read().AuditLog(context.Background(), 0, 1_000_000)
		if err != nil {
			t.Fatal(err)
		}
		auditBefore := len(audit)

		e.call(a, "mail.del", map[string]string{"mail": "victim@a.test"}).ok(t)

		t.Run("the tenant's own aliases lose the destination", func(t *testing.T) {
			if got := e.aliasRows(t, "a.test"); got != "team@a.test x@elsewhere.org" {
				t.Fatalf("aliases of a.test: %s", got)
			}
		})
		t.Run("another tenant's aliases to the address stay as they were", func(t *testing.T) {
			if got := e.aliasRows(t, "b.test"); got != bBefore {
				t.Fatalf("aliases of b.test: %s\nbefore: %s", got, bBefore)
			}
		})
		t.Run("the audit names only the tenant's own aliases", func(t *testing.T) {
			audit, err := e.st.Read().AuditLog(context.Background(), 0, 1_000_000)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range audit[auditBefore:] {
				if strings.HasPrefix(r.Object, "alias:") {
					got = append(got, r.Actor+" "+r.Action+" "+r.Object)
				}
			}
			want := "tenant:test_account alias.update alias:team@a.test; tenant:test_account alias.delete alias:only@a.test"
			if strings.Join(got, "; ") != want {
				t.Fatalf("audit: %s\nwant  %s", strings.Join(got, "; "), want)
			}
		})
	})
}
