package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
)

func TestMigrateIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		files, err := s.EmbeddedMigrations()
		if err != nil {
			t.Fatal(err)
		}
		first := schema(t, s)
		if len(first) < len(files) {
			t.Fatalf("a schema of %d objects from %d migrations", len(first), len(files))
		}
		for range 2 {
			if err := s.Migrate(ctx); err != nil {
				t.Fatalf("migrate again: %v", err)
			}
		}
		var applied int
		if err := s.DB().QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&applied); err != nil {
			t.Fatal(err)
		}
		if applied != len(files) {
			t.Errorf("%d migrations recorded, %d embedded", applied, len(files))
		}
		if again := schema(t, s); !slices.Equal(first, again) {
			t.Errorf("migrating again changed the schema:\nbefore %q\nafter  %q", first, again)
		}
	})
}

func seed(t *testing.T, s *store.Store) (*sb.Tenant, *sb.Domain) {
	t.Helper()
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0).UTC()
	ten := &sb.Tenant{Name: "acme", Role: sb.RoleTenant, CreatedAt: now}
	d := &sb.Domain{Name: "example.com", CreatedAt: now}
	err := s.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.CreateTenant(ctx, ten, "hash"); err != nil {
			return err
		}
		d.TenantID = ten.ID
		return tx.CreateDomain(ctx, d)
	})
	if err != nil {
		t.Fatal(err)
	}
	return ten, d
}

func TestConflictsAndNotFound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		ten, d := seed(t, s)
		err := s.InTx(ctx, func(tx *store.Tx) error {
			return tx.CreateDomain(ctx, &sb.Domain{Name: "example.com", TenantID: ten.ID})
		})
		if sb.ErrorCode(err) != sb.ECONFLICT {
			t.Fatalf("duplicate domain: %v, want ECONFLICT", err)
		}
		err = s.InTx(ctx, func(tx *store.Tx) error {
			return tx.CreateTenant(ctx, &sb.Tenant{Name: "acme", Role: sb.RoleTenant}, "h")
		})
		if sb.ErrorCode(err) != sb.ECONFLICT {
			t.Fatalf("duplicate tenant: %v, want ECONFLICT", err)
		}
		if _, err := s.Read().DomainByID(ctx, d.ID+100); sb.ErrorCode(err) != sb.ENOTFOUND {
			t.Fatalf("unknown domain: %v, want ENOTFOUND", err)
		}
		if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteAccount(ctx, 999) }); sb.ErrorCode(err) != sb.ENOTFOUND {
			t.Fatalf("delete unknown account: %v, want ENOTFOUND", err)
		}
	})
}

func TestTransactionRollsBackOnError(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		_, d := seed(t, s)
		err := s.InTx(ctx, func(tx *store.Tx) error {
			a := &sb.Account{DomainID: d.ID, Local: "a", Email: "a@example.com", Active: true}
			if err := tx.CreateAccount(ctx, a, store.Credentials{Hash: "h"}); err != nil {
				return err
			}
			b := &sb.Account{DomainID: d.ID, Local: "a", Email: "a@example.com", Active: true}
			return tx.CreateAccount(ctx, b, store.Credentials{Hash: "h"}) // conflict: the whole transaction goes
		})
		if sb.ErrorCode(err) != sb.ECONFLICT {
			t.Fatalf("err = %v, want ECONFLICT", err)
		}
		got, _ := s.Read().DomainByID(ctx, d.ID)
		if got.UsersCount != 0 {
			t.Fatalf("%d accounts survived a rolled-back transaction", got.UsersCount)
		}
	})
}

