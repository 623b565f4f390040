package service_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/testenv"
)

func TestAppPasswords(t *testing.T) {
	eachService(t, service.Config{}, func(t *testing.T, s *service.Service, _ *testenv.Clock, acme sb.Actor) {
		ctx := context.Background()
		a, err := s.CreateMailbox(ctx, acme, sb.NewMailbox{Address: "ann@a.test", Password: "ann-password-1", Active: true, InboxSave: true})
		if err != nil {
			t.Fatal(err)
		}
		ann := sb.AccountRef{Email: "ann@a.test"}

		var phone *sb.CreatedAppPassword
		t.Run("a new app password is shown once in full, from the unambiguous alphabet, with a fresh handle each time", func(t *testing.T) {
			phone, err = s.CreateAppPassword(ctx, acme, ann, sb.NewAppPassword{Name: "  Phone  ", Protocols: []string{"SMTP", "imap", "imap"}})
			if err != nil {
				t.Fatal(err)
			}
			if len(phone.Password) != auth.AppPasswordLen || phone.Name != "Phone" || !slices.Equal(phone.Protocols, []string{"imap", "smtp"}) || phone.Email != "ann@a.test" {
				t.Fatalf("created %+v", phone)
			}
			for _, r := range phone.Password {
				if !strings.ContainsRune("abcdefghijkmnpqrstuvwxyz23456789", r) {
					t.Fatalf("password %q holds %q", phone.Password, r)
				}
			}
			again, err := s.CreateAppPassword(ctx, acme, ann, sb.NewAppPassword{})
			if err != nil {
				t.Fatal(err)
			}
			if again.Password == phone.Password || again.Password[:8] == phone.Password[:8] || len(again.Protocols) != 0 || !strings.HasPrefix(again.Name, "App password of ") {
				t.Fatalf("second app password %+v", again)
			}
			if err := s.RevokeAppPassword(ctx, acme, sb.AccountRef{}, again.ID); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("the list shows names and protocols, never a secret", func(t *testing.T) {
			list, err := s.ListAppPasswords(ctx, acme, sb.AccountRef{ID: a.ID})
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 1 || list[0].ID != phone.ID || list[0].Name != "Phone" || !slices.Equal(list[0].Protocols, []string{"imap", "smtp"}) ||
				!list[0].CreatedAt.Equal(phone.CreatedAt) {
				t.Fatalf("list %+v, want the phone's", list)
			}
		})
		t.Run("bad input is refused and changes nothing", func(t *testing.T) {
			cases := []struct {
				name  string
				ref   sb.AccountRef
				in    sb.NewAppPassword
				code  string
				field string
			}{
				{"an unknown protocol", ann, sb.NewAppPassword{Protocols: []string{"imap", "http"}}, sb.EINVALID, "protocols"},
				{"an empty protocol", ann, sb.NewAppPassword{Protocols: []string{""}}, sb.EINVALID, "protocols"},
				{"Dovecot's other services", ann, sb.NewAppPassword{Protocols: []string{"lmtp"}}, sb.EINVALID, "protocols"},
				{"a name too long", ann, sb.NewAppPassword{Name: strings.Repeat("n", service.MaxAppPasswordName+1)}, sb.EINVALID, "name"},
				{"a name with a control character", ann, sb.NewAppPassword{Name: "a\nb"}, sb.EINVALID, "name"},
				{"an unknown mailbox", sb.AccountRef{Email: "nobody@a.test"}, sb.NewAppPassword{}, sb.ENOTFOUND, ""},
				{"a malformed address", sb.AccountRef{Email: "not an address"}, sb.NewAppPassword{}, sb.EINVALID, "mail"},
				{"no mailbox at all", sb.AccountRef{}, sb.NewAppPassword{}, sb.EINVALID, "mail"},
			}
			before, _ := s.ListAppPasswords(ctx, acme, ann)
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					_, err := s.CreateAppPassword(ctx, acme, tc.ref, tc.in)
					if sb.ErrorCode(err) != tc.code || tc.field != "" && sb.ErrorField(err) != tc.field {
						t.Fatalf("err %v (%s, field %q), want %s on %q", err, sb.ErrorCode(err), sb.ErrorField(err), tc.code, tc.field)
					}
				})
			}
			if after, _ := s.ListAppPasswords(ctx, acme, ann); len(after) != len(before) {
				t.Fatalf("refusals changed the list: %+v -> %+v", before, after)
			}
		})
		t.Run("another tenant learns nothing and changes nothing", func(t *testing.T) {
			ten, err := s.CreateTenant(ctx, sb.SystemActor, "rival", "rival-password", sb.RoleTenant)
			if err != nil {
				t.Fatal(err)
			}
			rival := sb.Actor{TenantID: ten.ID, TenantName: ten.Name, Role: ten.Role}
			if _, err := s.ListAppPasswords(ctx, rival, ann); sb.ErrorCode(err) != sb.ENOTFOUND {
				t.Errorf("list: %v, want not found", err)
			}
			if _, err := s.CreateAppPassword(ctx, rival, sb.AccountRef{ID: a.ID}, sb.NewAppPassword{}); sb.ErrorCode(err) != sb.ENOTFOUND {
				t.Errorf("create: %v, want not found", err)
			}
			if err := s.RevokeAppPassword(ctx, rival, sb.AccountRef{}, phone.ID); sb.ErrorCode(err) != sb.ENOTFOUND {
				t.Errorf("revoke: %v, want not found", err)
			}
			if list, _ := s.ListAppPasswords(ctx, acme, ann); len(list) != 1 {
				t.Fatalf("after the rival: %+v", list)
			}
		})
		t.Run("a mailbox manages its own app passwords only", func(t *testing.T) {
			if _, err := s.CreateMailbox(ctx, acme, sb.NewMailbox{Address: "bob@a.test", Password: "bob-password-1", Active: true, InboxSave: true}); err != nil {
				t.Fatal(err)
			}
			bob := mailboxActor(t, s, "bob@a.test", "bob-password-1")
			own, err := s.CreateAppPassword(ctx, bob, sb.AccountRef{Email: "bob@a.test"}, sb.NewAppPassword{Name: "mine"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.ListAppPasswords(ctx, bob, ann); sb.ErrorCode(err) != sb.ENOTFOUND {
				t.Errorf("bob lists ann's: %v", err)
			}
			if _, err := s.CreateAppPassword(ctx, bob, ann, sb.NewAppPassword{}); sb.ErrorCode(err) != sb.ENOTFOUND {
				t.Errorf("bob creates ann's: %v", err)
			}
			if err := s.RevokeAppPassword(ctx, bob, sb.AccountRef{}, phone.ID); sb.ErrorCode(err) != sb.ENOTFOUND {
				t.Errorf("bob revokes ann's: %v", err)
			}
			// Naming another mailbox than the holder's is not found either.
			if err := s.RevokeAppPassword(ctx, acme, sb.AccountRef{Email: "bob@a.test"}, phone.ID); sb.ErrorCode(err) != sb.ENOTFOUND {
				t.Errorf("revoke under the wrong mailbox: %v", err)
			}
			if err := s.RevokeAppPassword(ctx, bob, sb.AccountRef{Email: "bob@a.test"}, own.ID); err != nil {
				t.Fatal(err)
			}
			if err := s.RevokeAppPassword(ctx, bob, sb.AccountRef{}, own.ID); sb.ErrorCode(err) != sb.ENOTFOUND {
				t.Errorf("a second revoke: %v, want not found", err)
			}
		})
		t.Run("a mailbox holds at most MaxAppPasswordsPerMailbox", func(t *testing.T) {
			for range service.MaxAppPasswordsPerMailbox - 1 {
				if _, err := s.CreateAppPassword(ctx, acme, ann, sb.NewAppPassword{}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.CreateAppPassword(ctx, acme, ann, sb.NewAppPassword{}); sb.ErrorCode(err) != sb.ECONFLICT {
				t.Fatalf("one more: %v, want a conflict", err)
			}
		})
		t.Run("a deactivated mailbox keeps them (the view leaves them out)", func(t *testing.T) {
			off := false
			if _, err := s.UpdateMailbox(ctx, acme, "ann@a.test", sb.MailboxChange{Active: &off}); err != nil {
				t.Fatal(err)
			}
			if list, _ := s.ListAppPasswords(ctx, acme, ann); len(list) != service.MaxAppPasswordsPerMailbox {
				t.Fatalf("after deactivation: %d app passwords", len(list))
			}
		})
		t.Run("a password change revokes them", func(t *testing.T) {
			if err := s.SetAccountPassword(ctx, acme, a.DomainID, a.ID, "ann-password-2"); err != nil {
				t.Fatal(err)
			}
			if list, _ := s.ListAppPasswords(ctx, acme, ann); len(list) != 0 {
				t.Fatalf("after a password change: %+v", list)
			}
		})
		t.Run("deleting the mailbox deletes them", func(t *testing.T) {
			if _, err := s.CreateAppPassword(ctx, acme, ann, sb.NewAppPassword{}); err != nil {
				t.Fatal(err)
			}
			if err := s.DeleteAccount(ctx, acme, "ann@a.test"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.CreateMailbox(ctx, acme, sb.NewMailbox{Address: "ann@a.test", Password: "ann-password-3", Active: true, InboxSave: true}); err != nil {
				t.Fatal(err)
			}
			if list, err := s.ListAppPasswords(ctx, acme, ann); err != nil || len(list) != 0 {
				t.Fatalf("a new ann@a.test inherits %+v (%v)", list, err)
			}
		})
	})
}

// mailboxActor logs a mailbox in through a JSON-RPC session.
func mailboxActor(t *testing.T, s *service.Service, email, password string) sb.Actor {
	t.Helper()
	token, _, err := s.OpenSession(context.Background(), email, password, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	actor, err := s.ResumeSession(context.Background(), token, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return actor
}

// FuzzCheckAppPasswordProtocols: whatever list a client sends, an accepted
// one comes back canonical (known names, no duplicates, in
// sb.AppPasswordProtocols order) and checking it again changes nothing.
func FuzzCheckAppPasswordProtocols(f *testing.F) {
	for _, seed := range []string{"imap", "SMTP,imap,imap", " pop3 , sieve ", "", "imap,,smtp", "ftp", "imap\x00"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, list string) {
		out, err := service.CheckAppPasswordProtocols(strings.Split(list, ","))
		if err != nil {
			if sb.ErrorCode(err) != sb.EINVALID || sb.ErrorField(err) != "protocols" {
				t.Fatalf("%q: %v, want an EINVALID on protocols", list, err)
			}
			return
		}
		last := -1
		for _, p := range out {
			i := slices.Index(sb.AppPasswordProtocols, p)
			if i <= last {
				t.Fatalf("%q -> %q: not canonical", list, out)
			}
			last = i
		}
		again, err := service.CheckAppPasswordProtocols(out)
		if err != nil || !slices.Equal(again, out) {
			t.Fatalf("%q -> %q -> %q, %v", list, out, again, err)
		}
	})
}
