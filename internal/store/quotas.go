package store

import (
	"context"
	"time"

	sb "github.com/switchboard/switchboard"
)

// quotaColumns end accountColumns: the mailbox's limits and the usage
// Dovecot's quota dict recorded for its address (0 before it wrote any).
const quotaColumns = `quota_bytes, quota_messages, quota_plan, quota_extra_bytes,
	COALESCE((SELECT q.bytes FROM quota_usage q WHERE q.username = accounts.email), 0),
	COALESCE((SELECT q.messages FROM quota_usage q WHERE q.username = accounts.email), 0)`

// limitColumns are a tenant's limits, in limitDest's order.
const limitColumns = `plan, max_domains, max_mailboxes, max_quota_bytes, default_quota_bytes`

func limitDest(l *sb.TenantLimits) []any {
	return []any{&l.Plan, &l.MaxDomains, &l.MaxMailboxes, &l.MaxQuotaBytes, &l.DefaultQuotaBytes}
}

// LockTenant returns a tenant's limits and, on PostgreSQL, holds its row
// against every other locker until the transaction ends: for the path that
// changes the limits, which so waits for the writers holding ShareTenant.
// NO KEY UPDATE leaves the foreign-key checks of inserts referencing the
// tenant alone. SQLite's single writer serialises them already.
func (tx *Tx) LockTenant(ctx context.Context, id int64) (*sb.Tenant, error) {
	return tx.tenantLimits(ctx, id, " FOR NO KEY UPDATE", nil)
}

// ShareTenant returns a tenant's limits and, on PostgreSQL, holds its row
// in SHARE mode until the transaction ends: the limits cannot change under
// a path that writes what they bound, while such paths still run side by
// side. Those that count against a limit also take SerializeTenant.
func (tx *Tx) ShareTenant(ctx context.Context, id int64) (*sb.Tenant, error) {
	return tx.tenantLimits(ctx, id, " FOR SHARE", nil)
}

// ShareTenantAndPlane is ShareTenant that also returns the SIP plane's
// digest algorithm, as SIPPlaneAlgorithm does, read by the same statement:
// the paths that write an account's credentials need both, and on
// PostgreSQL each statement is a round trip.
func (tx *Tx) ShareTenantAndPlane(ctx context.Context, id int64) (*sb.Tenant, string, error) {
	var plane string
	t, err := tx.tenantLimits(ctx, id, " FOR SHARE", &plane)
	return t, plane, err
}

// tenantLimits reads a tenant's limits, its row locked with lock on
// PostgreSQL, and, when plane is not nil, the SIP plane's algorithm into it.
func (tx *Tx) tenantLimits(ctx context.Context, id int64, lock string, plane *string) (*sb.Tenant, error) {
	if tx.dialect != Postgres {
		lock = ""
	}
	var t sb.Tenant
	var created int64
	cols, dest := limitColumns, append([]any{&t.ID, &t.Name, &t.Role, &created}, limitDest(&t.Limits)...)
	if plane != nil {
		cols += ", " + planeAlgorithm
		dest = append(dest, plane)
	}
	err := tx.queryRow(ctx, `SELECT id, name, role, created_at, `+cols+` FROM tenants WHERE id = ?`+lock, id).Scan(dest...)
	if err != nil {
		return nil, classify("tenant", err)
	}
	t.CreatedAt = fromUnix(created)
	return &t, nil
}

// SerializeTenant makes the writers of one tenant that hold ShareTenant
// run one at a time from here until their transactions end, so that those
// which count what the tenant holds after writing cannot overshoot its
// limits together. On PostgreSQL it is an advisory lock keyed by the
// tenant's id negated (the migrations' lock is a positive key); SQLite's
// single writer serialises them already. It never waits for a row lock,
// so a limit change queued on the tenant's row cannot close a cycle.
func (tx *Tx) SerializeTenant(ctx context.Context, id int64) error {
	if tx.dialect != Postgres {
		return nil
	}
	_, err := tx.exec(ctx, "tenant", `SELECT pg_advisory_xact_lock(?)`, -id)
	return err
}

// SetTenantLimits replaces a tenant's limits.
func (tx *Tx) SetTenantLimits(ctx context.Context, id int64, l sb.TenantLimits, now time.Time) error {
	return tx.updateOne(ctx, "tenant", `UPDATE tenants SET plan = ?, max_domains = ?, max_mailboxes = ?, max_quota_bytes = ?,
		default_quota_bytes = ?, updated_at = ? WHERE id = ?`,
		l.Plan, l.MaxDomains, l.MaxMailboxes, l.MaxQuotaBytes, l.DefaultQuotaBytes, unix(now), id)
}

// TenantUsage counts what a tenant holds. The mailbox count comes from the
// domains' users_count (kept by triggers); the quota sum reads the
// tenant's accounts, so it is asked for only when needed (withQuota).
func (tx *Tx) TenantUsage(ctx context.Context, id int64, withQuota bool) (*sb.TenantUsage, error) {
	var u sb.TenantUsage
	err := tx.queryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(users_count), 0) FROM domains WHERE tenant_id = ?`, id).
		Scan(&u.Domains, &u.Mailboxes)
	if err != nil {
		return nil, classify("tenant usage", err)
	}
	if !withQuota {
		return &u, nil
	}
	err = tx.queryRow(ctx, `SELECT COALESCE(SUM(a.quota_bytes), 0), COALESCE(SUM(CASE WHEN a.quota_bytes = 0 THEN 1 ELSE 0 END), 0)
		FROM accounts a JOIN domains d ON d.id = a.domain_id WHERE d.tenant_id = ?`, id).Scan(&u.QuotaBytes, &u.Unlimited)
	if err != nil {
		return nil, classify("tenant usage", err)
	}
	return &u, nil
}

// SetAccountQuota replaces a mailbox's quota.
func (tx *Tx) SetAccountQuota(ctx context.Context, id int64, q sb.MailboxQuota, now time.Time) error {
	return tx.updateOne(ctx, "account", `UPDATE accounts SET quota_bytes = ?, quota_messages = ?, quota_plan = ?,
		quota_extra_bytes = ?, updated_at = ? WHERE id = ?`, q.Bytes, q.Messages, q.Plan, q.ExtraBytes, unix(now), id)
}
