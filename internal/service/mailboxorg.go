package service

import (
	"context"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/store"
)

// The operations mailbox.org's API has beyond the core ones: mailbox
// profiles (names, forwarding, aliases), memos, searches, permission tests
// and the validator.

var _ sb.MailboxOrgService = (*Service)(nil)

// Bounds of the free-text fields.
const (
	MaxNameLen = 128  // first_name, last_name (bytes)
	MaxMemoLen = 4096 // memos (bytes)
	// MaxMailboxAliases bounds the aliases one mail.set may give a mailbox.
	MaxMailboxAliases = 100
	// maxSearchLen bounds a search string (bytes).
	maxSearchLen = 128
)

// checkMemo refuses invalid UTF-8, memos over MaxMemoLen bytes and control
// characters but for newlines and tabs (checkText's rule for one-line
// fields).
func checkMemo(field, v string) error {
	if len(v) > MaxMemoLen {
		return sb.FieldError(field, "%s must be at most %d bytes", field, MaxMemoLen)
	}
	if !utf8.ValidString(v) || strings.IndexFunc(v, func(r rune) bool {
		return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t'
	}) >= 0 {
		return sb.FieldError(field, "%s contains characters that are not allowed", field)
	}
	return nil
}

// normalizeForwards validates a mailbox's forwarding targets: 0 to
// MaxAliasDestinations addresses in any domain, normalised, duplicates
// dropped. The mailbox itself is refused where its address is known.
func normalizeForwards(in []string) ([]string, error) {
	if len(in) > MaxAliasDestinations {
		return nil, sb.FieldError("forwards", "forwards may hold at most %d addresses", MaxAliasDestinations)
	}
	out := make([]string, 0, len(in))
	for _, f := range in {
		l, d, err := NormalizeEmail("forwards", f)
		if err != nil {
			return nil, err
		}
		if addr := l + "@" + d; !slices.Contains(out, addr) {
			out = append(out, addr)
		}
	}
	return out, nil
}

// profile validates the names and forwarding of an imported account,
// whose normalised address is addr, by the rules of mail.set.
func (r *accountRecord) profile(addr string) (*store.MailboxProfile, error) {
	p := &store.MailboxProfile{FirstName: r.FirstName, LastName: r.LastName, InboxSave: r.InboxSave == nil || *r.InboxSave}
	if err := checkText("first_name", p.FirstName, MaxNameLen); err != nil {
		return nil, err
	}
	if err := checkText("last_name", p.LastName, MaxNameLen); err != nil {
		return nil, err
	}
	fwd, err := normalizeForwards(r.Forwards)
	if err != nil {
		return nil, err
	}
	if slices.Contains(fwd, addr) {
		return nil, sb.FieldError("forwards", "forwards holds the mailbox itself")
	}
	p.Forwards = fwd
	return p, nil
}

// CreateMailbox creates a mailbox (with its SIP identity), its names,
// forwarding and quota, in the domain in.Domain names (zero: the
// address's own), in one transaction.
func (s *Service) CreateMailbox(ctx context.Context, actor sb.Actor, in sb.NewMailbox) (*sb.Account, error) {
	_, domain, err := NormalizeEmail("email", in.Address)
	if err != nil {
		return nil, err
	}
	if err := checkText("first_name", in.FirstName, MaxNameLen); err != nil {
		return nil, err
	}
	if err := checkText("last_name", in.LastName, MaxNameLen); err != nil {
		return nil, err
	}
	fwd, err := normalizeForwards(in.Forwards)
	if err != nil {
		return nil, err
	}
	if _, err := applyQuota(sb.MailboxQuota{}, in.Quota); err != nil {
		return nil, err // before the slow hash
	}
	ref := in.Domain
	if ref == (sb.DomainRef{}) {
		ref.Name = domain
	}
	out, err := s.createAccount(ctx, actor, NewAccount{Address: in.Address, Password: in.Password, Active: in.Active,
		Activated: true, Quota: in.Quota, Mailbox: &store.MailboxProfile{FirstName: in.FirstName, LastName: in.LastName, Forwards: fwd, InboxSave: in.InboxSave}},
		func(tx *store.Tx, _ bool) (*sb.Domain, error) { return resolveDomain(ctx, tx, actor, ref) })
	if err != nil {
		return nil, err
	}
	return out.Account, nil
}

