package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
)

// A burst of as many requests as the pool has connections must leave them
// all open: a pool that keeps fewer idle than it opens closes the rest as
// they come back, and on PostgreSQL the next burst pays a new backend
// (a fork and an authentication) for each, which halved the rate of every
// hot GET under 32 connections.
func TestPoolKeepsItsConnectionsAfterABurst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		db := s.DB()
		n := db.Stats().MaxOpenConnections
		if n <= 0 {
			t.Fatalf("the pool has no bound (MaxOpenConnections %d)", n)
		}
		for range 3 {
			var held, release, done sync.WaitGroup
			held.Add(n)
			release.Add(1)
			done.Add(n)
			errs := make(chan error, n)
			for range n {
				go func() {
					defer done.Done()
					c, err := db.Conn(ctx)
					held.Done()
					if err != nil {
						errs <- err
						return
					}
					defer c.Close()
					var one int
					if err := c.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
						errs <- err
					}
					release.Wait()
				}()
			}
			held.Wait()
			release.Done()
			done.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
		}
		if st := db.Stats(); st.MaxIdleClosed != 0 || st.OpenConnections != n {
			t.Errorf("after three bursts of %d: %d connections open, %d closed for want of idle room (want %d, 0)",
				n, st.OpenConnections, st.MaxIdleClosed, n)
		}
	})
}
