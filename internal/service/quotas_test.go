package service_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/testenv"
)

func ptr[T any](v T) *T { return &v }

func TestMailboxQuotas(t *testing.T) {
	eachService(t, service.Config{}, func(t *testing.T, s *service.Service, _ *testenv.Clock, acme sb.Actor) {
		ctx := context.Background()
		a, err := s.CreateMailbox(ctx, acme, sb.NewMailbox{Address: "q@a.test", Password: "password123", Active: true, InboxSave: true,
			Quota: &sb.QuotaChange{Bytes: ptr(int64(100 * 1024)), Messages: ptr(int64(50))}})
		if err != nil {
			t.Fatal(err)
		}
		if a.Quota != (sb.MailboxQuota{Bytes: 100 * 1024, Messages: 50}) {
			t.Fatalf("created with %+v", a.Quota)
		}
		get := func() sb.MailboxQuota {
			t.Helper()
			a, err := s.GetMailbox(ctx, acme, "q@a.test")
			if err != nil {
				t.Fatal(err)
			}
			return a.Quota
		}
		self := sb.Actor{AccountID: a.ID, Email: a.Email}
		steps := []struct {
			name string
			do   func() error
			code string
			want sb.MailboxQuota // afterwards
		}{
			{"a plan sets its preset", func() error {
				_, err := s.SetAccountQuota(ctx, acme, a.DomainID, a.ID, sb.QuotaChange{Plan: ptr("light")})
				return err
			}, "", sb.MailboxQuota{Bytes: 2 * service.GiB, Messages: 50, Plan: "light"}},
			{"additional storage goes on top of the plan", func() error {
				_, err := s.UpdateMailbox(ctx, acme, "q@a.test", sb.MailboxChange{Quota: &sb.QuotaChange{ExtraBytes: ptr(512 * service.MiB)}})
				return err
			}, "", sb.MailboxQuota{Bytes: 2*service.GiB + 512*service.MiB, Messages: 50, Plan: "light", ExtraBytes: 512 * service.MiB}},
			{"another plan keeps the additional storage", func() error {
				_, err := s.SetAccountQuota(ctx, acme, a.DomainID, a.ID, sb.QuotaChange{Plan: ptr("standard")})
				return err
			}, "", sb.MailboxQuota{Bytes: 10*service.GiB + 512*service.MiB, Messages: 50, Plan: "standard", ExtraBytes: 512 * service.MiB}},
			{"an unknown plan is refused", func() error {
				_, err := s.SetAccountQuota(ctx, acme, a.DomainID, a.ID, sb.QuotaChange{Plan: ptr("gold")})
				return err
			}, sb.EINVALID, sb.MailboxQuota{Bytes: 10*service.GiB + 512*service.MiB, Messages: 50, Plan: "standard", ExtraBytes: 512 * service.MiB}},
			{"a quota and a plan together are refused", func() error {
				_, err := s.SetAccountQuota(ctx, acme, a.DomainID, a.ID, sb.QuotaChange{Plan: ptr("light"), Bytes: ptr(int64(1))})
				return err
			}, sb.EINVALID, sb.MailboxQuota{Bytes: 10*service.GiB + 512*service.MiB, Messages: 50, Plan: "standard", ExtraBytes: 512 * service.MiB}},
			{"a limit outright replaces the plan", func() error {
				_, err := s.SetAccountQuota(ctx, acme, a.DomainID, a.ID, sb.QuotaChange{Bytes: ptr(int64(5000))})
				return err
			}, "", sb.MailboxQuota{Bytes: 5000, Messages: 50}},
			{"a negative quota is refused", func() error {
				_, err := s.SetAccountQuota(ctx, acme, a.DomainID, a.ID, sb.QuotaChange{Bytes: ptr(int64(-1))})
				return err
			}, sb.EINVALID, sb.MailboxQuota{Bytes: 5000, Messages: 50}},
			{"a quota over 1 PiB is refused", func() error {
				_, err := s.SetAccountQuota(ctx, acme, a.DomainID, a.ID, sb.QuotaChange{Bytes: ptr(int64(sb.MaxQuotaBytes + 1))})
				return err
			}, sb.EINVALID, sb.MailboxQuota{Bytes: 5000, Messages: 50}},
			{"a negative message quota is refused", func() error {
				_, err := s.SetAccountQuota(ctx, acme, a.DomainID, a.ID, sb.QuotaChange{Messages: ptr(int64(-5))})
				return err
			}, sb.EINVALID, sb.MailboxQuota{Bytes: 5000, Messages: 50}},
			{"a mailbox may not change its own quota", func() error {
				_, err := s.UpdateMailbox(ctx, self, "q@a.test", sb.MailboxChange{Quota: &sb.QuotaChange{Bytes: ptr(int64(0))}})
				return err
			}, sb.EFORBIDDEN, sb.MailboxQuota{Bytes: 5000, Messages: 50}},
			{"the wrong domain id is not found", func() error {
				_, err := s.SetAccountQuota(ctx, acme, a.DomainID+1000, a.ID, sb.QuotaChange{Bytes: ptr(int64(0))})
				return err
			}, sb.ENOTFOUND, sb.MailboxQuota{Bytes: 5000, Messages: 50}},
			{"a password change and a quota change go together", func() error {
				_, err := s.UpdateMailbox(ctx, acme, "q@a.test", sb.MailboxChange{Password: ptr("new-password-1"), Quota: &sb.QuotaChange{Bytes: ptr(int64(0)), Messages: ptr(int64(0))}})
				return err
			}, "", sb.MailboxQuota{}},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				if err := st.do(); sb.ErrorCode(err) != st.code {
					t.Fatalf("error %v, want code %q", err, st.code)
				}
				if got := get(); got != st.want {
					t.Fatalf("quota %+v, want %+v", got, st.want)
				}
			})
		}
		t.Run("another tenant sees no such mailbox", func(t *testing.T) {
			other, err := s.CreateTenant(ctx, sb.SystemActor, "other", "other-password", sb.RoleTenant)
			if err != nil {
				t.Fatal(err)
			}
			oa := sb.Actor{TenantID: other.ID, TenantName: other.Name, Role: other.Role}
			_, err = s.UpdateMailbox(ctx, oa, "q@a.test", sb.MailboxChange{Quota: &sb.QuotaChange{Bytes: ptr(int64(1))}})
			if sb.ErrorCode(err) != sb.ENOTFOUND {
				t.Fatalf("foreign quota change: %v", err)
			}
		})
	})
}

