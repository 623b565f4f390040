package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
	"github.com/switchboard/switchboard/internal/testenv"
)

func TestPurgeExpiredForgetsOnlyLongExpiredNonces(t *testing.T) {
	now := time.Unix(1_800_000_000, 0).UTC()
	cases := []struct {
		name    string
		expires time.Time
		kept    bool
	}{
		{"a nonce that expired an hour ago is forgotten", now.Add(-time.Hour), false},
		{"a nonce that expired a second ago is kept, for instances whose clocks lag", now.Add(-time.Second), true},
		{"a live nonce is kept", now.Add(time.Minute), true},
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc, _ := testenv.Service(t, st, func(cfg *service.Config) { cfg.Now = func() time.Time { return now } })
		for _, c := range cases {
			err := st.InTx(ctx, func(tx *store.Tx) error {
				_, err := tx.AdvanceNonce(ctx, c.name, 5, c.expires, now)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := svc.PurgeExpired(ctx); err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				// A kept row still holds nc 5, so a replayed nc 1 is refused;
				// a forgotten one takes nc 1 as a first use.
				var fresh bool
				err := st.InTx(ctx, func(tx *store.Tx) error {
					var err error
					fresh, err = tx.AdvanceNonce(ctx, c.name, 1, c.expires, now)
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				if kept := !fresh; kept != c.kept {
					t.Fatalf("row kept = %v, want %v", kept, c.kept)
				}
			})
		}
	})
}
