package store_test

import (
	"context"
	"reflect"
	"slices"
	"testing"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
)

// A list scans every row into the same destinations: no row may keep a
// value of the row before it, and no account may share what a caller can
// change with another. Each list is walked twice, so that on SQLite the
// second walk replays the read cache.
func TestListedAccountsAreTheirOwn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		_, d := seed(t, s)
		accounts := []struct {
			a *sb.Account
			c store.Credentials
		}{
			{&sb.Account{Local: "full", ContactEmail: "c@example.org", Phone: "+3312345678", Activated: true, Admin: true,
				Quota: sb.MailboxQuota{Bytes: 1 << 30, Messages: 1000}}, store.Credentials{Hash: "h1", HA1MD5: "m1", HA1SHA256: "s1"}},
			{&sb.Account{Local: "bare"}, store.Credentials{Hash: "h2"}},
			{&sb.Account{Local: "md5", Active: true}, store.Credentials{Hash: "h3", HA1MD5: "m3"}},
			{&sb.Account{Local: "sha", Phone: "+3387654321"}, store.Credentials{Hash: "h4", HA1SHA256: "s4"}},
		}
		err := s.InTx(ctx, func(tx *store.Tx) error {
			for _, x := range accounts {
				x.a.DomainID, x.a.Email, x.a.CreatedAt, x.a.UpdatedAt = d.ID, x.a.Local+"@example.com", when, when
				if err := tx.CreateAccount(ctx, x.a, x.c); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		tx := s.Read()
		want := map[int64]sb.Account{}
		for _, x := range accounts {
			a, err := tx.AccountByID(ctx, x.a.ID)
			if err != nil {
				t.Fatal(err)
			}
			a.Algorithms = slices.Clone(a.Algorithms) // want shares nothing with what is listed
			want[a.ID] = *a
		}
		if got := want[accounts[0].a.ID].Algorithms; !reflect.DeepEqual(got, []string{"MD5", "SHA-256"}) {
			t.Fatalf("algorithms of full = %v", got)
		}
		if got := want[accounts[1].a.ID]; got.Algorithms != nil || got.Phone != "" || got.Quota.Bytes != 0 {
			t.Fatalf("bare account = %+v", got)
		}
		lists := []struct {
			name string
			list func() ([]sb.Account, error)
		}{
			{"EachAccount", func() (out []sb.Account, err error) {
				err = tx.EachAccount(ctx, d.ID, sb.Page{}, func(a sb.Account) error { out = append(out, a); return nil })
				return out, err
			}},
			{"AccountsPage", func() ([]sb.Account, error) { return tx.AccountsPage(ctx, d.ID, 0, 10) }},
			{"EachAccountWithCredentials", func() (out []sb.Account, err error) {
				err = tx.EachAccountWithCredentials(ctx, d.ID, func(a sb.Account, c store.Credentials) error {
					for _, x := range accounts {
						if x.a.ID == a.ID && c != x.c {
							t.Errorf("credentials of %s = %+v, want %+v", a.Email, c, x.c)
						}
					}
					out = append(out, a)
					return nil
				})
				return out, err
			}},
		}
		for _, l := range lists {
			for walk := range 2 {
				got, err := l.list()
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(accounts) {
					t.Fatalf("%s walk %d: %d accounts", l.name, walk, len(got))
				}
				for _, a := range got {
					if !reflect.DeepEqual(a, want[a.ID]) {
						t.Errorf("%s walk %d: %s\n got %+v\nwant %+v", l.name, walk, a.Email, a, want[a.ID])
					}
					// What one caller does to its account reaches no other.
					if len(a.Algorithms) > 0 {
						a.Algorithms[0] = "changed"
						a.Algorithms = append(a.Algorithms, "changed")
					}
				}
			}
		}
	})
}
