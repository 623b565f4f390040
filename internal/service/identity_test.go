package service_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
	"github.com/switchboard/switchboard/internal/testenv"
)

// eachService runs fn on every backend with a service whose clock is c,
// tenant acme (password acme-password) and domain a.test.
func eachService(t *testing.T, cfg service.Config, fn func(t *testing.T, s *service.Service, c *testenv.Clock, acme sb.Actor)) {
	t.Helper()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		c := testenv.NewClock(time.Unix(1_800_000_000, 0))
		s, _ := testenv.Service(t, st, func(base *service.Config) {
			want := cfg
			want.Store, want.Hasher, want.Seal, want.Now = base.Store, base.Hasher, base.Seal, c.Now
			*base = want
		})
		ctx := context.Background()
		ten, err := s.CreateTenant(ctx, sb.SystemActor, "acme", "acme-password", sb.RoleTenant)
		if err != nil {
			t.Fatal(err)
		}
		acme := sb.Actor{TenantID: ten.ID, TenantName: ten.Name, Role: ten.Role}
		if _, _, err := s.CreateDomain(ctx, acme, sb.NewDomain{Name: "a.test", Owner: ""}); err != nil {
			t.Fatal(err)
		}
		fn(t, s, c, acme)
	})
}

func TestOnePasswordPolicy(t *testing.T) {
	cases := []struct {
		name     string
		min      int
		password string
		ok       bool
	}{
		{"the default refuses 7 characters", 0, "seven77", false},
		{"the default accepts 8 characters", 0, "eight888", true},
		{"a longer minimum refuses 11 characters", 12, "eleven11111", false},
		{"a longer minimum accepts 12 characters", 12, "twelve121212", true},
		{"a minimum under the SIP API's 6 is raised to 6", 3, "five5", false},
		{"the floor accepts 6 characters", 6, "six666", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachService(t, service.Config{MinPasswordLength: tc.min}, func(t *testing.T, s *service.Service, _ *testenv.Clock, acme sb.Actor) {
				ctx := context.Background()
				// Every creation path applies the same rule.
				paths := map[string]func(i int) error{
					"mailbox by name": func(i int) error {
						_, err := s.CreateMailbox(ctx, acme, sb.NewMailbox{Address: fmt.Sprintf("m%d@a.test", i), Password: tc.password, Active: true, InboxSave: true})
						return err
					},
					"command line": func(i int) error {
						_, err := s.CreateAccountCLI(ctx, sb.SystemActor, fmt.Sprintf("c%d@a.test", i), tc.password, "", false)
						return err
					},
					"tenant": func(i int) error {
						_, err := s.CreateTenant(ctx, sb.SystemActor, fmt.Sprintf("t%d", i), tc.password, sb.RoleTenant)
						return err
					},
					"account in a domain by id": func(i int) error {
						d, err := s.GetDomain(ctx, acme, "a.test")
						if err != nil {
							return err
						}
						_, err = s.CreateMailbox(ctx, acme, sb.NewMailbox{Domain: sb.DomainRef{ID: d.ID}, Address: fmt.Sprintf("r%d@a.test", i), Password: tc.password, Active: true, InboxSave: true})
						return err
					},
					"SIP account by an admin": func(i int) error {
						admin, err := s.CreateAccountCLI(ctx, sb.SystemActor, fmt.Sprintf("admin%d@a.test", i), "admin-password-long", "", true)
						if err != nil {
							return err
						}
						_, err = s.CreateSIPAccount(ctx, sb.Actor{AccountID: admin.ID, Email: admin.Email, TenantID: acme.TenantID},
							sb.NewSIPAccount{Username: fmt.Sprintf("sipuser%d", i), Password: tc.password, Algorithm: "SHA-256", Activated: true})
						return err
					},
					"domain with its first account": func(i int) error {
						d := fmt.Sprintf("d%d.test", i)
						_, _, err := s.CreateDomain(ctx, acme, sb.NewDomain{Name: d, First: &sb.FirstAccount{Address: "first@" + d, Password: tc.password}})
						return err
					},
				}
				i := 0
				for name, create := range paths {
					i++
					err := create(i)
					if tc.ok && err != nil || !tc.ok && sb.ErrorCode(err) != sb.EINVALID {
						t.Errorf("%s: %v (want ok=%v)", name, err, tc.ok)
					}
				}
			})
		})
	}
}

