package service

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/store"
)

// Quotas: a mailbox's limits are written here and enforced by Dovecot,
// which reads them as quota_rule from the mail_users view and records the
// usage in quota_usage; a tenant's limits are enforced here, inside the
// transaction of every path that adds domains, mailboxes or quota.

// Binary units of quota sizes.
const (
	KiB = sb.KiB
	MiB = sb.MiB
	GiB = sb.GiB
	TiB = sb.TiB
)

// MaxQuotaBytes bounds every quota and limit in bytes (1 PiB), far below
// where sums of them could overflow.
const MaxQuotaBytes = sb.MaxQuotaBytes

// MaxQuotaMessages bounds a message-count quota.
const MaxQuotaMessages = 1 << 40

// MailPlans are the mailbox quota presets mailbox.org's mail.add and
// mail.set name with plan: the storage each gives.
var MailPlans = map[string]int64{
	"light":    2 * GiB,
	"standard": 10 * GiB,
	"premium":  50 * GiB,
}

// TenantPlans are the tenant limit presets mailbox.org's account.add and
// account.set name with plan. "reseller" lifts every limit.
var TenantPlans = map[string]sb.TenantLimits{
	"basic":    {Plan: "basic", MaxDomains: 1, MaxMailboxes: 5, MaxQuotaBytes: 25 * GiB, DefaultQuotaBytes: 2 * GiB},
	"profi":    {Plan: "profi", MaxDomains: 5, MaxMailboxes: 50, MaxQuotaBytes: 500 * GiB, DefaultQuotaBytes: 10 * GiB},
	"business": {Plan: "business", MaxDomains: 25, MaxMailboxes: 500, MaxQuotaBytes: 5 * TiB, DefaultQuotaBytes: 10 * GiB},
	"reseller": {Plan: "reseller"},
}

func planNames[V any](m map[string]V) string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// checkSize checks a size in bytes or a count given as a number.
func checkSize(field string, n, most int64) error {
	if n < 0 || n > most {
		return sb.FieldError(field, "%s must be between 0 (unlimited) and %d", field, most)
	}
	return nil
}

// applyQuota is the one rule of quota changes: a limit given outright
// replaces the plan, a plan replaces the limit with its preset, and the
// additional bytes are added to either (and kept when not given).
func applyQuota(cur sb.MailboxQuota, ch *sb.QuotaChange) (sb.MailboxQuota, error) {
	if ch == nil {
		return cur, nil
	}
	base := cur.Bytes - cur.ExtraBytes
	q := cur
	if ch.Bytes != nil && ch.Plan != nil && *ch.Plan != "" {
		return q, sb.FieldError("quota", "give quota or plan, not both")
	}
	if ch.Bytes != nil {
		if err := checkSize("quota", *ch.Bytes, MaxQuotaBytes); err != nil {
			return q, err
		}
		base, q.Plan = *ch.Bytes, ""
		if ch.ExtraBytes == nil {
			q.ExtraBytes = 0
		}
	}
	if ch.Plan != nil {
		p := strings.ToLower(strings.TrimSpace(*ch.Plan))
		switch preset, ok := MailPlans[p]; {
		case p == "":
			q.Plan = "" // the limit stays, no longer named by a plan
		case !ok:
			return q, sb.FieldError("plan", "plan must be one of %s", planNames(MailPlans))
		default:
			base, q.Plan = preset, p
		}
	}
	if ch.ExtraBytes != nil {
		if err := checkSize("additional_mail_quota", *ch.ExtraBytes, MaxQuotaBytes); err != nil {
			return q, err
		}
		q.ExtraBytes = *ch.ExtraBytes
	}
	if ch.Messages != nil {
		if err := checkSize("quota_messages", *ch.Messages, MaxQuotaMessages); err != nil {
			return q, err
		}
		q.Messages = *ch.Messages
	}
	if base == 0 && q.Plan == "" {
		// Additional storage on top of unlimited is still unlimited.
		q.ExtraBytes = 0
	}
	q.Bytes = base + q.ExtraBytes
	if q.Bytes > MaxQuotaBytes {
		return q, sb.FieldError("quota", "quota must be at most %d bytes", int64(MaxQuotaBytes))
	}
	return q, nil
}

