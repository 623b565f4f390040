package panel

import (
	"crypto/rand"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	sb "github.com/switchboard/switchboard"
)

// The iConfig-style client configuration: OAuth clients for the
// /config/create API, and configuration links made by hand.
func (p *Panel) registerClients() {
	h := func(pattern string, fn handlerFunc) { p.mux.Handle(pattern, p.tenant(fn)) }
	h("GET /panel/oauth-clients", p.getOAuthClients)
	h("POST /panel/oauth-clients", p.postOAuthClient)
	h("GET /panel/oauth-clients/{id}/revoke", p.getRevokeOAuthClient)
	h("POST /panel/oauth-clients/{id}/revoke", p.postRevokeOAuthClient)
	h("GET /panel/config-links", p.getConfigLinks)
	h("POST /panel/config-links", p.postConfigLink)
	// The link's id is its address: it stays in form bodies, out of URLs
	// and logs.
	h("POST /panel/config-links/delete", p.postDeleteConfigLink)
}

// oauthPage is the data of tenant_oauth.html; Secret is set once, in the
// answer of the POST that created NewClient.
type oauthPage struct {
	Clients   []sb.OAuthClient
	NewClient string
	Secret    string
	Operator  bool
}

func (p *Panel) oauthPage(w http.ResponseWriter, r *http.Request, data oauthPage) error {
	clients, err := p.svc.ListOAuthClients(r.Context(), actorOf(r))
	if err != nil {
		return err
	}
	data.Clients, data.Operator = clients, actorOf(r).IsOperator()
	return p.render(w, r, http.StatusOK, "tenant_oauth.html", "OAuth clients", data)
}

func (p *Panel) getOAuthClients(w http.ResponseWriter, r *http.Request) error {
	return p.oauthPage(w, r, oauthPage{})
}

// postOAuthClient creates a client and shows its secret in this answer
// only: never in a URL, a cookie or a log.
func (p *Panel) postOAuthClient(w http.ResponseWriter, r *http.Request) error {
	c, secret, err := p.svc.CreateOAuthClient(r.Context(), actorOf(r), strings.TrimSpace(r.PostFormValue("tenant")))
	if err != nil {
		return p.done(w, r, "/panel/oauth-clients", err, "")
	}
	return p.oauthPage(w, r, oauthPage{NewClient: c.ClientID, Secret: secret})
}

func (p *Panel) getRevokeOAuthClient(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	clients, err := p.svc.ListOAuthClients(r.Context(), actorOf(r))
	if err != nil {
		return err
	}
	for _, c := range clients {
		if c.ClientID == id {
			return p.render(w, r, http.StatusOK, "tenant_confirm.html", "Revoke OAuth client", confirmPage{
				Question: "Revoke the OAuth client " + id + "?",
				Detail:   "Its secret and every token it obtained stop working at once.",
				Action:   "/panel/oauth-clients/" + url.PathEscape(id) + "/revoke",
				Button:   "Revoke client", Back: "/panel/oauth-clients",
			})
		}
	}
	return sb.Errorf(sb.ENOTFOUND, "OAuth client not found")
}

func (p *Panel) postRevokeOAuthClient(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	err := p.svc.RevokeOAuthClient(r.Context(), actorOf(r), id)
	return p.done(w, r, "/panel/oauth-clients", err, "OAuth client "+id+" revoked.")
}

// configLinksPage is the data of tenant_configlinks.html; Created and
// Password are set once, in the answer of the POST that made the link.
type configLinksPage struct {
	Links    []configLinkRow
	Created  *configLinkRow
	Password string
}

type configLinkRow struct {
	sb.ConfigLink
	URL string
}

func (p *Panel) configLinksPage(w http.ResponseWriter, r *http.Request, data configLinksPage) error {
	links, err := p.svc.ListClientConfigs(r.Context(), actorOf(r))
	if err != nil {
		return err
	}
	for _, l := range links {
		data.Links = append(data.Links, configLinkRow{l, linkURL(r, l.ID)})
	}
	return p.render(w, r, http.StatusOK, "tenant_configlinks.html", "Configuration links", data)
}

// linkURL is the address a configuration link opens, on the host the
// panel was reached at.
func linkURL(r *http.Request, id string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/config/" + url.PathEscape(id)
}

func (p *Panel) getConfigLinks(w http.ResponseWriter, r *http.Request) error {
	return p.configLinksPage(w, r, configLinksPage{})
}

// postConfigLink stores one IMAP mail account's configuration behind a new
// link; the link's password is made here and shown in this answer only.
func (p *Panel) postConfigLink(w http.ResponseWriter, r *http.Request) error {
	port := func(field string) int {
		n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue(field)))
		if err != nil {
			return -1 // the service refuses it with the field's name
		}
		return n
	}
	addr := strings.TrimSpace(r.PostFormValue("email"))
	in := sb.ClientConfig{Password: linkPassword(), Emails: []sb.EmailAccount{{
		Address: addr, AccountType: sb.EmailTypeIMAP, AccountName: strings.TrimSpace(r.PostFormValue("name")),
		AccountDescription: addr,
		IncomingHost:       strings.TrimSpace(r.PostFormValue("imap_host")), IncomingPort: port("imap_port"), IncomingSSL: true,
		IncomingPassword: r.PostFormValue("mail_password"),
		OutgoingHost:     strings.TrimSpace(r.PostFormValue("smtp_host")), OutgoingPort: port("smtp_port"), OutgoingSSL: true,
		OutgoingPasswordSameAsIncoming: true,
	}}}
	link, err := p.svc.CreateClientConfig(r.Context(), actorOf(r), in)
	if err != nil {
		return p.done(w, r, "/panel/config-links", err, "")
	}
	return p.configLinksPage(w, r, configLinksPage{Created: &configLinkRow{*link, linkURL(r, link.ID)}, Password: in.Password})
}

// linkPassword is a new link's password: 26 base32 characters, 128 bits.
func linkPassword() string { return rand.Text() }

// postDeleteConfigLink deletes a link; its form has a required checkbox,
// the no-JavaScript confirmation step.
func (p *Panel) postDeleteConfigLink(w http.ResponseWriter, r *http.Request) error {
	if r.PostFormValue("confirm") != "yes" {
		return p.done(w, r, "/panel/config-links", sb.Errorf(sb.EINVALID, "tick the box to confirm the deletion"), "")
	}
	err := p.svc.DeleteClientConfig(r.Context(), actorOf(r), r.PostFormValue("id"))
	return p.done(w, r, "/panel/config-links", err, "Configuration link deleted.")
}
