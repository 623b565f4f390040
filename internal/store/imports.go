package store

import (
	"context"
	"time"
)

// TakeImportLease takes the import lease key for owner until the given
// time, unless another owner holds it past now; it reports whether it did.
func (tx *Tx) TakeImportLease(ctx context.Context, key, owner string, now, until time.Time) (bool, error) {
	res, err := tx.exec(ctx, "take import lease", `INSERT INTO import_leases (lease_key, owner, lease_until) VALUES (?, ?, ?)
		ON CONFLICT (lease_key) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
		WHERE import_leases.lease_until < ? OR import_leases.owner = excluded.owner`, key, owner, unix(until), unix(now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, classify("take import lease", err)
}

// RenewImportLease moves the end of owner's lease on; it reports whether
// owner still held it.
func (tx *Tx) RenewImportLease(ctx context.Context, key, owner string, until time.Time) (bool, error) {
	res, err := tx.exec(ctx, "renew import lease", `UPDATE import_leases SET lease_until = ? WHERE lease_key = ? AND owner = ?`,
		unix(until), key, owner)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, classify("renew import lease", err)
}

// ReleaseImportLease gives owner's lease up.
func (tx *Tx) ReleaseImportLease(ctx context.Context, key, owner string) error {
	_, err := tx.exec(ctx, "release import lease", `DELETE FROM import_leases WHERE lease_key = ? AND owner = ?`, key, owner)
	return err
}

// LiveImportOwners returns the owners of the import leases held past now.
func (tx *Tx) LiveImportOwners(ctx context.Context, now time.Time) (map[string]bool, error) {
	rows, err := tx.query(ctx, "import leases", `SELECT owner FROM import_leases WHERE lease_until >= ?`, unix(now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			return nil, classify("import leases", err)
		}
		out[o] = true
	}
	return out, classify("import leases", rows.Err())
}
