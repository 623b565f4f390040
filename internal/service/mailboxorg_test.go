package service_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
	"github.com/switchboard/switchboard/internal/testenv"
)

// profDomain is a service with tenant acme and its domain prof.test.
func profDomain(t *testing.T, st *store.Store) (*service.Service, sb.Actor) {
	t.Helper()
	ctx := context.Background()
	s, _ := testenv.Service(t, st, nil)
	ten, err := s.CreateTenant(ctx, sb.SystemActor, "acme", "acme-password", sb.RoleTenant)
	if err != nil {
		t.Fatal(err)
	}
	acme := sb.Actor{TenantID: ten.ID, TenantName: ten.Name, Role: ten.Role}
	if _, _, err := s.CreateDomain(ctx, acme, sb.NewDomain{Name: "prof.test"}); err != nil {
		t.Fatal(err)
	}
	return s, acme
}

// TestExportCarriesMailboxProfiles checks that a domain's move keeps its
// memo and its mailboxes' names and forwarding, and that a mailbox without
// a profile still keeps its mail.
func TestExportCarriesMailboxProfiles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s, acme := profDomain(t, st)
		memo := "moved in\nfrom elsewhere"
		if _, err := s.UpdateDomain(ctx, acme, "prof.test", sb.DomainChange{Memo: &memo}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateMailbox(ctx, acme, sb.NewMailbox{Address: "ada@prof.test", Password: "ada-password", Active: true,
			FirstName: "Ada", LastName: "Lovelace", Forwards: []string{"ada@elsewhere.org"}, InboxSave: false}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateMailbox(ctx, acme, sb.NewMailbox{Address: "plain@prof.test", Password: "plain-password", Active: true, InboxSave: true}); err != nil {
			t.Fatal(err)
		}
		exp, err := s.ExportDomain(ctx, acme, "prof.test")
		if err != nil {
			t.Fatal(err)
		}
		var archived bytes.Buffer
		if err := exp.Stream(&archived); err != nil {
			t.Fatal(err)
		}
		exp.Close()
		if err := s.DeleteDomain(ctx, acme, "prof.test"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ImportDomain(ctx, acme, "", bytes.NewReader(archived.Bytes())); err != nil {
			t.Fatal(err)
		}
		d, err := s.GetDomain(ctx, acme, "prof.test")
		if err != nil || d.Memo != memo {
			t.Fatalf("domain after the move: %+v, %v", d, err)
		}
		a, err := s.GetMailbox(ctx, acme, "ada@prof.test")
		if err != nil || a.FirstName != "Ada" || a.LastName != "Lovelace" || a.InboxSave || !slices.Equal(a.Forwards, []string{"ada@elsewhere.org"}) {
			t.Fatalf("ada after the move: %+v, %v", a, err)
		}
		p, err := s.GetMailbox(ctx, acme, "plain@prof.test")
		if err != nil || !p.InboxSave || len(p.Forwards) != 0 {
			t.Fatalf("plain after the move: %+v, %v", p, err)
		}
	})
}

// A mailbox is created with its profile in one statement: what is read back
// is what was given, and a mailbox forwarding to itself is refused with
// nothing written.
func TestMailboxCreatedWithItsProfile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s, acme := profDomain(t, st)
		for _, tc := range []struct {
			in   sb.NewMailbox
			want sb.Account // the profile's fields
		}{
			{sb.NewMailbox{Address: "ada@prof.test", FirstName: "Ada", LastName: "Lovelace",
				Forwards: []string{"ada@elsewhere.org", "b@elsewhere.org"}, InboxSave: false},
				sb.Account{FirstName: "Ada", LastName: "Lovelace", Forwards: []string{"ada@elsewhere.org", "b@elsewhere.org"}, InboxSave: false}},
			{sb.NewMailbox{Address: "plain@prof.test", InboxSave: true}, sb.Account{InboxSave: true}},
			{sb.NewMailbox{Address: "keep@prof.test", Forwards: []string{"k@elsewhere.org"}, InboxSave: true},
				sb.Account{Forwards: []string{"k@elsewhere.org"}, InboxSave: true}},
		} {
			tc.in.Password, tc.in.Active = "mailbox-password", true
			created, err := s.CreateMailbox(ctx, acme, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.GetMailbox(ctx, acme, tc.in.Address)
			if err != nil {
				t.Fatal(err)
			}
			for what, a := range map[string]*sb.Account{"returned": created, "read back": got} {
				if a.FirstName != tc.want.FirstName || a.LastName != tc.want.LastName || !slices.Equal(a.Forwards, tc.want.Forwards) ||
					a.InboxSave != tc.want.InboxSave {
					t.Errorf("%s %s: names %q %q, forwards %q, inboxsave %v; want %q %q, %q, %v", tc.in.Address, what,
						a.FirstName, a.LastName, a.Forwards, a.InboxSave, tc.want.FirstName, tc.want.LastName, tc.want.Forwards, tc.want.InboxSave)
				}
			}
		}
		_, err := s.CreateMailbox(ctx, acme, sb.NewMailbox{Address: "self@prof.test", Password: "mailbox-password", Active: true,
			Forwards: []string{"other@elsewhere.org", "SELF@prof.test"}})
		if sb.ErrorCode(err) != sb.EINVALID || !strings.Contains(err.Error(), "is the mailbox itself") {
			t.Fatalf("a mailbox forwarding to itself: %v, want EINVALID on forwards", err)
		}
		if _, err := s.GetMailbox(ctx, acme, "self@prof.test"); sb.ErrorCode(err) != sb.ENOTFOUND {
			t.Fatalf("the refused mailbox: %v, want ENOTFOUND", err)
		}
	})
}
