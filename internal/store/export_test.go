package store

import (
	"context"
	"database/sql"
	"io/fs"
)

// DB exposes the read pool to the tests of package store_test, which query
// the mail views the way Postfix and Dovecot do.
func (s *Store) DB() *sql.DB { return s.read }

// OpenAt opens databaseURL with the embedded migrations applied up to and
// including version, to test later migrations on an older schema.
func OpenAt(ctx context.Context, databaseURL, version string) (*Store, error) {
	s, err := open(databaseURL, "")
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx, s.embeddedMigrations(), version); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// MigrateFS applies the migrations in fsys not yet applied.
func (s *Store) MigrateFS(ctx context.Context, fsys fs.FS) error { return s.migrate(ctx, fsys, "") }

// EmbeddedMigrations lists the names of the embedded migrations of the
// store's dialect.
func (s *Store) EmbeddedMigrations() ([]string, error) {
	entries, err := fs.ReadDir(s.embeddedMigrations(), ".")
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names, err
}

// ExecSQL runs a statement with ? placeholders in a write transaction.
func (s *Store) ExecSQL(ctx context.Context, query string, args ...any) error {
	return s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, "test statement", query, args...)
		return err
	})
}

// QueryRowSQL runs a query with ? placeholders.
func (tx *Tx) QueryRowSQL(ctx context.Context, query string, args ...any) *sql.Row {
	return tx.q.QueryRowContext(ctx, tx.rebind(query), args...)
}