// checkMailboxChange validates the profile part of a MailboxChange before
// any transaction, normalising its forwards in place.
func checkMailboxChange(actor sb.Actor, ch *sb.MailboxChange) error {
	if ch.Aliases != nil {
		if err := mayManageAliases(actor); err != nil {
			return err
		}
		if len(*ch.Aliases) > MaxMailboxAliases {
			return sb.FieldError("aliases", "aliases may hold at most %d addresses", MaxMailboxAliases)
		}
	}
	if ch.FirstName != nil {
		if err := checkText("first_name", *ch.FirstName, MaxNameLen); err != nil {
			return err
		}
	}
	if ch.LastName != nil {
		if err := checkText("last_name", *ch.LastName, MaxNameLen); err != nil {
			return err
		}
	}
	if ch.Forwards != nil {
		fwd, err := normalizeForwards(*ch.Forwards)
		if err != nil {
			return err
		}
		ch.Forwards = &fwd
	}
	return nil
}

// applyMailboxProfile writes the profile part of a MailboxChange to
// account a, in the caller's transaction.
func (s *Service) applyMailboxProfile(ctx context.Context, tx *store.Tx, actor sb.Actor, a *sb.Account, ch sb.MailboxChange) error {
	if ch.FirstName != nil || ch.LastName != nil || ch.Forwards != nil || ch.InboxSave != nil {
		p := store.MailboxProfile{FirstName: a.FirstName, LastName: a.LastName, Forwards: a.Forwards, InboxSave: a.InboxSave}
		if ch.FirstName != nil {
			p.FirstName = *ch.FirstName
		}
		if ch.LastName != nil {
			p.LastName = *ch.LastName
		}
		if ch.Forwards != nil {
			p.Forwards = *ch.Forwards
		}
		if ch.InboxSave != nil {
			p.InboxSave = *ch.InboxSave
		}
		if slices.Contains(p.Forwards, a.Email) {
			return sb.FieldError("forwards", "forwards %q is the mailbox itself: use inboxsave to keep a copy", a.Email)
		}
		now := s.now()
		if err := tx.SetMailboxProfile(ctx, a.ID, p, now); err != nil {
			return err
		}
		if err := tx.Audit(ctx, now, actor.String(), "account.profile", "account:"+a.Email); err != nil {
			return err
		}
		a.FirstName, a.LastName, a.Forwards, a.InboxSave, a.UpdatedAt = p.FirstName, p.LastName, p.Forwards, p.InboxSave, now
	}
	if ch.Aliases != nil {
		return s.setMailboxAliases(ctx, tx, actor, a, *ch.Aliases)
	}
	return nil
}

// aliasVisible reports whether the actor may see an alias of domain d: a
// tenant the aliases of its domains, a mailbox those of its tenant's.
func aliasVisible(actor sb.Actor, d *sb.Domain) bool {
	if actor.IsMailbox() {
		return d.TenantID == actor.TenantID
	}
	return actor.CanManageDomain(d)
}

// visibleAliasesTo returns the aliases that forward to a alone and that
// the actor may see; another tenant's alias to it is that tenant's
// business, neither shown nor changed.
func visibleAliasesTo(ctx context.Context, tx *store.Tx, actor sb.Actor, emails []string) (map[string][]sb.Alias, error) {
	all, err := tx.AliasesTo(ctx, emails)
	if err != nil {
		return nil, err
	}
	domains := map[int64]bool{}
	for addr, list := range all {
		kept := list[:0]
		for _, al := range list {
			ok, seen := domains[al.DomainID]
			if !seen {
				d, err := tx.DomainByID(ctx, al.DomainID)
				if err != nil {
					return nil, err
				}
				ok = aliasVisible(actor, d)
				domains[al.DomainID] = ok
			}
			if ok {
				kept = append(kept, al)
			}
		}
		all[addr] = kept
	}
	return all, nil
}

