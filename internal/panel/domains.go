package panel

import (
	"errors"
	"html/template"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/dkim"
)

// Page sizes of the tenant's lists.
const (
	domainsPerPage   = 50
	mailboxesPerPage = 50
	aliasesPerPage   = 50
)

func (p *Panel) registerDomains() {
	h := func(pattern string, fn handlerFunc) { p.mux.Handle(pattern, p.tenant(fn)) }
	h("GET /panel/domains", p.getDomains)
	h("POST /panel/domains", p.postDomain)
	h("GET /panel/domains/{name}", p.getDomain)
	h("GET /panel/domains/{name}/delete", p.getDeleteDomain)
	h("POST /panel/domains/{name}/delete", p.postDeleteDomain)
	h("POST /panel/domains/{name}/mailboxes", p.postMailbox)
	h("POST /panel/domains/{name}/mailboxes/{email}/password", p.postMailboxPassword)
	h("GET /panel/domains/{name}/mailboxes/{email}/delete", p.getDeleteMailbox)
	h("POST /panel/domains/{name}/mailboxes/{email}/delete", p.postDeleteMailbox)
	h("POST /panel/domains/{name}/aliases", p.postAlias)
	h("GET /panel/domains/{name}/aliases/{address}/delete", p.getDeleteAlias)
	h("POST /panel/domains/{name}/aliases/{address}/delete", p.postDeleteAlias)
	h("POST /panel/domains/{name}/dkim", p.postDKIM)
	h("POST /panel/domains/{name}/dkim/{selector}/activate", p.postActivateDKIM)
	h("GET /panel/domains/{name}/dkim/{selector}/delete", p.getDeleteDKIM)
	h("POST /panel/domains/{name}/dkim/{selector}/delete", p.postDeleteDKIM)
	h("POST /panel/domains/{name}/letsencrypt", p.postLetsEncrypt)
	h("GET /panel/domains/{name}/export", p.getExport)
}

// domainsPage is the data of tenant_domains.html.
type domainsPage struct {
	Domains []sb.Domain
	Tenant  string // the operator's filter, if any
	Pager   pager
	First   string // the first page's link, when this is not it
}

func (p *Panel) getDomains(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	after, err := afterID(r)
	if err != nil {
		return err
	}
	tenant := r.URL.Query().Get("tenant")
	data := domainsPage{Tenant: tenant}
	err = p.svc.ListDomains(r.Context(), actor, tenant, sb.Page{After: after, Limit: domainsPerPage + 1}, func(d sb.Domain) error {
		data.Domains = append(data.Domains, d)
		return nil
	})
	if err != nil {
		return err
	}
	if len(data.Domains) > domainsPerPage {
		data.Domains = data.Domains[:domainsPerPage]
		data.Pager.Next = "/panel/domains" + queryURL("tenant", tenant, "after", data.Domains[domainsPerPage-1].ID)
	}
	if after > 0 {
		data.First = "/panel/domains" + queryURL("tenant", tenant)
	}
	return p.render(w, r, http.StatusOK, "tenant_domains.html", "Domains", data)
}

// afterID reads the keyset position "after" of a list page.
func afterID(r *http.Request) (int64, error) {
	s := r.URL.Query().Get("after")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, sb.Errorf(sb.EMALFORMED, "after must be a row id")
	}
	return n, nil
}

func (p *Panel) postDomain(w http.ResponseWriter, r *http.Request) error {
	name := strings.ToLower(strings.TrimSpace(r.PostFormValue("domain")))
	in := sb.NewDomain{Name: name, Owner: strings.TrimSpace(r.PostFormValue("owner"))}
	if user, pass := r.PostFormValue("username"), r.PostFormValue("password"); strings.TrimSpace(user) != "" || pass != "" {
		in.First = &sb.FirstAccount{Address: inDomain(user, name), Password: pass}
	}
	d, _, err := p.svc.CreateDomain(r.Context(), actorOf(r), in)
	if err != nil {
		return p.done(w, r, "/panel/domains", err, "")
	}
	return p.done(w, r, domainURL(d.Name), nil, "Domain "+d.Name+" created.")
}

func domainURL(name string) string { return "/panel/domains/" + url.PathEscape(name) }

// domainPage is the data of domain_show.html.
type domainPage struct {
	Domain    *sb.Domain
	Q         string // the mailbox search
	Mailboxes []sb.Account
	MailPager pager
	MailFirst string
	Aliases   []sb.Alias
	AliasNext string
	AliasMore bool
	DKIM      []dkimRow
	Certs     []sb.Certificate
}

// dkimRow is a DKIM key with the DNS record that publishes it.
type dkimRow struct {
	sb.DKIMKey
	Name  string // the record's name
	Value string // its TXT value as quoted zone-file strings
}

