package store

import (
	"context"
	"database/sql"
	"time"
)

// Login is a stored auth token or JSON-RPC session, known by its digest.
type Login struct {
	Kind      string // "token" or "session"
	Hash      string
	TenantID  int64 // set for tokens and tenant sessions
	AccountID int64 // set for mailbox sessions
	Level     string
	Expires   time.Time
}

// Logins lists every stored auth token and JSON-RPC session, expired ones
// included: tokens first, each kind in digest order. It loads them all, for
// checks that compare what a store holds (a refused request must not log
// anyone in or out); a session's last use is left out, since using a
// session touches it.
func (tx *Tx) Logins(ctx context.Context) ([]Login, error) {
	rows, err := tx.query(ctx, "list logins", `SELECT 'token', token_hash, tenant_id, 0, '', expires_at FROM auth_tokens
		UNION ALL SELECT 'session', token_hash, COALESCE(tenant_id, 0), COALESCE(account_id, 0), level, expires_at FROM rpc_sessions
		ORDER BY 1 DESC, 2`)
	if err != nil {
		return nil, err
	}
	var out []Login
	err = each(rows, "list logins", func(r *sql.Rows) error {
		var l Login
		var exp int64
		if err := r.Scan(&l.Kind, &l.Hash, &l.TenantID, &l.AccountID, &l.Level, &exp); err != nil {
			return err
		}
		l.Expires = fromUnix(exp)
		out = append(out, l)
		return nil
	})
	return out, err
}
