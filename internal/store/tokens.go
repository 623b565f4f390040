package store

import (
	"context"
	"time"

	sb "github.com/switchboard/switchboard"
)

// CreateToken stores the digest of a new auth token.
func (tx *Tx) CreateToken(ctx context.Context, tokenHash string, tenantID int64, created, expires time.Time) error {
	_, err := tx.exec(ctx, "auth token", `INSERT INTO auth_tokens (token_hash, tenant_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		tokenHash, tenantID, unix(created), unix(expires))
	return err
}

// TokenTenant returns the tenant holding an unexpired token.
func (tx *Tx) TokenTenant(ctx context.Context, tokenHash string, now time.Time) (*sb.Tenant, error) {
	var t sb.Tenant
	var created int64
	err := tx.queryRow(ctx, `SELECT t.id, t.name, t.role, t.created_at FROM auth_tokens k
		JOIN tenants t ON t.id = k.tenant_id WHERE k.token_hash = ? AND k.expires_at > ?`, tokenHash, unix(now)).
		Scan(&t.ID, &t.Name, &t.Role, &created)
	if err != nil {
		return nil, classify("auth token", err)
	}
	t.CreatedAt = fromUnix(created)
	return &t, nil
}

// DeleteToken revokes a token.
func (tx *Tx) DeleteToken(ctx context.Context, tokenHash string) error {
	_, err := tx.exec(ctx, "auth token", `DELETE FROM auth_tokens WHERE token_hash = ?`, tokenHash)
	return err
}

// DeleteExpiredTokens removes tokens past their expiry.
func (tx *Tx) DeleteExpiredTokens(ctx context.Context, now time.Time) (int64, error) {
	res, err := tx.exec(ctx, "expire tokens", `DELETE FROM auth_tokens WHERE expires_at <= ?`, unix(now))
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return n, nil
}
