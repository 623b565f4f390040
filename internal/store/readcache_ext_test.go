package store_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/store"
)

// sqliteFile opens a store on a new SQLite file and returns its URL too.
func sqliteFile(t *testing.T) (*store.Store, string) {
	t.Helper()
	url := "sqlite:" + t.TempDir() + "/switchboard.db"
	s, err := store.Open(context.Background(), url, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, url
}

func tenantWithToken(t testing.TB, s *store.Store, name, hash string) int64 {
	t.Helper()
	ctx := context.Background()
	ten := &sb.Tenant{Name: name, Role: sb.RoleTenant, CreatedAt: time.Now()}
	if err := s.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.CreateTenant(ctx, ten, "hash"); err != nil {
			return err
		}
		return tx.CreateToken(ctx, hash, ten.ID, time.Now(), time.Now().Add(time.Hour))
	}); err != nil {
		t.Fatal(err)
	}
	return ten.ID
}

// TestReadCacheHelperProcess is the other process of
// TestReadCacheSeesOtherProcesses: it revokes a token and exits.
func TestReadCacheHelperProcess(t *testing.T) {
	url, hash := os.Getenv("SB_READCACHE_URL"), os.Getenv("SB_READCACHE_TOKEN")
	if url == "" {
		t.Skip("run by TestReadCacheSeesOtherProcesses")
	}
	ctx := context.Background()
	s, err := store.Open(ctx, url, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteToken(ctx, hash) }); err != nil {
		t.Fatal(err)
	}
}

// A read answered from the cache until something commits, by this store,
// another store on the file, or another process (the CLI revoking a
// token): the next read after the commit returns goes to the database.
func TestReadCacheSeesOtherProcesses(t *testing.T) {
	ctx := context.Background()
	s, url := sqliteFile(t)
	const hash = "0123456789abcdef"
	id := tenantWithToken(t, s, "acme", hash)
	now := time.Now() // one second of the key: reads at another would miss
	lookup := func() (*sb.Tenant, error) { return s.Read().TokenTenant(ctx, hash, now) }
	stats := func() (int64, int64) {
		h, m, ok := s.ReadCacheStats()
		if !ok {
			t.Fatal("SQLite store without a read cache")
		}
		return h, m
	}
	for range 3 {
		if ten, err := lookup(); err != nil || ten.ID != id {
			t.Fatalf("token: %v, %v", ten, err)
		}
	}
	if h, _ := stats(); h < 2 {
		t.Fatalf("three reads of an unchanged database: %d answered from the cache, want 2", h)
	}

	// Another store on the same file commits something unrelated: the
	// cache drops what it kept, and the read still finds the token.
	other, err := store.Open(ctx, url, "")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tenantWithToken(t, other, "other", "fedcba9876543210")
	h0, m0 := stats()
	if _, err := lookup(); err != nil {
		t.Fatal(err)
	}
	if h, m := stats(); h != h0 || m != m0+1 {
		t.Errorf("the read after another store's commit: hits %d→%d, misses %d→%d; want a miss", h0, h, m0, m)
	}

	// Another process revokes the token.
	cmd := exec.Command(os.Args[0], "-test.run=^TestReadCacheHelperProcess$", "-test.v")
	cmd.Env = append(os.Environ(), "SB_READCACHE_URL="+url, "SB_READCACHE_TOKEN="+hash)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("helper process: %v\n%s", err, out)
	}
	if ten, err := lookup(); sb.ErrorCode(err) != sb.ENOTFOUND {
		t.Fatalf("token revoked by another process still resolves: %v, %v", ten, err)
	}
}

