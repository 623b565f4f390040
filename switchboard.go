package switchboard

import (
	"context"
	"strconv"
	"time"
)

// Roles a tenant can hold.
const (
	RoleOperator = "operator" // sees and manages everything
	RoleTenant   = "tenant"   // sees and manages only its own domains
)

// Tenant is a hosting customer or reseller: the owner of domains.
type Tenant struct {
	ID        int64
	Name      string
	Role      string
	CreatedAt time.Time
	// DomainsCount is the number of domains it owns (set by ListTenants).
	DomainsCount int64
	// Memo is the operator's free-text note on the tenant.
	Memo string
	// Limits bound what it may hold.
	Limits TenantLimits
}

// Domain is a mail/SIP domain owned by one tenant.
type Domain struct {
	ID         int64
	Name       string // lower-case, punycode
	TenantID   int64
	TenantName string // the owner's name
	UsersCount int64
	Realm      string // SIP digest realm; the domain name unless set
	CreatedAt  time.Time
	Memo       string // the owner's free-text note
}

// Account is user@domain: a mailbox and/or a SIP identity.
type Account struct {
	ID        int64
	DomainID  int64
	Local     string
	Email     string // the address, user@domain
	Active    bool   // may log in at all (mail admin's switch)
	CreatedAt time.Time
	UpdatedAt time.Time

	// SIP identity.
	ContactEmail string // where activation and notices go
	Phone        string // E.164
	Activated    bool   // confirmed (by email/SMS code or an admin)
	Admin        bool   // may manage the accounts of its domain
	Provisioned  bool   // its provisioning XML was fetched once
	Algorithms   []string

	// Mailbox profile (mailbox.org's mail.add / mail.set).
	FirstName, LastName string
	// Forwards are the addresses its mail is forwarded to (normalised, no
	// duplicates); with InboxSave the mailbox keeps a copy, without it
	// mail is only forwarded. No forwards: mail stays in the mailbox.
	Forwards  []string
	InboxSave bool
	// Quota is the mailbox's limits; QuotaUsed what Dovecot recorded.
	Quota     MailboxQuota
	QuotaUsed QuotaUsage
}

// Alias is a forwarder: mail to Email goes to every address in
// Destinations, which may lie outside Switchboard's domains. An address is
// either an alias or a mailbox, never both.
type Alias struct {
	ID           int64
	DomainID     int64
	Local        string
	Email        string   // the address, local@domain
	Destinations []string // normalised addresses, no duplicates
	CreatedAt    time.Time
}

// Actor is who performs an operation; every service call is authorised
// against it.
type Actor struct {
	TenantID   int64
	TenantName string
	Role       string
	// AccountID is set when the actor is a single mailbox (it may act only on
	// itself), zero for tenants.
	AccountID int64
	// Email is the mailbox of an account actor.
	Email string
	// System marks command-line operations run by the server's administrator.
	System bool
	// Credential is the digest of the token or session the actor presented
	// ("" for Digest, API keys and the command line): a password change
	// revokes every other login of the principal and keeps this one.
	Credential string
}

// IsOperator reports whether the actor may see and manage every tenant.
func (a Actor) IsOperator() bool { return a.System || a.Role == RoleOperator }

// The permission predicates every service method asks, after WTF Dial's
// CanEditDial: one small function per rule, never the expression inline.

// IsMailbox reports whether the actor is one account (a mailbox or SIP
// identity), which may act only on itself.
func (a Actor) IsMailbox() bool { return a.AccountID != 0 }

// IsTenant reports whether the actor is a tenant (operators included).
func (a Actor) IsTenant() bool { return !a.IsMailbox() && a.TenantID != 0 }

// CanManageTenants reports whether the actor may create, list, delete and
// move tenants and their domains: operators and the command line.
func (a Actor) CanManageTenants() bool { return !a.IsMailbox() && a.IsOperator() }

// CanManageTenant reports whether the actor may see and change the named
// tenant: itself, or any for an operator.
func (a Actor) CanManageTenant(name string) bool {
	return !a.IsMailbox() && (a.IsOperator() || a.TenantName == name)
}

// CanOwnDomains reports whether the actor may create domains: a tenant, or
// the command line naming one.
func (a Actor) CanOwnDomains() bool { return a.IsTenant() || a.System }

// Owns reports whether the actor may see and manage what tenant tenantID
// holds: its own tenant's, or everything for an operator.
func (a Actor) Owns(tenantID int64) bool {
	return !a.IsMailbox() && (a.IsOperator() || a.TenantID == tenantID)
}

// CanManageDomain reports whether the actor may see and manage domain d
// and what it holds.
func (a Actor) CanManageDomain(d *Domain) bool { return a.Owns(d.TenantID) }

// String names the actor in the audit log.
func (a Actor) String() string {
	switch {
	case a.System:
		return "system"
	case a.AccountID != 0:
		return "account:" + strconv.FormatInt(a.AccountID, 10)
	default:
		return "tenant:" + a.TenantName
	}
}

// SystemActor is the actor of command-line administration.
var SystemActor = Actor{System: true}

// DomainRef names a domain by id (the mail admin REST) or by name
// (JSON-RPC); the zero DomainRef, where an address is given, means the
// address's own domain.
type DomainRef struct {
	ID   int64
	Name string
}

