// Package storetest opens fresh stores for tests: SQLite always, and
// PostgreSQL too when SWITCHBOARD_TEST_POSTGRES names a database.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the pgx driver for schema set-up

	"github.com/switchboard/switchboard/internal/store"
)

// EnvPostgres is the variable that names a PostgreSQL DSN for tests.
const EnvPostgres = "SWITCHBOARD_TEST_POSTGRES"

// Backend is one database a test runs against.
type Backend struct {
	Name string
	// URL opens a fresh, empty database of this backend, dropped at the end
	// of the test; pass it to store.Open.
	URL func(t testing.TB) string
}

// Backends lists SQLite and, when configured, PostgreSQL.
func Backends() []Backend {
	bs := []Backend{{Name: "sqlite", URL: sqliteURL}}
	if dsn := os.Getenv(EnvPostgres); dsn != "" {
		bs = append(bs, Backend{Name: "postgres", URL: func(t testing.TB) string { return postgresURL(t, dsn) }})
	}
	return bs
}

// Each runs fn as a subtest on every backend with a fresh store.
func Each(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) {
			fn(t, Open(t, b))
		})
	}
}

// Open opens a fresh store of backend b, closed at the end of the test.
func Open(t testing.TB, b Backend) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), b.URL(t), "")
	if err != nil {
		t.Fatalf("open %s store: %v", b.Name, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func sqliteURL(t testing.TB) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "switchboard.db")
}

// postgresURL creates a schema of its own and points search_path at it, so
// tests run in parallel without seeing each other's rows.
func postgresURL(t testing.TB, dsn string) string {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return
		}
		defer db.Close()
		db.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
