// Package store keeps Switchboard's state in SQLite (embedded default) or
// PostgreSQL, with SQL written by hand, embedded migrations per dialect and
// one transaction per multi-step change.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	sb "github.com/switchboard/switchboard"
)

//go:embed migrations
var migrationsFS embed.FS

// Dialect names a database engine.
type Dialect string

// The supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Store is a handle on the database. Writes go through one connection on
// SQLite (its single-writer model) and reads through a pool; on PostgreSQL
// both share one pool.
type Store struct {
	dialect Dialect
	write   *sql.DB
	read    *sql.DB
	rebound *reboundCache // PostgreSQL's spelling of each query
	cache   *readCache    // SQLite's reads, kept while the database is unchanged
	path    string        // the SQLite file
	dsn     string        // and how it is opened
}

// Open opens the database named by databaseURL, or the embedded SQLite file
// <dataDir>/switchboard.db when databaseURL is empty, and applies migrations.
func Open(ctx context.Context, databaseURL, dataDir string) (*Store, error) {
	s, err := open(databaseURL, dataDir)
	if err != nil {
		return nil, err
	}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("connect to %s database: %w", s.dialect, err)
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if s.dialect == SQLite {
		// After Migrate: the database is in WAL mode and its wal-index
		// file exists.
		s.cache = openReadCache(ctx, s.path, s.dsn)
	}
	return s, nil
}

func open(databaseURL, dataDir string) (*Store, error) {
	switch {
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		db, err := sql.Open("pgx", databaseURL)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		// As many idle as open: with fewer, each burst's connections
		// beyond the idle room are closed as they come back and the next
		// burst forks a new backend for each (TestPoolKeepsItsConnectionsAfterABurst);
		// the idle time below closes them after a quiet spell.
		db.SetMaxOpenConns(20)
		db.SetMaxIdleConns(20)
		db.SetConnMaxIdleTime(5 * time.Minute)
		return &Store{dialect: Postgres, write: db, read: db, rebound: &reboundCache{}}, nil
	case databaseURL == "" || strings.HasPrefix(databaseURL, "sqlite:") || strings.HasPrefix(databaseURL, "file:"):
		path := strings.TrimPrefix(strings.TrimPrefix(databaseURL, "sqlite:"), "file:")
		path = strings.TrimPrefix(path, "//")
		if path == "" {
			if dataDir == "" {
				dataDir = "."
			}
			if err := os.MkdirAll(dataDir, 0o700); err != nil {
				return nil, fmt.Errorf("create data directory: %w", err)
			}
			path = filepath.Join(dataDir, "switchboard.db")
		}
		q := url.Values{}
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "foreign_keys(1)")
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Set("_txlock", "immediate")
		dsn := "file:" + uriPath(path) + "?" + q.Encode()
		write, err := openSQLite(dsn)
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		write.SetMaxOpenConns(1)
		read, err := openSQLite(dsn)
		if err != nil {
			write.Close()
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		read.SetMaxOpenConns(8)
		// Keep every read connection open: database/sql keeps two idle by
		// default, so under load the others were closed and opened again
		// on every burst, each opening reading the schema anew and losing
		// its prepared statements.
		read.SetMaxIdleConns(8)
		return &Store{dialect: SQLite, write: write, read: read, path: path, dsn: dsn}, nil
	default:
		return nil, fmt.Errorf("unsupported database URL scheme (want postgres://, sqlite: or empty for the embedded default)")
	}
}

// uriPath escapes a file path for an SQLite "file:" URI, where '?' and '#'
// would end the path and '%' starts an escape.
func uriPath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
}

// Dialect reports which engine the store runs on.
func (s *Store) Dialect() Dialect { return s.dialect }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.read.PingContext(ctx) }

// Close closes the database.
func (s *Store) Close() error {
	err := errors.Join(s.write.Close(), s.cache.close())
	if s.read != s.write {
		err = errors.Join(err, s.read.Close())
	}
	return err
}

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Tx runs queries, inside a transaction (from InTx) or on the read pool
// (from Read).
type Tx struct {
	q       querier
	dialect Dialect
	rebound *reboundCache
	cache   *readCache // on the SQLite read pool only (see readCache)
}

// InTx runs fn in one transaction, committed when fn returns nil and rolled
// back otherwise.
func (s *Store) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	t, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return sb.Internal(fmt.Errorf("begin transaction: %w", err))
	}
	// A panic (or a test's t.Fatal) in fn must not leave the transaction
	// open: its connection would be gone from the pool with its locks held,
	// SQLite's one writer among them. After Commit, Rollback does nothing.
	defer t.Rollback()
	if err := fn(&Tx{q: t, dialect: s.dialect, rebound: s.rebound}); err != nil {
		return err
	}
	if err := t.Commit(); err != nil {
		return classify("commit", err)
	}
	return nil
}