// NewDomain is a domain to create. Owner names the tenant that will own
// it (empty: the actor's own; only operators may name another). First,
// when set, is its first account.
type NewDomain struct {
	Name  string
	Owner string
	First *FirstAccount
}

// FirstAccount is the account created with a domain: an active mailbox and
// SIP identity with a password for every digest algorithm.
type FirstAccount struct {
	Address  string
	Password string
}

// Page asks for one keyset page of a list: rows with id > After, at most
// Limit of them (0 = all, streamed).
type Page struct {
	After int64
	Limit int
}

// TenantService manages tenants and their credentials.
type TenantService interface {
	CreateTenant(ctx context.Context, actor Actor, name, password string, role string) (*Tenant, error)
	GetTenant(ctx context.Context, actor Actor, name string) (*Tenant, error)
	ListTenants(ctx context.Context, actor Actor) ([]Tenant, error)
	SetTenantPassword(ctx context.Context, actor Actor, name, password string) error
	// DeleteTenant deletes a tenant that holds no domains.
	DeleteTenant(ctx context.Context, actor Actor, name string) error
	// Login checks a tenant's credentials (rate-limited per name and IP)
	// and returns a new opaque token with its expiry.
	Login(ctx context.Context, name, password, ip string) (token string, expires time.Time, err error)
	// Authenticate resolves a token to its actor.
	Authenticate(ctx context.Context, token, ip string) (Actor, error)
	// Logout revokes a token.
	Logout(ctx context.Context, token string) error
}

// DomainService manages domains.
type DomainService interface {
	// ListDomains lists the domains of the named tenant, or, for an empty
	// name, every domain the actor may see (its own; all for an operator).
	ListDomains(ctx context.Context, actor Actor, tenant string, page Page, fn func(Domain) error) error
	// CreateDomain creates a domain and, when in.First is set, its first
	// account, in one transaction; the account is nil without one.
	CreateDomain(ctx context.Context, actor Actor, in NewDomain) (*Domain, *Account, error)
	GetDomain(ctx context.Context, actor Actor, domain string) (*Domain, error)
	// MoveDomain gives a domain to another tenant.
	MoveDomain(ctx context.Context, actor Actor, domain, owner string) (*Domain, error)
	DeleteDomain(ctx context.Context, actor Actor, name string) error
}

// AccountService manages accounts (mailboxes and SIP identities).
type AccountService interface {
	ListAccounts(ctx context.Context, actor Actor, domain DomainRef, page Page, fn func(Account) error) error
	// ListMailboxUsage is ListAccounts with only each mailbox's address,
	// quota and use.
	ListMailboxUsage(ctx context.Context, actor Actor, domain DomainRef, page Page, fn func(MailboxUsage) error) error
	// CreateMailbox creates a mailbox (with its SIP identity), its profile
	// and quota, in the domain in.Domain names (zero: the address's own).
	CreateMailbox(ctx context.Context, actor Actor, in NewMailbox) (*Account, error)
	GetMailbox(ctx context.Context, actor Actor, email string) (*Account, error)
	SetAccountPassword(ctx context.Context, actor Actor, domainID, accountID int64, password string) error
	UpdateMailbox(ctx context.Context, actor Actor, email string, ch MailboxChange) (*Account, error)
	DeleteAccount(ctx context.Context, actor Actor, email string) error
	// SearchAccounts lists one page of a domain's accounts in the order of
	// their local parts, those starting with q.Prefix only.
	SearchAccounts(ctx context.Context, actor Actor, domain DomainRef, q AccountQuery, fn func(Account) error) error
}

// AccountQuery asks for one page of a domain's accounts in local-part
// order: those whose local part starts with Prefix (empty: all), after the
// local part After, at most Limit of them (1 to MaxAccountQuery).
type AccountQuery struct {
	Prefix string
	After  string
	Limit  int
}

// MaxAccountQuery bounds AccountQuery.Limit.
const MaxAccountQuery = 500

// AliasService manages aliases.
type AliasService interface {
	// CreateAlias creates address in the domain (zero: the address's own).
	CreateAlias(ctx context.Context, actor Actor, domain DomainRef, address string, destinations []string) (*Alias, error)
	ListAliases(ctx context.Context, actor Actor, domain DomainRef, page Page, fn func(Alias) error) error
	DeleteAlias(ctx context.Context, actor Actor, address string) error
}

// DKIMKey is a domain's DKIM signing key; the private part never leaves the
// store except inside a domain export.
type DKIMKey struct {
	ID        int64
	DomainID  int64
	Domain    string
	Selector  string
	Algorithm string // "rsa" or "ed25519"
	Public    string // base64 p= value
	Active    bool
	CreatedAt time.Time
}

// Certificate is a TLS certificate held for a host name under a domain.
type Certificate struct {
	ID        int64
	Hostname  string
	DomainID  int64
	Source    string   // "acme" or "upload"
	Names     []string // DNS names covered
	ChainPEM  string   // leaf first
	Issuer    string
	NotBefore time.Time
	NotAfter  time.Time
	// DaysLeft is the number of whole days until NotAfter, by the
	// service's clock when it answered.
	DaysLeft int
}
