package store

import (
	"context"
	"database/sql"

	sb "github.com/switchboard/switchboard"
)

// users_count is kept by triggers (migration 0007).
const domainColumns = `d.id, d.name, d.tenant_id, (SELECT t.name FROM tenants t WHERE t.id = d.tenant_id), d.created_at,
	d.users_count, COALESCE(d.sip_realm, d.name)`

func scanDomain(row interface{ Scan(...any) error }) (*sb.Domain, error) {
	var d sb.Domain
	var created int64
	if err := row.Scan(&d.ID, &d.Name, &d.TenantID, &d.TenantName, &created, &d.UsersCount, &d.Realm); err != nil {
		return nil, err
	}
	d.CreatedAt = fromUnix(created)
	return &d, nil
}

// CreateDomain inserts a domain and sets its id.
func (tx *Tx) CreateDomain(ctx context.Context, d *sb.Domain) error {
	err := tx.queryRow(ctx, `INSERT INTO domains (name, tenant_id, created_at) VALUES (?, ?, ?) RETURNING id`,
		d.Name, d.TenantID, unix(d.CreatedAt)).Scan(&d.ID)
	return classify("domain "+d.Name, err)
}

// DomainByID returns a domain with its account count.
func (tx *Tx) DomainByID(ctx context.Context, id int64) (*sb.Domain, error) {
	d, err := scanDomain(tx.queryRow(ctx, `SELECT `+domainColumns+` FROM domains d WHERE d.id = ?`, id))
	return d, classify("domain", err)
}

// DomainByName returns a domain with its account count.
func (tx *Tx) DomainByName(ctx context.Context, name string) (*sb.Domain, error) {
	d, err := scanDomain(tx.queryRow(ctx, `SELECT `+domainColumns+` FROM domains d WHERE d.name = ?`, name))
	return d, classify("domain", err)
}

// EachDomain streams domains (of one tenant, or all when tenantID is 0) in
// id order, one keyset page.
func (tx *Tx) EachDomain(ctx context.Context, tenantID int64, page sb.Page, fn func(sb.Domain) error) error {
	q := `SELECT ` + domainColumns + ` FROM domains d WHERE d.id > ?`
	args := []any{page.After}
	if tenantID != 0 {
		q += ` AND d.tenant_id = ?`
		args = append(args, tenantID)
	}
	q += ` ORDER BY d.id`
	if page.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, page.Limit)
	}
	rows, err := tx.query(ctx, "list domains", q, args...)
	if err != nil {
		return err
	}
	return each(rows, "list domains", func(r *sql.Rows) error {
		d, err := scanDomain(r)
		if err != nil {
			return err
		}
		return fn(*d)
	})
}

// DeleteDomain deletes a domain; its accounts go with it (ON DELETE CASCADE).
func (tx *Tx) DeleteDomain(ctx context.Context, id int64) error {
	return tx.updateOne(ctx, "domain", `DELETE FROM domains WHERE id = ?`, id)
}

// each runs fn for every row and closes rows.
func each(rows *sql.Rows, what string, fn func(*sql.Rows) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return classify(what, err)
		}
	}
	return classify(what, rows.Err())
}
