package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	sb "github.com/switchboard/switchboard"
)

const certColumns = `id, hostname, domain_id, source, names, chain_pem, issuer, not_before, not_after`

func scanCert(row interface{ Scan(...any) error }, extra ...any) (*sb.Certificate, error) {
	var c sb.Certificate
	var names string
	var nb, na int64
	dest := append([]any{&c.ID, &c.Hostname, &c.DomainID, &c.Source, &names, &c.ChainPEM, &c.Issuer, &nb, &na}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	c.Names = strings.Fields(names)
	c.NotBefore, c.NotAfter = fromUnix(nb), fromUnix(na)
	return &c, nil
}

// PutCertificate inserts or replaces the certificate of a host name.
func (tx *Tx) PutCertificate(ctx context.Context, c *sb.Certificate, sealedKey string, now time.Time) error {
	err := tx.queryRow(ctx, `INSERT INTO certificates (hostname, domain_id, source, names, chain_pem, private_key, issuer,
			not_before, not_after, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (hostname) DO UPDATE SET domain_id = excluded.domain_id, source = excluded.source,
			names = excluded.names, chain_pem = excluded.chain_pem, private_key = excluded.private_key,
			issuer = excluded.issuer, not_before = excluded.not_before, not_after = excluded.not_after,
			lease_owner = NULL, lease_until = NULL, updated_at = excluded.updated_at
		RETURNING id`,
		c.Hostname, c.DomainID, c.Source, strings.Join(c.Names, " "), c.ChainPEM, sealedKey, c.Issuer,
		unix(c.NotBefore), unix(c.NotAfter), unix(now), unix(now)).Scan(&c.ID)
	return classify("certificate "+c.Hostname, err)
}

// CertificateByHostname returns a certificate and its sealed key.
func (tx *Tx) CertificateByHostname(ctx context.Context, hostname string) (*sb.Certificate, string, error) {
	var sealed string
	c, err := scanCert(tx.queryRow(ctx, `SELECT `+certColumns+`, private_key FROM certificates WHERE hostname = ?`, hostname), &sealed)
	if err != nil {
		return nil, "", classify("certificate", err)
	}
	return c, sealed, nil
}

// EachCertificate calls fn for every certificate (of one domain, or all when
// domainID is 0) with its sealed key, in id order, for the TLS listener, the
// cert directory and the export, reading them in chunks (see eachChunk).
func (tx *Tx) EachCertificate(ctx context.Context, domainID int64, fn func(c sb.Certificate, sealedKey string) error) error {
	type row struct {
		c      sb.Certificate
		sealed string
	}
	return eachChunk(ctx, tx, "list certificates", sb.Page{}, func(after int64, limit int) (string, []any) {
		if domainID != 0 {
			return `SELECT ` + certColumns + `, private_key FROM certificates WHERE domain_id = ? AND id > ? ORDER BY id LIMIT ?`,
				[]any{domainID, after, limit}
		}
		return `SELECT ` + certColumns + `, private_key FROM certificates WHERE id > ? ORDER BY id LIMIT ?`, []any{after, limit}
	}, func(r rowScanner) (row, error) {
		var sealed string
		c, err := scanCert(r, &sealed)
		if err != nil {
			return row{}, err
		}
		return row{*c, sealed}, nil
	}, func(r row) int64 { return r.c.ID }, func(r row) error { return fn(r.c, r.sealed) })
}

// DueCertificates lists ACME certificates expiring before the given time.
func (tx *Tx) DueCertificates(ctx context.Context, before time.Time) ([]sb.Certificate, error) {
	rows, err := tx.query(ctx, "due certificates", `SELECT `+certColumns+` FROM certificates
		WHERE source = 'acme' AND not_after < ? ORDER BY not_after`, unix(before))
	if err != nil {
		return nil, err
	}
	var out []sb.Certificate
	err = each(rows, "due certificates", func(r *sql.Rows) error {
		c, err := scanCert(r)
		if err == nil {
			out = append(out, *c)
		}
		return err
	})
	return out, err
}

// LeaseCertificate takes the renewal lease of a certificate for owner until
// the given time, if nobody else holds it; it reports whether it did. With
// several instances on one database only one renews a given certificate.
func (tx *Tx) LeaseCertificate(ctx context.Context, id int64, owner string, now, until time.Time) (bool, error) {
	res, err := tx.exec(ctx, "lease certificate", `UPDATE certificates SET lease_owner = ?, lease_until = ?
		WHERE id = ? AND (lease_until IS NULL OR lease_until < ? OR lease_owner = ?)`, owner, unix(until), id, unix(now), owner)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, classify("lease certificate", err)
}

// PutChallenge stores an HTTP-01 key authorization.
func (tx *Tx) PutChallenge(ctx context.Context, token, keyAuth string, expires time.Time) error {
	_, err := tx.exec(ctx, "ACME challenge", `INSERT INTO acme_challenges (token, key_auth, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (token) DO UPDATE SET key_auth = excluded.key_auth, expires_at = excluded.expires_at`, token, keyAuth, unix(expires))
	return err
}

// Challenge returns the key authorization of an unexpired token.
func (tx *Tx) Challenge(ctx context.Context, token string, now time.Time) (string, error) {
	var ka string
	err := tx.queryRow(ctx, `SELECT key_auth FROM acme_challenges WHERE token = ? AND expires_at > ?`, token, unix(now)).Scan(&ka)
	return ka, classify("ACME challenge", err)
}

// DeleteChallenge removes a token, and any expired ones with it.
func (tx *Tx) DeleteChallenge(ctx context.Context, token string, now time.Time) error {
	_, err := tx.exec(ctx, "ACME challenge", `DELETE FROM acme_challenges WHERE token = ? OR expires_at <= ?`, token, unix(now))
	return err
}

// ACMEAccountKey returns the sealed account key for a directory.
func (tx *Tx) ACMEAccountKey(ctx context.Context, directory string) (string, error) {
	var k string
	err := tx.queryRow(ctx, `SELECT private_key FROM acme_accounts WHERE directory = ?`, directory).Scan(&k)
	return k, classify("ACME account", err)
}

// PutACMEAccountKey stores the sealed account key of a directory, keeping
// the first one when two instances race.
func (tx *Tx) PutACMEAccountKey(ctx context.Context, directory, email, sealed string, now time.Time) error {
	_, err := tx.exec(ctx, "ACME account", `INSERT INTO acme_accounts (directory, email, private_key, created_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (directory) DO NOTHING`, directory, email, sealed, unix(now))
	return err
}
