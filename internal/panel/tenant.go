package panel

import (
	"net/http"
	"strings"

	sb "github.com/switchboard/switchboard"
)

// registerTenant registers the pages of a tenant: domains, mailboxes,
// aliases, DKIM, certificates, exports, OAuth clients and configuration
// links; an operator sees every tenant.
func (p *Panel) registerTenant() {
	p.registerDomains()
	p.registerClients()
	p.mux.Handle("GET /panel/tenants", p.tenant(p.getTenants))
}

// tenant adapts a handler of the tenants' pages: an account session gets
// 404, as for a page that does not exist for it.
func (p *Panel) tenant(h handlerFunc) http.Handler {
	return p.authed(func(w http.ResponseWriter, r *http.Request) error {
		if !actorOf(r).IsTenant() {
			return sb.Errorf(sb.ENOTFOUND, "no such page")
		}
		return h(w, r)
	})
}

// getTenants lists every tenant for an operator; a tenant gets 404.
func (p *Panel) getTenants(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	if !actor.IsOperator() {
		return sb.Errorf(sb.ENOTFOUND, "no such page")
	}
	tenants, err := p.svc.ListTenants(r.Context(), actor)
	if err != nil {
		return err
	}
	return p.render(w, r, http.StatusOK, "tenant_tenants.html", "Tenants", tenants)
}

// confirmPage is the data of tenant_confirm.html: the no-JavaScript
// confirmation step of a destructive action, a GET page whose form POSTs
// to Action.
type confirmPage struct {
	Question string // the page's heading
	Detail   string
	Action   string
	Button   string
	Back     string
}

// inDomain completes a bare local part with the page's domain, so a form
// under a domain takes "bob" as well as "bob@example.com".
func inDomain(addr, domain string) string {
	addr = strings.TrimSpace(addr)
	if addr != "" && !strings.Contains(addr, "@") {
		return addr + "@" + domain
	}
	return addr
}
