package service_test

import (
	"context"
	"strings"
	"testing"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/sieve"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
	"github.com/switchboard/switchboard/internal/testenv"
)

// TestVacations checks the settings, their refusals and rights, and the
// script Dovecot's dict lookups find in mail_sieve_scripts.
func TestVacations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s, _ := testenv.Service(t, st, nil)
		acme := tenantActor(t, s, "acme")
		other := tenantActor(t, s, "other")
		if _, _, err := s.CreateDomain(ctx, acme, sb.NewDomain{Name: "v.test"}); err != nil {
			t.Fatal(err)
		}
		alice, err := s.CreateMailbox(ctx, acme, sb.NewMailbox{Address: "alice@v.test", Password: "alice-password-1", Active: true, InboxSave: true})
		if err != nil {
			t.Fatal(err)
		}
		bob, err := s.CreateMailbox(ctx, acme, sb.NewMailbox{Address: "bob@v.test", Password: "bob-password-1", Active: true, InboxSave: true})
		if err != nil {
			t.Fatal(err)
		}
		script := func(t *testing.T, email string) (string, string, bool) {
			t.Helper()
			id, text, err := st.Read().SieveScript(ctx, email, sieve.ScriptName)
			if sb.ErrorCode(err) == sb.ENOTFOUND {
				return "", "", false
			}
			if err != nil {
				t.Fatal(err)
			}
			return id, text, true
		}

		t.Run("a mailbox that never had one has inactive defaults and no script", func(t *testing.T) {
			v, err := s.GetVacation(ctx, acme, sb.AccountRef{Email: "alice@v.test"})
			if err != nil {
				t.Fatal(err)
			}
			if v.Active || v.Subject != "" || v.Body != "" || v.Days != service.DefaultVacationDays || v.Email != "alice@v.test" {
				t.Errorf("defaults %+v", v)
			}
			if _, _, ok := script(t, "alice@v.test"); ok {
				t.Error("a script without a vacation")
			}
		})

		var firstID string
		t.Run("setting one on writes its script for Dovecot", func(t *testing.T) {
			v, err := s.SetVacation(ctx, acme, sb.AccountRef{ID: alice.ID}, sb.VacationChange{
				Active: ptr(true), Subject: ptr("  Away  "), Body: ptr("Back on Monday.\r\nAlice"),
				Start: ptr("2026-12-01"), End: ptr("2026-12-20"), Days: ptr(3),
				Addresses: ptr([]string{"Info@V.test", "info@v.test", "sales@v.test"})})
			if err != nil {
				t.Fatal(err)
			}
			want := sb.Vacation{AccountID: alice.ID, Email: "alice@v.test", Active: true, Subject: "Away", Body: "Back on Monday.\nAlice",
				Start: "2026-12-01", End: "2026-12-20", Days: 3, Addresses: []string{"info@v.test", "sales@v.test"}, UpdatedAt: v.UpdatedAt}
			if !equalVacation(*v, want) {
				t.Errorf("set answered %+v, want %+v", *v, want)
			}
			got, err := s.GetVacation(ctx, acme, sb.AccountRef{Email: "ALICE@v.test"})
			if err != nil || !equalVacation(*got, want) {
				t.Errorf("get answered %+v (%v), want %+v", got, err, want)
			}
			id, text, ok := script(t, "alice@v.test")
			if !ok || text != sieve.Vacation(want) {
				t.Fatalf("script %q %q, want\n%s", id, text, sieve.Vacation(want))
			}
			firstID = id
		})
		t.Run("a change keeps what it does not name and gives the script a new id", func(t *testing.T) {
			v, err := s.SetVacation(ctx, acme, sb.AccountRef{Email: "alice@v.test"}, sb.VacationChange{Subject: ptr("Still away")})
			if err != nil {
				t.Fatal(err)
			}
			if !v.Active || v.Body != "Back on Monday.\nAlice" || v.End != "2026-12-20" || v.Days != 3 || v.Subject != "Still away" {
				t.Errorf("after a subject change %+v", v)
			}
			id, text, ok := script(t, "alice@v.test")
			if !ok || id == firstID || !strings.Contains(text, `"Still away"`) {
				t.Errorf("script %q (first %q):\n%s", id, firstID, text)
			}
		})
		t.Run("turning it off removes the script and keeps the text", func(t *testing.T) {
			v, err := s.SetVacation(ctx, acme, sb.AccountRef{Email: "alice@v.test"}, sb.VacationChange{Active: ptr(false)})
			if err != nil || v.Active || v.Body == "" {
				t.Fatalf("%+v %v", v, err)
			}
			if _, _, ok := script(t, "alice@v.test"); ok {
				t.Error("an inactive vacation still has a script")
			}
			if _, err := s.SetVacation(ctx, acme, sb.AccountRef{Email: "alice@v.test"}, sb.VacationChange{Active: ptr(true)}); err != nil {
				t.Fatal(err)
			}
			if _, _, ok := script(t, "alice@v.test"); !ok {
				t.Error("turned on again, no script")
			}
		})
		t.Run("a deactivated mailbox has no script", func(t *testing.T) {
			if _, err := s.UpdateMailbox(ctx, acme, "alice@v.test", sb.MailboxChange{Active: ptr(false)}); err != nil {
				t.Fatal(err)
			}
			if _, _, ok := script(t, "alice@v.test"); ok {
				t.Error("a deactivated mailbox's vacation still has a script")
			}
			if _, err := s.UpdateMailbox(ctx, acme, "alice@v.test", sb.MailboxChange{Active: ptr(true)}); err != nil {
				t.Fatal(err)
			}
		})

		before, _ := s.GetVacation(ctx, acme, sb.AccountRef{Email: "alice@v.test"})
		_, beforeText, _ := script(t, "alice@v.test")
		refusals := []struct {
			name  string
			ch    sb.VacationChange
			field string
		}{
			{"a subject with a line break", sb.VacationChange{Subject: ptr("Away\r\nBcc: victim@example.com")}, "subject"},
			{"a subject with a bare LF", sb.VacationChange{Subject: ptr("Away\nX-Injected: 1")}, "subject"},
			{"a subject with a control character", sb.VacationChange{Subject: ptr("Away\x07")}, "subject"},
			{"a subject of 256 characters", sb.VacationChange{Subject: ptr(strings.Repeat("ü", 256))}, "subject"},
			{"a subject that is not UTF-8", sb.VacationChange{Subject: ptr("Away \xff")}, "subject"},
			{"a body over 32 KiB", sb.VacationChange{Body: ptr(strings.Repeat("x", service.MaxVacationBody+1))}, "body"},
			{"a body with a NUL", sb.VacationChange{Body: ptr("a\x00b")}, "body"},
			{"a body that is not UTF-8", sb.VacationChange{Body: ptr("a\xc3")}, "body"},
			{"neither subject nor body while on", sb.VacationChange{Subject: ptr(""), Body: ptr("  \n ")}, "body"},
			{"a start date that is no date", sb.VacationChange{Start: ptr("2026-13-01")}, "start_date"},
			{"a start date in another format", sb.VacationChange{Start: ptr("01.12.2026")}, "start_date"},
			{"an end date without zero padding", sb.VacationChange{End: ptr("2026-12-5")}, "end_date"},
			{"an end before the start", sb.VacationChange{Start: ptr("2026-12-10"), End: ptr("2026-12-09")}, "end_date"},
			{"an end before the kept start", sb.VacationChange{End: ptr("2026-11-30")}, "end_date"},
			{"zero days", sb.VacationChange{Days: ptr(0)}, "days"},
			{"366 days", sb.VacationChange{Days: ptr(366)}, "days"},
			{"an address that is no address", sb.VacationChange{Addresses: ptr([]string{"not an address"})}, "additional_mail_addresses"},
			{"21 addresses", sb.VacationChange{Addresses: ptr(manyAddresses(21))}, "additional_mail_addresses"},
		}
		for _, tc := range refusals {
			t.Run("refuses "+tc.name+" and changes nothing", func(t *testing.T) {
				_, err := s.SetVacation(ctx, acme, sb.AccountRef{Email: "alice@v.test"}, tc.ch)
				if sb.ErrorCode(err) != sb.EINVALID || sb.ErrorField(err) != tc.field {
					t.Fatalf("err = %v (field %q), want invalid %s", err, sb.ErrorField(err), tc.field)
				}
				after, _ := s.GetVacation(ctx, acme, sb.AccountRef{Email: "alice@v.test"})
				_, afterText, _ := script(t, "alice@v.test")
				if !equalVacation(*after, *before) || afterText != beforeText {
					t.Errorf("changed: %+v", after)
				}
			})
		}
		t.Run("a one-day window and clearing the dates are accepted", func(t *testing.T) {
			if _, err := s.SetVacation(ctx, acme, sb.AccountRef{Email: "bob@v.test"}, sb.VacationChange{Active: ptr(true), Body: ptr("x"),
				Start: ptr("2026-12-24"), End: ptr("2026-12-24")}); err != nil {
				t.Fatal(err)
			}
			v, err := s.SetVacation(ctx, acme, sb.AccountRef{ID: bob.ID}, sb.VacationChange{Start: ptr(""), End: ptr("")})
			if err != nil || v.Start != "" || v.End != "" {
				t.Fatalf("%+v %v", v, err)
			}
		})

		mailbox := sb.Actor{TenantID: acme.TenantID, TenantName: "acme", AccountID: alice.ID, Email: "alice@v.test"}
		rights := []struct {
			name  string
			actor sb.Actor
			ref   sb.AccountRef
			code  string
		}{
			{"another tenant by address", other, sb.AccountRef{Email: "alice@v.test"}, sb.ENOTFOUND},
			{"another tenant by id", other, sb.AccountRef{ID: alice.ID}, sb.ENOTFOUND},
			{"an unknown address", acme, sb.AccountRef{Email: "nobody@v.test"}, sb.ENOTFOUND},
			{"an unknown id", acme, sb.AccountRef{ID: 1 << 40}, sb.ENOTFOUND},
			{"a mailbox, another mailbox by address", mailbox, sb.AccountRef{Email: "bob@v.test"}, sb.EFORBIDDEN},
			{"a mailbox, another mailbox by id", mailbox, sb.AccountRef{ID: bob.ID}, sb.ENOTFOUND},
		}
		for _, tc := range rights {
			t.Run("refuses "+tc.name, func(t *testing.T) {
				if _, err := s.GetVacation(ctx, tc.actor, tc.ref); sb.ErrorCode(err) != tc.code {
					t.Errorf("get: %v, want %s", err, tc.code)
				}
				if _, err := s.SetVacation(ctx, tc.actor, tc.ref, sb.VacationChange{Subject: ptr("Hacked")}); sb.ErrorCode(err) != tc.code {
					t.Errorf("set: %v, want %s", err, tc.code)
				}
			})
		}
		t.Run("the mailbox itself and an operator may set it", func(t *testing.T) {
			if _, err := s.SetVacation(ctx, mailbox, sb.AccountRef{Email: "alice@v.test"}, sb.VacationChange{Subject: ptr("Mine")}); err != nil {
				t.Fatal(err)
			}
			if v, err := s.GetVacation(ctx, sb.SystemActor, sb.AccountRef{ID: alice.ID}); err != nil || v.Subject != "Mine" {
				t.Fatalf("%+v %v", v, err)
			}
		})
		t.Run("a deleted mailbox's vacation goes with it", func(t *testing.T) {
			if err := s.DeleteAccount(ctx, acme, "alice@v.test"); err != nil {
				t.Fatal(err)
			}
			if _, _, ok := script(t, "alice@v.test"); ok {
				t.Error("script of a deleted mailbox")
			}
			if _, err := st.Read().VacationByAccount(ctx, alice.ID); sb.ErrorCode(err) != sb.ENOTFOUND {
				t.Errorf("vacation row of a deleted mailbox: %v", err)
			}
		})
	})
}

func tenantActor(t *testing.T, s *service.Service, name string) sb.Actor {
	t.Helper()
	ten, err := s.CreateTenant(context.Background(), sb.SystemActor, name, name+"-password-1", sb.RoleTenant)
	if err != nil {
		t.Fatal(err)
	}
	return sb.Actor{TenantID: ten.ID, TenantName: ten.Name, Role: ten.Role}
}

func manyAddresses(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "a" + strings.Repeat("x", i) + "@v.test"
	}
	return out
}

func equalVacation(a, b sb.Vacation) bool {
	return a.AccountID == b.AccountID && a.Email == b.Email && a.Active == b.Active && a.Subject == b.Subject &&
		a.Body == b.Body && a.Start == b.Start && a.End == b.End && a.Days == b.Days &&
		strings.Join(a.Addresses, ",") == strings.Join(b.Addresses, ",") && a.UpdatedAt.Equal(b.UpdatedAt)
}
