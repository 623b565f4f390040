package jsonrpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	sb "github.com/switchboard/switchboard"
)

// Services is what the JSON-RPC methods call: the same service layer as the
// REST surfaces. No business rule lives in this file.
type Services interface {
	sb.SessionService
	sb.TenantService
	sb.DomainService
	sb.AccountService
	sb.AliasService
	sb.DeviceService
	sb.MailboxOrgService
	sb.AppPasswordService
	sb.VacationService
	sb.QuotaService
}

// NewAPI returns the mailbox.org-style API: the envelope with every method
// registered over svc.
func NewAPI(svc Services, logger *slog.Logger) *Server {
	s := New(logger)
	m := &methods{svc: svc}
	s.Register("auth", m.auth)
	s.Register("deauth", m.deauth)
	s.Register("hello.world", func(context.Context, *Request) (any, error) { return "Hello World!", nil })
	s.Register("hello.innerworld", withSession(m, func(context.Context, sb.Actor, *struct{}) (any, error) {
		return "Hello Inner-World!", nil
	}))
	s.Register("account.add", withSession(m, m.accountAdd))
	s.Register("account.get", withSession(m, m.accountGet))
	s.Register("account.set", withSession(m, m.accountSet))
	s.Register("account.del", withSession(m, m.accountDel))
	s.Register("account.list", withSession(m, m.accountList))
	s.Register("domain.list", withSession(m, m.domainList))
	s.Register("domain.add", withSession(m, m.domainAdd))
	s.Register("domain.get", withSession(m, m.domainGet))
	s.Register("domain.set", withSession(m, m.domainSet))
	s.Register("domain.del", withSession(m, m.domainDel))
	s.Register("mail.add", withSession(m, m.mailAdd))
	s.Register("mail.get", withSession(m, m.mailGet))
	s.Register("mail.set", withSession(m, m.mailSet))
	s.Register("mail.del", withSession(m, m.mailDel))
	s.Register("mail.list", withSession(m, m.mailList))
	s.Register("mail.passwordset", withSession(m, m.mailPasswordSet))
	s.Register("mail.device.list", withSession(m, m.deviceList))
	s.Register("mail.device.del", withSession(m, m.deviceDel))
	s.Register("mail.apppassword.list", withSession(m, m.appPasswordList))
	s.Register("mail.apppassword.add", withSession(m, m.appPasswordAdd))
	s.Register("mail.apppassword.del", withSession(m, m.appPasswordDel))
	s.Register("mail.vacation.get", withSession(m, m.vacationGet))
	s.Register("mail.vacation.set", withSession(m, m.vacationSet))
	s.Register("alias.add", withSession(m, m.aliasAdd))
	s.Register("alias.list", withSession(m, m.aliasList))
	s.Register("alias.del", withSession(m, m.aliasDel))
	m.registerMailboxOrg(s)
	return s
}

type methods struct{ svc Services }

// withSession adapts a method that needs a valid session and named params
// of type P: it resolves the session, then decodes the params.
func withSession[P any](m *methods, run func(ctx context.Context, actor sb.Actor, p *P) (any, error)) Handler {
	return func(ctx context.Context, req *Request) (any, error) {
		actor, err := m.svc.ResumeSession(ctx, req.Session, req.RemoteIP)
		if err != nil {
			return nil, err
		}
		var p P
		if err := DecodeParams(req.Params, &p); err != nil {
			return nil, err
		}
		return run(ctx, actor, &p)
	}
}

// need checks required params, given as name, value pairs in order, and
// names the first one missing.
func need(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			return InvalidParams(pairs[i]+" is required", pairs[i])
		}
	}
	return nil
}