// ReadTx runs fn in a read-only transaction that sees one snapshot of the
// database (REPEATABLE READ on PostgreSQL, a deferred transaction in WAL
// mode on SQLite), without holding up writers.
func (s *Store) ReadTx(ctx context.Context, fn func(tx *Tx) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if s.dialect == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	t, err := s.read.BeginTx(ctx, opts)
	if err != nil {
		return sb.Internal(fmt.Errorf("begin read transaction: %w", err))
	}
	defer t.Rollback()
	return fn(&Tx{q: t, dialect: s.dialect, rebound: s.rebound})
}

// Read returns a handle for reads outside a transaction.
func (s *Store) Read() *Tx {
	return &Tx{q: s.read, dialect: s.dialect, rebound: s.rebound, cache: s.cache}
}

// ReadCacheStats reports how many cacheable reads the read cache answered
// and how many went to the database; ok is false when there is no cache
// (PostgreSQL, or SQLite without a wal-index file).
func (s *Store) ReadCacheStats() (hits, misses int64, ok bool) {
	if s.cache == nil {
		return 0, 0, false
	}
	return s.cache.hits.Load(), s.cache.misses.Load(), true
}

// DisableReadCache turns the read cache off (switchboard-load's
// --read-cache=false, to measure what it saves).
func (s *Store) DisableReadCache() {
	s.cache.close()
	s.cache = nil
}

// rebind turns ? placeholders into $n for PostgreSQL.
func (tx *Tx) rebind(query string) string {
	if tx.dialect != Postgres {
		return query
	}
	return tx.rebound.get(query)
}

// reboundCache keeps the $n spelling of each query, the store's queries
// being a few hundred constant texts; past maxRebound texts (queries built
// with a variable number of placeholders) it spells them anew each time.
type reboundCache struct {
	m sync.Map // query -> rebound query
	n atomic.Int64
}

const maxRebound = 1024

func (c *reboundCache) get(query string) string {
	if c == nil {
		return rebind(query)
	}
	if r, ok := c.m.Load(query); ok {
		return r.(string)
	}
	r := rebind(query)
	if c.n.Load() < maxRebound {
		if _, loaded := c.m.LoadOrStore(query, r); !loaded {
			c.n.Add(1)
		}
	}
	return r
}

// rebind turns ? placeholders into $n.
func rebind(query string) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

func (tx *Tx) exec(ctx context.Context, what, query string, args ...any) (sql.Result, error) {
	res, err := tx.q.ExecContext(ctx, tx.rebind(query), args...)
	if err != nil {
		return nil, classify(what, err)
	}
	return res, nil
}

func (tx *Tx) query(ctx context.Context, what, query string, args ...any) (*sql.Rows, error) {
	rows, err := tx.q.QueryContext(tx.readCtx(ctx), tx.rebind(query), args...)
	if err != nil {
		return nil, classify(what, err)
	}
	return rows, nil
}

func (tx *Tx) queryRow(ctx context.Context, query string, args ...any) rowScanner {
	if tx.cache != nil {
		return &cachedRow{tx: tx, query: query, args: args, run: func() *sql.Row {
			return tx.q.QueryRowContext(tx.readCtx(ctx), tx.rebind(query), args...)
		}}
	}
	return tx.q.QueryRowContext(tx.readCtx(ctx), tx.rebind(query), args...)
}

