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
	s.Register("alias.add", withSession(m, m.aliasAdd))
	s.Register("alias.list", withSession(m, m.aliasList))
	s.Register("alias.del", withSession(m, m.aliasDel))
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
	limitsJSON
}

func toAccountJSON(t sb.Tenant) accountJSON {
	level := sb.LevelAccount
	if t.Role == sb.RoleOperator {
		level = sb.LevelAdmin
	}
	return accountJSON{Account: t.Name, Level: level, Created: t.CreatedAt.UTC().Format(time.RFC3339), limitsJSON: toLimitsJSON(t.Limits)}
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

func (m *methods) accountGet(ctx context.Context, actor sb.Actor, p *accountParams) (any, error) {
	if p.Account == "" {
		p.Account = actor.TenantName
	}
	t, u, err := m.svc.TenantUsage(ctx, actor, p.Account)
	if err != nil {
		return nil, renameField(err, "tenant", "account")
	}
	return withUsage(*t, *u), nil
}

func (m *methods) accountSet(ctx context.Context, actor sb.Actor, p *accountParams) (any, error) {
	ch, err := p.limits()
	if err != nil {
		return nil, err
	}
	if ch != nil {
		// Limits without a password: the operator's call of mailbox.org's
		// plan change.
		if err := need("account", p.Account); err != nil {
			return nil, err
		}
		if _, err := m.svc.SetTenantLimits(ctx, actor, p.Account, *ch); err != nil {
			return nil, renameField(err, "tenant", "account")
		}
		if p.Password == "" {
			return true, nil
		}
	}
	if err := need("account", p.Account, "password", p.Password); err != nil {
		return nil, err
	}
	return true, m.svc.SetTenantPassword(ctx, actor, p.Account, p.Password)
}

func (m *methods) accountDel(ctx context.Context, actor sb.Actor, p *accountParams) (any, error) {
	if err := need("account", p.Account); err != nil {
		return nil, err
	}
	return true, m.svc.DeleteTenant(ctx, actor, p.Account)
}

func (m *methods) accountList(ctx context.Context, actor sb.Actor, _ *struct{}) (any, error) {
	ts, err := m.svc.ListTenants(ctx, actor)
	if err != nil {
		return nil, err
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
}

// detail answers with a domain, or passes an error on.
func detail(d *sb.Domain, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return domainDetailJSON{Domain: d.Name, Account: d.TenantName, CountMails: d.UsersCount,
		Created: d.CreatedAt.UTC().Format(time.RFC3339)}, nil
}

// domainList answers mailbox.org's documented shape, which has no id to
// page by; it takes no paging params (a "limit" is an unknown member).
func (m *methods) domainList(ctx context.Context, actor sb.Actor, p *struct {
	Account string `json:"account"`
}) (any, error) {
	if p.Account == "" {
		p.Account = actor.TenantName
	}
	out := []domainJSON{}
	err := m.svc.ListDomains(ctx, actor, p.Account, sb.Page{}, func(d sb.Domain) error {
		out = append(out, domainJSON{Domain: d.Name, CountMails: d.UsersCount})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (m *methods) domainAdd(ctx context.Context, actor sb.Actor, p *domainParams) (any, error) {
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

func (m *methods) domainSet(ctx context.Context, actor sb.Actor, p *domainParams) (any, error) {
	if err := need("domain", p.Domain, "account", p.Account); err != nil {
		return nil, err
	}
	return detail(m.svc.MoveDomain(ctx, actor, p.Domain, p.Account))
}

func (m *methods) domainDel(ctx context.Context, actor sb.Actor, p *struct {
	Domain string `json:"domain"`
}) (any, error) {
	if err := need("domain", p.Domain); err != nil {
		return nil, err
	}
	return true, m.svc.DeleteDomain(ctx, actor, p.Domain)
}

// Mailboxes.

type mailJSON struct {
	Mail    string `json:"mail"`
	Domain  string `json:"domain"`
	Active  bool   `json:"active"`
	Created string `json:"created"`
	Updated string `json:"updated"`
	mailQuotaJSON
}

func toMailJSON(a sb.Account) mailJSON {
	return mailJSON{Mail: a.Email, Domain: a.Email[len(a.Local)+1:], Active: a.Active,
		Created: a.CreatedAt.UTC().Format(time.RFC3339), Updated: a.UpdatedAt.UTC().Format(time.RFC3339),
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
	active := p.Active == nil || *p.Active
	q, err := p.quota()
	if err != nil {
		return nil, err
	}
	a, err := m.svc.CreateMailboxWithQuota(ctx, actor, sb.DomainRef{}, p.Mail, *p.Password, active, q)
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
	a, err := m.svc.GetMailbox(ctx, actor, mail)
	if err != nil || !p.IncludeQuotaUsage {
		return mailbox(a, err)
	}
	return withQuotaUsage(*a), nil
}

func (m *methods) mailSet(ctx context.Context, actor sb.Actor, p *mailParams) (any, error) {
	mail, err := own(actor, p.Mail)
	if err != nil {
		return nil, err
	}
	q, err := p.quota()
	if err != nil {
		return nil, err
	}
	return mailbox(m.svc.UpdateMailbox(ctx, actor, mail, sb.MailboxChange{Password: p.Password, Active: p.Active, Quota: q}))
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

func (m *methods) mailList(ctx context.Context, actor sb.Actor, p *mailListParams) (any, error) {
	if err := need("domain", p.Domain); err != nil {
		return nil, err
	}
	return collectPage(&p.pageParams, toMailJSON, func(page sb.Page, fn func(sb.Account) error) error {
		return m.svc.ListAccounts(ctx, actor, sb.DomainRef{Name: p.Domain}, page, fn)
	})
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
	// goto is an array of addresses or one comma-separated string.
	var list []string
	var one string
	switch {
	case len(p.Goto) == 0 || string(p.Goto) == "null":
	case json.Unmarshal(p.Goto, &one) == nil:
		list = sb.SplitAddresses(one)
	case json.Unmarshal(p.Goto, &list) == nil:
		list = sb.SplitAddresses(list...)
	default:
		return nil, InvalidParams("Invalid params: goto must be an array of addresses or a comma-separated string", "goto")
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
