package store_test

import (
	"context"
	"database/sql"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
)

// fixture holds the parents the rows under test hang from.
type fixture struct {
	tenant  *sb.Tenant
	domain  *sb.Domain
	account *sb.Account
}

var when = time.Unix(1_700_000_000, 0).UTC()

func newFixture(t *testing.T, s *store.Store) fixture {
	t.Helper()
	ctx := context.Background()
	ten, d := seed(t, s)
	a := &sb.Account{DomainID: d.ID, Local: "owner", Email: "owner@example.com", Active: true, Activated: true}
	if err := s.InTx(ctx, func(tx *store.Tx) error { return createAccountByHand(ctx, tx, a) }); err != nil {
		t.Fatal(err)
	}
	return fixture{tenant: ten, domain: d, account: a}
}

func TestMigrationWithForeignKeysOff(t *testing.T) {
	b := storetest.Backends()[0] // the marker is SQLite's
	const rebuild = `CREATE TABLE new_tenants (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE,
		password_hash TEXT NOT NULL, role TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
		memo TEXT NOT NULL DEFAULT '');
INSERT INTO new_tenants SELECT id, name, password_hash, role, created_at, updated_at, memo FROM tenants;
DROP TABLE tenants;
ALTER TABLE new_tenants RENAME TO tenants;`
	cases := []struct {
		name    string
		body    string
		wantErr bool
	}{
		{"a rebuild of a parent table keeps the children", "-- switchboard: foreign-keys-off\n" + rebuild, false},
		{"without the marker the same rebuild is refused", "-- a comment\n" + rebuild, true},
		{"a migration that leaves a row without its parent fails", "-- switchboard: foreign-keys-off\nDELETE FROM domains;", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			s := storetest.Open(t, b)
			fx := newFixture(t, s)
			err := s.MigrateFS(ctx, fstest.MapFS{"9001_test.sql": {Data: []byte(c.body)}})
			if (err != nil) != c.wantErr {
				t.Fatalf("migrate: %v, want error %v", err, c.wantErr)
			}
			var recorded int
			if err := s.DB().QueryRow(`SELECT count(*) FROM schema_migrations WHERE version = '9001_test.sql'`).Scan(&recorded); err != nil {
				t.Fatal(err)
			}
			if recorded != 0 == c.wantErr {
				t.Fatalf("recorded %d times, error %v", recorded, err)
			}
			if _, _, err := s.Read().AccountByEmail(ctx, fx.account.Email); err != nil {
				t.Fatalf("the account is gone: %v", err)
			}
			orphan := &sb.Account{DomainID: 999_999, Local: "o", Email: "o@nowhere.example", Active: true}
			if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.CreateAccount(ctx, orphan, store.Credentials{Hash: "h"}) }); err == nil {
				t.Fatal("foreign keys are still off after the migration")
			}
		})
	}
}

// schema describes the tables, columns, indexes, views and triggers.
func schema(t *testing.T, s *store.Store) []string {
	t.Helper()
	q := `SELECT type || ' ' || name || ' ' || tbl_name || ' ' || COALESCE(sql, '') FROM sqlite_master`
	if s.Dialect() == store.Postgres {
		q = `SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' ||
				COALESCE(column_default, '') || ' ' || is_identity
			FROM information_schema.columns WHERE table_schema = current_schema()
			UNION ALL SELECT 'index ' || indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = current_schema()
			UNION ALL SELECT 'view ' || table_name || ' ' || view_definition FROM information_schema.views WHERE table_schema = current_schema()
			UNION ALL SELECT 'trigger ' || trigger_name || ' ' || event_manipulation || ' ' || event_object_table || ' ' || action_statement
				FROM information_schema.triggers WHERE trigger_schema = current_schema()`
	}
	rows, err := s.DB().Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var line sql.NullString
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		out = append(out, line.String)
	}
	slices.Sort(out)
	return out
}