func (p *Panel) getDomain(w http.ResponseWriter, r *http.Request) error {
	ctx, actor, name := r.Context(), actorOf(r), r.PathValue("name")
	d, err := p.svc.GetDomain(ctx, actor, name)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	data := domainPage{Domain: d, Q: strings.TrimSpace(q.Get("q"))}
	ref := sb.DomainRef{ID: d.ID}

	after := q.Get("after")
	err = p.svc.SearchAccounts(ctx, actor, ref, sb.AccountQuery{Prefix: data.Q, After: after, Limit: mailboxesPerPage + 1}, func(a sb.Account) error {
		data.Mailboxes = append(data.Mailboxes, a)
		return nil
	})
	if err != nil {
		return err
	}
	base := domainURL(d.Name)
	if len(data.Mailboxes) > mailboxesPerPage {
		data.Mailboxes = data.Mailboxes[:mailboxesPerPage]
		data.MailPager.Next = base + (queryURL("q", data.Q, "after", data.Mailboxes[mailboxesPerPage-1].Local)) + "#mailboxes"
	}
	if after != "" {
		data.MailFirst = base + (queryURL("q", data.Q)) + "#mailboxes"
	}

	aliasAfter, err := strconv.ParseInt(q.Get("aliases_after"), 10, 64)
	if err != nil {
		aliasAfter = 0
	}
	err = p.svc.ListAliases(ctx, actor, ref, sb.Page{After: max(aliasAfter, 0), Limit: aliasesPerPage + 1}, func(a sb.Alias) error {
		data.Aliases = append(data.Aliases, a)
		return nil
	})
	if err != nil {
		return err
	}
	if len(data.Aliases) > aliasesPerPage {
		data.Aliases = data.Aliases[:aliasesPerPage]
		data.AliasNext = base + (queryURL("aliases_after", data.Aliases[aliasesPerPage-1].ID)) + "#aliases"
	}
	data.AliasMore = aliasAfter > 0

	keys, err := p.svc.ListDKIMKeys(ctx, actor, d.Name)
	if err != nil {
		return err
	}
	for _, k := range keys {
		data.DKIM = append(data.DKIM, dkimRow{DKIMKey: k, Name: dkim.DNSName(k.Selector, d.Name),
			Value: dkim.ZoneStrings(dkim.DNSValue(k.Algorithm, k.Public))})
	}
	if data.Certs, err = p.svc.ListCertificates(ctx, actor, d.Name); err != nil {
		return err
	}
	return p.render(w, r, http.StatusOK, "domain_show.html", d.Name, data)
}

// queryURL is the template func "query" for Go code: "?k=v&..." without
// the empty values, or "".
func queryURL(pairs ...any) string {
	return string(funcs["query"].(func(...any) template.URL)(pairs...))
}

// The domain's deletion: a page that says what goes, and a form with a
// required checkbox (the no-JavaScript confirmation step).
func (p *Panel) getDeleteDomain(w http.ResponseWriter, r *http.Request) error {
	d, err := p.svc.GetDomain(r.Context(), actorOf(r), r.PathValue("name"))
	if err != nil {
		return err
	}
	return p.render(w, r, http.StatusOK, "domain_delete.html", "Delete "+d.Name, d)
}

func (p *Panel) postDeleteDomain(w http.ResponseWriter, r *http.Request) error {
	ctx, actor := r.Context(), actorOf(r)
	d, err := p.svc.GetDomain(ctx, actor, r.PathValue("name"))
	if err != nil {
		return err
	}
	if r.PostFormValue("confirm") != "yes" {
		return p.done(w, r, domainURL(d.Name)+"/delete", sb.Errorf(sb.EINVALID, "tick the box to confirm the deletion"), "")
	}
	if err := p.svc.DeleteDomain(ctx, actor, d.Name); err != nil {
		return p.done(w, r, domainURL(d.Name)+"/delete", err, "")
	}
	return p.done(w, r, "/panel/domains", nil, "Domain "+d.Name+" deleted, with its mailboxes and aliases.")
}

// domainOf loads the page's domain, so every form under it answers 404
// for a domain the actor may not see, before reading its input.
func (p *Panel) domainOf(r *http.Request) (*sb.Domain, error) {
	return p.svc.GetDomain(r.Context(), actorOf(r), r.PathValue("name"))
}

// addressIn reads the {field} path wildcard as an address of domain d: any
// other domain's address is not found here.
func addressIn(r *http.Request, field string, d *sb.Domain) (string, error) {
	addr := strings.ToLower(r.PathValue(field))
	if i := strings.LastIndexByte(addr, '@'); i < 0 || addr[i+1:] != d.Name {
		return "", sb.Errorf(sb.ENOTFOUND, "%s not found", field)
	}
	return addr, nil
}