// setMailboxAliases makes addrs the aliases that forward to mailbox a
// alone: missing ones are created (in domains of the actor, by the alias
// rules), the others of a that the actor may see deleted. An address that
// is another alias or a mailbox is a conflict.
func (s *Service) setMailboxAliases(ctx context.Context, tx *store.Tx, actor sb.Actor, a *sb.Account, addrs []string) error {
	want := make([]string, 0, len(addrs))
	for _, x := range addrs {
		l, d, err := NormalizeEmail("aliases", x)
		if err != nil {
			return err
		}
		addr := l + "@" + d
		if addr == a.Email {
			return sb.FieldError("aliases", "aliases %q is the mailbox itself", addr)
		}
		if !slices.Contains(want, addr) {
			want = append(want, addr)
		}
	}
	have, err := visibleAliasesTo(ctx, tx, actor, []string{a.Email})
	if err != nil {
		return err
	}
	now := s.now()
	var kept []string
	for _, al := range have[a.Email] {
		if slices.Contains(want, al.Email) {
			kept = append(kept, al.Email)
			continue
		}
		if err := tx.DeleteAlias(ctx, al.ID); err != nil {
			return err
		}
		if err := tx.Audit(ctx, now, actor.String(), "alias.delete", "alias:"+al.Email); err != nil {
			return err
		}
	}
	for _, addr := range want {
		if slices.Contains(kept, addr) {
			continue
		}
		d, err := visibleDomainByName(ctx, tx, actor, addr[strings.LastIndexByte(addr, '@')+1:])
		if err != nil {
			return aliasesField(err)
		}
		al, err := newAlias(d, addr, []string{a.Email}, now)
		if err != nil {
			return aliasesField(err)
		}
		if err := s.insertAlias(ctx, tx, actor, al); err != nil {
			return aliasesField(err)
		}
	}
	return nil
}

// aliasesField reports an alias error under mail.set's aliases.
func aliasesField(err error) error {
	if e, ok := err.(*sb.Error); ok && e.Field != "" {
		c := *e
		c.Field = "aliases"
		return &c
	}
	return err
}

// MailboxAliases returns, for each of the mailboxes, the addresses of the
// aliases that forward to it alone and that the actor may see.
func (s *Service) MailboxAliases(ctx context.Context, actor sb.Actor, emails []string) (map[string][]string, error) {
	tx := s.store.Read()
	addrs := make([]string, 0, len(emails))
	for _, e := range emails {
		a, err := visibleMailbox(ctx, tx, actor, e)
		if err != nil {
			return nil, err
		}
		addrs = append(addrs, a.Email)
	}
	all, err := visibleAliasesTo(ctx, tx, actor, addrs)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]string, len(addrs))
	for _, addr := range addrs {
		list := []string{}
		for _, al := range all[addr] {
			list = append(list, al.Email)
		}
		out[addr] = list
	}
	return out, nil
}