// Which of a tenant's limits a change can break.
type limitCheck uint8

const (
	limitDomains limitCheck = 1 << iota
	limitMailboxes
	limitQuota
	limitAll = limitDomains | limitMailboxes | limitQuota
)

// lockTenant holds the tenant's row before a path writes what its limits
// bound, so that its limits cannot change meanwhile (see
// store.ShareTenant), and, when the tenant has a limit to count against,
// serialises the tenant's writers (store.SerializeTenant), so that
// checkLimits afterwards counts every concurrent create once. The writers
// of a tenant without limits run side by side. Every path takes it before
// the domain and account rows it writes, so the lock order is the same
// everywhere; the change of the limits themselves locks the row outright
// (setTenantLimits).
func lockTenant(ctx context.Context, tx *store.Tx, id int64) (*sb.Tenant, error) {
	t, err := tx.ShareTenant(ctx, id)
	if err == nil {
		err = serializeTenant(ctx, tx, t)
	}
	if err != nil {
		return nil, fmt.Errorf("lock tenant %d: %w", id, err)
	}
	return t, nil
}

// lockTenantAndPlane is lockTenant that also reads the SIP plane's digest
// algorithm (see planeCredentials), in the same statement: for the paths
// that create an account.
func lockTenantAndPlane(ctx context.Context, tx *store.Tx, id int64) (*sb.Tenant, string, error) {
	t, plane, err := tx.ShareTenantAndPlane(ctx, id)
	if err == nil {
		err = serializeTenant(ctx, tx, t)
	}
	if err != nil {
		return nil, "", fmt.Errorf("lock tenant %d: %w", id, err)
	}
	return t, plane, nil
}

// serializeTenant ends lockTenant once the tenant's row is held: a tenant
// with a limit to count against has its writers run one at a time.
func serializeTenant(ctx context.Context, tx *store.Tx, t *sb.Tenant) error {
	if !t.Limits.Counted() {
		return nil
	}
	return tx.SerializeTenant(ctx, t.ID)
}

// checkLimits refuses, after a path has written, what took tenant t past
// the limits named by what; the transaction then rolls the write back.
func checkLimits(ctx context.Context, tx *store.Tx, t *sb.Tenant, what limitCheck) error {
	l := t.Limits
	if what&limitDomains != 0 && l.MaxDomains == 0 {
		what &^= limitDomains
	}
	if what&limitMailboxes != 0 && l.MaxMailboxes == 0 {
		what &^= limitMailboxes
	}
	if what&limitQuota != 0 && l.MaxQuotaBytes == 0 {
		what &^= limitQuota
	}
	if what == 0 {
		return nil
	}
	u, err := tx.TenantUsage(ctx, t.ID, what&limitQuota != 0)
	if err != nil {
		return err
	}
	refuse := func(format string, args ...any) error {
		return &sb.Error{Code: sb.EINVALID, Message: fmt.Sprintf(format, args...), Err: sb.ErrLimit}
	}
	switch {
	case what&limitDomains != 0 && u.Domains > l.MaxDomains:
		return refuse("tenant %s has reached its limit of %d domains (max_domains)", t.Name, l.MaxDomains)
	case what&limitMailboxes != 0 && u.Mailboxes > l.MaxMailboxes:
		return refuse("tenant %s has reached its limit of %d mailboxes (max_mailboxes)", t.Name, l.MaxMailboxes)
	case what&limitQuota != 0 && u.Unlimited > 0:
		return refuse("tenant %s has a total quota limit of %d bytes (max_quota): every mailbox needs a quota", t.Name, l.MaxQuotaBytes)
	case what&limitQuota != 0 && u.QuotaBytes > l.MaxQuotaBytes:
		return refuse("tenant %s would exceed its total quota limit of %d bytes (max_quota) with %d bytes of mailbox quotas",
			t.Name, l.MaxQuotaBytes, u.QuotaBytes)
	}
	return nil
}

