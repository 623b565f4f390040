package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
)

// TestQuotaContract checks what Dovecot reads and writes: mail_users'
// quota_rule in the userdb's syntax, the usage its dict writes in
// quota_usage shown on the account, and the usage forgotten with the
// account and with its domain.
func TestQuotaContract(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		_, d := seed(t, s)
		mk := func(local string, q sb.MailboxQuota) *sb.Account {
			t.Helper()
			a := &sb.Account{DomainID: d.ID, Local: local, Email: local + "@" + d.Name, Active: true, Quota: q}
			if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.CreateAccount(ctx, a, store.Credentials{Hash: "h"}) }); err != nil {
				t.Fatal(err)
			}
			return a
		}
		full := mk("full", sb.MailboxQuota{Bytes: 102400, Messages: 10})
		free := mk("free", sb.MailboxQuota{})
		for _, tc := range []struct{ email, rule string }{
			{full.Email, "*:bytes=102400:messages=10"},
			{free.Email, "*:bytes=0:messages=0"},
		} {
			var rule string
			if err := s.Read().QueryRowSQL(ctx, `SELECT quota_rule FROM mail_users WHERE email = ?`, tc.email).Scan(&rule); err != nil || rule != tc.rule {
				t.Errorf("quota_rule of %s = %q (%v), want %q", tc.email, rule, err, tc.rule)
			}
		}
		// mail_aliases reads mail_users, which 0020 replaced under it.
		var self string
		if err := s.Read().QueryRowSQL(ctx, `SELECT destination FROM mail_aliases WHERE source = ?`, full.Email).Scan(&self); err != nil || self != full.Email {
			t.Errorf("mail_aliases of %s = %q (%v)", full.Email, self, err)
		}
		// What Dovecot's dict-sql writes.
		for _, e := range []string{full.Email, free.Email} {
			if err := s.ExecSQL(ctx, `INSERT INTO quota_usage (username, bytes, messages) VALUES (?, 4321, 3)`, e); err != nil {
				t.Fatal(err)
			}
		}
		a, err := s.Read().AccountByID(ctx, full.ID)
		if err != nil || a.QuotaUsed != (sb.QuotaUsage{Bytes: 4321, Messages: 3}) || a.Quota.Bytes != 102400 {
			t.Fatalf("account %+v, %v", a, err)
		}
		usage := func(email string) int {
			t.Helper()
			var n int
			if err := s.Read().QueryRowSQL(ctx, `SELECT count(*) FROM quota_usage WHERE username = ?`, email).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteAccount(ctx, full.ID) }); err != nil {
			t.Fatal(err)
		}
		if usage(full.Email) != 0 || usage(free.Email) != 1 {
			t.Fatalf("after deleting %s: usage rows %d and %d", full.Email, usage(full.Email), usage(free.Email))
		}
		if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteDomain(ctx, d.ID) }); err != nil {
			t.Fatal(err)
		}
		if usage(free.Email) != 0 {
			t.Fatalf("the domain's delete left %s's usage", free.Email)
		}
	})
}

// TestTenantLocks checks on PostgreSQL what each tenant lock lets another
// transaction do while it is held, with NOWAIT locks and a try of the
// advisory lock from a second transaction, so nothing waits: ShareTenant
// lets other writers share the row and keeps a limit change out;
// SerializeTenant keeps the other writers of the tenant, and only them,
// out; LockTenant keeps every locker out. SQLite's single writer
// serialises every write transaction, so there is nothing to probe there.
func TestTenantLocks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		if s.Dialect() != store.Postgres {
			t.Skip("SQLite serialises every writer")
		}
		ctx := context.Background()
		ten, _ := seed(t, s)
		other := &sb.Tenant{Name: "other", Role: sb.RoleTenant}
		if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.CreateTenant(ctx, other, "hash") }); err != nil {
			t.Fatal(err)
		}
		// probe answers whether each lock on the tenant is free now, each
		// tried in a transaction of its own (a refused NOWAIT aborts it).
		type free struct{ share, update, serial bool }
		probe := func(t *testing.T, id int64) free {
			t.Helper()
			try := func(q string) (ok bool) {
				errRollback := errors.New("probe: roll back")
				err := s.InTx(ctx, func(tx *store.Tx) error {
					var v any
					err := tx.QueryRowSQL(ctx, q, id).Scan(&v)
					if err != nil && !strings.Contains(err.Error(), "55P03") { // lock_not_available
						return err
					}
					ok = err == nil && v != false
					return errRollback
				})
				if err != errRollback {
					t.Fatalf("%s: %v", q, err)
				}
				return ok
			}
			return free{
				share:  try(`SELECT id FROM tenants WHERE id = ? FOR SHARE NOWAIT`),
				update: try(`SELECT id FROM tenants WHERE id = ? FOR NO KEY UPDATE NOWAIT`),
				serial: try(`SELECT pg_try_advisory_xact_lock(-?::bigint)`),
			}
		}
		for _, tc := range []struct {
			name      string
			hold      func(tx *store.Tx) error
			tenant    free // while it is held
			neighbour free
		}{
			{"ShareTenant", func(tx *store.Tx) error { _, err := tx.ShareTenant(ctx, ten.ID); return err },
				free{share: true, serial: true}, free{true, true, true}},
			{"ShareTenantAndPlane", func(tx *store.Tx) error { _, _, err := tx.ShareTenantAndPlane(ctx, ten.ID); return err },
				free{share: true, serial: true}, free{true, true, true}},
			{"ShareTenant+SerializeTenant", func(tx *store.Tx) error {
				if _, err := tx.ShareTenant(ctx, ten.ID); err != nil {
					return err
				}
				return tx.SerializeTenant(ctx, ten.ID)
			}, free{share: true}, free{true, true, true}},
			{"LockTenant", func(tx *store.Tx) error { _, err := tx.LockTenant(ctx, ten.ID); return err },
				free{serial: true}, free{true, true, true}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := s.InTx(ctx, func(tx *store.Tx) error {
					if err := tc.hold(tx); err != nil {
						return err
					}
					if got := probe(t, ten.ID); got != tc.tenant {
						t.Errorf("while held, the tenant's locks free: %+v, want %+v", got, tc.tenant)
					}
					if got := probe(t, other.ID); got != tc.neighbour {
						t.Errorf("while held, another tenant's locks free: %+v, want %+v", got, tc.neighbour)
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if got := probe(t, ten.ID); got != (free{true, true, true}) {
					t.Errorf("after commit, the tenant's locks free: %+v, want all", got)
				}
			})
		}
	})
}
