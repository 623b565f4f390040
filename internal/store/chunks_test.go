package store_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
)

func TestListsReadInChunksWithoutHoldingAConnection(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		ten, d := seed(t, s)
		const n = 2345 // more than two chunks
		var bulk []store.BulkAccount
		for i := range n {
			bulk = append(bulk, store.BulkAccount{Local: fmt.Sprintf("u%d", i), Email: fmt.Sprintf("u%d@example.com", i)})
		}
		err := s.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.BulkInsertAccounts(ctx, d.ID, "h", when, bulk); err != nil {
				return err
			}
			for i := range n {
				if i > 0 { // example.com is the first
					if err := tx.CreateDomain(ctx, &sb.Domain{Name: fmt.Sprintf("d%d.example", i), TenantID: ten.ID, CreatedAt: when}); err != nil {
						return err
					}
				}
				a := &sb.Alias{DomainID: d.ID, Local: fmt.Sprintf("a%d", i), Email: fmt.Sprintf("a%d@example.com", i), Destinations: []string{"u1@example.com"}}
				if err := tx.CreateAlias(ctx, a); err != nil {
					return err
				}
				c := &sb.Certificate{Hostname: fmt.Sprintf("h%d.example.com", i), DomainID: d.ID, Source: "upload", Names: []string{"x"},
					ChainPEM: "pem", Issuer: "ca", NotBefore: when, NotAfter: when.Add(time.Hour)}
				if err := tx.PutCertificate(ctx, c, "sealed", when); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		tx := s.Read()
		cases := []struct {
			name  string
			paged bool
			walk  func(page sb.Page, fn func(id int64) error) error
		}{
			{"EachAccount", true, func(p sb.Page, fn func(int64) error) error {
				return tx.EachAccount(ctx, d.ID, p, func(a sb.Account) error { return fn(a.ID) })
			}},
			{"EachAlias", true, func(p sb.Page, fn func(int64) error) error {
				return tx.EachAlias(ctx, d.ID, p, func(a sb.Alias) error { return fn(a.ID) })
			}},
			{"EachDomain", true, func(p sb.Page, fn func(int64) error) error {
				return tx.EachDomain(ctx, ten.ID, p, func(d sb.Domain) error { return fn(d.ID) })
			}},
			{"EachAccountWithCredentials", false, func(p sb.Page, fn func(int64) error) error {
				return tx.EachAccountWithCredentials(ctx, d.ID, func(a sb.Account, c store.Credentials) error {
					if c.Hash != "h" {
						return fmt.Errorf("account %d without its hash", a.ID)
					}
					return fn(a.ID)
				})
			}},
			{"EachCertificate", false, func(p sb.Page, fn func(int64) error) error {
				return tx.EachCertificate(ctx, d.ID, func(c sb.Certificate, sealed string) error { return fn(c.ID) })
			}},
		}
		for _, c := range cases {
			collect := func(t *testing.T, p sb.Page) []int64 {
				t.Helper()
				var ids []int64
				err := c.walk(p, func(id int64) error {
					if inUse := s.DB().Stats().InUse; inUse != 0 {
						return fmt.Errorf("%d database connections held while the caller handles a row", inUse)
					}
					ids = append(ids, id)
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				return ids
			}
			var all []int64
			t.Run(c.name+" sees every row once, in id order, with no connection held", func(t *testing.T) {
				all = collect(t, sb.Page{})
				if len(all) != n || !slices.IsSorted(all) || len(slices.Compact(slices.Clone(all))) != n {
					t.Fatalf("%d rows (sorted %v), want %d distinct", len(all), slices.IsSorted(all), n)
				}
			})
			if !c.paged || len(all) != n {
				continue
			}
			for _, p := range []sb.Page{{Limit: 1500}, {After: all[499], Limit: 1001}, {After: all[999]}, {After: all[n-3], Limit: 1000}} {
				t.Run(fmt.Sprintf("%s keeps to a page (limit %d, after id %d) across chunks", c.name, p.Limit, p.After), func(t *testing.T) {
					start, _ := slices.BinarySearch(all, p.After+1)
					want := all[start:]
					if p.Limit > 0 && len(want) > p.Limit {
						want = want[:p.Limit]
					}
					if got := collect(t, p); !slices.Equal(got, want) {
						t.Fatalf("got %d rows from %v, want %d from %v", len(got), got[:min(3, len(got))], len(want), want[:min(3, len(want))])
					}
				})
			}
		}
	})
}

// TestConcurrentWalksKeepTheirOwnRows walks two domains' mailboxes from
// eight goroutines at once, whole and by pages, long lists (past a chunk)
// and short: the walks share pooled row buffers one after another, and
// every walk must see exactly its domain's rows, in order, each once.
func TestConcurrentWalksKeepTheirOwnRows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		ten, a := seed(t, s)
		b := &sb.Domain{Name: "b.example", TenantID: ten.ID, CreatedAt: when}
		if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.CreateDomain(ctx, b) }); err != nil {
			t.Fatal(err)
		}
		sizes := map[int64]int{a.ID: 1500, b.ID: 40} // past a chunk, and short
		err := s.InTx(ctx, func(tx *store.Tx) error {
			for _, d := range []*sb.Domain{a, b} {
				var bulk []store.BulkAccount
				for i := range sizes[d.ID] {
					bulk = append(bulk, store.BulkAccount{Local: fmt.Sprintf("u%04d", i), Email: fmt.Sprintf("u%04d@%s", i, d.Name)})
				}
				if err := tx.BulkInsertAccounts(ctx, d.ID, "h", when, bulk); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		names := map[int64]string{a.ID: a.Name, b.ID: b.Name}
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 20 {
					d := a.ID
					if (g+i)%2 == 1 {
						d = b.ID
					}
					page := sb.Page{Limit: []int{0, 7, 100}[i%3]}
					want := sizes[d]
					if page.Limit > 0 {
						want = min(want, page.Limit)
					}
					n := 0
					err := s.Read().EachMailboxUsage(ctx, d, page, func(u sb.MailboxUsage) error {
						if u.DomainID != d || u.Email != fmt.Sprintf("u%04d@%s", n, names[d]) {
							return fmt.Errorf("row %d of domain %d: %+v", n, d, u)
						}
						n++
						return nil
					})
					if err == nil && n != want {
						err = fmt.Errorf("domain %d, limit %d: %d rows, want %d", d, page.Limit, n, want)
					}
					if err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
	})
}