// checkQuotaChange refuses, before any slow work, a quota change a
// mailbox makes to itself or one with values out of range (nil: none).
func checkQuotaChange(actor sb.Actor, ch *sb.QuotaChange) error {
	if ch == nil {
		return nil
	}
	if actor.IsMailbox() {
		return sb.Errorf(sb.EFORBIDDEN, "a mailbox may not change its quota")
	}
	_, err := applyQuota(sb.MailboxQuota{}, ch)
	return err
}

// lockForQuota takes, for a quota change (nil: none), the tenant of domain
// d before the path writes any account row, as every path does (see
// lockTenant).
func lockForQuota(ctx context.Context, tx *store.Tx, d *sb.Domain, ch *sb.QuotaChange) error {
	if ch == nil {
		return nil
	}
	_, err := lockTenant(ctx, tx, d.TenantID)
	return err
}

// changeQuota applies a quota change (nil: none) to account a in the
// caller's transaction, for UpdateMailbox.
func (s *Service) changeQuota(ctx context.Context, tx *store.Tx, actor sb.Actor, a *sb.Account, ch *sb.QuotaChange) error {
	if ch == nil {
		return nil
	}
	q, err := s.setQuota(ctx, tx, actor, func(*store.Tx) (*sb.Account, *sb.Domain, error) {
		d, err := tx.DomainByID(ctx, a.DomainID)
		return a, d, err
	}, *ch)
	if err != nil {
		return err
	}
	a.Quota, a.UpdatedAt = q.Quota, q.UpdatedAt
	return nil
}

// SetAccountQuota changes the quota of an account in a domain of the actor;
// a mailbox may not change its own.
func (s *Service) SetAccountQuota(ctx context.Context, actor sb.Actor, domainID, accountID int64, ch sb.QuotaChange) (*sb.Account, error) {
	return s.updateQuota(ctx, actor, func(tx *store.Tx) (*sb.Account, *sb.Domain, error) {
		return s.accountInDomain(ctx, tx, actor, domainID, accountID)
	}, ch)
}

// updateQuota is the one quota change, in its own transaction.
func (s *Service) updateQuota(ctx context.Context, actor sb.Actor, load accountFunc, ch sb.QuotaChange) (*sb.Account, error) {
	if actor.IsMailbox() {
		return nil, sb.Errorf(sb.EFORBIDDEN, "a mailbox may not change its quota")
	}
	var a *sb.Account
	err := s.store.InTx(ctx, func(tx *store.Tx) (err error) {
		a, err = s.setQuota(ctx, tx, actor, load, ch)
		return err
	})
	return a, err
}

// setQuota changes a quota in the caller's transaction: the tenant first,
// then the account, then the tenant's total is checked.
func (s *Service) setQuota(ctx context.Context, tx *store.Tx, actor sb.Actor, load accountFunc, ch sb.QuotaChange) (*sb.Account, error) {
	a, d, err := load(tx)
	if err != nil {
		return nil, err
	}
	t, err := lockTenant(ctx, tx, d.TenantID)
	if err != nil {
		return nil, err
	}
	q, err := applyQuota(a.Quota, &ch)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if err := tx.SetAccountQuota(ctx, a.ID, q, now); err != nil {
		return nil, err
	}
	if q.Bytes > a.Quota.Bytes || q.Bytes == 0 && a.Quota.Bytes != 0 {
		if err := checkLimits(ctx, tx, t, limitQuota); err != nil {
			return nil, err
		}
	}
	if err := tx.Audit(ctx, now, actor.String(), "account.quota",
		fmt.Sprintf("account:%s bytes=%d messages=%d", a.Email, q.Bytes, q.Messages)); err != nil {
		return nil, err
	}
	a.Quota, a.UpdatedAt = q, now
	return a, nil
}

// CreateTenantWithLimits creates a tenant with limits (a plan's preset
// and limits given outright), in one transaction; operators only.
func (s *Service) CreateTenantWithLimits(ctx context.Context, actor sb.Actor, name, password, role string, ch sb.TenantLimitsChange) (*sb.Tenant, error) {
	return s.createTenant(ctx, actor, name, password, role, &ch)
}