// limited makes a tenant with limits and a domain, and returns its actor.
func limited(t *testing.T, s *service.Service, name string, ch sb.TenantLimitsChange) sb.Actor {
	t.Helper()
	ctx := context.Background()
	ten, err := s.CreateTenantWithLimits(ctx, sb.SystemActor, name, "tenant-password", sb.RoleTenant, ch)
	if err != nil {
		t.Fatal(err)
	}
	return sb.Actor{TenantID: ten.ID, TenantName: ten.Name, Role: ten.Role}
}

func isLimit(err error, limit string) bool {
	return sb.ErrorCode(err) == sb.EINVALID && errors.Is(err, sb.ErrLimit) && bytes.Contains([]byte(sb.ErrorMessage(err)), []byte(limit))
}

func TestTenantLimitsRefuseEveryCreatePath(t *testing.T) {
	eachService(t, service.Config{}, func(t *testing.T, s *service.Service, _ *testenv.Clock, acme sb.Actor) {
		ctx := context.Background()
		lim := limited(t, s, "small", sb.TenantLimitsChange{MaxDomains: ptr(int64(2)), MaxMailboxes: ptr(int64(2))})
		if _, _, err := s.CreateDomain(ctx, lim, sb.NewDomain{Name: "one.test", First: &sb.FirstAccount{Address: "admin@one.test", Password: "password123"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateAccountCLI(ctx, sb.SystemActor, "sip@one.test", "password123", "", true); err != nil {
			t.Fatal(err)
		}
		admin, _ := s.GetMailbox(ctx, lim, "sip@one.test")
		count := func() (int64, int64) {
			t.Helper()
			_, u, err := s.TenantUsage(ctx, lim, "small")
			if err != nil {
				t.Fatal(err)
			}
			return u.Domains, u.Mailboxes
		}
		third := []struct {
			name string
			do   func() error
		}{
			{"the mail admin's create", func() error {
				_, err := s.CreateMailbox(ctx, lim, sb.NewMailbox{Domain: sb.DomainRef{Name: "one.test"}, Address: "third@one.test", Password: "password123", Active: true, InboxSave: true})
				return err
			}},
			{"a create with a quota", func() error {
				_, err := s.CreateMailbox(ctx, lim, sb.NewMailbox{Address: "third@one.test", Password: "password123", Active: false, InboxSave: true, Quota: &sb.QuotaChange{Bytes: ptr(int64(1))}})
				return err
			}},
			{"the SIP API's create", func() error {
				_, err := s.CreateSIPAccount(ctx, sb.Actor{AccountID: admin.ID, Email: admin.Email, TenantID: lim.TenantID},
					sb.NewSIPAccount{Username: "thirdsip", Password: "password123", Algorithm: "SHA-256", Activated: true})
				return err
			}},
			{"the command line's create", func() error {
				_, err := s.CreateAccountCLI(ctx, sb.SystemActor, "third@one.test", "password123", "", false)
				return err
			}},
			{"a domain with a first mailbox", func() error {
				_, _, err := s.CreateDomain(ctx, lim, sb.NewDomain{Name: "two.test", First: &sb.FirstAccount{Address: "a@two.test", Password: "password123"}})
				return err
			}},
		}
		for _, tc := range third {
			t.Run("a third mailbox is refused: "+tc.name, func(t *testing.T) {
				if err := tc.do(); !isLimit(err, "limit of 2 mailboxes (max_mailboxes)") {
					t.Fatalf("third mailbox: %v", err)
				}
				if d, m := count(); d != 1 || m != 2 {
					t.Fatalf("after the refusal: %d domains, %d mailboxes", d, m)
				}
			})
		}
		t.Run("domains without mailboxes count against max_domains", func(t *testing.T) {
			if _, _, err := s.CreateDomain(ctx, lim, sb.NewDomain{Name: "two.test"}); err != nil {
				t.Fatal(err)
			}
			_, _, err := s.CreateDomain(ctx, lim, sb.NewDomain{Name: "three.test"})
			if !isLimit(err, "limit of 2 domains (max_domains)") {
				t.Fatalf("third domain: %v", err)
			}
			if d, _ := count(); d != 2 {
				t.Fatalf("%d domains after the refusal", d)
			}
		})
		t.Run("a domain moved in counts too", func(t *testing.T) {
			if _, _, err := s.CreateDomain(ctx, acme, sb.NewDomain{Name: "moved.test"}); err != nil {
				t.Fatal(err)
			}
			_, err := s.MoveDomain(ctx, sb.SystemActor, "moved.test", "small")
			if !isLimit(err, "max_domains") {
				t.Fatalf("move: %v", err)
			}
			if d, _ := s.GetDomain(ctx, sb.SystemActor, "moved.test"); d.TenantName != "acme" {
				t.Fatalf("moved to %s", d.TenantName)
			}
		})
		t.Run("an import beyond the limits is refused whole", func(t *testing.T) {
			for _, addr := range []string{"x@a.test", "y@a.test", "z@a.test"} {
				if _, err := s.CreateMailbox(ctx, acme, sb.NewMailbox{Address: addr, Password: "password123", Active: true, InboxSave: true}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.SetTenantLimits(ctx, sb.SystemActor, "small", sb.TenantLimitsChange{MaxDomains: ptr(int64(0))}); err != nil {
				t.Fatal(err)
			}
			exp, err := s.ExportDomain(ctx, acme, "a.test")
			if err != nil {
				t.Fatal(err)
			}
			var archive bytes.Buffer
			if err := exp.Stream(&archive); err != nil {
				t.Fatal(err)
			}
			exp.Close()
			if err := s.DeleteDomain(ctx, acme, "a.test"); err != nil {
				t.Fatal(err)
			}
			_, err = s.ImportDomain(ctx, sb.SystemActor, "small", &archive)
			if !isLimit(err, "max_mailboxes") {
				t.Fatalf("import: %v", err)
			}
			if _, err := s.GetDomain(ctx, sb.SystemActor, "a.test"); sb.ErrorCode(err) != sb.ENOTFOUND {
				t.Fatalf("the refused import left a.test: %v", err)
			}
		})
		t.Run("lifting the limit lets the create through", func(t *testing.T) {
			if _, err := s.SetTenantLimits(ctx, sb.SystemActor, "small", sb.TenantLimitsChange{MaxMailboxes: ptr(int64(3))}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.CreateMailbox(ctx, lim, sb.NewMailbox{Domain: sb.DomainRef{Name: "one.test"}, Address: "third@one.test", Password: "password123", Active: true, InboxSave: true}); err != nil {
				t.Fatal(err)
			}
		})
	})
}

func TestTenantQuotaLimit(t *testing.T) {
	eachService(t, service.Config{}, func(t *testing.T, s *service.Service, _ *testenv.Clock, _ sb.Actor) {
		ctx := context.Background()
		lim := limited(t, s, "q", sb.TenantLimitsChange{MaxQuotaBytes: ptr(10 * service.MiB)})
		if _, _, err := s.CreateDomain(ctx, lim, sb.NewDomain{Name: "q.test"}); err != nil {
			t.Fatal(err)
		}
		mk := func(addr string, q *int64) (*sb.Account, error) {
			var ch *sb.QuotaChange
			if q != nil {
				ch = &sb.QuotaChange{Bytes: q}
			}
			return s.CreateMailbox(ctx, lim, sb.NewMailbox{Address: addr, Password: "password123", Active: true, InboxSave: true, Quota: ch})
		}
		if _, err := mk("none@q.test", nil); !isLimit(err, "every mailbox needs a quota") {
			t.Fatalf("a mailbox without a quota under max_quota: %v", err)
		}
		if _, err := mk("zero@q.test", ptr(int64(0))); !isLimit(err, "max_quota") {
			t.Fatalf("an unlimited mailbox under max_quota: %v", err)
		}
		a, err := mk("six@q.test", ptr(6*service.MiB))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := mk("five@q.test", ptr(5*service.MiB)); !isLimit(err, "total quota limit of 10485760 bytes (max_quota)") {
			t.Fatalf("past the total: %v", err)
		}
		if _, err := s.SetAccountQuota(ctx, lim, a.DomainID, a.ID, sb.QuotaChange{Bytes: ptr(11 * service.MiB)}); !isLimit(err, "max_quota") {
			t.Fatalf("raising past the total: %v", err)
		}
		if _, err := s.SetAccountQuota(ctx, lim, a.DomainID, a.ID, sb.QuotaChange{Bytes: ptr(int64(0))}); !isLimit(err, "max_quota") {
			t.Fatalf("making it unlimited: %v", err)
		}
		if got, _ := s.GetMailbox(ctx, lim, "six@q.test"); got.Quota.Bytes != 6*service.MiB {
			t.Fatalf("a refused change changed the quota to %d", got.Quota.Bytes)
		}
		if _, err := s.SetAccountQuota(ctx, lim, a.DomainID, a.ID, sb.QuotaChange{Bytes: ptr(2 * service.MiB)}); err != nil {
			t.Fatalf("lowering: %v", err)
		}
		t.Run("the default quota is what a mailbox without one gets", func(t *testing.T) {
			if _, err := s.SetTenantLimits(ctx, sb.SystemActor, "q", sb.TenantLimitsChange{DefaultQuotaBytes: ptr(4 * service.MiB)}); err != nil {
				t.Fatal(err)
			}
			b, err := mk("dflt@q.test", nil)
			if err != nil || b.Quota.Bytes != 4*service.MiB {
				t.Fatalf("default quota: %+v, %v", b, err)
			}
			_, u, _ := s.TenantUsage(ctx, lim, "q")
			if u.QuotaBytes != 6*service.MiB || u.Mailboxes != 2 || u.Unlimited != 0 {
				t.Fatalf("usage %+v", u)
			}
		})
	})
}

func TestTenantLimitsAreTheOperators(t *testing.T) {
	eachService(t, service.Config{}, func(t *testing.T, s *service.Service, _ *testenv.Clock, acme sb.Actor) {
		ctx := context.Background()
		for _, tc := range []struct {
			name  string
			actor sb.Actor
			ch    sb.TenantLimitsChange
			code  string
			want  sb.TenantLimits
		}{
			{"a tenant may not lift its own limits", acme, sb.TenantLimitsChange{MaxDomains: ptr(int64(5))}, sb.EFORBIDDEN, sb.TenantLimits{}},
			{"a plan applies its preset", sb.SystemActor, sb.TenantLimitsChange{Plan: ptr("Basic")}, "", service.TenantPlans["basic"]},
			{"limits given with a plan override it", sb.SystemActor, sb.TenantLimitsChange{Plan: ptr("profi"), MaxDomains: ptr(int64(7))},
				"", func() sb.TenantLimits { l := service.TenantPlans["profi"]; l.MaxDomains = 7; return l }()},
			{"an unknown plan is refused", sb.SystemActor, sb.TenantLimitsChange{Plan: ptr("platinum")}, sb.EINVALID,
				func() sb.TenantLimits { l := service.TenantPlans["profi"]; l.MaxDomains = 7; return l }()},
			{"a negative limit is refused", sb.SystemActor, sb.TenantLimitsChange{MaxMailboxes: ptr(int64(-1))}, sb.EINVALID,
				func() sb.TenantLimits { l := service.TenantPlans["profi"]; l.MaxDomains = 7; return l }()},
			{"a default above the total is refused", sb.SystemActor, sb.TenantLimitsChange{DefaultQuotaBytes: ptr(service.TiB)}, sb.EINVALID,
				func() sb.TenantLimits { l := service.TenantPlans["profi"]; l.MaxDomains = 7; return l }()},
			{"reseller lifts every limit", sb.SystemActor, sb.TenantLimitsChange{Plan: ptr("reseller")}, "", sb.TenantLimits{Plan: "reseller"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := s.SetTenantLimits(ctx, tc.actor, "acme", tc.ch)
				if sb.ErrorCode(err) != tc.code {
					t.Fatalf("error %v, want %q", err, tc.code)
				}
				got, err := s.GetTenant(ctx, sb.SystemActor, "acme")
				if err != nil || got.Limits != tc.want {
					t.Fatalf("limits %+v (%v), want %+v", got.Limits, err, tc.want)
				}
			})
		}
		if _, err := s.SetTenantLimits(ctx, sb.SystemActor, "nobody", sb.TenantLimitsChange{}); sb.ErrorCode(err) != sb.ENOTFOUND {
			t.Fatalf("unknown tenant: %v", err)
		}
		if _, _, err := s.TenantUsage(ctx, acme, "nobody"); sb.ErrorCode(err) != sb.EFORBIDDEN {
			t.Fatalf("another tenant's usage: %v", err)
		}
	})
}

// TestConcurrentCreatesDoNotOvershoot races creates of mailboxes (in two
// domains) and of domains against a tenant's limits: exactly the limit's
// worth succeed, on both databases.
func TestConcurrentCreatesDoNotOvershoot(t *testing.T) {
	eachService(t, service.Config{}, func(t *testing.T, s *service.Service, _ *testenv.Clock, _ sb.Actor) {
		ctx := context.Background()
		lim := limited(t, s, "race", sb.TenantLimitsChange{MaxMailboxes: ptr(int64(5)), MaxDomains: ptr(int64(4)),
			MaxQuotaBytes: ptr(100 * service.MiB), DefaultQuotaBytes: ptr(10 * service.MiB)})
		for _, d := range []string{"r1.test", "r2.test"} {
			if _, _, err := s.CreateDomain(ctx, lim, sb.NewDomain{Name: d}); err != nil {
				t.Fatal(err)
			}
		}
		race := func(n int, do func(i int) error) (ok int) {
			var mu sync.Mutex
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					err := do(i)
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						ok++
					case !errors.Is(err, sb.ErrLimit):
						t.Errorf("create %d: %v", i, err)
					}
				}()
			}
			close(start)
			wg.Wait()
			return ok
		}
		ok := race(16, func(i int) error {
			_, err := s.CreateMailbox(ctx, lim, sb.NewMailbox{Address: fmt.Sprintf("u%d@r%d.test", i, i%2+1), Password: "password123", Active: true, InboxSave: true})
			return err
		})
		_, u, err := s.TenantUsage(ctx, lim, "race")
		if err != nil {
			t.Fatal(err)
		}
		if ok != 5 || u.Mailboxes != 5 || u.QuotaBytes != 50*service.MiB {
			t.Fatalf("%d of 16 concurrent creates succeeded; the tenant holds %d mailboxes and %d quota bytes, want 5", ok, u.Mailboxes, u.QuotaBytes)
		}
		ok = race(8, func(i int) error {
			_, _, err := s.CreateDomain(ctx, lim, sb.NewDomain{Name: fmt.Sprintf("d%d.test", i)})
			return err
		})
		if _, u, _ = s.TenantUsage(ctx, lim, "race"); ok != 2 || u.Domains != 4 {
			t.Fatalf("%d of 8 concurrent domain creates succeeded; the tenant holds %d domains, want 4", ok, u.Domains)
		}
	})
}

// TestLimitsSetWhileCreatesRun races the creates of a tenant without
// limits, which then run side by side, against the operator giving it a
// limit of mailboxes: the change waits for the creates holding the tenant
// and none deadlocks with it (a deadlock or another error fails a create),
// and once the limit is set the next create over it is refused.
func TestLimitsSetWhileCreatesRun(t *testing.T) {
	eachService(t, service.Config{}, func(t *testing.T, s *service.Service, _ *testenv.Clock, _ sb.Actor) {
		ctx := context.Background()
		free := limited(t, s, "free", sb.TenantLimitsChange{})
		for _, d := range []string{"f1.test", "f2.test"} {
			if _, _, err := s.CreateDomain(ctx, free, sb.NewDomain{Name: d}); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := s.CreateMailbox(ctx, free, sb.NewMailbox{Address: fmt.Sprintf("u%d@f%d.test", i, i%2+1), Password: "password123", Active: true, InboxSave: true})
				if err != nil && !errors.Is(err, sb.ErrLimit) {
					t.Errorf("create %d: %v", i, err)
				}
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if _, err := s.SetTenantLimits(ctx, sb.SystemActor, "free", sb.TenantLimitsChange{MaxMailboxes: ptr(int64(3))}); err != nil {
				t.Errorf("set limits: %v", err)
			}
		}()
		close(start)
		wg.Wait()
		_, u, err := s.TenantUsage(ctx, free, "free")
		if err != nil {
			t.Fatal(err)
		}
		if u.Mailboxes < 3 {
			t.Fatalf("the tenant holds %d mailboxes: creates under the limit of 3 were refused", u.Mailboxes)
		}
		if _, err := s.CreateMailbox(ctx, free, sb.NewMailbox{Address: "late@f1.test", Password: "password123", Active: true, InboxSave: true}); !isLimit(err, "max_mailboxes") {
			t.Fatalf("a create past the new limit, with %d mailboxes: %v", u.Mailboxes, err)
		}
	})
}

func TestExportImportKeepsQuotas(t *testing.T) {
	eachService(t, service.Config{}, func(t *testing.T, s *service.Service, _ *testenv.Clock, acme sb.Actor) {
		ctx := context.Background()
		want := map[string]sb.MailboxQuota{
			"plan@a.test": {Bytes: 2*service.GiB + 100*service.MiB, Messages: 1000, Plan: "light", ExtraBytes: 100 * service.MiB},
			"size@a.test": {Bytes: 100 * service.KiB},
			"none@a.test": {},
		}
		changes := map[string]*sb.QuotaChange{
			"plan@a.test": {Plan: ptr("light"), ExtraBytes: ptr(100 * service.MiB), Messages: ptr(int64(1000))},
			"size@a.test": {Bytes: ptr(100 * service.KiB)},
			"none@a.test": nil,
		}
		for addr, ch := range changes {
			if _, err := s.CreateMailbox(ctx, acme, sb.NewMailbox{Address: addr, Password: "password123", Active: true, InboxSave: true, Quota: ch}); err != nil {
				t.Fatal(err)
			}
		}
		exp, err := s.ExportDomain(ctx, acme, "a.test")
		if err != nil {
			t.Fatal(err)
		}
		var archive bytes.Buffer
		if err := exp.Stream(&archive); err != nil {
			t.Fatal(err)
		}
		exp.Close()
		if err := s.DeleteDomain(ctx, acme, "a.test"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ImportDomain(ctx, acme, "", &archive); err != nil {
			t.Fatal(err)
		}
		for addr, q := range want {
			a, err := s.GetMailbox(ctx, acme, addr)
			if err != nil || a.Quota != q {
				t.Errorf("%s imported with %+v (%v), want %+v", addr, a.Quota, err, q)
			}
		}
	})
}