// TestTransactionRollsBackOnPanic: a panic in a transaction's function
// rolls it back and frees its connection. On SQLite there is one writing
// connection, so a transaction left open would stop every write after it;
// on PostgreSQL it would hold its locks (here the domain's row).
func TestTransactionRollsBackOnPanic(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		_, d := seed(t, s)
		func() {
			defer func() {
				if r := recover(); r != "boom" {
					t.Fatalf("recovered %v, want the panic", r)
				}
			}()
			_ = s.InTx(ctx, func(tx *store.Tx) error {
				a := &sb.Account{DomainID: d.ID, Local: "a", Email: "a@example.com", Active: true}
				if err := tx.CreateAccount(ctx, a, store.Credentials{Hash: "h"}); err != nil {
					return err
				}
				panic("boom")
			})
		}()
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		err := s.InTx(ctx, func(tx *store.Tx) error {
			a := &sb.Account{DomainID: d.ID, Local: "a", Email: "a@example.com", Active: true}
			return tx.CreateAccount(ctx, a, store.Credentials{Hash: "h"})
		})
		if err != nil {
			t.Fatalf("the next transaction after a panic: %v", err)
		}
		if got, _ := s.Read().DomainByID(ctx, d.ID); got.UsersCount != 1 {
			t.Fatalf("%d accounts after one panicked creation and one committed, want 1", got.UsersCount)
		}
	})
}

func TestKeysetPagesAndCascade(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		_, d := seed(t, s)
		var rows []store.BulkAccount
		for i := range 1234 {
			rows = append(rows, store.BulkAccount{Local: fmt.Sprintf("u%04d", i), Email: fmt.Sprintf("u%04d@example.com", i)})
		}
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			return tx.BulkInsertAccounts(ctx, d.ID, "h", time.Now(), rows)
		}); err != nil {
			t.Fatal(err)
		}
		var seen []string
		after := int64(0)
		for pages := 0; ; pages++ {
			n := 0
			err := s.Read().EachAccount(ctx, d.ID, sb.Page{After: after, Limit: 500}, func(a sb.Account) error {
				if a.ID <= after {
					t.Fatalf("id %d not after %d", a.ID, after)
				}
				after = a.ID
				seen = append(seen, a.Email)
				n++
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				if pages != 3 {
					t.Fatalf("%d pages of 500 for 1234 rows, want 3", pages)
				}
				break
			}
		}
		if len(seen) != 1234 || seen[0] != "u0000@example.com" || seen[1233] != "u1233@example.com" {
			t.Fatalf("paged through %d rows", len(seen))
		}
		if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteDomain(ctx, d.ID) }); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Read().AccountByEmail(ctx, "u0001@example.com"); sb.ErrorCode(err) != sb.ENOTFOUND {
			t.Fatalf("account outlived its domain: %v", err)
		}
	})
}

func TestOpenRefusesUnknownScheme(t *testing.T) {
	if _, err := store.Open(context.Background(), "mysql://x", t.TempDir()); err == nil {
		t.Fatal("mysql:// accepted")
	}
}

func TestSQLitePathWithURICharacters(t *testing.T) {
	for _, name := range []string{"a#b", "a?b", "100%"} {
		t.Run("a data directory named "+name+" holds its own database", func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), name)
			s, err := store.Open(context.Background(), "", dir)
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			if _, err := os.Stat(filepath.Join(dir, "switchboard.db")); err != nil {
				t.Fatalf("the database is not inside %q: %v", dir, err)
			}
		})
	}
}

func TestUsersCountFollowsEveryWriter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		_, d := seed(t, s)
		count := func() int64 {
			t.Helper()
			got, err := s.Read().DomainByID(ctx, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got.UsersCount
		}
		var rows []store.BulkAccount
		for i := range 1200 {
			rows = append(rows, store.BulkAccount{Local: fmt.Sprintf("b%d", i), Email: fmt.Sprintf("b%d@example.com", i)})
		}
		s.InTx(ctx, func(tx *store.Tx) error { return tx.BulkInsertAccounts(ctx, d.ID, "h", time.Now(), rows) })
		if n := count(); n != 1200 {
			t.Fatalf("after a bulk insert: %d, want 1200", n)
		}
		a, _, _ := s.Read().AccountByEmail(ctx, "b7@example.com")
		s.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteAccount(ctx, a.ID) })
		if n := count(); n != 1199 {
			t.Fatalf("after a delete: %d, want 1199", n)
		}
	})
}
