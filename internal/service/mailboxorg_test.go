package service_test

import (
	"bytes"
	"context"
	"slices"
	"testing"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
	"github.com/switchboard/switchboard/internal/testenv"
)

// TestExportCarriesMailboxProfiles checks that a domain's move keeps its
// memo and its mailboxes' names and forwarding, and that a mailbox without
// a profile still keeps its mail.
func TestExportCarriesMailboxProfiles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
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
