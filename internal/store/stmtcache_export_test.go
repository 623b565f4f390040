package store

import (
	"context"
	"database/sql"
)

// QuerySQL runs a query with ? placeholders and returns its rows.
func (tx *Tx) QuerySQL(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return tx.query(ctx, "test query", query, args...)
}

// CachedStatements counts the prepared statements the write connection
// keeps (SQLite only), and reports whether it keeps one of query.
func (s *Store) CachedStatements(ctx context.Context, query string) (n int, has bool, err error) {
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return 0, false, err
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		c := dc.(*stmtCacheConn)
		_, has = c.stmts[query]
		n = len(c.stmts)
		return nil
	})
	return n, has, err
}

// MaxCachedStmts is the bound of a connection's statement cache.
const MaxCachedStmts = maxCachedStmts