func (p *Panel) postMailbox(w http.ResponseWriter, r *http.Request) error {
	d, err := p.domainOf(r)
	if err != nil {
		return err
	}
	email := inDomain(r.PostFormValue("email"), d.Name)
	a, err := p.svc.CreateMailbox(r.Context(), actorOf(r), sb.NewMailbox{Domain: sb.DomainRef{ID: d.ID},
		Address: email, Password: r.PostFormValue("password"), Active: true, InboxSave: true})
	if err != nil {
		return p.done(w, r, domainURL(d.Name)+"#mailboxes", err, "")
	}
	return p.done(w, r, domainURL(d.Name)+"#mailboxes", nil, "Mailbox "+a.Email+" created.")
}

func (p *Panel) postMailboxPassword(w http.ResponseWriter, r *http.Request) error {
	d, err := p.domainOf(r)
	if err != nil {
		return err
	}
	email, err := addressIn(r, "email", d)
	if err != nil {
		return err
	}
	password := r.PostFormValue("password")
	_, err = p.svc.UpdateMailbox(r.Context(), actorOf(r), email, sb.MailboxChange{Password: &password})
	return p.done(w, r, domainURL(d.Name)+"#mailboxes", err, "Password of "+email+" changed.")
}

func (p *Panel) getDeleteMailbox(w http.ResponseWriter, r *http.Request) error {
	d, err := p.domainOf(r)
	if err != nil {
		return err
	}
	email, err := addressIn(r, "email", d)
	if err != nil {
		return err
	}
	a, err := p.svc.GetMailbox(r.Context(), actorOf(r), email)
	if err != nil {
		return err
	}
	return p.render(w, r, http.StatusOK, "tenant_confirm.html", "Delete mailbox", confirmPage{
		Question: "Delete the mailbox " + a.Email + "?",
		Detail:   "Its mail, its SIP identity, its devices and its API keys go with it; this cannot be undone.",
		Action:   domainURL(d.Name) + "/mailboxes/" + url.PathEscape(a.Email) + "/delete",
		Button:   "Delete mailbox", Back: domainURL(d.Name) + "#mailboxes",
	})
}

func (p *Panel) postDeleteMailbox(w http.ResponseWriter, r *http.Request) error {
	d, err := p.domainOf(r)
	if err != nil {
		return err
	}
	email, err := addressIn(r, "email", d)
	if err != nil {
		return err
	}
	err = p.svc.DeleteAccount(r.Context(), actorOf(r), email)
	return p.done(w, r, domainURL(d.Name)+"#mailboxes", err, "Mailbox "+email+" deleted.")
}

