package store

import (
	"context"
	"database/sql"
	"strings"
)

// Address kinds TakenAddresses reports.
const (
	TakenByAccount = "account"
	TakenByAlias   = "alias"
)

// takenChunk is how many addresses one lookup of TakenAddresses asks for.
const takenChunk = 500

// LockAddresses takes the lock of a domain's addresses until the
// transaction ends (see lockAddresses): after it, what TakenAddresses
// reports stays true until the transaction's inserts.
func (tx *Tx) LockAddresses(ctx context.Context, domainID int64) error { return tx.lockAddresses(ctx, domainID) }

// TakenAddresses returns which of emails (normalised addresses) are
// already an account or an alias, and which.
func (tx *Tx) TakenAddresses(ctx context.Context, emails []string) (map[string]string, error) {
	taken := map[string]string{}
	for len(emails) > 0 {
		n := min(takenChunk, len(emails))
		marks := strings.TrimSuffix(strings.Repeat("?,", n), ",")
		args := make([]any, n)
		for i, e := range emails[:n] {
			args[i] = e
		}
		for _, q := range []struct{ table, kind string }{{"accounts", TakenByAccount}, {"aliases", TakenByAlias}} {
			rows, err := tx.query(ctx, "taken addresses", `SELECT email FROM `+q.table+` WHERE email IN (`+marks+`)`, args...)
			if err != nil {
				return nil, err
			}
			err = each(rows, "taken addresses", func(r *sql.Rows) error {
				var e string
				if err := r.Scan(&e); err != nil {
					return err
				}
				taken[e] = q.kind
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
		emails = emails[n:]
	}
	return taken, nil
}

// UpgradePasswordHash replaces an account's password hash by a new hash
// of the same password, unless the hash changed meanwhile (a password
// change won); it reports whether it did. The SIP HA1s and updated_at
// stay: the password is the same.
func (tx *Tx) UpgradePasswordHash(ctx context.Context, id int64, old, hash string) (bool, error) {
	res, err := tx.exec(ctx, "upgrade password hash", `UPDATE accounts SET password_hash = ? WHERE id = ? AND password_hash = ?`,
		hash, id, old)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, classify("upgrade password hash", err)
}