// Parameter objects, named as mailbox.org names them.
type (
	// accountRefParams names a tenant (account.get, account.del).
	accountRefParams struct {
		Account  string `json:"account"`
		Password string `json:"password"`
		Level    string `json:"level"`
	}
	accountParams struct {
		Account  string `json:"account"`
		Password string `json:"password"`
		Level    string `json:"level"` // account.add: "account" (default) or "admin"
		// Limits (quotas.go): a preset, then limits outright.
		Plan         *string         `json:"plan"`
		MaxDomains   *int64          `json:"max_domains"`
		MaxMailboxes *int64          `json:"max_mailboxes"`
		MaxQuota     json.RawMessage `json:"max_quota"`
		DefaultQuota json.RawMessage `json:"default_quota"`
	}
	domainParams struct {
		Domain  string `json:"domain"`
		Account string `json:"account"`
	}
	mailParams struct {
		Mail     string  `json:"mail"`
		Password *string `json:"password"`
		Active   *bool   `json:"active"`
		mailProfileParams
		// The quota (quotas.go): bytes or a size, or a preset plus MiB.
		Quota               json.RawMessage `json:"quota"`
		QuotaMessages       *int64          `json:"quota_messages"`
		Plan                *string         `json:"plan"`
		AdditionalMailQuota json.RawMessage `json:"additional_mail_quota"`
	}
	mailListParams struct {
		Domain string `json:"domain"`
		pageParams
	}
	// pageParams are the paging members every list method takes.
	pageParams struct {
		Limit *int  `json:"limit"` // 1 to maxPage; absent: maxPage
		After int64 `json:"after"` // id cursor; 0: from the start
	}
)

func (m *methods) auth(ctx context.Context, req *Request) (any, error) {
	var p struct {
		User string `json:"user"`
		Pass string `json:"pass"`
	}
	if err := DecodeParams(req.Params, &p); err != nil {
		return nil, err
	}
	if err := need("user", p.User, "pass", p.Pass); err != nil {
		return nil, err
	}
	token, level, err := m.svc.OpenSession(ctx, p.User, p.Pass, req.RemoteIP)
	if err != nil {
		return nil, err
	}
	return map[string]string{"session": token, "level": level}, nil
}

func (m *methods) deauth(ctx context.Context, req *Request) (any, error) {
	if _, err := m.svc.ResumeSession(ctx, req.Session, req.RemoteIP); err != nil {
		return nil, err
	}
	if err := m.svc.CloseSession(ctx, req.Session); err != nil {
		return nil, err
	}
	return true, nil
}

// Tenants: mailbox.org calls them accounts.

type accountJSON struct {
	Account string `json:"account"`
	Level   string `json:"level"`
	Created string `json:"created"`
	Memo    string `json:"memo"`
	limitsJSON
}

func toAccountJSON(t sb.Tenant) accountJSON {
	level := sb.LevelAccount
	if t.Role == sb.RoleOperator {
		level = sb.LevelAdmin
	}
	return accountJSON{Account: t.Name, Level: level, Created: t.CreatedAt.UTC().Format(time.RFC3339), Memo: t.Memo,
		limitsJSON: toLimitsJSON(t.Limits)}
}

func (m *methods) accountAdd(ctx context.Context, actor sb.Actor, p *accountParams) (any, error) {
	if err := need("account", p.Account, "password", p.Password); err != nil {
		return nil, err
	}
	role := sb.RoleTenant
	switch p.Level {
	case "", sb.LevelAccount:
	case sb.LevelAdmin:
		role = sb.RoleOperator
	default:
		return nil, InvalidParams(`level must be "account" or "admin"`, "level")
	}
	t, err := m.createTenant(ctx, actor, p, role)
	if err != nil {
		return nil, renameField(err, "name", "account")
	}
	return toAccountJSON(*t), nil
}

func (m *methods) accountGet(ctx context.Context, actor sb.Actor, p *accountRefParams) (any, error) {
	if p.Account == "" {
		p.Account = actor.TenantName
	}
	t, u, err := m.svc.TenantUsage(ctx, actor, p.Account)
	if err != nil {
		return nil, renameField(err, "tenant", "account")
	}
	return withUsage(*t, *u), nil
}

func (m *methods) accountSet(ctx context.Context, actor sb.Actor, p *accountSetParams) (any, error) {
	if err := need("account", p.Account); err != nil {
		return nil, err
	}
	lim, err := p.limits()
	if err != nil {
		return nil, err
	}
	ch := sb.TenantChange{Memo: p.Memo, Limits: lim}
	if p.Password != "" {
		ch.Password = &p.Password
	}
	if ch.Password == nil && ch.Memo == nil && ch.Limits == nil {
		return nil, InvalidParams("password, memo, plan or a limit is required", "password")
	}
	if err := m.svc.UpdateTenant(ctx, actor, p.Account, ch); err != nil {
		return nil, renameField(err, "tenant", "account")
	}
	return true, nil
}

