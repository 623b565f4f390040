package store

import (
	"context"
	"database/sql"
	"time"

	sb "github.com/switchboard/switchboard"
)

const accountColumns = `id, domain_id, local, email, active, created_at, updated_at`

func scanAccount(row interface{ Scan(...any) error }) (*sb.Account, error) {
	var a sb.Account
	var created, updated int64
	if err := row.Scan(&a.ID, &a.DomainID, &a.Local, &a.Email, &a.Active, &created, &updated); err != nil {
		return nil, err
	}
	a.CreatedAt, a.UpdatedAt = fromUnix(created), fromUnix(updated)
	return &a, nil
}

// CreateAccount inserts an account and sets its id.
func (tx *Tx) CreateAccount(ctx context.Context, a *sb.Account, passwordHash string) error {
	err := tx.queryRow(ctx, `INSERT INTO accounts (domain_id, local, email, password_hash, active, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		a.DomainID, a.Local, a.Email, passwordHash, a.Active, unix(a.CreatedAt), unix(a.UpdatedAt)).Scan(&a.ID)
	return classify("account "+a.Email, err)
}

// AccountByID returns an account.
func (tx *Tx) AccountByID(ctx context.Context, id int64) (*sb.Account, error) {
	a, err := scanAccount(tx.queryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = ?`, id))
	return a, classify("account", err)
}

// AccountByEmail returns an account and its password hash.
func (tx *Tx) AccountByEmail(ctx context.Context, email string) (*sb.Account, string, error) {
	var hash string
	var a sb.Account
	var created, updated int64
	err := tx.queryRow(ctx, `SELECT `+accountColumns+`, password_hash FROM accounts WHERE email = ?`, email).
		Scan(&a.ID, &a.DomainID, &a.Local, &a.Email, &a.Active, &created, &updated, &hash)
	if err != nil {
		return nil, "", classify("account", err)
	}
	a.CreatedAt, a.UpdatedAt = fromUnix(created), fromUnix(updated)
	return &a, hash, nil
}

// EachAccount streams the accounts of a domain in id order, one keyset page.
func (tx *Tx) EachAccount(ctx context.Context, domainID int64, page sb.Page, fn func(sb.Account) error) error {
	q := `SELECT ` + accountColumns + ` FROM accounts WHERE domain_id = ? AND id > ? ORDER BY id`
	args := []any{domainID, page.After}
	if page.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, page.Limit)
	}
	rows, err := tx.query(ctx, "list accounts", q, args...)
	if err != nil {
		return err
	}
	return each(rows, "list accounts", func(r *sql.Rows) error {
		a, err := scanAccount(r)
		if err != nil {
			return err
		}
		return fn(*a)
	})
}

// SetAccountPassword replaces an account's password hash.
func (tx *Tx) SetAccountPassword(ctx context.Context, id int64, hash string, now time.Time) error {
	return tx.updateOne(ctx, "account", `UPDATE accounts SET password_hash = ?, updated_at = ? WHERE id = ?`, hash, unix(now), id)
}

// DeleteAccount deletes an account.
func (tx *Tx) DeleteAccount(ctx context.Context, id int64) error {
	return tx.updateOne(ctx, "account", `DELETE FROM accounts WHERE id = ?`, id)
}

// BulkAccount is one row for BulkInsertAccounts.
type BulkAccount struct {
	Local, Email string
}

// BulkInsertAccounts inserts many active accounts of one domain sharing one
// password hash; for seeding.
func (tx *Tx) BulkInsertAccounts(ctx context.Context, domainID int64, hash string, now time.Time, rows []BulkAccount) error {
	in := make([]ImportAccount, len(rows))
	for i, r := range rows {
		in[i] = ImportAccount{Local: r.Local, Email: r.Email, PasswordHash: hash, Active: true, CreatedAt: now, UpdatedAt: now}
	}
	return tx.InsertImportedAccounts(ctx, domainID, in)
}

// EachAccountWithHash streams every account of a domain with its password
// hash, in id order, for the domain export.
func (tx *Tx) EachAccountWithHash(ctx context.Context, domainID int64, fn func(sb.Account, string) error) error {
	rows, err := tx.query(ctx, "export accounts", `SELECT `+accountColumns+`, password_hash FROM accounts WHERE domain_id = ? ORDER BY id`, domainID)
	if err != nil {
		return err
	}
	return each(rows, "export accounts", func(r *sql.Rows) error {
		var hash string
		var a sb.Account
		var created, updated int64
		if err := r.Scan(&a.ID, &a.DomainID, &a.Local, &a.Email, &a.Active, &created, &updated, &hash); err != nil {
			return err
		}
		a.CreatedAt, a.UpdatedAt = fromUnix(created), fromUnix(updated)
		return fn(a, hash)
	})
}

// ImportAccount is one account restored from an export.
type ImportAccount struct {
	Local, Email, PasswordHash string
	Active                     bool
	CreatedAt, UpdatedAt       time.Time
}

// InsertImportedAccounts inserts restored accounts in multi-row statements.
func (tx *Tx) InsertImportedAccounts(ctx context.Context, domainID int64, rows []ImportAccount) error {
	const per = 500
	for len(rows) > 0 {
		n := min(per, len(rows))
		q := make([]byte, 0, 64+n*32)
		q = append(q, "INSERT INTO accounts (domain_id, local, email, password_hash, active, created_at, updated_at) VALUES "...)
		args := make([]any, 0, n*7)
		for i, r := range rows[:n] {
			if i > 0 {
				q = append(q, ',')
			}
			q = append(q, "(?, ?, ?, ?, ?, ?, ?)"...)
			args = append(args, domainID, r.Local, r.Email, r.PasswordHash, r.Active, unix(r.CreatedAt), unix(r.UpdatedAt))
		}
		if _, err := tx.exec(ctx, "import accounts", string(q), args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}
