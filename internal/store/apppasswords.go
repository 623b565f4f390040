package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	sb "github.com/switchboard/switchboard"
)

// NewAppPassword is an app password row to insert: the hash of the whole
// password and its public handle (the password's first characters).
type NewAppPassword struct {
	AccountID int64
	Handle    string
	Name      string
	Protocols []string // empty: every protocol
	Hash      string
}

// CreateAppPassword stores an app password and returns its id. A handle
// already taken is ECONFLICT.
func (tx *Tx) CreateAppPassword(ctx context.Context, in NewAppPassword, now time.Time) (int64, error) {
	var id int64
	err := tx.queryRow(ctx, `INSERT INTO app_passwords (account_id, handle, name, protocols, password_hash, created_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		in.AccountID, in.Handle, in.Name, strings.Join(in.Protocols, ","), in.Hash, unix(now)).Scan(&id)
	return id, classify("app password", err)
}

const appPasswordColumns = `p.id, p.account_id, a.email, p.name, p.protocols, p.created_at`

func scanAppPassword(r interface{ Scan(...any) error }) (sb.AppPassword, error) {
	var p sb.AppPassword
	var protocols string
	var created int64
	if err := r.Scan(&p.ID, &p.AccountID, &p.Email, &p.Name, &protocols, &created); err != nil {
		return p, err
	}
	if protocols != "" {
		p.Protocols = strings.Split(protocols, ",")
	}
	p.CreatedAt = fromUnix(created)
	return p, nil
}

// AppPasswords lists an account's app passwords in creation order.
func (tx *Tx) AppPasswords(ctx context.Context, accountID int64) ([]sb.AppPassword, error) {
	rows, err := tx.query(ctx, "list app passwords", `SELECT `+appPasswordColumns+`
		FROM app_passwords p JOIN accounts a ON a.id = p.account_id
		WHERE p.account_id = ? ORDER BY p.id`, accountID)
	if err != nil {
		return nil, err
	}
	var out []sb.AppPassword
	err = each(rows, "list app passwords", func(r *sql.Rows) error {
		p, err := scanAppPassword(r)
		if err == nil {
			out = append(out, p)
		}
		return err
	})
	return out, err
}

// AppPasswordByID returns one app password (ENOTFOUND when there is none).
func (tx *Tx) AppPasswordByID(ctx context.Context, id int64) (sb.AppPassword, error) {
	p, err := scanAppPassword(tx.queryRow(ctx, `SELECT `+appPasswordColumns+`
		FROM app_passwords p JOIN accounts a ON a.id = p.account_id WHERE p.id = ?`, id))
	return p, classify("app password", err)
}

// DeleteAppPassword revokes one app password.
func (tx *Tx) DeleteAppPassword(ctx context.Context, id int64) error {
	return tx.updateOne(ctx, "app password", `DELETE FROM app_passwords WHERE id = ?`, id)
}

// DeleteAccountAppPasswords revokes every app password of an account and
// returns how many there were.
func (tx *Tx) DeleteAccountAppPasswords(ctx context.Context, accountID int64) (int64, error) {
	res, err := tx.exec(ctx, "app passwords", `DELETE FROM app_passwords WHERE account_id = ?`, accountID)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return n, classify("app passwords", err)
}