// ListMailboxes lists one sorted offset page of a domain's mailboxes.
func (s *Service) ListMailboxes(ctx context.Context, actor sb.Actor, ref sb.DomainRef, p sb.MailboxPage, fn func(sb.Account) error) error {
	switch p.Sort {
	case sb.SortByID, sb.SortByMail, sb.SortByFirstName, sb.SortByLastName, sb.SortByStatus, sb.SortByCreated:
	default:
		return sb.FieldError("sort_field", "sort_field %q is not one of the supported orders", p.Sort)
	}
	if p.Limit < 1 || p.Limit > sb.MaxMailboxPage {
		return sb.FieldError("page_size", "page_size must be between 1 and %d", sb.MaxMailboxPage)
	}
	if p.Offset < 0 || p.Offset > sb.MaxMailboxOffset {
		return sb.FieldError("page", "pages reach at most %d mailboxes deep: page on by id (after) beyond", sb.MaxMailboxOffset)
	}
	tx := s.store.Read()
	d, err := resolveDomain(ctx, tx, actor, ref)
	if err != nil {
		return err
	}
	page, err := tx.MailboxesPage(ctx, d.ID, p)
	if err != nil {
		return err
	}
	for _, a := range page {
		if err := fn(a); err != nil {
			return err
		}
	}
	return nil
}

// DeleteDomainOf deletes a domain of the actor that must belong to the
// tenant named owner ("": any the actor may manage).
func (s *Service) DeleteDomainOf(ctx context.Context, actor sb.Actor, domain, owner string) error {
	return s.deleteDomain(ctx, actor, domain, owner)
}

// checkSearch normalises a search string: trimmed, lower-cased, 1 to
// maxSearchLen bytes of UTF-8.
func checkSearch(field, q string) (string, error) {
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" || len(q) > maxSearchLen || !utf8.ValidString(q) {
		return "", sb.FieldError(field, "%s must be 1 to %d bytes of text", field, maxSearchLen)
	}
	return q, nil
}

// FindDomains lists the domains ListDomains would whose name holds filter
// ("": all of them).
func (s *Service) FindDomains(ctx context.Context, actor sb.Actor, tenant, filter string, fn func(sb.Domain) error) error {
	if filter == "" {
		return s.ListDomains(ctx, actor, tenant, sb.Page{}, fn)
	}
	q, err := checkSearch("filter", filter)
	if err != nil {
		return err
	}
	id, err := s.domainsOf(ctx, actor, tenant)
	if err != nil {
		return err
	}
	return s.store.Read().EachDomainMatching(ctx, id, store.ContainsPattern(q), 0, fn)
}

// FindTenants lists the tenants whose name holds query ("": all);
// operators only.
func (s *Service) FindTenants(ctx context.Context, actor sb.Actor, query string) ([]sb.Tenant, error) {
	if !actor.CanManageTenants() {
		return nil, sb.Errorf(sb.EFORBIDDEN, "only operators may list tenants")
	}
	if query == "" {
		return s.store.Read().ListTenants(ctx)
	}
	q, err := checkSearch("query", query)
	if err != nil {
		return nil, err
	}
	return s.store.Read().FindTenants(ctx, store.ContainsPattern(q), 0)
}

