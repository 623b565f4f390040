package jsonrpc

import (
	"context"
	"log/slog"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/service"
)

// Services is what the JSON-RPC methods call: the same service layer as the
// REST surfaces. No business rule lives in this file.
type Services interface {
	OpenSession(ctx context.Context, user, password, ip string) (token, level string, err error)
	ResumeSession(ctx context.Context, token, ip string) (sb.Actor, error)
	CloseSession(ctx context.Context, token string) error

	CreateTenant(ctx context.Context, actor sb.Actor, name, password, role string) (*sb.Tenant, error)
	GetTenant(ctx context.Context, actor sb.Actor, name string) (*sb.Tenant, error)
	ListTenants(ctx context.Context, actor sb.Actor) ([]sb.Tenant, error)
	SetTenantPassword(ctx context.Context, actor sb.Actor, name, password string) error
	DeleteTenant(ctx context.Context, actor sb.Actor, name string) error

	ListTenantDomains(ctx context.Context, actor sb.Actor, tenant string, page sb.Page, fn func(sb.Domain) error) error
	CreateDomain(ctx context.Context, actor sb.Actor, domain, owner string) (*sb.Domain, error)
	GetDomain(ctx context.Context, actor sb.Actor, domain string) (*sb.Domain, error)
	MoveDomain(ctx context.Context, actor sb.Actor, domain, owner string) (*sb.Domain, error)
	DeleteDomain(ctx context.Context, actor sb.Actor, domain string) error

	CreateMailbox(ctx context.Context, actor sb.Actor, email, password string, active bool) (*sb.Account, error)
	GetMailbox(ctx context.Context, actor sb.Actor, email string) (*sb.Account, error)
	UpdateMailbox(ctx context.Context, actor sb.Actor, email string, ch service.MailboxChange) (*sb.Account, error)
	DeleteAccount(ctx context.Context, actor sb.Actor, email string) error
	ListMailboxes(ctx context.Context, actor sb.Actor, domain string, page sb.Page, fn func(sb.Account) error) error
}

// NewAPI returns the mailbox.org-style API: the envelope with every method
// registered over svc.
func NewAPI(svc Services, logger *slog.Logger) *Server {
	s := New(logger)
	m := &methods{svc: svc}
	for name, h := range map[string]Handler{
		"auth":             m.auth,
		"deauth":           m.deauth,
		"hello.world":      m.helloWorld,
		"hello.innerworld": m.helloInnerWorld,
		"account.add":      m.accountAdd,
		"account.get":      m.accountGet,
		"account.set":      m.accountSet,
		"account.del":      m.accountDel,
		"account.list":     m.accountList,
		"domain.list":      m.domainList,
		"domain.add":       m.domainAdd,
		"domain.get":       m.domainGet,
		"domain.set":       m.domainSet,
		"domain.del":       m.domainDel,
		"mail.add":         m.mailAdd,
		"mail.get":         m.mailGet,
		"mail.set":         m.mailSet,
		"mail.del":         m.mailDel,
		"mail.list":        m.mailList,
		"mail.passwordset": m.mailPasswordSet,
	} {
		s.Register(name, h)
	}
	return s
}

type methods struct{ svc Services }

