package store_test

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
)

func TestSearchAccountsByPrefix(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		_, d := seed(t, s)
		locals := []string{"ab", "a_b", "abc", "abd", "b", "z", "zé", "zéa", "zf", "\U0010FFFF", "a%", "A"}
		var rows []store.BulkAccount
		for _, l := range locals {
			rows = append(rows, store.BulkAccount{Local: l, Email: l + "@example.com"})
		}
		if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.BulkInsertAccounts(ctx, d.ID, "h", time.Now(), rows) }); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name, prefix, after string
			limit               int
			want                []string
		}{
			{"every account in byte order", "", "", 100, []string{"A", "a%", "a_b", "ab", "abc", "abd", "b", "z", "zf", "zé", "zéa", "\U0010FFFF"}},
			{"a prefix is exact, with no LIKE wildcards", "a_", "", 100, []string{"a_b"}},
			{"a percent sign is a character", "a%", "", 100, []string{"a%"}},
			{"a prefix includes the name itself", "ab", "", 100, []string{"ab", "abc", "abd"}},
			{"a page continues after its last local part", "ab", "ab", 1, []string{"abc"}},
			{"a non-ASCII prefix", "zé", "", 100, []string{"zé", "zéa"}},
			{"the highest code point has no upper bound", "\U0010FFFF", "", 100, []string{"\U0010FFFF"}},
			{"nothing matches", "q", "", 100, nil},
		} {
			t.Run(tt.name, func(t *testing.T) {
				q := store.AccountSearch{DomainID: d.ID, Field: store.SearchUsername, Prefix: tt.prefix, Limit: tt.limit}
				if tt.after != "" {
					q.Key, q.ID = tt.after, math.MaxInt64
				}
				page, err := s.Read().SearchAccounts(ctx, q)
				var got []string
				for _, a := range page {
					got = append(got, a.Local)
				}
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, tt.want) {
					t.Fatalf("got %q, want %q", got, tt.want)
				}
			})
		}
	})
}
