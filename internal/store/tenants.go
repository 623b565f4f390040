package store

import (
	"context"
	"time"

	sb "github.com/switchboard/switchboard"
)

// CreateTenant inserts a tenant and returns its id.
func (tx *Tx) CreateTenant(ctx context.Context, t *sb.Tenant, passwordHash string) error {
	now := unix(t.CreatedAt)
	err := tx.queryRow(ctx, `INSERT INTO tenants (name, password_hash, role, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`, t.Name, passwordHash, t.Role, now, now).Scan(&t.ID)
	return classify("tenant "+t.Name, err)
}

// TenantByName returns a tenant and its password hash.
func (tx *Tx) TenantByName(ctx context.Context, name string) (*sb.Tenant, string, error) {
	var t sb.Tenant
	var hash string
	var created int64
	err := tx.queryRow(ctx, `SELECT id, name, role, created_at, memo, password_hash, `+limitColumns+` FROM tenants WHERE name = ?`, name).
		Scan(append([]any{&t.ID, &t.Name, &t.Role, &created, &t.Memo, &hash}, limitDest(&t.Limits)...)...)
	if err != nil {
		return nil, "", classify("tenant", err)
	}
	t.CreatedAt = fromUnix(created)
	return &t, hash, nil
}

// TenantByID returns a tenant.
func (tx *Tx) TenantByID(ctx context.Context, id int64) (*sb.Tenant, error) {
	var t sb.Tenant
	var created int64
	err := tx.queryRow(ctx, `SELECT id, name, role, created_at, memo, `+limitColumns+` FROM tenants WHERE id = ?`, id).
		Scan(append([]any{&t.ID, &t.Name, &t.Role, &created, &t.Memo}, limitDest(&t.Limits)...)...)
	if err != nil {
		return nil, classify("tenant", err)
	}
	t.CreatedAt = fromUnix(created)
	return &t, nil
}

// ListTenants returns every tenant, ordered by id.
func (tx *Tx) ListTenants(ctx context.Context) ([]sb.Tenant, error) {
	return tx.listTenants(ctx, "", 0)
}

// listTenants returns the tenants whose lower-cased name is LIKE like (""
// for all), ordered by id, at most limit of them (0: all).
func (tx *Tx) listTenants(ctx context.Context, like string, limit int) ([]sb.Tenant, error) {
	q := `SELECT id, name, role, created_at,
		(SELECT COUNT(*) FROM domains d WHERE d.tenant_id = tenants.id), memo, ` + limitColumns + ` FROM tenants`
	var args []any
	if like != "" {
		q += ` WHERE lower(name) LIKE ? ESCAPE '\'`
		args = append(args, like)
	}
	q += ` ORDER BY id`
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := tx.query(ctx, "list tenants", q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []sb.Tenant
	for rows.Next() {
		var t sb.Tenant
		var created int64
		if err := rows.Scan(append([]any{&t.ID, &t.Name, &t.Role, &created, &t.DomainsCount, &t.Memo}, limitDest(&t.Limits)...)...); err != nil {
			return nil, classify("list tenants", err)
		}
		t.CreatedAt = fromUnix(created)
		out = append(out, t)
	}
	return out, classify("list tenants", rows.Err())
}

// SetTenantPassword replaces a tenant's password hash.
func (tx *Tx) SetTenantPassword(ctx context.Context, id int64, hash string, now time.Time) error {
	return tx.updateOne(ctx, "tenant", `UPDATE tenants SET password_hash = ?, updated_at = ? WHERE id = ?`, hash, unix(now), id)
}

// updateOne runs an UPDATE or DELETE that must touch exactly one row.
func (tx *Tx) updateOne(ctx context.Context, what, query string, args ...any) error {
	res, err := tx.exec(ctx, what, query, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return classify(what, err)
	}
	if n != 1 {
		return sb.Errorf(sb.ENOTFOUND, "%s not found", what)
	}
	return nil
}

// Audit records one change in the audit log, in the caller's transaction.
func (tx *Tx) Audit(ctx context.Context, at time.Time, actor, action, object string) error {
	_, err := tx.exec(ctx, "audit", `INSERT INTO audit_log (at, actor, action, object) VALUES (?, ?, ?, ?)`,
		unix(at), actor, action, object)
	return err
}

// AuditEntry is one row of the audit log.
type AuditEntry struct {
	ID     int64
	At     time.Time
	Actor  string
	Action string
	Object string
}

// AuditLog returns the audit rows after the given id, oldest first.
func (tx *Tx) AuditLog(ctx context.Context, after int64, limit int) ([]AuditEntry, error) {
	rows, err := tx.query(ctx, "audit log", `SELECT id, at, actor, action, object FROM audit_log WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Object); err != nil {
			return nil, classify("audit log", err)
		}
		e.At = fromUnix(at)
		out = append(out, e)
	}
	return out, classify("audit log", rows.Err())
}
