package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
)

func TestServerSecretIsKeptByTheFirstWriter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		get := func(candidate string) string {
			var v string
			err := s.InTx(ctx, func(tx *store.Tx) error {
				var err error
				v, err = tx.ServerSecret(ctx, "k", candidate, time.Now())
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		if got := get("first"); got != "first" {
			t.Fatalf("first = %q", got)
		}
		if got := get("second"); got != "first" {
			t.Fatalf("a second instance replaced the key: %q", got)
		}
	})
}
