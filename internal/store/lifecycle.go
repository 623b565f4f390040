package store

import (
	"context"
	"database/sql"
	"time"

	sb "github.com/switchboard/switchboard"
)

// CountDeviceTokens counts the tokens sent to a device, and how many of
// them are still usable.
func (tx *Tx) CountDeviceTokens(ctx context.Context, prid string, now time.Time) (total, live int64, err error) {
	err = tx.queryRow(ctx, `SELECT count(*), COALESCE(SUM(CASE WHEN used_at IS NULL AND expires_at > ? THEN 1 ELSE 0 END), 0)
		FROM account_creation_tokens WHERE pn_prid = ?`, unix(now), prid).Scan(&total, &live)
	return total, live, classify("device tokens", err)
}

// CreateDeviceToken stores the digest of a token sent to a device.
func (tx *Tx) CreateDeviceToken(ctx context.Context, tokenHash, provider, param, prid string, now, expires time.Time) error {
	_, err := tx.exec(ctx, "device token", `INSERT INTO account_creation_tokens (token_hash, pn_provider, pn_param, pn_prid, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)`, tokenHash, provider, param, prid, unix(now), unix(expires))
	return err
}

// UseDeviceToken consumes an unexpired, unused token; false when there is
// none.
func (tx *Tx) UseDeviceToken(ctx context.Context, tokenHash string, now time.Time) (bool, error) {
	res, err := tx.exec(ctx, "device token", `UPDATE account_creation_tokens SET used_at = ?
		WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?`, unix(now), tokenHash, unix(now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, classify("device token", err)
}

// Code is a pending one-time code.
type Code struct {
	AccountID int64
	Purpose   string
	CodeHash  string
	Target    string // the address or number being confirmed
	Attempts  int
	ExpiresAt time.Time
}

// PutCode stores (or replaces) the pending code of an account and purpose.
func (tx *Tx) PutCode(ctx context.Context, c Code, now time.Time) error {
	_, err := tx.exec(ctx, "code", `INSERT INTO account_codes (account_id, purpose, code_hash, target, attempts, created_at, expires_at)
		VALUES (?, ?, ?, ?, 0, ?, ?)
		ON CONFLICT (account_id, purpose) DO UPDATE SET code_hash = excluded.code_hash, target = excluded.target,
			attempts = 0, created_at = excluded.created_at, expires_at = excluded.expires_at`,
		c.AccountID, c.Purpose, c.CodeHash, c.Target, unix(now), unix(c.ExpiresAt))
	return err
}

// PendingCode returns the unexpired code of an account and purpose.
func (tx *Tx) PendingCode(ctx context.Context, accountID int64, purpose string, now time.Time) (*Code, error) {
	c := Code{AccountID: accountID, Purpose: purpose}
	var exp int64
	err := tx.queryRow(ctx, `SELECT code_hash, target, attempts, expires_at FROM account_codes
		WHERE account_id = ? AND purpose = ? AND expires_at > ?`, accountID, purpose, unix(now)).Scan(&c.CodeHash, &c.Target, &c.Attempts, &exp)
	if err != nil {
		return nil, classify("code", err)
	}
	c.ExpiresAt = fromUnix(exp)
	return &c, nil
}

// CountCodeAttempt records a wrong guess.
func (tx *Tx) CountCodeAttempt(ctx context.Context, accountID int64, purpose string) error {
	_, err := tx.exec(ctx, "code", `UPDATE account_codes SET attempts = attempts + 1 WHERE account_id = ? AND purpose = ?`, accountID, purpose)
	return err
}

// DeleteCode retires a code.
func (tx *Tx) DeleteCode(ctx context.Context, accountID int64, purpose string) error {
	_, err := tx.exec(ctx, "code", `DELETE FROM account_codes WHERE account_id = ? AND purpose = ?`, accountID, purpose)
	return err
}

// SetAccountContact sets the contact email and phone.
func (tx *Tx) SetAccountContact(ctx context.Context, id int64, email, phone string, now time.Time) error {
	return tx.updateOne(ctx, "account", `UPDATE accounts SET contact_email = ?, phone = ?, updated_at = ? WHERE id = ?`,
		nullable(email), nullable(phone), unix(now), id)
}

// AccountByConfirmationKey returns the account holding a confirmation key,
// with its credentials and the key's expiry.
func (tx *Tx) AccountByConfirmationKey(ctx context.Context, key string) (*sb.Account, Credentials, time.Time, error) {
	var c Credentials
	var exp sql.NullInt64
	a, err := scanAccount(tx.queryRow(ctx, `SELECT `+accountColumns+`, password_hash, COALESCE(ha1_md5, ''), COALESCE(ha1_sha256, ''),
		confirmation_key_expires FROM accounts WHERE confirmation_key = ?`, key), &c.Hash, &c.HA1MD5, &c.HA1SHA256, &exp)
	if err != nil {
		return nil, c, time.Time{}, classify("account", err)
	}
	var t time.Time
	if exp.Valid {
		t = fromUnix(exp.Int64)
	}
	return a, c, t, nil
}

// RecordProvisionedKey remembers, by its keyed digest, a confirmation key
// that has just provisioned its account.
func (tx *Tx) RecordProvisionedKey(ctx context.Context, accountID int64, keyHash string, now time.Time) error {
	_, err := tx.exec(ctx, "provisioned key", `INSERT INTO provisioned_keys (key_hash, account_id, used_at) VALUES (?, ?, ?)`,
		keyHash, accountID, unix(now))
	return err
}

// ProvisionedKeyAccount returns the account a used confirmation key (by
// its keyed digest) provisioned, or ENOTFOUND.
func (tx *Tx) ProvisionedKeyAccount(ctx context.Context, keyHash string) (*sb.Account, error) {
	a, err := scanAccount(tx.queryRow(ctx, `SELECT `+accountColumns+` FROM accounts
		WHERE id = (SELECT account_id FROM provisioned_keys WHERE key_hash = ?)`, keyHash))
	return a, classify("account", err)
}

// MarkProvisioned records the first provisioning of an account and retires
// its confirmation key; false if another request did it first.
func (tx *Tx) MarkProvisioned(ctx context.Context, id int64, key string, now time.Time) (bool, error) {
	res, err := tx.exec(ctx, "account", `UPDATE accounts SET provisioned = TRUE, confirmation_key = NULL, updated_at = ?
		WHERE id = ? AND confirmation_key = ?`, unix(now), id, key)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, classify("account", err)
}

// ReprovisionAccount gives an account a new confirmation key, replacing
// any other, and marks it not provisioned, so that the key provisions one
// device again.
func (tx *Tx) ReprovisionAccount(ctx context.Context, id int64, key string, expires, now time.Time) error {
	var exp any
	if !expires.IsZero() {
		exp = unix(expires)
	}
	return tx.updateOne(ctx, "account", `UPDATE accounts SET confirmation_key = ?, confirmation_key_expires = ?,
		provisioned = FALSE, updated_at = ? WHERE id = ?`, key, exp, unix(now), id)
}
