package service_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/archive"
	"github.com/switchboard/switchboard/internal/sieve"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
	"github.com/switchboard/switchboard/internal/testenv"
)

// TestVacationsMoveWithTheDomain exports a domain with a vacation reply,
// imports it again, and checks that the settings and the script come back,
// and that an archive whose vacation breaks the rules is refused whole.
func TestVacationsMoveWithTheDomain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s, _ := testenv.Service(t, st, nil)
		acme := tenantActor(t, s, "acme")
		if _, _, err := s.CreateDomain(ctx, acme, sb.NewDomain{Name: "move.test"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateMailbox(ctx, acme, sb.NewMailbox{Address: "ana@move.test", Password: "anas-password-1", Active: true, InboxSave: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateMailbox(ctx, acme, sb.NewMailbox{Address: "ben@move.test", Password: "bens-password-1", Active: true, InboxSave: true}); err != nil {
			t.Fatal(err)
		}
		set, err := s.SetVacation(ctx, acme, sb.AccountRef{Email: "ana@move.test"}, sb.VacationChange{Active: ptr(true),
			Subject: ptr("Umgezogen"), Body: ptr("Neue Adresse.\n.\n"), Start: ptr("2026-12-01"), Days: ptr(2),
			Addresses: ptr([]string{"info@move.test"})})
		if err != nil {
			t.Fatal(err)
		}
		exp, err := s.ExportDomain(ctx, acme, "move.test")
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := exp.Stream(&buf); err != nil {
			t.Fatal(err)
		}
		exp.Close()
		if err := s.DeleteDomain(ctx, acme, "move.test"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ImportDomain(ctx, acme, "", bytes.NewReader(buf.Bytes())); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetVacation(ctx, acme, sb.AccountRef{Email: "ana@move.test"})
		if err != nil {
			t.Fatal(err)
		}
		set.AccountID = got.AccountID // a new account, a new id
		if !equalVacation(*got, *set) {
			t.Errorf("imported %+v, exported %+v", *got, *set)
		}
		if _, text, err := st.Read().SieveScript(ctx, "ana@move.test", sieve.ScriptName); err != nil || text != sieve.Vacation(*set) {
			t.Errorf("imported script %q (%v)", text, err)
		}
		if v, err := s.GetVacation(ctx, acme, sb.AccountRef{Email: "ben@move.test"}); err != nil || v.Active || v.Body != "" {
			t.Errorf("ben without a vacation imported as %+v (%v)", v, err)
		}

		for _, tc := range []struct{ name, email, subject string }{
			{"a subject with a line break", "eve@bad.test", "Away\r\nBcc: x@evil.test"},
			{"the vacation of an address that is not an account of the archive", "ana@move.test", "Away"},
		} {
			t.Run("an archive with "+tc.name+" is refused whole", func(t *testing.T) {
				data := handMadeArchive(t, "bad.test", "eve@bad.test", map[string]any{"email": tc.email, "active": true,
					"subject": tc.subject, "body": "x", "start_date": "", "end_date": "", "days": 7, "updated_at": time.Now()})
				_, err := s.ImportDomain(ctx, acme, "", bytes.NewReader(data))
				if sb.ErrorCode(err) != sb.EINVALID || !strings.Contains(sb.ErrorMessage(err), "vacations.jsonl") {
					t.Fatalf("import: %v", err)
				}
				if _, err := s.GetDomain(ctx, acme, "bad.test"); sb.ErrorCode(err) != sb.ENOTFOUND {
					t.Errorf("the refused import left its domain: %v", err)
				}
			})
		}
	})
}

// handMadeArchive builds a domain export with one account and one line of
// vacations.jsonl, as another server (or a tampering hand) might.
func handMadeArchive(t *testing.T, domain, email string, vacation map[string]any) []byte {
	t.Helper()
	b, err := archive.NewBuilder()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	now := time.Now().UTC()
	if err := b.JSON("domain.json", map[string]any{"name": domain, "created_at": now}); err != nil {
		t.Fatal(err)
	}
	lines := func(name, key string, rows ...any) {
		l, err := b.Lines(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if err := l.Add(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.Close(key); err != nil {
			t.Fatal(err)
		}
	}
	local, _, _ := strings.Cut(email, "@")
	account := map[string]any{"local": local, "email": email, "active": true, "activated": true, "admin": false,
		"provisioned": false, "created_at": now, "updated_at": now}
	account["password_hash"] = "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"
	lines("accounts.jsonl", "accounts", account)
	lines("vacations.jsonl", "vacations", vacation)
	var buf bytes.Buffer
	if err := b.Write(&buf, domain, now); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
