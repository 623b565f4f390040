package store_test

import (
	"context"
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
