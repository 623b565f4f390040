package switchboard

import (
	"context"
	"errors"
)

// MailboxQuota is a mailbox's limits, which Dovecot enforces: storage in
// bytes and a message count, 0 meaning unlimited. Plan and ExtraBytes say
// how Bytes was chosen: a plan's preset (MailPlans) plus ExtraBytes, or,
// with Plan "", a limit given outright.
type MailboxQuota struct {
	Bytes      int64
	Messages   int64
	Plan       string
	ExtraBytes int64
}

// QuotaUsage is what Dovecot recorded a mailbox holds; zero until its
// first delivery or login.
type QuotaUsage struct {
	Bytes    int64
	Messages int64
}

// QuotaChange lists what a change of a mailbox's quota changes; nil fields
// stay. Bytes (a limit outright) and Plan (a preset) exclude each other;
// ExtraBytes is added to either.
type QuotaChange struct {
	Bytes      *int64
	Messages   *int64
	Plan       *string
	ExtraBytes *int64
}

// TenantLimits bound what a tenant may hold, 0 meaning unlimited:
// MaxQuotaBytes bounds the sum of its mailboxes' storage quotas (and then
// every mailbox needs one). DefaultQuotaBytes is the quota of a mailbox
// created without one. Plan names the preset (TenantPlans) they came from,
// "" for none.
type TenantLimits struct {
	Plan              string
	MaxDomains        int64
	MaxMailboxes      int64
	MaxQuotaBytes     int64
	DefaultQuotaBytes int64
}

// TenantUsage is what a tenant holds, measured against its limits.
type TenantUsage struct {
	Domains    int64
	Mailboxes  int64
	QuotaBytes int64 // the sum of its mailboxes' storage quotas
	// Unlimited counts its mailboxes without a storage quota.
	Unlimited int64
}

// TenantLimitsChange lists what a change of a tenant's limits changes; nil
// fields stay. Plan, when set, applies the preset first; the other fields
// then override it.
type TenantLimitsChange struct {
	Plan              *string
	MaxDomains        *int64
	MaxMailboxes      *int64
	MaxQuotaBytes     *int64
	DefaultQuotaBytes *int64
}

// NewMailbox is a mailbox to create through the mail admin APIs. A nil
// Quota gives it its tenant's default quota.
type NewMailbox struct {
	Email    string
	Password string
	Active   bool
	Quota    *QuotaChange
}

// QuotaService manages mailbox quotas and tenant limits.
type QuotaService interface {
	// CreateMailbox creates a mailbox in the domain (zero: the address's
	// own) with a quota.
	CreateMailbox(ctx context.Context, actor Actor, domain DomainRef, in NewMailbox) (*Account, error)
	// SetAccountQuota changes the quota of an account in a domain of the
	// actor.
	SetAccountQuota(ctx context.Context, actor Actor, domainID, accountID int64, ch QuotaChange) (*Account, error)
	// SetTenantLimits changes a tenant's limits; operators only.
	SetTenantLimits(ctx context.Context, actor Actor, tenant string, ch TenantLimitsChange) (*Tenant, error)
	// TenantUsage returns what a tenant holds against its limits.
	TenantUsage(ctx context.Context, actor Actor, tenant string) (*Tenant, *TenantUsage, error)
}

// ErrLimit marks, in an Error's cause, a refusal because a tenant's limit
// is reached; the message names the limit.
var ErrLimit = errors.New("tenant limit reached")
