package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	sb "github.com/switchboard/switchboard"
)

// VacationByAccount returns an account's vacation settings; ENOTFOUND when
// it never had any.
func (tx *Tx) VacationByAccount(ctx context.Context, accountID int64) (*sb.Vacation, error) {
	var v sb.Vacation
	var addrs string
	var updated int64
	err := tx.queryRow(ctx, `SELECT v.account_id, a.email, v.active, v.subject, v.body, v.start_date, v.end_date,
		v.days, v.addresses, v.updated_at FROM vacations v JOIN accounts a ON a.id = v.account_id WHERE v.account_id = ?`,
		accountID).Scan(&v.AccountID, &v.Email, &v.Active, &v.Subject, &v.Body, &v.Start, &v.End, &v.Days, &addrs, &updated)
	if err != nil {
		return nil, classify("vacation", err)
	}
	if addrs != "" {
		v.Addresses = strings.Split(addrs, ",")
	}
	v.UpdatedAt = fromUnix(updated)
	return &v, nil
}

// PutVacation writes an account's vacation settings and the Sieve script
// generated from them, replacing what it had; every write gives the script
// a new id.
func (tx *Tx) PutVacation(ctx context.Context, v *sb.Vacation, script string, now time.Time) error {
	_, err := tx.exec(ctx, "vacation", `INSERT INTO vacations
		(account_id, active, subject, body, start_date, end_date, days, addresses, script, version, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)
		ON CONFLICT (account_id) DO UPDATE SET active = excluded.active, subject = excluded.subject,
			body = excluded.body, start_date = excluded.start_date, end_date = excluded.end_date,
			days = excluded.days, addresses = excluded.addresses, script = excluded.script,
			version = vacations.version + 1, updated_at = excluded.updated_at`,
		v.AccountID, v.Active, v.Subject, v.Body, v.Start, v.End, v.Days, strings.Join(v.Addresses, ","), script, unix(now))
	return err
}

// SieveScript returns what Dovecot's dict lookups find for a user in the
// mail_sieve_scripts view: the id and text of its script of that name;
// ENOTFOUND when it has none (no vacation, or an inactive one).
func (tx *Tx) SieveScript(ctx context.Context, username, name string) (id, script string, err error) {
	err = tx.queryRow(ctx, `SELECT id, script FROM mail_sieve_scripts WHERE username = ? AND name = ?`,
		username, name).Scan(&id, &script)
	return id, script, classify("sieve script", err)
}

// EachVacation calls fn for the vacation settings of a domain's accounts,
// in account order.
func (tx *Tx) EachVacation(ctx context.Context, domainID int64, fn func(sb.Vacation) error) error {
	rows, err := tx.query(ctx, "list vacations", `SELECT v.account_id, a.email, v.active, v.subject, v.body, v.start_date,
		v.end_date, v.days, v.addresses, v.updated_at FROM vacations v JOIN accounts a ON a.id = v.account_id
		WHERE a.domain_id = ? ORDER BY v.account_id`, domainID)
	if err != nil {
		return err
	}
	var list []sb.Vacation
	err = each(rows, "list vacations", func(r *sql.Rows) error {
		var v sb.Vacation
		var addrs string
		var updated int64
		if err := r.Scan(&v.AccountID, &v.Email, &v.Active, &v.Subject, &v.Body, &v.Start, &v.End, &v.Days, &addrs, &updated); err != nil {
			return err
		}
		if addrs != "" {
			v.Addresses = strings.Split(addrs, ",")
		}
		v.UpdatedAt = fromUnix(updated)
		list = append(list, v)
		return nil
	})
	if err != nil {
		return err
	}
	for _, v := range list {
		if err := fn(v); err != nil {
			return err
		}
	}
	return nil
}
