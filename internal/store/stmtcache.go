package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"reflect"
)

// SQLite parses a statement in about as much time as it takes to run one
// of the store's small queries, so each SQLite connection keeps its
// prepared statements, one per query text, and runs every later call of
// the same query on the statement it prepared the first time: the token
// lookup and the list of a token-authenticated GET are parsed once per
// connection instead of on every request. It works below database/sql, so
// it serves transactions (which hold the single write connection) as well
// as the read pool, with no change to the callers.
//
// It caches statements, never results: every call still runs its query
// against the database, so a revoked token or a deleted row is seen at
// once.
//
// PostgreSQL needs none of this: pgx's stdlib driver prepares and caches
// statements per connection itself (QueryExecModeCacheStatement, its
// default).

// The bounds of a connection's cache: queries built with a variable
// number of placeholders (bulk inserts, IN lists) and migration scripts
// would otherwise fill it with statements used once; past the bounds a
// query runs unprepared, as it did before.
const (
	maxCachedStmts   = 256
	maxCachedStmtLen = 4 << 10
)

// openSQLite opens a database/sql pool on dsn whose connections cache
// their prepared statements.
func openSQLite(dsn string) (*sql.DB, error) {
	// The registered driver, with whatever the package registered on it;
	// sql.Open connects to nothing.
	probe, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	drv := probe.Driver()
	_ = probe.Close()
	return sql.OpenDB(stmtCacheConnector{dsn: dsn, drv: drv}), nil
}

// stmtCacheConnector opens driver connections wrapped in a stmtCacheConn.
type stmtCacheConnector struct {
	dsn string
	drv driver.Driver
}

func (c stmtCacheConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return newStmtCacheConn(conn)
}

func (c stmtCacheConnector) Driver() driver.Driver { return c.drv }

// sqliteConn is what the wrapped connection offers (modernc.org/sqlite's
// connection does).
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// preparedStmt is what the wrapped connection's statements offer.
type preparedStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

// stmtCacheConn is a driver connection that keeps its prepared statements.
// database/sql uses a connection from one goroutine at a time, rows
// included, so it needs no lock.
type stmtCacheConn struct {
	sqliteConn
	stmts map[string]*cachedStmt
}

// cachedStmt is a prepared statement and whether rows of it are open: a
// statement is stepped by one caller at a time, and a second query of the
// same text while the first one's rows are open runs unprepared.
type cachedStmt struct {
	preparedStmt
	busy bool
}

var (
	_ sqliteConn       = (*stmtCacheConn)(nil)
	_ driver.Connector = stmtCacheConnector{}
)

func newStmtCacheConn(conn driver.Conn) (driver.Conn, error) {
	sc, ok := conn.(sqliteConn)
	if !ok {
		_ = conn.Close()
		return nil, errors.New("sqlite connection lacks the context interfaces")
	}
	return &stmtCacheConn{sqliteConn: sc, stmts: map[string]*cachedStmt{}}, nil
}

// stmt returns the connection's prepared statement of query, preparing
// it on first use, or nil when query is to run unprepared: too long, the
// cache is full, its statement is busy, or it does not prepare (running
// it unprepared then reports the error the usual way).
func (c *stmtCacheConn) stmt(ctx context.Context, query string) *cachedStmt {
	if st, ok := c.stmts[query]; ok {
		if st.busy {
			return nil
		}
		return st
	}
	if len(query) > maxCachedStmtLen || len(c.stmts) >= maxCachedStmts {
		return nil
	}
	ds, err := c.sqliteConn.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	ps, ok := ds.(preparedStmt)
	if !ok {
		_ = ds.Close()
		return nil
	}
	st := &cachedStmt{preparedStmt: ps}
	c.stmts[query] = st
	return st
}

// ExecContext runs query on its cached statement.
func (c *stmtCacheConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	st := c.stmt(ctx, query)
	if st == nil {
		return c.sqliteConn.ExecContext(ctx, query, args)
	}
	return st.ExecContext(ctx, args)
}

// QueryContext runs query on its cached statement, which stays busy until
// the rows are closed.
func (c *stmtCacheConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	st := c.stmt(ctx, query)
	if st == nil {
		return c.sqliteConn.QueryContext(ctx, query, args)
	}
	rows, err := st.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	st.busy = true
	return &cachedRows{Rows: rows, st: st}, nil
}

// Close finalizes the cached statements, then closes the connection.
func (c *stmtCacheConn) Close() error {
	var err error
	for q, st := range c.stmts {
		err = errors.Join(err, st.Close())
		delete(c.stmts, q)
	}
	return errors.Join(err, c.sqliteConn.Close())
}

// cachedRows are the rows of a cached statement; closing them frees the
// statement for its next call. The column type methods pass through to
// the driver's rows, as database/sql's ColumnTypes looks for them.
type cachedRows struct {
	driver.Rows
	st *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.st.busy = false
	return err
}

func (r *cachedRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}

func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *cachedRows) ColumnTypeLength(i int) (int64, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeLength); ok {
		return t.ColumnTypeLength(i)
	}
	return 0, false
}

func (r *cachedRows) ColumnTypeNullable(i int) (bool, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *cachedRows) ColumnTypePrecisionScale(i int) (int64, int64, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypePrecisionScale); ok {
		return t.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}