// Search finds, at most sb.MaxSearchResults of each, the tenants and
// domains the actor may see whose name holds q, and the mailboxes whose
// address starts with q (a local-part prefix in every domain of the actor,
// or with an '@' a local-part prefix in that one domain).
func (s *Service) Search(ctx context.Context, actor sb.Actor, query string) (*sb.SearchResult, error) {
	if actor.IsMailbox() {
		return nil, sb.Errorf(sb.EFORBIDDEN, "a mailbox may not search")
	}
	q, err := checkSearch("query", query)
	if err != nil {
		return nil, err
	}
	tx := s.store.Read()
	out := &sb.SearchResult{Tenants: []sb.Tenant{}, Domains: []sb.Domain{}, Accounts: []sb.Account{}}
	like := store.ContainsPattern(q)
	tenantID := actor.TenantID
	if actor.IsOperator() {
		tenantID = 0
		if out.Tenants, err = tx.FindTenants(ctx, like, sb.MaxSearchResults); err != nil {
			return nil, err
		}
	} else if strings.Contains(strings.ToLower(actor.TenantName), q) {
		t, err := tx.TenantByID(ctx, actor.TenantID)
		if err != nil {
			return nil, err
		}
		out.Tenants = append(out.Tenants, *t)
	}
	err = tx.EachDomainMatching(ctx, tenantID, like, sb.MaxSearchResults, func(d sb.Domain) error {
		out.Domains = append(out.Domains, d)
		return nil
	})
	if err != nil {
		return nil, err
	}
	local, domain, hasAt := strings.Cut(q, "@")
	var domainID int64
	if hasAt && domain != "" {
		name, err := NormalizeDomain("query", domain)
		if err != nil {
			return out, nil // no mailbox lies in a domain that cannot be
		}
		d, err := visibleDomainByName(ctx, tx, actor, name)
		if sb.ErrorCode(err) == sb.ENOTFOUND {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		domainID = d.ID
	}
	if local == "" && domainID == 0 {
		return out, nil
	}
	if out.Accounts, err = tx.SearchMailboxes(ctx, tenantID, domainID, local, sb.MaxSearchResults); err != nil {
		return nil, err
	}
	if out.Accounts == nil {
		out.Accounts = []sb.Account{}
	}
	return out, nil
}

// TenantAllowed reports whether the actor may manage the named tenant, or
// create it when there is none of that name.
func (s *Service) TenantAllowed(ctx context.Context, actor sb.Actor, name string) (bool, error) {
	if actor.IsMailbox() || CheckTenantName(name) != nil {
		return false, nil
	}
	_, _, err := s.store.Read().TenantByName(ctx, name)
	switch {
	case err == nil:
		return actor.CanManageTenant(name), nil
	case sb.ErrorCode(err) == sb.ENOTFOUND:
		return actor.CanManageTenants(), nil
	}
	return false, err
}

// DomainAllowed reports whether the actor may manage the named domain, or
// create it when there is none of that name (the claim rule of
// CreateDomain included).
func (s *Service) DomainAllowed(ctx context.Context, actor sb.Actor, name string) (bool, error) {
	if actor.IsMailbox() {
		return false, nil
	}
	n, err := NormalizeDomain("domain", name)
	if err != nil {
		return false, nil
	}
	tx := s.store.Read()
	d, err := tx.DomainByName(ctx, n)
	switch {
	case err == nil:
		return actor.CanManageDomain(d), nil
	case sb.ErrorCode(err) != sb.ENOTFOUND:
		return false, err
	case !actor.CanOwnDomains():
		return false, nil
	}
	err = checkDomainClaim(ctx, tx, actor, n)
	switch sb.ErrorCode(err) {
	case "":
		return true, nil
	case sb.EFORBIDDEN:
		return false, nil
	}
	return false, err
}

// Validate reports whether value is valid as the kind of input names, by
// the rules the services apply to it (see sb.ValueKinds).
func (s *Service) Validate(kind, value string) (bool, error) {
	var err error
	switch kind {
	case "hostname", "domain", "mailhost":
		_, err = NormalizeDomain("value", value)
	case "mail":
		_, _, err = NormalizeEmail("value", value)
	case "account":
		err = CheckTenantName(value)
	case "user":
		// A login name: a tenant's, or a mailbox address.
		if err = CheckTenantName(value); err != nil && strings.Contains(value, "@") {
			_, _, err = NormalizeEmail("value", value)
		}
	case "pass", "pass2":
		err = s.checkPassword("value", value)
	case "memo":
		err = checkMemo("value", value)
	case "name":
		err = checkText("value", value, MaxNameLen)
		if err == nil && strings.TrimSpace(value) == "" {
			err = sb.FieldError("value", "a name must not be blank")
		}
	case "contextid":
		if value == "" || len(value) > 10 || strings.Trim(value, "0123456789") != "" {
			err = sb.FieldError("value", "a context id is 1 to 10 digits")
		}
	default:
		return false, sb.FieldError("type", "type must be one of %s", strings.Join(sb.ValueKinds(), ", "))
	}
	return err == nil, nil
}
