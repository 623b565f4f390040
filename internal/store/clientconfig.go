package store

import (
	"context"
	"database/sql"
	"time"

	sb "github.com/switchboard/switchboard"
)

// CreateOAuthClient inserts an OAuth client and sets its id.
func (tx *Tx) CreateOAuthClient(ctx context.Context, c *sb.OAuthClient, secretHash string) error {
	err := tx.queryRow(ctx, `INSERT INTO oauth_clients (client_id, secret_hash, tenant_id, created_at)
		VALUES (?, ?, ?, ?) RETURNING id`, c.ClientID, secretHash, c.TenantID, unix(c.CreatedAt)).Scan(&c.ID)
	return classify("oauth client", err)
}

const oauthClientColumns = `c.id, c.client_id, c.tenant_id, t.name, c.created_at`

func scanOAuthClient(row interface{ Scan(...any) error }, extra ...any) (*sb.OAuthClient, error) {
	var c sb.OAuthClient
	var created int64
	if err := row.Scan(append([]any{&c.ID, &c.ClientID, &c.TenantID, &c.TenantName, &created}, extra...)...); err != nil {
		return nil, err
	}
	c.CreatedAt = fromUnix(created)
	return &c, nil
}

// OAuthClientByClientID returns a client and its secret digest.
func (tx *Tx) OAuthClientByClientID(ctx context.Context, clientID string) (*sb.OAuthClient, string, error) {
	var hash string
	c, err := scanOAuthClient(tx.queryRow(ctx, `SELECT `+oauthClientColumns+`, c.secret_hash FROM oauth_clients c
		JOIN tenants t ON t.id = c.tenant_id WHERE c.client_id = ?`, clientID), &hash)
	if err != nil {
		return nil, "", classify("oauth client", err)
	}
	return c, hash, nil
}

// ListOAuthClients returns the clients of a tenant (every client when
// tenantID is 0), ordered by id.
func (tx *Tx) ListOAuthClients(ctx context.Context, tenantID int64) ([]sb.OAuthClient, error) {
	q := `SELECT ` + oauthClientColumns + ` FROM oauth_clients c JOIN tenants t ON t.id = c.tenant_id`
	var args []any
	if tenantID != 0 {
		q += ` WHERE c.tenant_id = ?`
		args = append(args, tenantID)
	}
	rows, err := tx.query(ctx, "list oauth clients", q+` ORDER BY c.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []sb.OAuthClient
	for rows.Next() {
		c, err := scanOAuthClient(rows)
		if err != nil {
			return nil, classify("list oauth clients", err)
		}
		out = append(out, *c)
	}
	return out, classify("list oauth clients", rows.Err())
}

// DeleteOAuthClient deletes a client and, by cascade, its tokens.
func (tx *Tx) DeleteOAuthClient(ctx context.Context, id int64) error {
	return tx.updateOne(ctx, "oauth client", `DELETE FROM oauth_clients WHERE id = ?`, id)
}

// CreateOAuthToken stores the digest of a new bearer token of a client.
func (tx *Tx) CreateOAuthToken(ctx context.Context, tokenHash string, clientID int64, created, expires time.Time) error {
	_, err := tx.exec(ctx, "oauth token", `INSERT INTO oauth_tokens (token_hash, client_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		tokenHash, clientID, unix(created), unix(expires))
	return err
}

// OAuthTokenTenant returns the tenant whose client holds an unexpired
// bearer token.
func (tx *Tx) OAuthTokenTenant(ctx context.Context, tokenHash string, now time.Time) (*sb.Tenant, error) {
	var t sb.Tenant
	var created int64
	err := tx.queryRow(ctx, `SELECT t.id, t.name, t.role, t.created_at FROM oauth_tokens k
		JOIN oauth_clients c ON c.id = k.client_id JOIN tenants t ON t.id = c.tenant_id
		WHERE k.token_hash = ? AND k.expires_at > ?`, tokenHash, unix(now)).
		Scan(&t.ID, &t.Name, &t.Role, &created)
	if err != nil {
		return nil, classify("oauth token", err)
	}
	t.CreatedAt = fromUnix(created)
	return &t, nil
}

// StoredConfig is a client configuration row: its contents stay sealed
// outside the service.
type StoredConfig struct {
	ID           string
	TenantID     int64
	PasswordHash string
	Sealed       string // sealed with the server key (internal/seal)
	CreatedAt    time.Time
	ExpiresAt    time.Time
}

// CreateClientConfig inserts a stored configuration.
func (tx *Tx) CreateClientConfig(ctx context.Context, c *StoredConfig) error {
	_, err := tx.exec(ctx, "client config", `INSERT INTO client_configs (id, tenant_id, password_hash, sealed, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)`, c.ID, c.TenantID, c.PasswordHash, c.Sealed,
		unix(c.CreatedAt), unix(c.ExpiresAt))
	return err
}

// ClientConfig returns a stored configuration that has not expired.
func (tx *Tx) ClientConfig(ctx context.Context, id string, now time.Time) (*StoredConfig, error) {
	var c StoredConfig
	var created, expires int64
	err := tx.queryRow(ctx, `SELECT id, tenant_id, password_hash, sealed, created_at, expires_at FROM client_configs
		WHERE id = ? AND expires_at > ?`, id, unix(now)).
		Scan(&c.ID, &c.TenantID, &c.PasswordHash, &c.Sealed, &created, &expires)
	if err != nil {
		return nil, classify("client config", err)
	}
	c.CreatedAt, c.ExpiresAt = fromUnix(created), fromUnix(expires)
	return &c, nil
}

// DeleteClientConfig deletes a stored configuration.
func (tx *Tx) DeleteClientConfig(ctx context.Context, id string) error {
	return tx.updateOne(ctx, "client config", `DELETE FROM client_configs WHERE id = ?`, id)
}

// DeleteExpiredClientConfigs removes configurations and OAuth tokens past
// their expiry, and returns how many configurations went.
func (tx *Tx) DeleteExpiredClientConfigs(ctx context.Context, now time.Time) (int64, error) {
	if _, err := tx.exec(ctx, "expire oauth tokens", `DELETE FROM oauth_tokens WHERE expires_at <= ?`, unix(now)); err != nil {
		return 0, err
	}
	res, err := tx.exec(ctx, "expire client configs", `DELETE FROM client_configs WHERE expires_at <= ?`, unix(now))
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// ListClientConfigs returns up to limit unexpired configurations of a
// tenant (of every tenant when tenantID is 0), newest first, without their
// contents.
func (tx *Tx) ListClientConfigs(ctx context.Context, tenantID int64, now time.Time, limit int) ([]StoredConfig, error) {
	q := `SELECT id, tenant_id, created_at, expires_at FROM client_configs WHERE expires_at > ?`
	args := []any{unix(now)}
	if tenantID != 0 {
		q += ` AND tenant_id = ?`
		args = append(args, tenantID)
	}
	rows, err := tx.query(ctx, "list client configs", q+` ORDER BY created_at DESC, id LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	var out []StoredConfig
	err = each(rows, "list client configs", func(r *sql.Rows) error {
		var c StoredConfig
		var created, expires int64
		if err := r.Scan(&c.ID, &c.TenantID, &created, &expires); err != nil {
			return err
		}
		c.CreatedAt, c.ExpiresAt = fromUnix(created), fromUnix(expires)
		out = append(out, c)
		return nil
	})
	return out, err
}
