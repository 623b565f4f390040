package store

import (
	"context"
	"database/sql"
	"time"

	sb "github.com/switchboard/switchboard"
)

// CreateAPIKey stores the digest of a new API key of an account.
func (tx *Tx) CreateAPIKey(ctx context.Context, keyHash string, accountID int64, name string, now time.Time) (int64, error) {
	var id int64
	err := tx.queryRow(ctx, `INSERT INTO api_keys (key_hash, account_id, name, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
		keyHash, accountID, name, unix(now)).Scan(&id)
	return id, classify("API key", err)
}

// APIKeyAccount returns the account an API key belongs to.
func (tx *Tx) APIKeyAccount(ctx context.Context, keyHash string) (*sb.Account, error) {
	a, err := scanAccount(tx.queryRow(ctx, `SELECT `+accountColumns+` FROM accounts
		WHERE id = (SELECT account_id FROM api_keys WHERE key_hash = ?)`, keyHash))
	return a, classify("API key", err)
}

// TouchAPIKey records a use of a key.
func (tx *Tx) TouchAPIKey(ctx context.Context, keyHash string, now time.Time) error {
	_, err := tx.exec(ctx, "API key", `UPDATE api_keys SET last_used_at = ? WHERE key_hash = ?`, unix(now), keyHash)
	return err
}

const apiKeyColumns = `k.id, k.account_id, a.email, k.name, k.created_at, COALESCE(k.last_used_at, 0)`

func scanAPIKey(r interface{ Scan(...any) error }) (sb.APIKey, error) {
	var k sb.APIKey
	var created, used int64
	if err := r.Scan(&k.ID, &k.AccountID, &k.Email, &k.Name, &created, &used); err != nil {
		return k, err
	}
	k.CreatedAt = fromUnix(created)
	if used != 0 {
		k.LastUsedAt = fromUnix(used)
	}
	return k, nil
}

// APIKeys lists the keys (of one account, or all when accountID is 0).
func (tx *Tx) APIKeys(ctx context.Context, accountID int64) ([]sb.APIKey, error) {
	q := `SELECT ` + apiKeyColumns + ` FROM api_keys k JOIN accounts a ON a.id = k.account_id`
	var args []any
	if accountID != 0 {
		q += ` WHERE k.account_id = ?`
		args = append(args, accountID)
	}
	rows, err := tx.query(ctx, "list API keys", q+` ORDER BY k.id`, args...)
	if err != nil {
		return nil, err
	}
	var out []sb.APIKey
	err = each(rows, "list API keys", func(r *sql.Rows) error {
		k, err := scanAPIKey(r)
		if err == nil {
			out = append(out, k)
		}
		return err
	})
	return out, err
}

// APIKeyByID returns one key (ENOTFOUND when there is none).
func (tx *Tx) APIKeyByID(ctx context.Context, id int64) (sb.APIKey, error) {
	k, err := scanAPIKey(tx.queryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys k JOIN accounts a ON a.id = k.account_id
		WHERE k.id = ?`, id))
	return k, classify("API key", err)
}

// DeleteAPIKey revokes a key.
func (tx *Tx) DeleteAPIKey(ctx context.Context, id int64) error {
	return tx.updateOne(ctx, "API key", `DELETE FROM api_keys WHERE id = ?`, id)
}

// AdvanceNonce records nc for a digest nonce if it is greater than the last
// one seen, and reports whether it was: the replay guard every instance
// shares.
func (tx *Tx) AdvanceNonce(ctx context.Context, nonce string, nc uint64, expires, now time.Time) (bool, error) {
	res, err := tx.exec(ctx, "digest nonce", `INSERT INTO digest_nonces (nonce, nc, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (nonce) DO UPDATE SET nc = excluded.nc WHERE digest_nonces.nc < excluded.nc`, nonce, int64(nc), unix(expires))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, classify("digest nonce", err)
}

// DeleteExpiredNonces forgets nonces past their expiry.
func (tx *Tx) DeleteExpiredNonces(ctx context.Context, now time.Time) error {
	_, err := tx.exec(ctx, "digest nonces", `DELETE FROM digest_nonces WHERE expires_at <= ?`, unix(now))
	return err
}
