package switchboard

import (
	"context"
	"errors"
	"strconv"
	"strings"
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

// MailboxUsage is a mailbox as a list of a domain's mailboxes shows it:
// its address, its quota and what it holds (the mail admin REST's
// GET /users), read without the rest of the account.
type MailboxUsage struct {
	ID       int64
	DomainID int64
	Email    string
	Quota    MailboxQuota
	Used     QuotaUsage
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

// Counted reports whether l has a limit that its tenant's creates count
// against: a maximum of domains, mailboxes or total quota (a plan's name
// and a default quota alone count nothing).
func (l TenantLimits) Counted() bool {
	return l.MaxDomains != 0 || l.MaxMailboxes != 0 || l.MaxQuotaBytes != 0
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

// QuotaService manages mailbox quotas and tenant limits.
type QuotaService interface {
	// SetAccountQuota changes the quota of an account in a domain of the
	// actor.
	SetAccountQuota(ctx context.Context, actor Actor, domainID, accountID int64, ch QuotaChange) (*Account, error)
	// CreateTenantWithLimits creates a tenant with limits; operators only.
	CreateTenantWithLimits(ctx context.Context, actor Actor, name, password, role string, ch TenantLimitsChange) (*Tenant, error)
	// SetTenantLimits changes a tenant's limits; operators only.
	SetTenantLimits(ctx context.Context, actor Actor, tenant string, ch TenantLimitsChange) (*Tenant, error)
	// TenantUsage returns what a tenant holds against its limits.
	TenantUsage(ctx context.Context, actor Actor, tenant string) (*Tenant, *TenantUsage, error)
}

// ErrLimit marks, in an Error's cause, a refusal because a tenant's limit
// is reached; the message names the limit.
var ErrLimit = errors.New("tenant limit reached")

// Binary units of quota sizes.
const (
	KiB int64 = 1 << 10
	MiB int64 = 1 << 20
	GiB int64 = 1 << 30
	TiB int64 = 1 << 40
)

// MaxQuotaBytes bounds every quota and limit in bytes (1 PiB), far below
// where sums of them could overflow.
const MaxQuotaBytes = 1 << 50

// ParseSize reads a size in bytes as the APIs take it: a whole number of
// bytes, or one with a binary unit K, M, G or T (optionally followed by
// "B" or "iB"; case ignored), e.g. "102400", "100K", "2GiB". "0" is
// unlimited.
func ParseSize(field, s string) (int64, error) {
	bad := FieldError(field, "%s must be a size in bytes, e.g. 104857600 or 100M (0: unlimited)", field)
	t := strings.ToUpper(strings.TrimSpace(s))
	digits := strings.TrimRight(t, "BIKMGT")
	if digits == "" || len(digits) > 20 || strings.Trim(digits, "0123456789") != "" {
		return 0, bad
	}
	var unit int64
	switch t[len(digits):] {
	case "", "B":
		unit = 1
	case "K", "KB", "KIB":
		unit = KiB
	case "M", "MB", "MIB":
		unit = MiB
	case "G", "GB", "GIB":
		unit = GiB
	case "T", "TB", "TIB":
		unit = TiB
	default:
		return 0, bad
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > MaxQuotaBytes/unit {
		return 0, FieldError(field, "%s must be at most %d bytes", field, int64(MaxQuotaBytes))
	}
	return n * unit, nil
}
