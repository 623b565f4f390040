package switchboard

import "context"

// NewMailbox is a mailbox to create: its address and password, and its
// profile (mailbox.org's mail.add: names and forwarding) and quota.
type NewMailbox struct {
	// Domain is the domain to create it in (zero: the address's own).
	Domain              DomainRef
	Address, Password   string
	Active              bool
	FirstName, LastName string
	Forwards            []string
	InboxSave           bool
	Quota               *QuotaChange // nil: the tenant's default
}

// DomainChange lists what an update of a domain changes; nil fields stay.
type DomainChange struct {
	Owner *string // the tenant to move it to (operators only)
	Memo  *string
}

// TenantChange lists what an update of a tenant changes; nil fields stay.
type TenantChange struct {
	Password *string
	Memo     *string
	Limits   *TenantLimitsChange // operators only
}

// Mailbox list orders (mailbox.org's mail.list sort_field values).
const (
	SortByID        = ""           // id order, the keyset pages'
	SortByMail      = "mail"       // the local part
	SortByFirstName = "first_name" // then id
	SortByLastName  = "last_name"
	SortByStatus    = "status" // inactive first
	SortByCreated   = "creation_date"
)

// MailboxPage asks for one offset page of a domain's mailboxes in one of
// the Sort* orders, descending with Desc. Offset is at most
// MaxMailboxOffset, so that a deep page costs no more than a bounded index
// walk; Limit is 1 to MaxMailboxPage.
type MailboxPage struct {
	Sort          string
	Desc          bool
	Offset, Limit int
}

// Bounds of MailboxPage.
const (
	MaxMailboxOffset = 100000
	MaxMailboxPage   = 1000
)

// SearchResult is what a global search found, at most MaxSearchResults of
// each kind.
type SearchResult struct {
	Tenants  []Tenant
	Domains  []Domain
	Accounts []Account
}

// MaxSearchResults bounds each list of a SearchResult.
const MaxSearchResults = 50

// MailboxOrgService holds the operations mailbox.org's API has beyond the
// core ones: mailbox profiles, memos, searches and permission tests.
type MailboxOrgService interface {
	// MailboxAliases returns, for each of the mailboxes (addresses the
	// actor may see), the aliases that forward to it alone.
	MailboxAliases(ctx context.Context, actor Actor, emails []string) (map[string][]string, error)
	// ListMailboxes lists one sorted offset page of a domain's mailboxes.
	ListMailboxes(ctx context.Context, actor Actor, domain DomainRef, p MailboxPage, fn func(Account) error) error
	// UpdateDomain changes a domain's owner and/or memo in one transaction.
	UpdateDomain(ctx context.Context, actor Actor, domain string, ch DomainChange) (*Domain, error)
	// DeleteDomainOf deletes a domain that must belong to the named tenant.
	DeleteDomainOf(ctx context.Context, actor Actor, domain, owner string) error
	// FindDomains lists, like ListDomains, the domains whose name holds
	// filter.
	FindDomains(ctx context.Context, actor Actor, tenant, filter string, fn func(Domain) error) error
	// UpdateTenant changes a tenant's password and/or memo.
	UpdateTenant(ctx context.Context, actor Actor, name string, ch TenantChange) error
	// FindTenants lists the tenants whose name holds query; operators only.
	FindTenants(ctx context.Context, actor Actor, query string) ([]Tenant, error)
	// Search finds the tenants, domains and mailboxes the actor may see
	// that match q.
	Search(ctx context.Context, actor Actor, q string) (*SearchResult, error)
	// TenantAllowed reports whether the actor may manage the named tenant,
	// or create it when it does not exist.
	TenantAllowed(ctx context.Context, actor Actor, name string) (bool, error)
	// DomainAllowed reports whether the actor may manage the named domain,
	// or create it when it does not exist.
	DomainAllowed(ctx context.Context, actor Actor, name string) (bool, error)
	// Validate reports whether value is a valid value of a kind of input
	// (see ValueKinds); an unknown kind is EINVALID.
	Validate(kind, value string) (bool, error)
}

// ValueKinds returns the kinds of input Validate knows, as mailbox.org's
// utils.validator names them.
func ValueKinds() []string {
	return []string{"hostname", "domain", "mailhost", "mail", "account", "pass", "pass2", "memo", "user", "contextid", "name"}
}
