package jsonrpc

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	sb "github.com/switchboard/switchboard"
)

// The parameters and methods of mailbox.org's API beyond the core ones, so
// that its clients' ordinary calls work. Each parameter is honoured or, where
// Switchboard has nothing to do with it, accepted and ignored as
// docs/jsonrpc.md says; anything else is still refused with -32602.

// registerMailboxOrg adds mailbox.org's search, validator and permission
// tests.
func (m *methods) registerMailboxOrg(s *Server) {
	s.Register("search", withSession(m, m.search))
	s.Register("utils.validator", m.validator)
	s.Register("test.accountallowed", withSession(m, m.accountAllowed))
	s.Register("test.domainallowed", withSession(m, m.domainAllowed))
}

type (
	// mailProfileParams are the mailbox profile members of mail.add and
	// mail.set.
	mailProfileParams struct {
		FirstName *string         `json:"first_name"`
		LastName  *string         `json:"last_name"`
		InboxSave *bool           `json:"inboxsave"` // keep a copy of forwarded mail (default true)
		Forwards  json.RawMessage `json:"forwards"`  // array, or comma-separated string
	}
	mailSetParams struct {
		mailParams
		Aliases json.RawMessage `json:"aliases"`
		// Accepted and ignored: Switchboard cannot make a mail client
		// change its password, and deletes at once rather than at a date.
		RequireReset *bool   `json:"require_reset"`
		DeletionDate *string `json:"deletion_date"`
	}
	mailListSortedParams struct {
		mailListParams
		Details   *bool   `json:"details"`
		Page      *int    `json:"page"`
		PageSize  *int    `json:"page_size"`
		SortField *string `json:"sort_field"`
		SortOrder *string `json:"sort_order"`
	}
	accountSetParams struct {
		accountParams
		Memo *string `json:"memo"`
	}
	accountListParams struct {
		Query           string `json:"query"` // a part of the account name
		ExtendedResults *bool  `json:"extended_results"`
	}
	domainAddParams struct {
		domainParams
		// Password is mailbox.org's domain-level login, which Switchboard
		// does not have: accepted, never stored.
		Password *string `json:"password"`
	}
	domainSetParams struct {
		domainParams
		Memo *string `json:"memo"`
	}
)

// accountExtJSON is account.list's row with extended_results.
type accountExtJSON struct {
	accountJSON
	CountDomains int64 `json:"count_domains"`
}

// addressList reads a list of addresses given as an array of strings or one
// comma-separated string; set is false when the member is absent or null.
func addressList(raw json.RawMessage, field string) (list []string, set bool, err error) {
	var one string
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return nil, false, nil
	case json.Unmarshal(raw, &one) == nil:
		return sb.SplitAddresses(one), true, nil
	case json.Unmarshal(raw, &list) == nil:
		return sb.SplitAddresses(list...), true, nil
	}
	return nil, false, InvalidParams(fmt.Sprintf("Invalid params: %s must be an array of addresses or a comma-separated string", field), field)
}

// apply copies the profile members into a new mailbox.
func (p *mailProfileParams) apply(in *sb.NewMailbox) error {
	if p.FirstName != nil {
		in.FirstName = *p.FirstName
	}
	if p.LastName != nil {
		in.LastName = *p.LastName
	}
	if p.InboxSave != nil {
		in.InboxSave = *p.InboxSave
	}
	fwd, _, err := addressList(p.Forwards, "forwards")
	in.Forwards = fwd
	return err
}

// change copies mail.set's profile members into a change.
func (p *mailSetParams) change(ch *sb.MailboxChange) error {
	ch.FirstName, ch.LastName, ch.InboxSave = p.FirstName, p.LastName, p.InboxSave
	fwd, set, err := addressList(p.Forwards, "forwards")
	if err != nil {
		return err
	}
	if set {
		ch.Forwards = &fwd
	}
	aliases, set, err := addressList(p.Aliases, "aliases")
	if err != nil {
		return err
	}
	if set {
		ch.Aliases = &aliases
	}
	if p.DeletionDate != nil && *p.DeletionDate != "" {
		if _, err := time.Parse(time.DateOnly, *p.DeletionDate); err != nil {
			return InvalidParams("Invalid params: deletion_date must be a date, YYYY-MM-DD", "deletion_date")
		}
	}
	return nil
}

// mailboxWithAliases answers a mailbox with the aliases that forward to it.
func (m *methods) mailboxWithAliases(ctx context.Context, actor sb.Actor, mail string, usage bool) (any, error) {
	a, err := m.svc.GetMailbox(ctx, actor, mail)
	if err != nil {
		return nil, err
	}
	aliases, err := m.svc.MailboxAliases(ctx, actor, []string{a.Email})
	if err != nil {
		return nil, err
	}
	out := toMailJSON(*a)
	list := aliases[a.Email]
	out.Aliases = &list
	if usage {
		out.QuotaUsage = quotaUsage(*a)
	}
	return out, nil
}

// withDetails adds to a mail.list answer, when details is true, each
// mailbox's aliases.
func (m *methods) withDetails(ctx context.Context, actor sb.Actor, details *bool, rows any, err error) (any, error) {
	if err != nil || details == nil || !*details {
		return rows, err
	}
	list := rows.([]mailJSON)
	emails := make([]string, len(list))
	for i, r := range list {
		emails[i] = r.Mail
	}
	aliases, err := m.svc.MailboxAliases(ctx, actor, emails)
	if err != nil {
		return nil, err
	}
	for i := range list {
		a := aliases[list[i].Mail]
		list[i].Aliases = &a
	}
	return list, nil
}