func (m *methods) accountDel(ctx context.Context, actor sb.Actor, p *accountRefParams) (any, error) {
	if err := need("account", p.Account); err != nil {
		return nil, err
	}
	return true, m.svc.DeleteTenant(ctx, actor, p.Account)
}

func (m *methods) accountList(ctx context.Context, actor sb.Actor, p *accountListParams) (any, error) {
	ts, err := m.svc.FindTenants(ctx, actor, p.Query)
	if err != nil {
		return nil, renameField(err, "query", "query")
	}
	if p.ExtendedResults != nil && *p.ExtendedResults {
		out := make([]accountExtJSON, 0, len(ts))
		for _, t := range ts {
			out = append(out, accountExtJSON{toAccountJSON(t), t.DomainsCount})
		}
		return out, nil
	}
	out := make([]accountJSON, 0, len(ts))
	for _, t := range ts {
		out = append(out, toAccountJSON(t))
	}
	return out, nil
}

// Domains.

type domainJSON struct {
	Domain     string `json:"domain"`
	CountMails int64  `json:"count_mails"`
}

type domainDetailJSON struct {
	Domain     string `json:"domain"`
	Account    string `json:"account"`
	CountMails int64  `json:"count_mails"`
	Created    string `json:"created"`
	Memo       string `json:"memo"`
}

// detail answers with a domain, or passes an error on.
func detail(d *sb.Domain, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return domainDetailJSON{Domain: d.Name, Account: d.TenantName, CountMails: d.UsersCount,
		Created: d.CreatedAt.UTC().Format(time.RFC3339), Memo: d.Memo}, nil
}