// readCtx is the context a read on the read pool runs under: ctx without
// its cancellation. Every read the store makes outside a transaction is
// one short statement (lists are read in chunks of chunkRows, see
// eachChunk), so stopping one when its client leaves saves next to
// nothing, while watching a cancellable context costs two goroutines per
// statement (database/sql's and the driver's) and, on SQLite, a progress
// handler: a third of a token lookup's time in the profile of GET
// /domains. Statements in a transaction keep ctx, and with it the
// transaction's rollback when its client leaves.
func (tx *Tx) readCtx(ctx context.Context) context.Context {
	if _, pool := tx.q.(*sql.DB); pool {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// classify turns driver errors into domain errors: unique violations become
// ECONFLICT, a missing row ENOTFOUND, everything else EINTERNAL.
func classify(what string, err error) error {
	if err == nil {
		return nil
	}
	var se *sb.Error
	if errors.As(err, &se) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return &sb.Error{Code: sb.ENOTFOUND, Message: what + ": not found", Err: err}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return sb.Internal(fmt.Errorf("%s: %w", what, err))
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return &sb.Error{Code: sb.ECONFLICT, Message: what + ": already exists", Err: err}
	}
	var le *sqlite.Error
	if errors.As(err, &le) && (le.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || le.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
		return &sb.Error{Code: sb.ECONFLICT, Message: what + ": already exists", Err: err}
	}
	return sb.Internal(fmt.Errorf("%s: %w", what, err))
}

// foreignKeysOff, as the first line of an SQLite migration, makes Migrate
// run it with foreign keys off, as SQLite's procedure for rebuilding a table
// requires: dropping a parent table with them on deletes its children. The
// pragma cannot change inside a transaction, so it is set on the connection
// around the migration's transaction, and PRAGMA foreign_key_check must come
// back empty before the migration commits. PostgreSQL migrations have no
// use for it and it is ignored there.
const foreignKeysOff = "-- switchboard: foreign-keys-off"

// Migrate applies the embedded migrations not yet recorded in
// schema_migrations, in name order, each in its own transaction. On
// PostgreSQL an advisory lock keeps concurrent instances from migrating at
// once.
func (s *Store) Migrate(ctx context.Context) error {
	return s.migrate(ctx, s.embeddedMigrations(), "")
}

// embeddedMigrations holds the migrations of the store's dialect.
func (s *Store) embeddedMigrations() fs.FS {
	sub, err := fs.Sub(migrationsFS, "migrations/"+string(s.dialect))
	if err != nil {
		panic(err) // only for an invalid path, which a constant prefix is not
	}
	return sub
}

// migrate applies the *.sql files of fsys not yet applied, up to and
// including the one named last ("" for all).
func (s *Store) migrate(ctx context.Context, fsys fs.FS, last string) error {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return fmt.Errorf("read migrations: %w", err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") && (last == "" || e.Name() <= last) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)

	conn, err := s.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	if s.dialect == Postgres {
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(7201517)"); err != nil {
			return fmt.Errorf("migrate: lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(7201517)")
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	applied := map[string]bool{}
	rows, err := conn.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return fmt.Errorf("migrate: list applied: %w", err)
	}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("migrate: %w", err)
		}
		applied[v] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, name := range names {
		if applied[name] {
			continue
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if err := s.apply(ctx, conn, name, string(body)); err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
	}
	return nil
}

// apply runs one migration and records it, in one transaction.
func (s *Store) apply(ctx context.Context, conn *sql.Conn, name, body string) (err error) {
	firstLine, _, _ := strings.Cut(body, "\n")
	fkOff := s.dialect == SQLite && strings.TrimSpace(firstLine) == foreignKeysOff
	if fkOff {
		if err := setForeignKeys(ctx, conn, false); err != nil {
			return err
		}
		defer func() {
			if e := setForeignKeys(context.WithoutCancel(ctx), conn, true); e != nil {
				// Never hand a connection without foreign keys back to the
				// pool: ErrBadConn makes database/sql close it.
				_ = conn.Raw(func(any) error { return driver.ErrBadConn })
				err = errors.Join(err, e)
			}
		}()
	}
	t, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer t.Rollback()
	if _, err := t.ExecContext(ctx, body); err != nil {
		return err
	}
	if fkOff {
		if err := foreignKeyCheck(ctx, t); err != nil {
			return err
		}
	}
	insert := "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)"
	if s.dialect == Postgres {
		insert = "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)"
	}
	if _, err := t.ExecContext(ctx, insert, name, time.Now().Unix()); err != nil {
		return fmt.Errorf("record: %w", err)
	}
	if err := t.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// setForeignKeys turns SQLite's foreign key enforcement on or off for conn
// and checks that it took: the pragma is silently ignored inside a
// transaction.
func setForeignKeys(ctx context.Context, conn *sql.Conn, on bool) error {
	want := 0
	if on {
		want = 1
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA foreign_keys = %d", want)); err != nil {
		return fmt.Errorf("set foreign_keys = %d: %w", want, err)
	}
	var got int
	if err := conn.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&got); err != nil {
		return fmt.Errorf("read foreign_keys: %w", err)
	}
	if got != want {
		return fmt.Errorf("foreign_keys is %d, want %d", got, want)
	}
	return nil
}

// foreignKeyCheck fails when a row points at a parent that does not exist.
func foreignKeyCheck(ctx context.Context, t *sql.Tx) error {
	rows, err := t.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return fmt.Errorf("foreign_key_check: %w", err)
	}
	defer rows.Close()
	var broken []string
	n := 0
	for rows.Next() {
		var table, parent string
		var rowid sql.NullInt64
		var fkid int64
		if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
			return fmt.Errorf("foreign_key_check: %w", err)
		}
		if n++; n <= 5 {
			broken = append(broken, fmt.Sprintf("%s row %d -> %s", table, rowid.Int64, parent))
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("foreign_key_check: %w", err)
	}
	if n > 0 {
		return fmt.Errorf("%d rows break foreign keys: %s", n, strings.Join(broken, "; "))
	}
	return nil
}

func unix(t time.Time) int64 { return t.UTC().Unix() }

func fromUnix(n int64) time.Time { return time.Unix(n, 0).UTC() }