// sorted reports whether mail.list asks for mailbox.org's numbered, sorted
// pages rather than the id keyset.
func (p *mailListSortedParams) sorted() bool {
	return p.Page != nil || p.PageSize != nil || p.SortField != nil || p.SortOrder != nil
}

// mailListSorted answers mail.list's numbered pages: page (from 1) of
// page_size mailboxes in sort_field order.
func (m *methods) mailListSorted(ctx context.Context, actor sb.Actor, p *mailListSortedParams) (any, error) {
	if p.Limit != nil || p.After != 0 {
		return nil, InvalidParams("Invalid params: page, page_size and sorting do not mix with limit and after", "page")
	}
	pg := sb.MailboxPage{Limit: maxPage}
	if p.PageSize != nil {
		if *p.PageSize < 1 || *p.PageSize > maxPage {
			return nil, InvalidParams(fmt.Sprintf("Invalid params: page_size must be between 1 and %d", maxPage), "page_size")
		}
		pg.Limit = *p.PageSize
	}
	page := 1
	if p.Page != nil {
		page = *p.Page
	}
	if page < 1 || (page-1) > sb.MaxMailboxOffset/pg.Limit {
		return nil, InvalidParams(fmt.Sprintf("Invalid params: page must be 1 or more, and reach at most %d mailboxes deep (page on with after beyond)",
			sb.MaxMailboxOffset), "page")
	}
	pg.Offset = (page - 1) * pg.Limit
	if p.SortField != nil {
		switch f := *p.SortField; f {
		case sb.SortByMail, sb.SortByFirstName, sb.SortByLastName, sb.SortByStatus, sb.SortByCreated:
			pg.Sort = f
		case "domain", "type", "plan":
			// One domain, one type; plans are not kept per mailbox here.
			pg.Sort = sb.SortByID
		default:
			return nil, InvalidParams("Invalid params: sort_field must be one of mail, first_name, last_name, status, domain, plan, type, creation_date", "sort_field")
		}
	}
	if p.SortOrder != nil {
		switch strings.ToLower(*p.SortOrder) {
		case "asc":
		case "desc":
			pg.Desc = true
		default:
			return nil, InvalidParams(`Invalid params: sort_order must be "asc" or "desc"`, "sort_order")
		}
	}
	out := []mailJSON{}
	err := m.svc.ListMailboxes(ctx, actor, sb.DomainRef{Name: p.Domain}, pg, func(a sb.Account) error {
		out = append(out, toMailJSON(a))
		return nil
	})
	return m.withDetails(ctx, actor, p.Details, out, err)
}

// searchJSON is search's answer: what matched, by kind.
type searchJSON struct {
	Accounts []accountJSON      `json:"accounts"`
	Domains  []domainDetailJSON `json:"domains"`
	Mails    []mailJSON         `json:"mails"`
}

// search is mailbox.org's search across accounts, domains and mailboxes,
// within what the session may see. The string comes as query (the method
// reference) or search (what some clients send).
func (m *methods) search(ctx context.Context, actor sb.Actor, p *struct {
	Query  string `json:"query"`
	Search string `json:"search"`
}) (any, error) {
	q, field := p.Query, "query"
	if q == "" {
		q, field = p.Search, "search"
	}
	if q == "" {
		return nil, InvalidParams("query is required", "query")
	}
	r, err := m.svc.Search(ctx, actor, q)
	if err != nil {
		return nil, renameField(err, "query", field)
	}
	out := searchJSON{Accounts: []accountJSON{}, Domains: []domainDetailJSON{}, Mails: []mailJSON{}}
	for _, t := range r.Tenants {
		out.Accounts = append(out.Accounts, toAccountJSON(t))
	}
	for _, d := range r.Domains {
		v, _ := detail(&d, nil)
		out.Domains = append(out.Domains, v.(domainDetailJSON))
	}
	for _, a := range r.Accounts {
		out.Mails = append(out.Mails, toMailJSON(a))
	}
	return out, nil
}

// validator is utils.validator: whether value is valid as the kind type
// names, by the rules Switchboard applies to it. It needs no session: it
// reads nothing stored.
func (m *methods) validator(_ context.Context, req *Request) (any, error) {
	var p struct {
		Value *string `json:"value"`
		Type  string  `json:"type"`
	}
	if err := DecodeParams(req.Params, &p); err != nil {
		return nil, err
	}
	if p.Value == nil {
		return nil, InvalidParams("value is required", "value")
	}
	if err := need("type", p.Type); err != nil {
		return nil, err
	}
	ok, err := m.svc.Validate(p.Type, *p.Value)
	if err != nil {
		return nil, InvalidParams("Invalid params: "+sb.ErrorMessage(err), "type")
	}
	return ok, nil
}

func (m *methods) accountAllowed(ctx context.Context, actor sb.Actor, p *struct {
	Account string `json:"account"`
}) (any, error) {
	if err := need("account", p.Account); err != nil {
		return nil, err
	}
	return m.svc.TenantAllowed(ctx, actor, p.Account)
}

func (m *methods) domainAllowed(ctx context.Context, actor sb.Actor, p *struct {
	Domain string `json:"domain"`
}) (any, error) {
	if err := need("domain", p.Domain); err != nil {
		return nil, err
	}
	return m.svc.DomainAllowed(ctx, actor, p.Domain)
}
