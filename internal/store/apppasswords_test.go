package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
)

// mailAppPasswords is what Dovecot's app password passdb sees: "email
// handle protocol" per row of mail_app_passwords.
func mailAppPasswords(t *testing.T, s *store.Store) []string {
	t.Helper()
	rows, err := s.DB().Query(`SELECT email, handle, protocol, password FROM mail_app_passwords ORDER BY email, handle, protocol`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var email, handle, protocol, hash string
		if err := rows.Scan(&email, &handle, &protocol, &hash); err != nil {
			t.Fatal(err)
		}
		out = append(out, email+" "+handle+" "+protocol+" "+hash)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// The mail_app_passwords view is Dovecot's contract: one row per app
// password and protocol it may use, for active mailboxes only, holding the
// hash as stored.
func TestMailAppPasswordsView(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		fx := newFixture(t, s)
		hash, err := auth.NewHasher(auth.TestParams).Hash(context.Background(), "handle01secret")
		if err != nil {
			t.Fatal(err)
		}
		add := func(handle string, protocols ...string) int64 {
			t.Helper()
			var id int64
			err := s.InTx(ctx, func(tx *store.Tx) error {
				id, err = tx.CreateAppPassword(ctx, store.NewAppPassword{AccountID: fx.account.ID, Handle: handle, Name: handle,
					Protocols: protocols, Hash: hash}, time.Unix(1_800_000_000, 0))
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		add("handle01", "imap", "smtp")
		add("handle02")
		add("handle03", "sieve")
		h := " " + hash
		want := []string{
			"owner@example.com handle01 imap" + h, "owner@example.com handle01 smtp" + h,
			"owner@example.com handle02 imap" + h, "owner@example.com handle02 pop3" + h,
			"owner@example.com handle02 sieve" + h, "owner@example.com handle02 smtp" + h,
			"owner@example.com handle03 sieve" + h,
		}
		t.Run("one row per allowed protocol, every protocol without a limit", func(t *testing.T) {
			if got := mailAppPasswords(t, s); !slices.Equal(got, want) {
				t.Fatalf("view:\n%q\nwant\n%q", got, want)
			}
		})
		t.Run("a handle is unique", func(t *testing.T) {
			err := s.InTx(ctx, func(tx *store.Tx) error {
				_, err := tx.CreateAppPassword(ctx, store.NewAppPassword{AccountID: fx.account.ID, Handle: "handle01", Name: "x", Hash: hash}, time.Now())
				return err
			})
			if err == nil {
				t.Fatal("a second handle01 was stored")
			}
		})
		t.Run("an inactive mailbox's app passwords leave the view", func(t *testing.T) {
			setActive := func(on bool) {
				if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.SetAccountActive(ctx, fx.account.ID, on, time.Now()) }); err != nil {
					t.Fatal(err)
				}
			}
			setActive(false)
			if got := mailAppPasswords(t, s); len(got) != 0 {
				t.Fatalf("view of an inactive mailbox: %q", got)
			}
			setActive(true)
			if got := mailAppPasswords(t, s); !slices.Equal(got, want) {
				t.Fatalf("view after reactivation: %q", got)
			}
		})
		t.Run("a deleted account takes its app passwords along", func(t *testing.T) {
			if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteAccount(ctx, fx.account.ID) }); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := s.DB().QueryRow(`SELECT COUNT(*) FROM app_passwords`).Scan(&n); err != nil || n != 0 {
				t.Fatalf("%d app passwords outlived their account (%v)", n, err)
			}
		})
	})
}