// No read through the cache returns what an earlier commit replaced, by
// whichever store it came: a one-row read, a list of plain rows (kept as a
// chunk and copied back whole) and a list of rows with slices (kept as
// columns and replayed through their scan).
func TestReadCacheNeverStale(t *testing.T) {
	reads := []struct {
		name   string
		update string // sets a number from the one argument, on the row with the other
		read   func(ctx context.Context, s *store.Store, ten *sb.Tenant, d *sb.Domain) (string, error)
	}{
		{"one row", `UPDATE tenants SET memo = ? WHERE id = ?`, func(ctx context.Context, s *store.Store, ten *sb.Tenant, _ *sb.Domain) (string, error) {
			got, err := s.Read().TenantByID(ctx, ten.ID)
			if err != nil {
				return "", err
			}
			return got.Memo, nil
		}},
		{"plain rows", `UPDATE domains SET memo = ? WHERE id = ?`, func(ctx context.Context, s *store.Store, ten *sb.Tenant, d *sb.Domain) (string, error) {
			var memo string
			err := s.Read().EachDomain(ctx, ten.ID, sb.Page{Limit: 10}, func(got sb.Domain) error {
				if got.ID == d.ID {
					memo = got.Memo
				}
				return nil
			})
			return memo, err
		}},
		{"replayed rows", `UPDATE accounts SET first_name = ? WHERE domain_id = ?`, func(ctx context.Context, s *store.Store, _ *sb.Tenant, d *sb.Domain) (string, error) {
			var name string
			err := s.Read().EachAccount(ctx, d.ID, sb.Page{Limit: 10}, func(a sb.Account) error {
				name = a.FirstName
				return nil
			})
			return name, err
		}},
	}
	for _, rd := range reads {
		t.Run(rd.name, func(t *testing.T) {
			ctx := context.Background()
			s, url := sqliteFile(t)
			other, err := store.Open(ctx, url, "")
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			ten := &sb.Tenant{Name: "acme", Role: sb.RoleTenant, CreatedAt: time.Now()}
			d := &sb.Domain{Name: "example.com", CreatedAt: time.Now()}
			err = s.InTx(ctx, func(tx *store.Tx) error {
				if err := tx.CreateTenant(ctx, ten, "hash"); err != nil {
					return err
				}
				d.TenantID = ten.ID
				if err := tx.CreateDomain(ctx, d); err != nil {
					return err
				}
				a := &sb.Account{DomainID: d.ID, Local: "box", Email: "box@example.com", CreatedAt: time.Now(), UpdatedAt: time.Now()}
				return tx.CreateAccount(ctx, a, store.Credentials{Hash: "h"})
			})
			if err != nil {
				t.Fatal(err)
			}
			row := map[bool]int64{true: d.ID, false: ten.ID}[rd.name != "one row"]
			var committed atomic.Int64 // the last number whose commit returned
			const writes = 200
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := int64(1); i <= writes; i++ {
					// Half the commits through this store, half through another.
					w := s
					if i%2 == 0 {
						w = other
					}
					if err := w.ExecSQL(ctx, rd.update, fmt.Sprint(i), row); err != nil {
						t.Error(err)
						return
					}
					committed.Store(i)
				}
			}()
			var stale, reads atomic.Int64
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for committed.Load() < writes {
						before := committed.Load()
						got, err := rd.read(ctx, s, ten, d)
						if err != nil {
							t.Error(err)
							return
						}
						reads.Add(1)
						var n int64
						fmt.Sscan(got, &n)
						if n < before {
							stale.Add(1)
						}
					}
				}()
			}
			wg.Wait()
			if n := stale.Load(); n > 0 {
				t.Errorf("%d of %d reads returned a number older than one already committed", n, reads.Load())
			}
			if h, _, _ := s.ReadCacheStats(); h == 0 {
				t.Error("no read was answered from the cache: the test proves nothing")
			}
		})
	}
}

// BenchmarkTokenTenant is a token lookup (the first read of every mail
// admin request) with the read cache and without it.
func BenchmarkTokenTenant(b *testing.B) {
	for _, cached := range []bool{true, false} {
		b.Run(map[bool]string{true: "cache", false: "no-cache"}[cached], func(b *testing.B) {
			ctx := context.Background()
			s, err := store.Open(ctx, "sqlite:"+b.TempDir()+"/switchboard.db", "")
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if !cached {
				s.DisableReadCache()
			}
			const hash = "0123456789abcdef"
			tenantWithToken(b, s, "acme", hash)
			now := time.Now()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Read().TokenTenant(ctx, hash, now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A wal-index file deleted by hand under a running store (SQLite itself
// deletes it only as the last connection closes, which the cache's own
// connection rules out) leaves the store's connections on the pages they
// mapped. The cache reads the header from those same pages, so a commit
// through the store still reaches it at once: it is exactly as fresh as
// the store's own reads.
func TestReadCacheFollowsTheMappedIndex(t *testing.T) {
	ctx := context.Background()
	s, url := sqliteFile(t)
	const hash = "0123456789abcdef"
	tenantWithToken(t, s, "acme", hash)
	now := time.Now()
	for range 2 {
		if _, err := s.Read().TokenTenant(ctx, hash, now); err != nil {
			t.Fatal(err)
		}
	}
	if h, _, _ := s.ReadCacheStats(); h == 0 {
		t.Fatal("no read answered from the cache before the deletion")
	}
	if err := os.Remove(strings.TrimPrefix(url, "sqlite:") + "-shm"); err != nil {
		t.Fatal(err)
	}
	if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteToken(ctx, hash) }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Read().TokenTenant(ctx, hash, now); sb.ErrorCode(err) != sb.ENOTFOUND {
		t.Fatalf("revoked token after the deletion: %v, want ENOTFOUND", err)
	}
}

// Closing the store unmaps the wal-index file while reads may still run:
// they get an error, never the unmapped memory (a fault no recover
// catches).
func TestReadCacheClosedUnderReaders(t *testing.T) {
	ctx := context.Background()
	s, _ := sqliteFile(t)
	const hash = "0123456789abcdef"
	tenantWithToken(t, s, "acme", hash)
	now := time.Now()
	started := make(chan struct{}, 4)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			for i := 0; ; i++ {
				if _, err := s.Read().TokenTenant(ctx, hash, now); err != nil {
					errs <- err
					return
				}
				if i == 10 {
					started <- struct{}{}
				}
			}
		}()
	}
	for range 4 {
		<-started
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		if err := <-errs; err == nil {
			t.Fatal("a read after close succeeded")
		}
	}
}
