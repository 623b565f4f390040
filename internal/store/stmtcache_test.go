package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
)

// sqliteStore opens a fresh SQLite store, whose connections keep their
// prepared statements.
func sqliteStore(t *testing.T) *store.Store {
	t.Helper()
	for _, b := range storetest.Backends() {
		if b.Name == "sqlite" {
			return storetest.Open(t, b)
		}
	}
	t.Fatal("no sqlite backend")
	return nil
}

func TestStatementCache(t *testing.T) {
	ctx := context.Background()
	s := sqliteStore(t)
	const tenants = 5
	for i := range tenants {
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			return tx.CreateTenant(ctx, &sb.Tenant{Name: fmt.Sprint("tenant", i), Role: sb.RoleTenant, CreatedAt: time.Now()}, "hash")
		}); err != nil {
			t.Fatal(err)
		}
	}
	const list = "SELECT id FROM tenants ORDER BY id"
	count := func(tx *store.Tx, inner func() error) (int, error) {
		rows, err := tx.QuerySQL(ctx, list)
		if err != nil {
			return 0, err
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			n++
			if inner != nil {
				if err := inner(); err != nil {
					return n, err
				}
			}
		}
		return n, rows.Err()
	}
	t.Run("a query runs on the statement its connection prepared the first time", func(t *testing.T) {
		for range 3 {
			if err := s.InTx(ctx, func(tx *store.Tx) error { _, err := count(tx, nil); return err }); err != nil {
				t.Fatal(err)
			}
		}
		if _, has, err := s.CachedStatements(ctx, list); err != nil || !has {
			t.Fatalf("statement of %q not kept (%v)", list, err)
		}
	})
	t.Run("the same query run again while its rows are open sees every row, and so do its first rows", func(t *testing.T) {
		err := s.InTx(ctx, func(tx *store.Tx) error {
			outer, err := count(tx, func() error {
				n, err := count(tx, nil)
				if err == nil && n != tenants {
					err = fmt.Errorf("inner query saw %d rows, want %d", n, tenants)
				}
				return err
			})
			if err == nil && outer != tenants {
				err = fmt.Errorf("outer query saw %d rows, want %d", outer, tenants)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("queries past the cache's bound still run, unprepared", func(t *testing.T) {
		for i := range store.MaxCachedStmts + 10 {
			var n int
			q := fmt.Sprintf("SELECT count(*) + %d FROM tenants", i)
			if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.QueryRowSQL(ctx, q).Scan(&n) }); err != nil {
				t.Fatalf("query %d: %v", i, err)
			}
			if n != tenants+i {
				t.Fatalf("query %d: %d, want %d", i, n, tenants+i)
			}
		}
		if n, _, err := s.CachedStatements(ctx, list); err != nil || n > store.MaxCachedStmts {
			t.Fatalf("%d statements kept, want at most %d (%v)", n, store.MaxCachedStmts, err)
		}
	})
	t.Run("a statement that fails to prepare reports its error", func(t *testing.T) {
		err := s.InTx(ctx, func(tx *store.Tx) error { return tx.QueryRowSQL(ctx, "SELECT nonsense FROM nowhere").Scan(new(int)) })
		if err == nil {
			t.Fatal("no error for a query on a missing table")
		}
	})
}