func TestGuardGivesBackRightAttempts(t *testing.T) {
	eachService(t, service.Config{}, func(t *testing.T, s *service.Service, c *testenv.Clock, _ sb.Actor) {
		ctx := context.Background()
		burst := service.DefaultAttempts.Burst
		t.Run("right passwords never spend the bucket", func(t *testing.T) {
			for i := range 3 * burst {
				if _, err := s.CheckTenantPassword(ctx, "acme", "acme-password", "192.0.2.1"); err != nil {
					t.Fatalf("login %d: %v", i, err)
				}
			}
		})
		t.Run("wrong ones do, then even the right one waits", func(t *testing.T) {
			for i := range burst {
				if _, err := s.CheckTenantPassword(ctx, "acme", "wrong", fmt.Sprint("192.0.2.", 10+i)); sb.ErrorCode(err) != sb.EUNAUTHORIZED {
					t.Fatalf("guess %d: %v", i, err)
				}
			}
			if _, err := s.CheckTenantPassword(ctx, "acme", "acme-password", "192.0.2.99"); sb.ErrorCode(err) != sb.ERATELIMIT {
				t.Fatalf("right password over the limit: %v, want ERATELIMIT", err)
			}
		})
		t.Run("one attempt comes back per period", func(t *testing.T) {
			c.Add(service.DefaultAttempts.Every)
			if _, err := s.CheckTenantPassword(ctx, "acme", "acme-password", "192.0.2.99"); err != nil {
				t.Fatalf("after one period: %v", err)
			}
		})
		t.Run("housekeeping forgets full buckets only", func(t *testing.T) {
			if _, err := s.CheckTenantPassword(ctx, "acme", "wrong", "192.0.2.200"); sb.ErrorCode(err) != sb.EUNAUTHORIZED {
				t.Fatal(err)
			}
			if err := s.PurgeExpired(ctx); err != nil {
				t.Fatal(err)
			}
			// The tenant's bucket is still short: nine more guesses, then
			// the limit.
			for i := range burst - 1 {
				s.CheckTenantPassword(ctx, "acme", "wrong", fmt.Sprint("198.51.100.", i))
			}
			if _, err := s.CheckTenantPassword(ctx, "acme", "acme-password", "198.51.100.200"); sb.ErrorCode(err) != sb.ERATELIMIT {
				t.Fatalf("purge refilled a live bucket: %v", err)
			}
		})
	})
}

func TestSessionIdleIsExactToTheSecond(t *testing.T) {
	eachService(t, service.Config{SessionIdle: 5 * time.Second}, func(t *testing.T, s *service.Service, c *testenv.Clock, _ sb.Actor) {
		ctx := context.Background()
		tok, _, err := s.OpenSession(ctx, "acme", "acme-password", "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		for i := range 10 {
			c.Add(2 * time.Second)
			if _, err := s.ResumeSession(ctx, tok, "192.0.2.1"); err != nil {
				t.Fatalf("session used every 2 s died after %d s: %v", 2*(i+1), err)
			}
		}
		c.Add(6 * time.Second)
		if _, err := s.ResumeSession(ctx, tok, "192.0.2.1"); sb.ErrorCode(err) != sb.EUNAUTHORIZED {
			t.Fatalf("session idle 6 s with a 5 s limit: %v, want EUNAUTHORIZED", err)
		}
	})
}

