package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	sb "github.com/switchboard/switchboard"
)

const accountColumns = `id, domain_id, local, email, active, created_at, updated_at,
	COALESCE(contact_email, ''), COALESCE(phone, ''), activated, admin, provisioned,
	ha1_md5 IS NOT NULL, ha1_sha256 IS NOT NULL, first_name, last_name, forwards, inboxsave, ` + quotaColumns

// Credentials are what a password becomes: the argon2id hash and the SIP
// digest HA1s of the algorithms it was set with ("" for none). They are
// always written together.
type Credentials struct {
	Hash      string
	HA1MD5    string
	HA1SHA256 string
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// accountScan is what an account row is scanned into: one per list, so that
// a page of rows allocates nothing per row for the scan itself (a new
// account and its destinations each row were a sixth of a page's time).
type accountScan struct {
	a                sb.Account
	created, updated int64
	md5, sha         bool
	forwards         string
	dest             []any
}

func newAccountScan(extra ...any) *accountScan {
	s := &accountScan{}
	a := &s.a
	s.dest = append([]any{&a.ID, &a.DomainID, &a.Local, &a.Email, &a.Active, &s.created, &s.updated,
		&a.ContactEmail, &a.Phone, &a.Activated, &a.Admin, &a.Provisioned, &s.md5, &s.sha,
		&a.FirstName, &a.LastName, &s.forwards, &a.InboxSave,
		&a.Quota.Bytes, &a.Quota.Messages, &a.Quota.Plan, &a.Quota.ExtraBytes, &a.QuotaUsed.Bytes, &a.QuotaUsed.Messages}, extra...)
	return s
}

// scan reads one row into a new account.
func (s *accountScan) scan(row rowScanner) (sb.Account, error) {
	s.a = sb.Account{}
	if err := row.Scan(s.dest...); err != nil {
		return sb.Account{}, err
	}
	a := s.a
	if s.forwards != "" {
		a.Forwards = strings.Split(s.forwards, ",")
	}
	a.CreatedAt, a.UpdatedAt = fromUnix(s.created), fromUnix(s.updated)
	if s.md5 {
		a.Algorithms = append(a.Algorithms, "MD5")
	}
	if s.sha {
		a.Algorithms = append(a.Algorithms, "SHA-256")
	}
	return a, nil
}

// collectAccounts reads every account row of rows, and closes them.
func collectAccounts(rows *sql.Rows, what string) ([]sb.Account, error) {
	var out []sb.Account
	sc := newAccountScan()
	err := each(rows, what, func(r *sql.Rows) error {
		a, err := sc.scan(r)
		if err == nil {
			out = append(out, a)
		}
		return err
	})
	return out, err
}

// accountScans keeps the destinations of one-row account reads
// (scanAccount) from one read to the next: made for each read, they were
// two allocations and 700 bytes of every API-key request.
var accountScans = sync.Pool{New: func() any { return newAccountScan() }}

// scanAccount reads one account row; extra are the row's further columns.
func scanAccount(row rowScanner, extra ...any) (*sb.Account, error) {
	sc := accountScans.Get().(*accountScan)
	n := len(sc.dest)
	sc.dest = append(sc.dest, extra...)
	a, err := sc.scan(row)
	clear(sc.dest[n:]) // the caller's destinations are not kept
	sc.dest = sc.dest[:n]
	sc.a, sc.forwards = sb.Account{}, ""
	accountScans.Put(sc)
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// CreateAccount inserts an account, its mailbox profile (names, forwards,
// inboxsave) and its credentials in one statement, and sets its id.
// An address that is already an account or an alias is ECONFLICT. The
// service creates through CreateAccountAudited, which records the creation
// with it; both come to createAccount, the one place that keeps mailboxes
// off alias addresses.
func (tx *Tx) CreateAccount(ctx context.Context, a *sb.Account, c Credentials) error {
	return tx.createAccount(ctx, a, c, nil)
}

// AuditRow is a row of the audit log, written with the change it records.
type AuditRow struct {
	At                    time.Time
	Actor, Action, Object string
}

// CreateAccountAudited is CreateAccount that also writes audit, as Audit
// does: on PostgreSQL by the INSERT's own statement (a data-modifying WITH,
// one round trip fewer), on SQLite by a statement after it.
func (tx *Tx) CreateAccountAudited(ctx context.Context, a *sb.Account, c Credentials, audit AuditRow) error {
	return tx.createAccount(ctx, a, c, &audit)
}

func (tx *Tx) createAccount(ctx context.Context, a *sb.Account, c Credentials, audit *AuditRow) error {
	if err := tx.lockAddresses(ctx, a.DomainID); err != nil {
		return err
	}
	// The INSERT checks the aliases itself: one statement fewer under the
	// domain's lock (taken by its own statement before, so that the check
	// reads after the lock, as a separate SELECT did).
	insert := `INSERT INTO accounts (domain_id, local, email, password_hash, ha1_md5, ha1_sha256, active,
			contact_email, phone, activated, admin, created_at, updated_at,
			quota_bytes, quota_messages, quota_plan, quota_extra_bytes, first_name, last_name, forwards, inboxsave)
		SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
		WHERE NOT EXISTS (SELECT 1 FROM aliases WHERE email = ?) RETURNING id`
	args := []any{a.DomainID, a.Local, a.Email, c.Hash, nullable(c.HA1MD5), nullable(c.HA1SHA256), a.Active,
		nullable(a.ContactEmail), nullable(a.Phone), a.Activated, a.Admin, unix(a.CreatedAt), unix(a.UpdatedAt),
		a.Quota.Bytes, a.Quota.Messages, a.Quota.Plan, a.Quota.ExtraBytes,
		a.FirstName, a.LastName, strings.Join(a.Forwards, ","), a.InboxSave, a.Email}
	together := audit != nil && tx.dialect == Postgres
	if together { // the audit row only if the account was written
		insert = `WITH a AS (` + insert + `),
			l AS (INSERT INTO audit_log (at, actor, action, object) SELECT ?, ?, ?, ? FROM a)
			SELECT id FROM a`
		args = append(args, unix(audit.At), audit.Actor, audit.Action, audit.Object)
	}
	err := tx.queryRow(ctx, insert, args...).Scan(&a.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return &sb.Error{Code: sb.ECONFLICT, Field: "email", Message: "address " + a.Email + " is already an alias", Err: ErrAddressIsAlias}
	}
	if err != nil {
		return classify("account "+a.Email, err)
	}
	if audit != nil && !together {
		return tx.Audit(ctx, audit.At, audit.Actor, audit.Action, audit.Object)
	}
	return nil
}

// AccountByID returns an account.
func (tx *Tx) AccountByID(ctx context.Context, id int64) (*sb.Account, error) {
	a, err := scanAccount(tx.queryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = ?`, id))
	return a, classify("account", err)
}

// AccountByEmail returns an account and its password hash.
func (tx *Tx) AccountByEmail(ctx context.Context, email string) (*sb.Account, string, error) {
	var hash string
	a, err := scanAccount(tx.queryRow(ctx, `SELECT `+accountColumns+`, password_hash FROM accounts WHERE email = ?`, email), &hash)
	if err != nil {
		return nil, "", classify("account", err)
	}
	return a, hash, nil
}

// AccountCredentials returns an account with all its credentials.
func (tx *Tx) AccountCredentials(ctx context.Context, email string) (*sb.Account, Credentials, error) {
	var c Credentials
	a, err := scanAccount(tx.queryRow(ctx, `SELECT `+accountColumns+`, password_hash, COALESCE(ha1_md5, ''), COALESCE(ha1_sha256, '')
		FROM accounts WHERE email = ?`, email), &c.Hash, &c.HA1MD5, &c.HA1SHA256)
	if err != nil {
		return nil, c, classify("account", err)
	}
	return a, c, nil
}

// EachAccount calls fn for the accounts of a domain in id order, one keyset
// page, reading them in chunks (see eachChunk).
func (tx *Tx) EachAccount(ctx context.Context, domainID int64, page sb.Page, fn func(sb.Account) error) error {
	return eachChunk(ctx, tx, "list accounts", page, func(after int64, limit int) (string, []any) {
		return `SELECT ` + accountColumns + ` FROM accounts WHERE domain_id = ? AND id > ? ORDER BY id LIMIT ?`,
			[]any{domainID, after, limit}
	}, newAccountScan().scan, func(a sb.Account) int64 { return a.ID }, fn)
}

// EachMailboxUsage calls fn, as EachAccount does, for the mailboxes of a
// domain in id order, one keyset page; it reads 9 columns a row where
// EachAccount reads 24.
func (tx *Tx) EachMailboxUsage(ctx context.Context, domainID int64, page sb.Page, fn func(sb.MailboxUsage) error) error {
	var u sb.MailboxUsage
	dest := []any{&u.ID, &u.DomainID, &u.Email, &u.Quota.Bytes, &u.Quota.Messages, &u.Quota.Plan, &u.Quota.ExtraBytes,
		&u.Used.Bytes, &u.Used.Messages}
	return eachChunk(ctx, tx, "list mailboxes", page, func(after int64, limit int) (string, []any) {
		// The usage comes by a join, not quotaColumns' two subqueries: one
		// probe of quota_usage a row instead of two (PostgreSQL's
		// execution of a page of 100: 0.14 -> 0.09 ms, buffers 406 -> 206).
		return `SELECT a.id, a.domain_id, a.email, a.quota_bytes, a.quota_messages, a.quota_plan, a.quota_extra_bytes,
			COALESCE(q.bytes, 0), COALESCE(q.messages, 0)
			FROM accounts a LEFT JOIN quota_usage q ON q.username = a.email
			WHERE a.domain_id = ? AND a.id > ? ORDER BY a.id LIMIT ?`, []any{domainID, after, limit}
	}, func(row rowScanner) (sb.MailboxUsage, error) {
		u = sb.MailboxUsage{}
		err := row.Scan(dest...)
		return u, err
	}, func(u sb.MailboxUsage) int64 { return u.ID }, fn)
}

// SetAccountPassword replaces an account's credentials, all together.
func (tx *Tx) SetAccountPassword(ctx context.Context, id int64, c Credentials, now time.Time) error {
	return tx.updateOne(ctx, "account", `UPDATE accounts SET password_hash = ?, ha1_md5 = ?, ha1_sha256 = ?, updated_at = ? WHERE id = ?`,
		c.Hash, nullable(c.HA1MD5), nullable(c.HA1SHA256), unix(now), id)
}

// AccountsPage returns one offset page of a domain's accounts, for APIs that
// number their pages.
func (tx *Tx) AccountsPage(ctx context.Context, domainID int64, offset, limit int) ([]sb.Account, error) {
	rows, err := tx.query(ctx, "list accounts", `SELECT `+accountColumns+` FROM accounts WHERE domain_id = ? ORDER BY id LIMIT ? OFFSET ?`,
		domainID, limit, offset)
	if err != nil {
		return nil, err
	}
	out, err := collectAccounts(rows, "list accounts")
	return out, err
}

// SetAccountFlags sets the SIP activation and admin flags.
func (tx *Tx) SetAccountFlags(ctx context.Context, id int64, activated, admin bool, now time.Time) error {
	return tx.updateOne(ctx, "account", `UPDATE accounts SET activated = ?, admin = ?, updated_at = ? WHERE id = ?`,
		activated, admin, unix(now), id)
}

// SetConfirmationKey sets (or clears, with "") an account's confirmation key.
func (tx *Tx) SetConfirmationKey(ctx context.Context, id int64, key string, expires time.Time) error {
	var exp any
	if !expires.IsZero() {
		exp = unix(expires)
	}
	return tx.updateOne(ctx, "account", `UPDATE accounts SET confirmation_key = ?, confirmation_key_expires = ? WHERE id = ?`,
		nullable(key), exp, id)
}

// AccountConfirmation returns an account's confirmation key and expiry.
func (tx *Tx) AccountConfirmation(ctx context.Context, id int64) (string, time.Time, error) {
	var key sql.NullString
	var exp sql.NullInt64
	err := tx.queryRow(ctx, `SELECT confirmation_key, confirmation_key_expires FROM accounts WHERE id = ?`, id).Scan(&key, &exp)
	if err != nil {
		return "", time.Time{}, classify("account", err)
	}
	var t time.Time
	if exp.Valid {
		t = fromUnix(exp.Int64)
	}
	return key.String, t, nil
}

// DeleteAccount deletes an account.
func (tx *Tx) DeleteAccount(ctx context.Context, id int64) error {
	return tx.updateOne(ctx, "account", `DELETE FROM accounts WHERE id = ?`, id)
}

// BulkAccount is one row for BulkInsertAccounts.
type BulkAccount struct {
	Local, Email string
}

// BulkInsertAccounts inserts many active accounts of one domain sharing one
// password hash; for seeding.
func (tx *Tx) BulkInsertAccounts(ctx context.Context, domainID int64, hash string, now time.Time, rows []BulkAccount) error {
	in := make([]ImportAccount, len(rows))
	for i, r := range rows {
		in[i] = ImportAccount{Local: r.Local, Email: r.Email, Credentials: Credentials{Hash: hash}, Active: true, Activated: true,
			CreatedAt: now, UpdatedAt: now}
	}
	return tx.InsertImportedAccounts(ctx, domainID, in)
}

// EachAccountWithCredentials calls fn for every account of a domain with its
// credentials, in id order, for the domain export, reading them in chunks
// (see eachChunk).
func (tx *Tx) EachAccountWithCredentials(ctx context.Context, domainID int64, fn func(sb.Account, Credentials) error) error {
	type row struct {
		a sb.Account
		c Credentials
	}
	return eachChunk(ctx, tx, "export accounts", sb.Page{}, func(after int64, limit int) (string, []any) {
		return `SELECT ` + accountColumns + `, password_hash, COALESCE(ha1_md5, ''), COALESCE(ha1_sha256, '')
			FROM accounts WHERE domain_id = ? AND id > ? ORDER BY id LIMIT ?`, []any{domainID, after, limit}
	}, func() func(rowScanner) (row, error) {
		var c Credentials
		sc := newAccountScan(&c.Hash, &c.HA1MD5, &c.HA1SHA256)
		return func(r rowScanner) (row, error) {
			a, err := sc.scan(r)
			return row{a, c}, err
		}
	}(), func(r row) int64 { return r.a.ID }, func(r row) error { return fn(r.a, r.c) })
}

// ImportAccount is one account restored from an export.
type ImportAccount struct {
	Local, Email         string
	Credentials          Credentials
	Active               bool
	ContactEmail, Phone  string
	Activated, Admin     bool
	Provisioned          bool
	CreatedAt, UpdatedAt time.Time
	// Mailbox is its names and forwarding; nil: none, mail kept.
	Mailbox *MailboxProfile
	Quota   sb.MailboxQuota
}

// InsertImportedAccounts inserts restored accounts in multi-row statements;
// the statement of a full batch is prepared once.
func (tx *Tx) InsertImportedAccounts(ctx context.Context, domainID int64, rows []ImportAccount) error {
	if tx.dialect == Postgres {
		return tx.insertAccountsUnnest(ctx, domainID, rows)
	}
	const per = 500
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	for len(rows) > 0 {
		n := min(per, len(rows))
		q := make([]byte, 0, 64+n*32)
		q = append(q, `INSERT INTO accounts (domain_id, local, email, password_hash, ha1_md5, ha1_sha256, active,
			contact_email, phone, activated, admin, provisioned, created_at, updated_at,
			first_name, last_name, forwards, inboxsave,
			quota_bytes, quota_messages, quota_plan, quota_extra_bytes) VALUES `...)
		args := make([]any, 0, n*22)
		for i, r := range rows[:n] {
			if i > 0 {
				q = append(q, ',')
			}
			q = append(q, "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"...)
			p := MailboxProfile{InboxSave: true}
			if r.Mailbox != nil {
				p = *r.Mailbox
			}
			args = append(args, domainID, r.Local, r.Email, r.Credentials.Hash, nullable(r.Credentials.HA1MD5),
				nullable(r.Credentials.HA1SHA256), r.Active, nullable(r.ContactEmail), nullable(r.Phone),
				r.Activated, r.Admin, r.Provisioned, unix(r.CreatedAt), unix(r.UpdatedAt),
				p.FirstName, p.LastName, strings.Join(p.Forwards, ","), p.InboxSave,
				r.Quota.Bytes, r.Quota.Messages, r.Quota.Plan, r.Quota.ExtraBytes)
		}
		var err error
		switch {
		case n == per && full == nil && len(rows) > n:
			if full, err = tx.prepare(ctx, "import accounts", tx.rebind(string(q))); err != nil {
				return err
			}
			fallthrough
		case n == per && full != nil:
			_, err = full.ExecContext(ctx, args...)
			err = classify("import accounts", err)
		default:
			_, err = tx.exec(ctx, "import accounts", string(q), args...)
		}
		if err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// prefixUpperBound is the least string above every string that starts with
// prefix, in byte order: prefix with its last code point incremented
// (UTF-8 byte order is code point order); false when there is none.
func prefixUpperBound(prefix string) (string, bool) {
	r := []rune(prefix)
	for i := len(r) - 1; i >= 0; i-- {
		switch {
		case r[i] == 0xD7FF:
			r[i] = 0xE000 // skip the surrogates, which UTF-8 cannot hold
		case r[i] < utf8.MaxRune:
			r[i]++
		default:
			continue
		}
		return string(r[:i+1]), true
	}
	return "", false
}
