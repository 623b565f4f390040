package digest_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/digest"
)

func TestMemoryCounter(t *testing.T) {
	type step struct {
		nonce string
		nc    uint64
		after time.Duration // clock advance before the step
		want  bool
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{name: "increasing counts are accepted", steps: []step{{"a", 1, 0, true}, {"a", 2, 0, true}, {"a", 7, 0, true}}},
		{name: "a repeated count is refused", steps: []step{{"a", 1, 0, true}, {"a", 1, 0, false}}},
		{name: "a lower count is refused", steps: []step{{"a", 5, 0, true}, {"a", 3, 0, false}, {"a", 6, 0, true}}},
		{name: "nonces are counted separately", steps: []step{{"a", 2, 0, true}, {"b", 1, 0, true}, {"a", 1, 0, false}}},
		{name: "a count of zero is refused", steps: []step{{"a", 0, 0, false}}},
		{name: "a count after the nonce expired is refused", steps: []step{{"a", 1, 0, true}, {"a", 2, testTTL, false}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			expires := clk.Now().Add(testTTL)
			m := digest.NewMemoryCounter(clk.Now)
			for i, s := range tc.steps {
				clk.Add(s.after)
				got, err := m.Advance(context.Background(), s.nonce, s.nc, expires)
				if err != nil {
					t.Fatal(err)
				}
				if got != s.want {
					t.Fatalf("step %d: Advance(%s, %d) = %v, want %v", i, s.nonce, s.nc, got, s.want)
				}
			}
		})
	}
}

func TestMemoryCounterPrunesExpiredNonces(t *testing.T) {
	clk := newClock()
	m := digest.NewMemoryCounter(clk.Now)
	ctx := context.Background()
	for i := range 1000 {
		if ok, _ := m.Advance(ctx, fmt.Sprint("old", i), 1, clk.Now().Add(time.Minute)); !ok {
			t.Fatal("fresh nonce refused")
		}
	}
	clk.Add(2 * time.Minute)
	for i := range 1000 {
		m.Advance(ctx, fmt.Sprint("new", i), 1, clk.Now().Add(time.Minute))
	}
	if n := m.Len(); n > 1000 {
		t.Fatalf("counter holds %d nonces, want the expired ones pruned", n)
	}
}

func TestMemoryCounterAcceptsEachCountOnceUnderConcurrency(t *testing.T) {
	clk := newClock()
	m := digest.NewMemoryCounter(clk.Now)
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted := 0
	for range 50 {
		wg.Go(func() {
			ok, _ := m.Advance(context.Background(), "n", 1, clk.Now().Add(time.Minute))
			if ok {
				mu.Lock()
				accepted++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if accepted != 1 {
		t.Fatalf("nc=1 accepted %d times, want once", accepted)
	}
}
