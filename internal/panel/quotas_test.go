package panel_test

import (
	"context"
	"net/url"
	"testing"

	sb "github.com/switchboard/switchboard"
)

// TestPanelRespectsTenantLimits: the panel creates through the service, so
// a tenant at its limit sees the limit's refusal and nothing is created.
func TestPanelRespectsTenantLimits(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		acme, err := e.svc.GetTenant(ctx, sb.SystemActor, "acme")
		if err != nil {
			t.Fatal(err)
		}
		_, u, err := e.svc.TenantUsage(ctx, sb.SystemActor, acme.Name)
		if err != nil {
			t.Fatal(err)
		}
		limit := u.Mailboxes
		if limit == 0 || u.Domains == 0 {
			t.Fatalf("the fixture holds %+v; a limit of 0 would be none", u)
		}
		if _, err := e.svc.SetTenantLimits(ctx, sb.SystemActor, "acme", sb.TenantLimitsChange{MaxMailboxes: &limit, MaxDomains: &u.Domains}); err != nil {
			t.Fatal(err)
		}
		b := e.login("acme", tenantPassword)
		res := b.post(dom+"/mailboxes", url.Values{"email": {"carol"}, "password": {"carol-password-1"}})
		b.wantFlash(t, res, "has reached its limit of")
		if e.mailboxExists("carol@sip.example.org") {
			t.Fatal("a mailbox beyond the limit was created")
		}
		res = b.post("/panel/domains", url.Values{"domain": {"new.example"}, "username": {"a"}, "password": {"password-123"}})
		b.wantFlash(t, res, "(max_domains)")
		if e.domainExists("new.example") {
			t.Fatal("a domain beyond the limit was created")
		}
	})
}