// actor resolves the call's session; every method but auth and hello.world
// needs one.
func (m *methods) actor(ctx context.Context, req *Request) (sb.Actor, error) {
	return m.svc.ResumeSession(ctx, req.Session, req.RemoteIP)
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

func (m *methods) auth(ctx context.Context, req *Request) (any, error) {
	var p struct {
		User string `json:"user"`
		Pass string `json:"pass"`
	}
	if err := DecodeParams(req.Params, &p); err != nil {
		return nil, err
	}
	token, level, err := m.svc.OpenSession(ctx, p.User, p.Pass, req.RemoteIP)
	if err != nil {
		return nil, err
	}
	return map[string]string{"session": token, "level": level}, nil
}

func (m *methods) deauth(ctx context.Context, req *Request) (any, error) {
	if _, err := m.actor(ctx, req); err != nil {
		return nil, err
	}
	if err := m.svc.CloseSession(ctx, req.Session); err != nil {
		return nil, err
	}
	return true, nil
}

func (m *methods) helloWorld(context.Context, *Request) (any, error) { return "Hello World!", nil }

func (m *methods) helloInnerWorld(ctx context.Context, req *Request) (any, error) {
	if _, err := m.actor(ctx, req); err != nil {
		return nil, err
	}
	return "Hello Inner-World!", nil
}

// Tenants: mailbox.org calls them accounts.

type accountJSON struct {
	Account string `json:"account"`
	Level   string `json:"level"`
	Created string `json:"created"`
}

func toAccountJSON(t sb.Tenant) accountJSON {
	level := service.LevelAccount
	if t.Role == sb.RoleOperator {
		level = service.LevelAdmin
	}
	return accountJSON{Account: t.Name, Level: level, Created: t.CreatedAt.UTC().Format(time.RFC3339)}
}

func (m *methods) accountAdd(ctx context.Context, req *Request) (any, error) {
	actor, err := m.actor(ctx, req)
	if err != nil {
		return nil, err
	}
	var p struct {
		Account  string `json:"account"`
		Password string `json:"password"`
		Level    string `json:"level"`
	}
	if err := DecodeParams(req.Params, &p); err != nil {
		return nil, err
	}
	if err := need("account", p.Account, "password", p.Password); err != nil {
		return nil, err
	}
	role := sb.RoleTenant
	switch p.Level {
	case "", service.LevelAccount:
	case service.LevelAdmin:
		role = sb.RoleOperator
	default:
		return nil, InvalidParams(`level must be "account" or "admin"`, "level")
	}
	t, err := m.svc.CreateTenant(ctx, actor, p.Account, p.Password, role)
	if err != nil {
		return nil, renameField(err, "name", "account")
	}
	return toAccountJSON(*t), nil
}

func (m *methods) accountGet(ctx context.Context, req *Request) (any, error) {
	actor, err := m.actor(ctx, req)
	if err != nil {
		return nil, err
	}
	var p struct {
		Account string `json:"account"`
	}
	if err := DecodeParams(req.Params, &p); err != nil {
		return nil, err
	}
	if p.Account == "" {
		p.Account = actor.TenantName
	}
	t, err := m.svc.GetTenant(ctx, actor, p.Account)
	if err != nil {
		return nil, err
	}
	return toAccountJSON(*t), nil
}

func (m *methods) accountSet(ctx context.Context, req *Request) (any, error) {
	actor, err := m.actor(ctx, req)
	if err != nil {
		return nil, err
	}
	var p struct {
		Account  string `json:"account"`
		Password string `json:"password"`
	}
	if err := DecodeParams(req.Params, &p); err != nil {
		return nil, err
	}
	if err := need("account", p.Account, "password", p.Password); err != nil {
		return nil, err
	}
	if err := m.svc.SetTenantPassword(ctx, actor, p.Account, p.Password); err != nil {
		return nil, err
	}
	return true, nil
}

func (m *methods) accountDel(ctx context.Context, req *Request) (any, error) {
	actor, err := m.actor(ctx, req)
	if err != nil {
		return nil, err
	}
	var p struct {
		Account string `json:"account"`
	}
	if err := DecodeParams(req.Params, &p); err != nil {
		return nil, err
	}
	if err := need("account", p.Account); err != nil {
		return nil, err
	}
	if err := m.svc.DeleteTenant(ctx, actor, p.Account); err != nil {
		return nil, err
	}
	return true, nil
}

func (m *methods) accountList(ctx context.Context, req *Request) (any, error) {
	actor, err := m.actor(ctx, req)
	if err != nil {
		return nil, err
	}
	if err := DecodeParams(req.Params, &struct{}{}); err != nil {
		return nil, err
	}
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

func toDomainDetail(d sb.Domain) domainDetailJSON {
	return domainDetailJSON{Domain: d.Name, Account: d.TenantName, CountMails: d.UsersCount,
		Created: d.CreatedAt.UTC().Format(time.RFC3339)}
}

func (m *methods) domainList(ctx context.Context, req *Request) (any, error) {
	actor, err := m.actor(ctx, req)
	if err != nil {
		return nil, err
	}
	var p struct {
		Account string `json:"account"`
	}
	if err := DecodeParams(req.Params, &p); err != nil {
		return nil, err
	}
	if p.Account == "" {
		p.Account = actor.TenantName
	}
	out := []domainJSON{}
	err = m.svc.ListTenantDomains(ctx, actor, p.Account, sb.Page{}, func(d sb.Domain) error {
		out = append(out, domainJSON{Domain: d.Name, CountMails: d.UsersCount})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (m *methods) domainAdd(ctx context.Context, req *Request) (any, error) {
	actor, err := m.actor(ctx, req)
	if err != nil {
		return nil, err
	}
	var p struct {
		Domain  string `json:"domain"`
		Account string `json:"account"`
	}
	if err := DecodeParams(req.Params, &p); err != nil {
		return nil, err
	}
	if err := need("domain", p.Domain); err != nil {
		return nil, err
	}
	d, err := m.svc.CreateDomain(ctx, actor, p.Domain, p.Account)
	if err != nil {
		return nil, err
	}
	return toDomainDetail(*d), nil
}

func (m *methods) domainGet(ctx context.Context, req *Request) (any, error) {
	actor, err := m.actor(ctx, req)
	if err != nil {
		return nil, err
	}
	var p struct {
		Domain string `json:"domain"`
	}
	if err := DecodeParams(req.Params, &p); err != nil {
		return nil, err
	}
	if err := need("domain", p.Domain); err != nil {
		return nil, err
	}
	d, err := m.svc.GetDomain(ctx, actor, p.Domain)
	if err != nil {
		return nil, err
	}
	return toDomainDetail(*d), nil
}

func (m *methods) domainSet(ctx context.Context, req *Request) (any, error) {
	actor, err := m.actor(ctx, req)
	if err != nil {
		return nil, err
	}
	var p struct {
		Domain  string `json:"domain"`
		Account string `json:"account"`
	}
	if err := DecodeParams(req.Params, &p); err != nil {
		return nil, err
	}
	if err := need("domain", p.Domain, "account", p.Account); err != nil {
		return nil, err
	}
	d, err := m.svc.MoveDomain(ctx, actor, p.Domain, p.Account)
	if err != nil {
		return nil, err
	}
	return toDomainDetail(*d), nil
}

func (m *methods) domainDel(ctx context.Context, req *Request) (any, error) {
	actor, err := m.actor(ctx, req)
	if err != nil {
		return nil, err
	}
	var p struct {
		Domain string `json:"domain"`
	}
	if err := DecodeParams(req.Params, &p); err != nil {
		return nil, err
	}
	if err := need("domain", p.Domain); err != nil {
		return nil, err
	}
	if err := m.svc.DeleteDomain(ctx, actor, p.Domain); err != nil {
		return nil, err
	}
	return true, nil
}

// Mailboxes.

type mailJSON struct {
	Mail    string `json:"mail"`
	Domain  string `json:"domain"`
	Active  bool   `json:"active"`
	Created string `json:"created"`
	Updated string `json:"updated"`
}

func toMailJSON(a sb.Account) mailJSON {
	domain := a.Email[len(a.Local)+1:]
	return mailJSON{Mail: a.Email, Domain: domain, Active: a.Active,
		Created: a.CreatedAt.UTC().Format(time.RFC3339), Updated: a.UpdatedAt.UTC().Format(time.RFC3339)}
}

func (m *methods) mailAdd(ctx context.Context, req *Request) (any, error) {
	actor, err := m.actor(ctx, req)
	if err != nil {
		return nil, err
	}
	var p struct {
		Mail     string `json:"mail"`
		Password string `json:"password"`
		Active   *bool  `json:"active"`
	}
	if err := DecodeParams(req.Params, &p); err != nil {
		return nil, err
	}
	if err := need("mail", p.Mail, "password", p.Password); err != nil {
		return nil, err
	}
	active := p.Active == nil || *p.Active
	a, err := m.svc.CreateMailbox(ctx, actor, p.Mail, p.Password, active)
	if err != nil {
		return nil, err
	}
	return toMailJSON(*a), nil
}

func (m *methods) mailGet(ctx context.Context, req *Request) (any, error) {
	actor, err := m.actor(ctx, req)
	if err != nil {
		return nil, err
	}
	var p struct {
		Mail string `json:"mail"`
	}
	if err := DecodeParams(req.Params, &p); err != nil {
		return nil, err
	}
	if p.Mail == "" {
		p.Mail = actor.Email // a mailbox session may omit its own address
	}
	if err := need("mail", p.Mail); err != nil {
		return nil, err
	}
	a, err := m.svc.GetMailbox(ctx, actor, p.Mail)
	if err != nil {
		return nil, err
	}
	return toMailJSON(*a), nil
}

func (m *methods) mailSet(ctx context.Context, req *Request) (any, error) {
	actor, err := m.actor(ctx, req)
	if err != nil {
		return nil, err
	}
	var p struct {
		Mail     string  `json:"mail"`
		Password *string `json:"password"`
		Active   *bool   `json:"active"`
	}
	if err := DecodeParams(req.Params, &p); err != nil {
		return nil, err
	}
	if p.Mail == "" {
		p.Mail = actor.Email
	}
	if err := need("mail", p.Mail); err != nil {
		return nil, err
	}
	a, err := m.svc.UpdateMailbox(ctx, actor, p.Mail, service.MailboxChange{Password: p.Password, Active: p.Active})
	if err != nil {
		return nil, err
	}
	return toMailJSON(*a), nil
}

func (m *methods) mailDel(ctx context.Context, req *Request) (any, error) {
	actor, err := m.actor(ctx, req)
	if err != nil {
		return nil, err
	}
	var p struct {
		Mail string `json:"mail"`
	}
	if err := DecodeParams(req.Params, &p); err != nil {
		return nil, err
	}
	if err := need("mail", p.Mail); err != nil {
		return nil, err
	}
	if actor.AccountID != 0 {
		return nil, sb.Errorf(sb.EFORBIDDEN, "Access denied")
	}
	if err := m.svc.DeleteAccount(ctx, actor, p.Mail); err != nil {
		return nil, renameField(err, "email", "mail")
	}
	return true, nil
}

func (m *methods) mailList(ctx context.Context, req *Request) (any, error) {
	actor, err := m.actor(ctx, req)
	if err != nil {
		return nil, err
	}
	var p struct {
		Domain string `json:"domain"`
		Limit  int    `json:"limit"`
		After  int64  `json:"after"`
	}
	if err := DecodeParams(req.Params, &p); err != nil {
		return nil, err
	}
	if err := need("domain", p.Domain); err != nil {
		return nil, err
	}
	if p.Limit == 0 || p.Limit > 1000 {
		p.Limit = 1000 // a JSON-RPC answer is built in memory: page it
	}
	out := []mailJSON{}
	err = m.svc.ListMailboxes(ctx, actor, p.Domain, sb.Page{Limit: p.Limit, After: p.After}, func(a sb.Account) error {
		out = append(out, toMailJSON(a))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// mailPasswordSet changes a mailbox's password: a mail-level session its
// own, a tenant session any mailbox of its domains (named by "mail").
func (m *methods) mailPasswordSet(ctx context.Context, req *Request) (any, error) {
	actor, err := m.actor(ctx, req)
	if err != nil {
		return nil, err
	}
	var p struct {
		Mail     string `json:"mail"`
		Password string `json:"password"`
	}
	if err := DecodeParams(req.Params, &p); err != nil {
		return nil, err
	}
	if p.Mail == "" {
		p.Mail = actor.Email
	}
	if err := need("mail", p.Mail, "password", p.Password); err != nil {
		return nil, err
	}
	if _, err := m.svc.UpdateMailbox(ctx, actor, p.Mail, service.MailboxChange{Password: &p.Password}); err != nil {
		return nil, err
	}
	return true, nil
}

// renameField reports a service field under this API's parameter name.
func renameField(err error, from, to string) error {
	if e, ok := err.(*sb.Error); ok && e.Field == from {
		c := *e
		c.Field = to
		return &c
	}
	return err
}
