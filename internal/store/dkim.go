package store

import (
	"context"
	"database/sql"

	sb "github.com/switchboard/switchboard"
)

const dkimColumns = `k.id, k.domain_id, d.name, k.selector, k.algorithm, k.public_key, k.active, k.created_at`

func scanDKIM(row interface{ Scan(...any) error }, extra ...any) (*sb.DKIMKey, error) {
	var k sb.DKIMKey
	var created int64
	dest := append([]any{&k.ID, &k.DomainID, &k.Domain, &k.Selector, &k.Algorithm, &k.Public, &k.Active, &created}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	k.CreatedAt = fromUnix(created)
	return &k, nil
}

// CreateDKIMKey stores a key with its sealed private part.
func (tx *Tx) CreateDKIMKey(ctx context.Context, k *sb.DKIMKey, sealedPrivate string) error {
	err := tx.queryRow(ctx, `INSERT INTO dkim_keys (domain_id, selector, algorithm, private_key, public_key, active, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		k.DomainID, k.Selector, k.Algorithm, sealedPrivate, k.Public, k.Active, unix(k.CreatedAt)).Scan(&k.ID)
	return classify("DKIM selector "+k.Selector, err)
}

// DKIMKeys lists a domain's keys by selector creation order.
func (tx *Tx) DKIMKeys(ctx context.Context, domainID int64) ([]sb.DKIMKey, error) {
	rows, err := tx.query(ctx, "list DKIM keys", `SELECT `+dkimColumns+` FROM dkim_keys k JOIN domains d ON d.id = k.domain_id
		WHERE k.domain_id = ? ORDER BY k.id`, domainID)
	if err != nil {
		return nil, err
	}
	var out []sb.DKIMKey
	err = each(rows, "list DKIM keys", func(r *sql.Rows) error {
		k, err := scanDKIM(r)
		if err == nil {
			out = append(out, *k)
		}
		return err
	})
	return out, err
}

// DKIMKey returns one key with its sealed private part.
func (tx *Tx) DKIMKey(ctx context.Context, domainID int64, selector string) (*sb.DKIMKey, string, error) {
	var sealed string
	k, err := scanDKIM(tx.queryRow(ctx, `SELECT `+dkimColumns+`, k.private_key FROM dkim_keys k JOIN domains d ON d.id = k.domain_id
		WHERE k.domain_id = ? AND k.selector = ?`, domainID, selector), &sealed)
	if err != nil {
		return nil, "", classify("DKIM key", err)
	}
	return k, sealed, nil
}

// ActivateDKIMKey makes one selector the domain's only active key.
func (tx *Tx) ActivateDKIMKey(ctx context.Context, domainID int64, selector string) error {
	if _, _, err := tx.DKIMKey(ctx, domainID, selector); err != nil {
		return err
	}
	_, err := tx.exec(ctx, "activate DKIM key", `UPDATE dkim_keys SET active = (selector = ?) WHERE domain_id = ?`, selector, domainID)
	return err
}

// DeleteDKIMKey deletes one key.
func (tx *Tx) DeleteDKIMKey(ctx context.Context, domainID int64, selector string) error {
	return tx.updateOne(ctx, "DKIM key", `DELETE FROM dkim_keys WHERE domain_id = ? AND selector = ?`, domainID, selector)
}
