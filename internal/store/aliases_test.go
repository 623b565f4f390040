package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
)

// postfixAliases runs Postfix's virtual_alias_maps query.
func postfixAliases(t *testing.T, s *store.Store, source string) []string {
	t.Helper()
	q := `SELECT destination FROM mail_aliases WHERE source = ? ORDER BY destination`
	if s.Dialect() == store.Postgres {
		q = `SELECT destination FROM mail_aliases WHERE source = $1 ORDER BY destination`
	}
	rows, err := s.DB().QueryContext(context.Background(), q, source)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestMailAliasesViewCarriesAliases(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		_, d := seed(t, s)
		now := time.Unix(1_700_000_000, 0).UTC()
		err := s.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.CreateAccount(ctx, &sb.Account{DomainID: d.ID, Local: "box", Email: "box@example.com", Active: true,
				CreatedAt: now, UpdatedAt: now}, store.Credentials{Hash: "h"}); err != nil {
				return err
			}
			return tx.CreateAlias(ctx, &sb.Alias{DomainID: d.ID, Local: "info", Email: "info@example.com",
				Destinations: []string{"box@example.com", "someone@elsewhere.org"}, CreatedAt: now})
		})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := postfixAliases(t, s, "info@example.com"), []string{"box@example.com,someone@elsewhere.org"}; !slices.Equal(got, want) {
			t.Errorf("alias lookup: %q, want %q", got, want)
		}
		if got, want := postfixAliases(t, s, "box@example.com"), []string{"box@example.com"}; !slices.Equal(got, want) {
			t.Errorf("mailbox lookup: %q, want %q", got, want)
		}
		a, err := s.Read().AliasByEmail(ctx, "info@example.com")
		if err != nil || !slices.Equal(a.Destinations, []string{"box@example.com", "someone@elsewhere.org"}) || !a.CreatedAt.Equal(now) {
			t.Fatalf("alias read back as %+v, %v", a, err)
		}

		if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteDomain(ctx, d.ID) }); err != nil {
			t.Fatal(err)
		}
		if got := postfixAliases(t, s, "info@example.com"); len(got) != 0 {
			t.Errorf("alias outlived its domain in the view: %q", got)
		}
		if _, err := s.Read().AliasByEmail(ctx, "info@example.com"); sb.ErrorCode(err) != sb.ENOTFOUND {
			t.Errorf("alias outlived its domain: %v", err)
		}
	})
}

func TestAddressIsMailboxOrAlias(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		_, d := seed(t, s)
		account := func(local string) func(tx *store.Tx) error {
			return func(tx *store.Tx) error {
				return tx.CreateAccount(ctx, &sb.Account{DomainID: d.ID, Local: local, Email: local + "@example.com", Active: true},
					store.Credentials{Hash: "h"})
			}
		}
		alias := func(local string) func(tx *store.Tx) error {
			return func(tx *store.Tx) error {
				return tx.CreateAlias(ctx, &sb.Alias{DomainID: d.ID, Local: local, Email: local + "@example.com",
					Destinations: []string{"x@elsewhere.org"}})
			}
		}
		for _, fn := range []func(*store.Tx) error{account("box"), alias("fwd")} {
			if err := s.InTx(ctx, fn); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			name  string
			fn    func(*store.Tx) error
			cause error
		}{
			{"an alias over a mailbox is a conflict", alias("box"), store.ErrAddressIsMailbox},
			{"a mailbox over an alias is a conflict", account("fwd"), store.ErrAddressIsAlias},
			{"a second alias of an address is a conflict", alias("fwd"), nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := s.InTx(ctx, tt.fn)
				if sb.ErrorCode(err) != sb.ECONFLICT {
					t.Fatalf("got %v, want ECONFLICT", err)
				}
				if tt.cause != nil && !errors.Is(err, tt.cause) {
					t.Fatalf("got %v, want %v in the chain", err, tt.cause)
				}
			})
		}
		var n int
		if err := s.DB().QueryRow(`SELECT count(*) FROM mail_aliases`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Fatalf("mail_aliases holds %d rows after the refusals, want 2", n)
		}
	})
}

// TestCreateAccountAudited: the audit row comes with the account, and not
// without it: on PostgreSQL the INSERT writes it (a data-modifying WITH),
// so a refused INSERT must write none even in a transaction that goes on.
func TestCreateAccountAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		_, d := seed(t, s)
		at := time.Unix(1_700_000_100, 0).UTC()
		audits := func(tx *store.Tx) []string {
			t.Helper()
			rows, err := tx.AuditLog(ctx, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, r := range rows {
				out = append(out, fmt.Sprintf("%d %s %s %s", r.At.Unix(), r.Actor, r.Action, r.Object))
			}
			return out
		}
		err := s.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.CreateAlias(ctx, &sb.Alias{DomainID: d.ID, Local: "fwd", Email: "fwd@example.com",
				Destinations: []string{"x@elsewhere.org"}}); err != nil {
				return err
			}
			create := func(local string) error {
				return tx.CreateAccountAudited(ctx, &sb.Account{DomainID: d.ID, Local: local, Email: local + "@example.com", Active: true},
					store.Credentials{Hash: "h"}, store.AuditRow{At: at, Actor: "tenant:acme", Action: "account.create", Object: "account:" + local + "@example.com"})
			}
			if err := create("fwd"); !errors.Is(err, store.ErrAddressIsAlias) {
				t.Fatalf("a mailbox over an alias: %v, want ErrAddressIsAlias", err)
			}
			if got := audits(tx); len(got) != 0 {
				t.Fatalf("a refused creation left audit rows: %q", got)
			}
			if err := create("box"); err != nil {
				return err
			}
			want := []string{"1700000100 tenant:acme account.create account:box@example.com"}
			if got := audits(tx); !slices.Equal(got, want) {
				t.Fatalf("audit rows %q, want %q", got, want)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if a, _, err := s.Read().AccountByEmail(ctx, "box@example.com"); err != nil || a.DomainID != d.ID {
			t.Fatalf("account read back as %+v, %v", a, err)
		}
	})
}