// domainList answers mailbox.org's documented shape, which has no id to
// page by; it takes no paging params (a "limit" is an unknown member).
func (m *methods) domainList(ctx context.Context, actor sb.Actor, p *struct {
	Account string `json:"account"`
	Filter  string `json:"filter"` // a part of the domain name
}) (any, error) {
	if p.Account == "" {
		p.Account = actor.TenantName
	}
	out := []domainJSON{}
	err := m.svc.FindDomains(ctx, actor, p.Account, p.Filter, func(d sb.Domain) error {
		out = append(out, domainJSON{Domain: d.Name, CountMails: d.UsersCount})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (m *methods) domainAdd(ctx context.Context, actor sb.Actor, p *domainAddParams) (any, error) {
	if err := need("domain", p.Domain); err != nil {
		return nil, err
	}
	d, _, err := m.svc.CreateDomain(ctx, actor, sb.NewDomain{Name: p.Domain, Owner: p.Account})
	return detail(d, err)
}

func (m *methods) domainGet(ctx context.Context, actor sb.Actor, p *struct {
	Domain string `json:"domain"`
}) (any, error) {
	if err := need("domain", p.Domain); err != nil {
		return nil, err
	}
	return detail(m.svc.GetDomain(ctx, actor, p.Domain))
}

func (m *methods) domainSet(ctx context.Context, actor sb.Actor, p *domainSetParams) (any, error) {
	if err := need("domain", p.Domain); err != nil {
		return nil, err
	}
	ch := sb.DomainChange{Memo: p.Memo}
	if p.Account != "" {
		ch.Owner = &p.Account
	}
	if ch.Owner == nil && ch.Memo == nil {
		return nil, InvalidParams("account or memo is required", "account")
	}
	return detail(m.svc.UpdateDomain(ctx, actor, p.Domain, ch))
}

func (m *methods) domainDel(ctx context.Context, actor sb.Actor, p *struct {
	Domain  string `json:"domain"`
	Account string `json:"account"` // when set, the domain must be this account's
}) (any, error) {
	if err := need("domain", p.Domain); err != nil {
		return nil, err
	}
	return true, m.svc.DeleteDomainOf(ctx, actor, p.Domain, p.Account)
}

// Mailboxes.

type mailJSON struct {
	Mail      string    `json:"mail"`
	Domain    string    `json:"domain"`
	Active    bool      `json:"active"`
	Created   string    `json:"created"`
	Updated   string    `json:"updated"`
	FirstName string    `json:"first_name"`
	LastName  string    `json:"last_name"`
	Forwards  []string  `json:"forwards"`
	InboxSave bool      `json:"inboxsave"`
	Aliases   *[]string `json:"aliases,omitempty"` // mail.get, mail.list with details
	mailQuotaJSON
	// QuotaUsage is mail.get's with include_quota_usage.
	QuotaUsage *quotaUsageJSON `json:"quota_usage,omitempty"`
}

func toMailJSON(a sb.Account) mailJSON {
	fwd := a.Forwards
	if fwd == nil {
		fwd = []string{}
	}
	return mailJSON{Mail: a.Email, Domain: a.Email[len(a.Local)+1:], Active: a.Active,
		Created: a.CreatedAt.UTC().Format(time.RFC3339), Updated: a.UpdatedAt.UTC().Format(time.RFC3339),
		FirstName: a.FirstName, LastName: a.LastName, Forwards: fwd, InboxSave: a.InboxSave,
		mailQuotaJSON: toMailQuotaJSON(a)}
}

// mailbox answers with an account, or passes an error on.
func mailbox(a *sb.Account, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return toMailJSON(*a), nil
}

// own defaults the mailbox of a call to the session's own: a mailbox
// session may leave "mail" out.
func own(actor sb.Actor, mail string) (string, error) {
	if mail == "" {
		mail = actor.Email
	}
	return mail, need("mail", mail)
}

func (m *methods) mailAdd(ctx context.Context, actor sb.Actor, p *mailParams) (any, error) {
	if p.Password == nil {
		p.Password = new(string)
	}
	if err := need("mail", p.Mail, "password", *p.Password); err != nil {
		return nil, err
	}
	in := sb.NewMailbox{Address: p.Mail, Password: *p.Password, Active: p.Active == nil || *p.Active, InboxSave: true}
	var err error
	if in.Quota, err = p.quota(); err != nil {
		return nil, err
	}
	if err := p.mailProfileParams.apply(&in); err != nil {
		return nil, err
	}
	a, err := m.svc.CreateMailbox(ctx, actor, in)
	return mailbox(a, renameField(err, "email", "mail"))
}

func (m *methods) mailGet(ctx context.Context, actor sb.Actor, p *struct {
	Mail              string `json:"mail"`
	IncludeQuotaUsage bool   `json:"include_quota_usage"`
}) (any, error) {
	mail, err := own(actor, p.Mail)
	if err != nil {
		return nil, err
	}
	return m.mailboxWithAliases(ctx, actor, mail, p.IncludeQuotaUsage)
}

func (m *methods) mailSet(ctx context.Context, actor sb.Actor, p *mailSetParams) (any, error) {
	mail, err := own(actor, p.Mail)
	if err != nil {
		return nil, err
	}
	q, err := p.quota()
	if err != nil {
		return nil, err
	}
	ch := sb.MailboxChange{Password: p.Password, Active: p.Active, Quota: q}
	if err := p.change(&ch); err != nil {
		return nil, err
	}
	if _, err := m.svc.UpdateMailbox(ctx, actor, mail, ch); err != nil {
		return nil, err
	}
	return m.mailboxWithAliases(ctx, actor, mail, false)
}

func (m *methods) mailDel(ctx context.Context, actor sb.Actor, p *struct {
	Mail string `json:"mail"`
}) (any, error) {
	if err := need("mail", p.Mail); err != nil {
		return nil, err
	}
	if err := m.svc.DeleteAccount(ctx, actor, p.Mail); err != nil {
		return nil, renameField(err, "email", "mail")
	}
	return true, nil
}

func (m *methods) mailList(ctx context.Context, actor sb.Actor, p *mailListSortedParams) (any, error) {
	if err := need("domain", p.Domain); err != nil {
		return nil, err
	}
	if p.sorted() {
		return m.mailListSorted(ctx, actor, p)
	}
	rows, err := collectPage(&p.pageParams, toMailJSON, func(page sb.Page, fn func(sb.Account) error) error {
		return m.svc.ListAccounts(ctx, actor, sb.DomainRef{Name: p.Domain}, page, fn)
	})
	return m.withDetails(ctx, actor, p.Details, rows, err)
}

// maxPage bounds a JSON-RPC list: its answer is built in memory.
const maxPage = 1000

// collectPage runs one keyset list for the paging params of a list method
// and collects its rows, rendered by render, into an answer. A limit out of
// 1..maxPage or a negative cursor is refused rather than clamped, so that a
// client asking for more than it may get learns it at once.
func collectPage[T, J any](p *pageParams, render func(T) J, list func(sb.Page, func(T) error) error) (any, error) {
	limit := maxPage
	if p.Limit != nil {
		limit = *p.Limit
		if limit < 1 || limit > maxPage {
			return nil, InvalidParams(fmt.Sprintf("Invalid params: limit must be between 1 and %d", maxPage), "limit")
		}
	}
	if p.After < 0 {
		return nil, InvalidParams("Invalid params: after must not be negative", "after")
	}
	out := []J{}
	err := list(sb.Page{Limit: limit, After: p.After}, func(v T) error {
		out = append(out, render(v))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// mailPasswordSet changes a mailbox's password: a mail-level session its
// own, a tenant session any mailbox of its domains (named by "mail").
func (m *methods) mailPasswordSet(ctx context.Context, actor sb.Actor, p *struct {
	Mail     string `json:"mail"`
	Password string `json:"password"`
}) (any, error) {
	mail, err := own(actor, p.Mail)
	if err != nil {
		return nil, err
	}
	if err := need("password", p.Password); err != nil {
		return nil, err
	}
	if _, err := m.svc.UpdateMailbox(ctx, actor, mail, sb.MailboxChange{Password: &p.Password}); err != nil {
		return nil, err
	}
	return true, nil
}

// Aliases.

// aliasJSON carries the id, unlike mailJSON, so that alias.list's after
// cursor can be used.
type aliasJSON struct {
	ID      int64    `json:"id"`
	Alias   string   `json:"alias"`
	Domain  string   `json:"domain"`
	Goto    []string `json:"goto"`
	Created string   `json:"created"`
}

func toAliasJSON(a sb.Alias) aliasJSON {
	return aliasJSON{ID: a.ID, Alias: a.Email, Domain: a.Email[len(a.Local)+1:], Goto: a.Destinations,
		Created: a.CreatedAt.UTC().Format(time.RFC3339)}
}

// aliasError reports a service field under this API's parameter name.
func aliasError(err error) error {
	return renameField(err, "address", "alias")
}

func (m *methods) aliasAdd(ctx context.Context, actor sb.Actor, p *struct {
	Alias string          `json:"alias"`
	Goto  json.RawMessage `json:"goto"`
}) (any, error) {
	if err := need("alias", p.Alias); err != nil {
		return nil, err
	}
	list, _, err := addressList(p.Goto, "goto")
	if err != nil {
		return nil, err
	}
	a, err := m.svc.CreateAlias(ctx, actor, sb.DomainRef{}, p.Alias, list)
	if err != nil {
		return nil, aliasError(err)
	}
	return toAliasJSON(*a), nil
}

func (m *methods) aliasList(ctx context.Context, actor sb.Actor, p *mailListParams) (any, error) {
	if err := need("domain", p.Domain); err != nil {
		return nil, err
	}
	return collectPage(&p.pageParams, toAliasJSON, func(page sb.Page, fn func(sb.Alias) error) error {
		return m.svc.ListAliases(ctx, actor, sb.DomainRef{Name: p.Domain}, page, fn)
	})
}

func (m *methods) aliasDel(ctx context.Context, actor sb.Actor, p *struct {
	Alias string `json:"alias"`
}) (any, error) {
	if err := need("alias", p.Alias); err != nil {
		return nil, err
	}
	if err := m.svc.DeleteAlias(ctx, actor, p.Alias); err != nil {
		return nil, aliasError(err)
	}
	return true, nil
}

// renameField reports a service field under this API's parameter name.
func renameField(err error, from, to string) error {
	if e, ok := errors.AsType[*sb.Error](err); ok && e.Field == from {
		c := *e
		c.Field = to
		return &c
	}
	return err
}
