package store

import (
	"context"
	"database/sql"
	"time"
)

// Session is a stored JSON-RPC session.
type Session struct {
	TenantID  int64 // set for tenant sessions
	AccountID int64 // set for mailbox sessions
	Level     string
	LastSeen  time.Time
	Expires   time.Time
	// The tenant of a tenant session, read with it by SessionByHash
	// ("" when the tenant is gone).
	TenantName, TenantRole string
}

// CreateSession stores the digest of a new session token.
func (tx *Tx) CreateSession(ctx context.Context, tokenHash string, s Session, now time.Time) error {
	var tenant, account any
	if s.TenantID != 0 {
		tenant = s.TenantID
	}
	if s.AccountID != 0 {
		account = s.AccountID
	}
	_, err := tx.exec(ctx, "session", `INSERT INTO rpc_sessions (token_hash, tenant_id, account_id, level, created_at, last_seen_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, tokenHash, tenant, account, s.Level, unix(now), unix(now), unix(s.Expires))
	return err
}

// SessionByHash returns a session that has not reached its absolute expiry,
// with its tenant's name and role for a tenant session (one read, not
// two, on every JSON-RPC call); the caller checks the idle timeout against
// LastSeen.
func (tx *Tx) SessionByHash(ctx context.Context, tokenHash string, now time.Time) (*Session, error) {
	var s Session
	var tenant, account sql.NullInt64
	var seen, exp int64
	err := tx.queryRow(ctx, `SELECT s.tenant_id, s.account_id, s.level, s.last_seen_at, s.expires_at,
			COALESCE(t.name, ''), COALESCE(t.role, '')
		FROM rpc_sessions s LEFT JOIN tenants t ON t.id = s.tenant_id
		WHERE s.token_hash = ? AND s.expires_at > ?`, tokenHash, unix(now)).
		Scan(&tenant, &account, &s.Level, &seen, &exp, &s.TenantName, &s.TenantRole)
	if err != nil {
		return nil, classify("session", err)
	}
	s.TenantID, s.AccountID = tenant.Int64, account.Int64
	s.LastSeen, s.Expires = fromUnix(seen), fromUnix(exp)
	return &s, nil
}

// TouchSession records activity on a session.
func (tx *Tx) TouchSession(ctx context.Context, tokenHash string, now time.Time) error {
	_, err := tx.exec(ctx, "session", `UPDATE rpc_sessions SET last_seen_at = ? WHERE token_hash = ?`, unix(now), tokenHash)
	return err
}

// DeleteSession ends a session.
func (tx *Tx) DeleteSession(ctx context.Context, tokenHash string) error {
	_, err := tx.exec(ctx, "session", `DELETE FROM rpc_sessions WHERE token_hash = ?`, tokenHash)
	return err
}

// DeleteExpiredSessions removes sessions past their absolute expiry or idle
// for longer than idle.
func (tx *Tx) DeleteExpiredSessions(ctx context.Context, now time.Time, idle time.Duration) error {
	_, err := tx.exec(ctx, "expire sessions", `DELETE FROM rpc_sessions WHERE expires_at <= ? OR last_seen_at <= ?`,
		unix(now), unix(now.Add(-idle)))
	return err
}

// DeleteTenant deletes a tenant that holds no domains.
func (tx *Tx) DeleteTenant(ctx context.Context, id int64) error {
	return tx.updateOne(ctx, "tenant", `DELETE FROM tenants WHERE id = ?`, id)
}

// CountTenantDomains counts the domains a tenant holds.
func (tx *Tx) CountTenantDomains(ctx context.Context, id int64) (int64, error) {
	var n int64
	err := tx.queryRow(ctx, `SELECT count(*) FROM domains WHERE tenant_id = ?`, id).Scan(&n)
	return n, classify("count domains", err)
}

// SetDomainTenant moves a domain to another tenant.
func (tx *Tx) SetDomainTenant(ctx context.Context, domainID, tenantID int64) error {
	return tx.updateOne(ctx, "domain", `UPDATE domains SET tenant_id = ? WHERE id = ?`, tenantID, domainID)
}

// SetAccountActive activates or deactivates an account.
func (tx *Tx) SetAccountActive(ctx context.Context, id int64, active bool, now time.Time) error {
	return tx.updateOne(ctx, "account", `UPDATE accounts SET active = ?, updated_at = ? WHERE id = ?`, active, unix(now), id)
}

// RevokeTenantLogins deletes every auth token and JSON-RPC session of a
// tenant except the one whose digest is keep ("" keeps none).
func (tx *Tx) RevokeTenantLogins(ctx context.Context, tenantID int64, keep string) error {
	if _, err := tx.exec(ctx, "revoke tokens", `DELETE FROM auth_tokens WHERE tenant_id = ? AND token_hash <> ?`, tenantID, keep); err != nil {
		return err
	}
	_, err := tx.exec(ctx, "revoke sessions", `DELETE FROM rpc_sessions WHERE tenant_id = ? AND token_hash <> ?`, tenantID, keep)
	return err
}

// RevokeAccountLogins deletes every JSON-RPC session of an account except
// the one whose digest is keep ("" keeps none).
func (tx *Tx) RevokeAccountLogins(ctx context.Context, accountID int64, keep string) error {
	_, err := tx.exec(ctx, "revoke sessions", `DELETE FROM rpc_sessions WHERE account_id = ? AND token_hash <> ?`, accountID, keep)
	return err
}

// RevokeAccountKeys clears an account's confirmation key and deletes its
// pending codes: nothing issued before can provision, activate or change
// it any more.
func (tx *Tx) RevokeAccountKeys(ctx context.Context, accountID int64) error {
	if _, err := tx.exec(ctx, "revoke keys", `UPDATE accounts SET confirmation_key = NULL, confirmation_key_expires = NULL WHERE id = ?`,
		accountID); err != nil {
		return err
	}
	_, err := tx.exec(ctx, "revoke codes", `DELETE FROM account_codes WHERE account_id = ?`, accountID)
	return err
}
