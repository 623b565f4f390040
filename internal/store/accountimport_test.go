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

func TestTakenAddressesAndHashUpgrade(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		_, d := seed(t, s)
		now := time.Unix(1_700_000_000, 0).UTC()
		var box sb.Account
		// More rows than one lookup chunk, so that the prepared full chunk and
		// the short last one both run.
		var rows []store.ImportAccount
		var emails []string
		for i := range 1203 {
			e := fmt.Sprintf("u%d@example.com", i)
			rows = append(rows, store.ImportAccount{Local: fmt.Sprintf("u%d", i), Email: e, Credentials: store.Credentials{Hash: "h"},
				Active: true, Activated: true, CreatedAt: now, UpdatedAt: now})
			emails = append(emails, e)
		}
		err := s.InTx(ctx, func(tx *store.Tx) error {
			box = sb.Account{DomainID: d.ID, Local: "box", Email: "box@example.com", Active: true, CreatedAt: now, UpdatedAt: now}
			if err := tx.CreateAccount(ctx, &box, store.Credentials{Hash: "old"}); err != nil {
				return err
			}
			if err := tx.InsertImportedAccounts(ctx, d.ID, rows[:1201]); err != nil {
				return err
			}
			return tx.CreateAlias(ctx, &sb.Alias{DomainID: d.ID, Local: "info", Email: "info@example.com",
				Destinations: []string{"box@example.com"}, CreatedAt: now})
		})
		if err != nil {
			t.Fatal(err)
		}
		taken, err := s.Read().TakenAddresses(ctx, append(emails, "box@example.com", "info@example.com", "free@example.com"))
		if err != nil {
			t.Fatal(err)
		}
		if len(taken) != 1203 || taken["box@example.com"] != store.TakenByAccount || taken["info@example.com"] != store.TakenByAlias ||
			taken["u1200@example.com"] != store.TakenByAccount || taken["u1201@example.com"] != "" || taken["free@example.com"] != "" {
			t.Fatalf("taken: %d addresses, box %q info %q u1200 %q u1201 %q", len(taken), taken["box@example.com"],
				taken["info@example.com"], taken["u1200@example.com"], taken["u1201@example.com"])
		}
		if got, err := s.Read().DomainByID(ctx, d.ID); err != nil || got.UsersCount != 1202 {
			t.Fatalf("users_count %d, %v; want 1202", got.UsersCount, err)
		}
		upgrade := func(old, hash string) bool {
			t.Helper()
			var ok bool
			if err := s.InTx(ctx, func(tx *store.Tx) (err error) { ok, err = tx.UpgradePasswordHash(ctx, box.ID, old, hash); return err }); err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !upgrade("old", "new") {
			t.Fatal("the upgrade from the stored hash did not happen")
		}
		if upgrade("old", "newer") {
			t.Fatal("an upgrade from a hash no longer stored (a password change came first) happened")
		}
		if _, hash, _ := s.Read().AccountByEmail(ctx, "box@example.com"); hash != "new" {
			t.Fatalf("hash %q, want new", hash)
		}
	})
}
