package store

import (
	"context"
	"database/sql"
	"fmt"
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
func (tx *Tx) LockAddresses(ctx context.Context, domainID int64) error {
	return tx.lockAddresses(ctx, domainID)
}

// AnalyzeAccounts has PostgreSQL gather the statistics of the accounts
// table again, after a bulk write changed them. Until autovacuum's next
// analysis (a minute or more later), the planner still counts the rows
// from before: for a domain that one import filled with 10,000 mailboxes
// it expected a handful, and a list's page became a scan of the whole
// domain and a sort, 8 ms instead of 0.1 ms. On SQLite it does nothing:
// without statistics its planner takes the (domain_id, id) index for the
// page anyway, and a first ANALYZE would change every plan of the file.
func (s *Store) AnalyzeAccounts(ctx context.Context) error {
	if s.dialect != Postgres {
		return nil
	}
	_, err := s.write.ExecContext(ctx, `ANALYZE accounts`)
	return classify("analyze accounts", err)
}

// TakenAddresses returns which of emails (normalised addresses) are
// already an account or an alias, and which.
func (tx *Tx) TakenAddresses(ctx context.Context, emails []string) (map[string]string, error) {
	taken := map[string]string{}
	for _, q := range []struct{ table, kind string }{{"accounts", TakenByAccount}, {"aliases", TakenByAlias}} {
		if tx.dialect == Postgres {
			// One array parameter: no statement of 500 placeholders to parse.
			rows, err := tx.q.QueryContext(ctx, `SELECT email FROM `+q.table+` WHERE email = ANY($1::text[])`, emails)
			if err != nil {
				return nil, classify("taken addresses", err)
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
			continue
		}
		err := tx.inChunks(ctx, "taken addresses", `SELECT email FROM `+q.table+` WHERE email IN (%s)`, emails, func(r *sql.Rows) error {
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
	return taken, nil
}

// inChunks runs query, whose %s takes a list of placeholders, for
// takenChunk of keys at a time, and calls fn for every row. The statement
// of a full chunk is prepared once: parsing 500 placeholders again for
// each chunk took as long as the lookups.
func (tx *Tx) inChunks(ctx context.Context, what, query string, keys []string, fn func(*sql.Rows) error) error {
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	for len(keys) > 0 {
		n := min(takenChunk, len(keys))
		args := make([]any, n)
		for i, k := range keys[:n] {
			args[i] = k
		}
		text := tx.rebind(fmt.Sprintf(query, strings.TrimSuffix(strings.Repeat("?,", n), ",")))
		var rows *sql.Rows
		var err error
		switch {
		case n == takenChunk && full == nil && len(keys) > n:
			if full, err = tx.prepare(ctx, what, text); err != nil {
				return err
			}
			fallthrough
		case n == takenChunk && full != nil:
			rows, err = full.QueryContext(ctx, args...)
		default:
			rows, err = tx.q.QueryContext(ctx, text, args...)
		}
		if err != nil {
			return classify(what, err)
		}
		if err := each(rows, what, fn); err != nil {
			return err
		}
		keys = keys[n:]
	}
	return nil
}

// prepare prepares a statement (already rebound) on the transaction's
// connection, or on the read pool outside one.
func (tx *Tx) prepare(ctx context.Context, what, query string) (*sql.Stmt, error) {
	p, ok := tx.q.(interface {
		PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
	})
	if !ok {
		return nil, classify(what, fmt.Errorf("%T cannot prepare statements", tx.q))
	}
	st, err := p.PrepareContext(ctx, query)
	return st, classify(what, err)
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

// unnestChunk is how many rows one PostgreSQL statement of
// insertAccountsUnnest writes.
const unnestChunk = 5000

// insertAccountsUnnest is InsertImportedAccounts on PostgreSQL: one
// statement per unnestChunk rows, each column an array parameter, so the
// server parses and plans one short statement instead of a 7,000-parameter
// VALUES list per 500 rows.
func (tx *Tx) insertAccountsUnnest(ctx context.Context, domainID int64, rows []ImportAccount) error {
	const q = `INSERT INTO accounts (domain_id, local, email, password_hash, ha1_md5, ha1_sha256, active,
			contact_email, phone, activated, admin, provisioned, created_at, updated_at,
			first_name, last_name, forwards, inboxsave, quota_bytes, quota_messages, quota_plan, quota_extra_bytes)
		SELECT $1, l, e, h, NULLIF(m, ''), NULLIF(s, ''), a, NULLIF(c, ''), NULLIF(p, ''), ac, ad, pr, cr, up, fn, ln, fw, ib, qb, qm, qp, qx
		FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bool[], $8::text[], $9::text[],
			$10::bool[], $11::bool[], $12::bool[], $13::bigint[], $14::bigint[], $15::text[], $16::text[], $17::text[], $18::bool[],
			$19::bigint[], $20::bigint[], $21::text[], $22::bigint[])
			AS r (l, e, h, m, s, a, c, p, ac, ad, pr, cr, up, fn, ln, fw, ib, qb, qm, qp, qx)`
	for len(rows) > 0 {
		n := min(unnestChunk, len(rows))
		var (
			local, email, hash, md5, sha, contact, phone = make([]string, n), make([]string, n), make([]string, n),
				make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			active, activated, admin, provisioned = make([]bool, n), make([]bool, n), make([]bool, n), make([]bool, n)
			created, updated                      = make([]int64, n), make([]int64, n)
			first, last, forwards                 = make([]string, n), make([]string, n), make([]string, n)
			inboxsave                             = make([]bool, n)
			quotaBytes, quotaMessages, quotaExtra = make([]int64, n), make([]int64, n), make([]int64, n)
			quotaPlan                             = make([]string, n)
		)
		for i, r := range rows[:n] {
			local[i], email[i], hash[i], md5[i], sha[i] = r.Local, r.Email, r.Credentials.Hash, r.Credentials.HA1MD5, r.Credentials.HA1SHA256
			contact[i], phone[i], active[i], activated[i], admin[i], provisioned[i] = r.ContactEmail, r.Phone, r.Active, r.Activated, r.Admin, r.Provisioned
			created[i], updated[i] = unix(r.CreatedAt), unix(r.UpdatedAt)
			p := MailboxProfile{InboxSave: true}
			if r.Mailbox != nil {
				p = *r.Mailbox
			}
			first[i], last[i], forwards[i], inboxsave[i] = p.FirstName, p.LastName, strings.Join(p.Forwards, ","), p.InboxSave
			quotaBytes[i], quotaMessages[i], quotaPlan[i], quotaExtra[i] = r.Quota.Bytes, r.Quota.Messages, r.Quota.Plan, r.Quota.ExtraBytes
		}
		if _, err := tx.q.ExecContext(ctx, q, domainID, local, email, hash, md5, sha, active, contact, phone,
			activated, admin, provisioned, created, updated, first, last, forwards, inboxsave,
			quotaBytes, quotaMessages, quotaPlan, quotaExtra); err != nil {
			return classify("import accounts", err)
		}
		rows = rows[n:]
	}
	return nil
}
