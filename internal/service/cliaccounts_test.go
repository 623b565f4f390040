package service_test

import (
	"context"
	"slices"
	"testing"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/testenv"
)

func TestCommandLineAccountChanges(t *testing.T) {
	eachService(t, service.Config{}, func(t *testing.T, s *service.Service, _ *testenv.Clock, acme sb.Actor) {
		ctx := context.Background()
		if _, err := s.CreateAccountCLI(ctx, sb.SystemActor, "boss@a.test", "boss-password", "", true); err != nil {
			t.Fatal(err)
		}
		state := func() *sb.Account {
			t.Helper()
			a, err := s.GetMailbox(ctx, acme, "boss@a.test")
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		works := func(pw string) bool {
			_, err := s.CheckAccountPassword(ctx, "boss@a.test", pw, "127.0.0.1")
			return err == nil
		}
		for _, tc := range []struct {
			name     string
			do       func() error
			code     string // "" for success
			admin    bool
			algs     []string
			password string // the one that works afterwards
		}{
			{"a tenant may not take an admin right", func() error { return s.SetAccountAdmin(ctx, acme, "boss@a.test", false) },
				sb.EFORBIDDEN, true, []string{"MD5", "SHA-256"}, "boss-password"},
			{"the command line takes the admin right", func() error { return s.SetAccountAdmin(ctx, sb.SystemActor, "boss@a.test", false) },
				"", false, []string{"MD5", "SHA-256"}, "boss-password"},
			{"and gives it back", func() error { return s.SetAccountAdmin(ctx, sb.SystemActor, "BOSS@a.test", true) },
				"", true, []string{"MD5", "SHA-256"}, "boss-password"},
			{"an unknown account is not found", func() error { return s.SetAccountAdmin(ctx, sb.SystemActor, "nobody@a.test", false) },
				sb.ENOTFOUND, true, []string{"MD5", "SHA-256"}, "boss-password"},
			{"a tenant may not set a password from the command line", func() error {
				_, err := s.SetAccountPasswordCLI(ctx, acme, "boss@a.test", "tenant-password", "")
				return err
			}, sb.EFORBIDDEN, true, []string{"MD5", "SHA-256"}, "boss-password"},
			{"an unknown algorithm is refused", func() error {
				_, err := s.SetAccountPasswordCLI(ctx, sb.SystemActor, "boss@a.test", "other-password", "SHA-512")
				return err
			}, sb.EINVALID, true, []string{"MD5", "SHA-256"}, "boss-password"},
			{"a short password is refused", func() error {
				_, err := s.SetAccountPasswordCLI(ctx, sb.SystemActor, "boss@a.test", "short", "")
				return err
			}, sb.EINVALID, true, []string{"MD5", "SHA-256"}, "boss-password"},
			{"the command line sets a SHA-256-only password", func() error {
				_, err := s.SetAccountPasswordCLI(ctx, sb.SystemActor, "boss@a.test", "sha-password", "SHA-256")
				return err
			}, "", true, []string{"SHA-256"}, "sha-password"},
			{"and one for both algorithms", func() error {
				_, err := s.SetAccountPasswordCLI(ctx, sb.SystemActor, "boss@a.test", "both-password", "")
				return err
			}, "", true, []string{"MD5", "SHA-256"}, "both-password"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if err := tc.do(); sb.ErrorCode(err) != tc.code {
					t.Fatalf("error %v, want code %q", err, tc.code)
				}
				a := state()
				if a.Admin != tc.admin || !slices.Equal(a.Algorithms, tc.algs) || !works(tc.password) {
					t.Fatalf("admin %v algorithms %v (want %v %v), password %q works: %v", a.Admin, a.Algorithms, tc.admin, tc.algs, tc.password, works(tc.password))
				}
			})
		}
	})
}
