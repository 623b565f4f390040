package store_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

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

// Listed domains are scanned into the same destinations too: each one,
// walked twice (the second time from the read cache on SQLite), is the
// domain read alone.
func TestListedDomainsAreTheirOwn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		ten, first := seed(t, s)
		other := &sb.Tenant{Name: "other", Role: sb.RoleTenant, CreatedAt: when}
		domains := []*sb.Domain{first}
		memos := map[string]string{"b.example.org": "a note\nover two lines", "c.example.org": ""}
		err := s.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.CreateTenant(ctx, other, "hash"); err != nil {
				return err
			}
			for i, name := range []string{"b.example.org", "c.example.org"} {
				d := &sb.Domain{Name: name, TenantID: []int64{ten.ID, other.ID}[i], CreatedAt: when.Add(time.Duration(i+1) * time.Hour)}
				if err := tx.CreateDomain(ctx, d); err != nil {
					return err
				}
				if err := tx.SetDomainMemo(ctx, d.ID, memos[name]); err != nil {
					return err
				}
				domains = append(domains, d)
			}
			a := &sb.Account{Local: "one", DomainID: first.ID, Email: "one@" + first.Name, CreatedAt: when, UpdatedAt: when}
			return tx.CreateAccount(ctx, a, store.Credentials{Hash: "h"})
		})
		if err != nil {
			t.Fatal(err)
		}
		tx := s.Read()
		want := map[int64]sb.Domain{}
		for _, d := range domains {
			got, err := tx.DomainByID(ctx, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			want[d.ID] = *got
		}
		if w := want[first.ID]; w.UsersCount != 1 || w.TenantName != "acme" || want[domains[2].ID].TenantName != "other" ||
			want[domains[1].ID].Memo != memos["b.example.org"] {
			t.Fatalf("the domains read alone: %+v", want)
		}
		lists := map[string]func(fn func(sb.Domain) error) error{
			"EachDomain": func(fn func(sb.Domain) error) error { return tx.EachDomain(ctx, 0, sb.Page{}, fn) },
			"EachDomainMatching": func(fn func(sb.Domain) error) error {
				return tx.EachDomainMatching(ctx, 0, "%example%", 0, fn)
			},
		}
		for name, list := range lists {
			for walk := range 2 {
				var got []sb.Domain
				if err := list(func(d sb.Domain) error { got = append(got, d); return nil }); err != nil {
					t.Fatal(err)
				}
				if len(got) != len(domains) {
					t.Fatalf("%s walk %d: %d domains, want %d", name, walk, len(got), len(domains))
				}
				for _, d := range got {
					if w := want[d.ID]; !reflect.DeepEqual(d, w) {
						t.Errorf("%s walk %d: %+v\nwant %+v", name, walk, d, w)
					}
				}
			}
		}
	})
}

// EachMailboxUsage lists, for every mailbox, what EachAccount lists of it:
// the address, the quota and the use Dovecot recorded; a page of it is the
// same page; each list is walked twice (the second time from the read
// cache on SQLite), and after the use changes.
func TestMailboxUsageIsTheAccountsOwn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		_, d := seed(t, s)
		quotas := []sb.MailboxQuota{{Bytes: 1 << 30, Messages: 1000}, {}, {Bytes: 5 << 30, Plan: "large", ExtraBytes: 1 << 20}, {Messages: 7}}
		err := s.InTx(ctx, func(tx *store.Tx) error {
			for i, q := range quotas {
				local := fmt.Sprintf("box%d", i)
				a := &sb.Account{DomainID: d.ID, Local: local, Email: local + "@example.com", Quota: q, CreatedAt: when, UpdatedAt: when}
				if err := tx.CreateAccount(ctx, a, store.Credentials{Hash: "h"}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// What Dovecot's dict-sql writes, for two of them.
		for i, e := range []string{"box0@example.com", "box2@example.com"} {
			if err := s.ExecSQL(ctx, `INSERT INTO quota_usage (username, bytes, messages) VALUES (?, ?, ?)`, e, 1000*(i+1), i+2); err != nil {
				t.Fatal(err)
			}
		}
		check := func(what string, page sb.Page) {
			t.Helper()
			tx := s.Read()
			for walk := range 2 {
				var want, got []sb.MailboxUsage
				err := tx.EachAccount(ctx, d.ID, page, func(a sb.Account) error {
					want = append(want, sb.MailboxUsage{ID: a.ID, DomainID: a.DomainID, Email: a.Email, Quota: a.Quota, Used: a.QuotaUsed})
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if err := tx.EachMailboxUsage(ctx, d.ID, page, func(u sb.MailboxUsage) error { got = append(got, u); return nil }); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%s, walk %d:\n got %+v\nwant %+v", what, walk, got, want)
				}
			}
		}
		check("all", sb.Page{})
		check("a page", sb.Page{Limit: 2})
		var all []sb.MailboxUsage
		if err := s.Read().EachMailboxUsage(ctx, d.ID, sb.Page{}, func(u sb.MailboxUsage) error { all = append(all, u); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(all) != len(quotas) || all[0].Used != (sb.QuotaUsage{Bytes: 1000, Messages: 2}) || all[1].Used != (sb.QuotaUsage{}) ||
			all[2].Quota != quotas[2] {
			t.Fatalf("the usage listed: %+v", all)
		}
		check("after a page", sb.Page{After: all[1].ID, Limit: 10})
		if err := s.ExecSQL(ctx, `UPDATE quota_usage SET bytes = 99 WHERE username = ?`, "box2@example.com"); err != nil {
			t.Fatal(err)
		}
		check("after Dovecot wrote", sb.Page{})
		var after []sb.MailboxUsage
		if err := s.Read().EachMailboxUsage(ctx, d.ID, sb.Page{}, func(u sb.MailboxUsage) error { after = append(after, u); return nil }); err != nil {
			t.Fatal(err)
		}
		if after[2].Used.Bytes != 99 {
			t.Fatalf("the use after Dovecot wrote: %+v", after[2])
		}
	})
}