func (p *Panel) postAlias(w http.ResponseWriter, r *http.Request) error {
	d, err := p.domainOf(r)
	if err != nil {
		return err
	}
	address := inDomain(r.PostFormValue("address"), d.Name)
	gotos := strings.FieldsFunc(r.PostFormValue("goto"), func(c rune) bool { return c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t' })
	a, err := p.svc.CreateAlias(r.Context(), actorOf(r), sb.DomainRef{ID: d.ID}, address, gotos)
	if err != nil {
		return p.done(w, r, domainURL(d.Name)+"#aliases", err, "")
	}
	return p.done(w, r, domainURL(d.Name)+"#aliases", nil, "Alias "+a.Email+" created.")
}

func (p *Panel) getDeleteAlias(w http.ResponseWriter, r *http.Request) error {
	d, err := p.domainOf(r)
	if err != nil {
		return err
	}
	address, err := addressIn(r, "address", d)
	if err != nil {
		return err
	}
	return p.render(w, r, http.StatusOK, "tenant_confirm.html", "Delete alias", confirmPage{
		Question: "Delete the alias " + address + "?",
		Detail:   "Mail to this address will no longer be forwarded.",
		Action:   domainURL(d.Name) + "/aliases/" + url.PathEscape(address) + "/delete",
		Button:   "Delete alias", Back: domainURL(d.Name) + "#aliases",
	})
}

func (p *Panel) postDeleteAlias(w http.ResponseWriter, r *http.Request) error {
	d, err := p.domainOf(r)
	if err != nil {
		return err
	}
	address, err := addressIn(r, "address", d)
	if err != nil {
		return err
	}
	err = p.svc.DeleteAlias(r.Context(), actorOf(r), address)
	return p.done(w, r, domainURL(d.Name)+"#aliases", err, "Alias "+address+" deleted.")
}

func (p *Panel) postDKIM(w http.ResponseWriter, r *http.Request) error {
	d, err := p.domainOf(r)
	if err != nil {
		return err
	}
	k, err := p.svc.AddDKIMKey(r.Context(), actorOf(r), d.Name, r.PostFormValue("selector"), r.PostFormValue("algorithm"))
	if err != nil {
		return p.done(w, r, domainURL(d.Name)+"#dkim", err, "")
	}
	msg := "DKIM key " + k.Key.Selector + " created: publish its DNS record"
	if !k.Key.Active {
		msg += ", then activate it"
	}
	return p.done(w, r, domainURL(d.Name)+"#dkim", nil, msg+".")
}

func (p *Panel) postActivateDKIM(w http.ResponseWriter, r *http.Request) error {
	d, err := p.domainOf(r)
	if err != nil {
		return err
	}
	sel := r.PathValue("selector")
	err = p.svc.ActivateDKIMKey(r.Context(), actorOf(r), d.Name, sel)
	return p.done(w, r, domainURL(d.Name)+"#dkim", err, "DKIM key "+sel+" now signs the domain's mail.")
}

func (p *Panel) getDeleteDKIM(w http.ResponseWriter, r *http.Request) error {
	d, err := p.domainOf(r)
	if err != nil {
		return err
	}
	sel := r.PathValue("selector")
	keys, err := p.svc.ListDKIMKeys(r.Context(), actorOf(r), d.Name)
	if err != nil {
		return err
	}
	found := false
	for _, k := range keys {
		found = found || k.Selector == sel
	}
	if !found {
		return sb.Errorf(sb.ENOTFOUND, "DKIM key not found")
	}
	return p.render(w, r, http.StatusOK, "tenant_confirm.html", "Delete DKIM key", confirmPage{
		Question: "Delete the DKIM key " + sel + " of " + d.Name + "?",
		Detail:   "Remove its DNS record afterwards; mail it signed earlier no longer verifies once the record is gone.",
		Action:   domainURL(d.Name) + "/dkim/" + url.PathEscape(sel) + "/delete",
		Button:   "Delete DKIM key", Back: domainURL(d.Name) + "#dkim",
	})
}

func (p *Panel) postDeleteDKIM(w http.ResponseWriter, r *http.Request) error {
	d, err := p.domainOf(r)
	if err != nil {
		return err
	}
	sel := r.PathValue("selector")
	err = p.svc.DeleteDKIMKey(r.Context(), actorOf(r), d.Name, sel)
	return p.done(w, r, domainURL(d.Name)+"#dkim", err, "DKIM key "+sel+" deleted.")
}

// postLetsEncrypt asks the ACME CA for a certificate, synchronously; a CA
// that cannot be reached, or a host name outside the tenant's domains,
// comes back as a refusal on the domain's page.
func (p *Panel) postLetsEncrypt(w http.ResponseWriter, r *http.Request) error {
	d, err := p.domainOf(r)
	if err != nil {
		return err
	}
	next := domainURL(d.Name) + "#certificates"
	c, err := p.svc.InstallACMECertificate(r.Context(), actorOf(r), r.PostFormValue("hostname"))
	switch sb.ErrorCode(err) {
	case "":
		return p.done(w, r, next, nil, "Certificate for "+c.Hostname+" installed: "+strconv.Itoa(c.DaysLeft)+" days left.")
	case sb.EUNAVAILABLE, sb.EFORBIDDEN, sb.ENOTFOUND:
		p.flash(w, r, "!"+sb.ErrorMessage(err))
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	return p.done(w, r, next, err, "")
}

// getExport serves the same archive as the REST export.
func (p *Panel) getExport(w http.ResponseWriter, r *http.Request) error {
	d, err := p.domainOf(r)
	if err != nil {
		return err
	}
	exp, err := p.svc.ExportDomain(r.Context(), actorOf(r), d.Name)
	if err != nil {
		return err
	}
	defer exp.Close()
	w.Header().Set("Content-Type", "application/gzip")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": exp.FileName()}))
	if err := exp.Stream(&deadlineWriter{w: w, rc: http.NewResponseController(w)}); err != nil {
		// The answer has begun: the browser sees a cut download.
		if !errors.Is(r.Context().Err(), err) {
			p.log.ErrorContext(r.Context(), "panel export failed", "domain", d.Name, "err", err)
		}
	}
	return nil
}

// deadlineWriter pushes the connection's write deadline forward while an
// export streams, at most once a second, so a long archive outlives the
// server's write timeout as long as it keeps moving.
type deadlineWriter struct {
	w        http.ResponseWriter
	rc       *http.ResponseController
	extended time.Time
}

func (d *deadlineWriter) Write(b []byte) (int, error) {
	if now := time.Now(); now.Sub(d.extended) >= time.Second {
		d.extended = now
		_ = d.rc.SetWriteDeadline(now.Add(time.Minute))
	}
	return d.w.Write(b)
}