// SetTenantLimits changes a tenant's limits; operators only. Limits below
// what the tenant holds already are accepted: they refuse its next
// create, never what it has.
func (s *Service) SetTenantLimits(ctx context.Context, actor sb.Actor, name string, ch sb.TenantLimitsChange) (*sb.Tenant, error) {
	if !actor.CanManageTenants() {
		return nil, sb.Errorf(sb.EFORBIDDEN, "only operators may set tenant limits")
	}
	var t *sb.Tenant
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		found, _, err := tx.TenantByName(ctx, name)
		if sb.ErrorCode(err) == sb.ENOTFOUND {
			return &sb.Error{Code: sb.ENOTFOUND, Field: "tenant", Message: "tenant not found"}
		}
		if err != nil {
			return err
		}
		t, err = s.setTenantLimits(ctx, tx, actor, found.ID, ch)
		return err
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// setTenantLimits changes a tenant's limits inside tx, with the tenant's
// row locked; the caller checked that actor may.
func (s *Service) setTenantLimits(ctx context.Context, tx *store.Tx, actor sb.Actor, id int64, ch sb.TenantLimitsChange) (*sb.Tenant, error) {
	t, err := tx.LockTenant(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("lock tenant %d: %w", id, err)
	}
	l, err := applyLimits(t.Limits, ch)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if err := tx.SetTenantLimits(ctx, t.ID, l, now); err != nil {
		return nil, err
	}
	t.Limits = l
	return t, tx.Audit(ctx, now, actor.String(), "tenant.limits", fmt.Sprintf("tenant:%s plan=%q domains=%d mailboxes=%d quota=%d default=%d",
		t.Name, l.Plan, l.MaxDomains, l.MaxMailboxes, l.MaxQuotaBytes, l.DefaultQuotaBytes))
}

// applyLimits applies a plan's preset, then the limits given outright.
func applyLimits(cur sb.TenantLimits, ch sb.TenantLimitsChange) (sb.TenantLimits, error) {
	l := cur
	if ch.Plan != nil {
		p := strings.ToLower(strings.TrimSpace(*ch.Plan))
		preset, ok := TenantPlans[p]
		switch {
		case p == "":
			l.Plan = ""
		case !ok:
			return l, sb.FieldError("plan", "plan must be one of %s", planNames(TenantPlans))
		default:
			l = preset
		}
	}
	for _, f := range []struct {
		name string
		v    *int64
		dst  *int64
		most int64
	}{
		{"max_domains", ch.MaxDomains, &l.MaxDomains, math.MaxInt32},
		{"max_mailboxes", ch.MaxMailboxes, &l.MaxMailboxes, math.MaxInt32},
		{"max_quota", ch.MaxQuotaBytes, &l.MaxQuotaBytes, MaxQuotaBytes},
		{"default_quota", ch.DefaultQuotaBytes, &l.DefaultQuotaBytes, MaxQuotaBytes},
	} {
		if f.v == nil {
			continue
		}
		if err := checkSize(f.name, *f.v, f.most); err != nil {
			return l, err
		}
		*f.dst = *f.v
	}
	if l.MaxQuotaBytes > 0 && l.DefaultQuotaBytes > l.MaxQuotaBytes {
		return l, sb.FieldError("default_quota", "default_quota must not exceed max_quota")
	}
	return l, nil
}

// TenantUsage returns a tenant the actor may see (itself; any for an
// operator) and what it holds against its limits.
func (s *Service) TenantUsage(ctx context.Context, actor sb.Actor, name string) (*sb.Tenant, *sb.TenantUsage, error) {
	if !actor.CanManageTenant(name) {
		return nil, nil, errNotYourTenant
	}
	var t *sb.Tenant
	var u *sb.TenantUsage
	err := s.store.ReadTx(ctx, func(tx *store.Tx) error {
		var err error
		t, _, err = tx.TenantByName(ctx, name)
		if sb.ErrorCode(err) == sb.ENOTFOUND {
			return &sb.Error{Code: sb.ENOTFOUND, Field: "tenant", Message: "tenant not found"}
		}
		if err != nil {
			return err
		}
		u, err = tx.TenantUsage(ctx, t.ID, true)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return t, u, nil
}
