package httpapi_test

import (
	"fmt"
	"strings"
	"testing"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
)

// aliasRows lists the aliases of the named domains as "address goto".
func (e *env) aliasRows(domains ...string) []string {
	e.t.Helper()
	var rows []string
	for _, name := range domains {
		d, err := e.store.Read().DomainByName(e.t.Context(), name)
		if err != nil {
			e.t.Fatalf("domain %s: %v", name, err)
		}
		err = e.store.Read().EachAlias(e.t.Context(), d.ID, sb.Page{}, func(a sb.Alias) error {
			rows = append(rows, a.Email+" "+strings.Join(a.Destinations, ","))
			return nil
		})
		if err != nil {
			e.t.Fatal(err)
		}
	}
	return rows
}

// aliasAudit lists the audit rows about aliases after the first skip rows.
func (e *env) aliasAudit(skip int) []string {
	e.t.Helper()
	audit, err := e.store.Read().AuditLog(e.t.Context(), 0, 1_000_000)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, a := range audit[skip:] {
		if strings.HasPrefix(a.Object, "alias:") {
			out = append(out, a.Actor+" "+a.Action+" "+a.Object)
		}
	}
	return out
}

func TestDeletedMailboxLeavesOtherTenantsAliases(t *testing.T) {
	tests := []struct {
		name  string
		actor string // who deletes victim@a.test: "a" or "ops"
	}{
		{"the owning tenant's delete edits only its own aliases", "a"},
		{"an operator's delete edits only the owning tenant's aliases", "ops"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, st *store.Store) {
				e := newEnv(t, st, 0)
				tok := map[string]string{"a": e.tenant("a", sb.RoleTenant), "b": e.tenant("b", sb.RoleTenant), "ops": e.tenant("ops", sb.RoleOperator)}
				alias := func(who, domain, address, dests string) {
					d, err := e.store.Read().DomainByName(t.Context(), domain)
					if err != nil {
						t.Fatal(err)
					}
					e.do("POST", fmt.Sprintf("/alias/%d", d.ID), tok[who], form{"address": address, "goto": dests}).want(201)
				}
				e.do("POST", "/domains", tok["a"], form{"domain": "a.test", "username": "victim@a.test", "password": "password123"}).want(201)
				e.do("POST", "/domains", tok["a"], form{"domain": "a2.test", "username": "admin@a2.test", "password": "password123"}).want(201)
				e.do("POST", "/domains", tok["b"], form{"domain": "b.test", "username": "admin@b.test", "password": "password123"}).want(201)
				alias("a", "a.test", "team@a.test", "victim@a.test,x@elsewhere.org")
				alias("a", "a.test", "only@a.test", "victim@a.test")
				alias("a", "a2.test", "fwd@a2.test", "admin@a2.test,victim@a.test")
				alias("b", "b.test", "onlyvictim@b.test", "victim@a.test")
				alias("b", "b.test", "mixed@b.test", "admin@b.test,victim@a.test")
				bBefore := e.aliasRows("b.test")
				auditBefore := e.snapshot().Audit

				e.do("DELETE", "/users", tok[tt.actor], form{"email": "victim@a.test"}).want(200)

				t.Run("the tenant's own aliases lose the destination", func(t *testing.T) {
					got := strings.Join(e.aliasRows("a.test", "a2.test"), "; ")
					if want := "team@a.test x@elsewhere.org; fwd@a2.test admin@a2.test"; got != want {
						t.Fatalf("aliases of a: %s\nwant %s", got, want)
					}
				})
				t.Run("another tenant's aliases to the address stay as they were", func(t *testing.T) {
					if got := e.aliasRows("b.test"); strings.Join(got, "; ") != strings.Join(bBefore, "; ") {
						t.Fatalf("aliases of b: %q\nbefore: %q", got, bBefore)
					}
				})
				t.Run("the audit names only the tenant's own aliases", func(t *testing.T) {
					actor := "tenant:" + tt.actor
					got := strings.Join(e.aliasAudit(auditBefore), "; ")
					want := actor + " alias.update alias:team@a.test; " + actor + " alias.update alias:fwd@a2.test; " + actor + " alias.delete alias:only@a.test"
					if got != want {
						t.Fatalf("audit: %s\nwant  %s", got, want)
					}
				})
			})
		})
	}
}