func TestDeactivationRevokesEveryLogin(t *testing.T) {
	eachService(t, service.Config{}, func(t *testing.T, s *service.Service, _ *testenv.Clock, acme sb.Actor) {
		ctx := context.Background()
		if _, err := s.CreateMailbox(ctx, acme, sb.NewMailbox{Address: "bob@a.test", Password: "bob-password", Active: true, InboxSave: true}); err != nil {
			t.Fatal(err)
		}
		tok, _, err := s.OpenSession(ctx, "bob@a.test", "bob-password", "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		off, on := false, true
		if _, err := s.UpdateMailbox(ctx, acme, "bob@a.test", sb.MailboxChange{Active: &off}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateMailbox(ctx, acme, "bob@a.test", sb.MailboxChange{Active: &on}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ResumeSession(ctx, tok, "192.0.2.1"); sb.ErrorCode(err) != sb.EUNAUTHORIZED {
			t.Fatalf("a session opened before the switch-off lives on after the switch-on: %v", err)
		}
	})
}

// A mailbox and an alias created at once at one address: one of them is
// created, the other is a conflict, and the address is one or the other,
// on both databases (the INSERT of a mailbox checks the aliases itself,
// under the domain's lock).
func TestConcurrentMailboxAndAliasOfOneAddress(t *testing.T) {
	eachService(t, service.Config{}, func(t *testing.T, s *service.Service, _ *testenv.Clock, acme sb.Actor) {
		ctx := context.Background()
		const addresses = 12
		var wg sync.WaitGroup
		mailboxErrs := make([]error, addresses)
		aliasErrs := make([]error, addresses)
		for i := range addresses {
			addr := fmt.Sprintf("both%d@a.test", i)
			wg.Go(func() {
				_, mailboxErrs[i] = s.CreateMailbox(ctx, acme, sb.NewMailbox{Address: addr, Password: "race-password", Active: true, InboxSave: true})
			})
			wg.Go(func() {
				_, aliasErrs[i] = s.CreateAlias(ctx, acme, sb.DomainRef{}, addr, []string{"dest@elsewhere.test"})
			})
		}
		wg.Wait()
		var mailboxes, aliases int
		for i := range addresses {
			m, a := mailboxErrs[i], aliasErrs[i]
			if (m == nil) == (a == nil) {
				t.Errorf("address %d: mailbox %v, alias %v: want exactly one created", i, m, a)
				continue
			}
			if m == nil {
				mailboxes++
				if sb.ErrorCode(a) != sb.ECONFLICT {
					t.Errorf("address %d: the alias after the mailbox: %v, want a conflict", i, a)
				}
			} else {
				aliases++
				if sb.ErrorCode(m) != sb.ECONFLICT || !strings.Contains(sb.ErrorMessage(m), "is already an alias") {
					t.Errorf("address %d: the mailbox after the alias: %v, want the alias conflict", i, m)
				}
			}
		}
		listed := 0
		if err := s.ListAliases(ctx, acme, sb.DomainRef{Name: "a.test"}, sb.Page{}, func(a sb.Alias) error {
			if strings.HasPrefix(a.Email, "both") {
				listed++
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if listed != aliases {
			t.Errorf("%d aliases listed, %d created", listed, aliases)
		}
		t.Logf("%d mailboxes and %d aliases created first", mailboxes, aliases)
	})
}

func TestConcurrentCreatesOfOneAddress(t *testing.T) {
	eachService(t, service.Config{}, func(t *testing.T, s *service.Service, _ *testenv.Clock, acme sb.Actor) {
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.CreateMailbox(ctx, acme, sb.NewMailbox{Address: "race@a.test", Password: "race-password", Active: true, InboxSave: true})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		created := 0
		for err := range errs {
			switch {
			case err == nil:
				created++
			case sb.ErrorCode(err) != sb.ECONFLICT || !strings.Contains(sb.ErrorMessage(err), "already exists"):
				t.Errorf("concurrent create: %v, want a conflict", err)
			}
		}
		if created != 1 {
			t.Fatalf("%d creates of one address succeeded, want 1", created)
		}
	})
}
