package jsonrpc_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/jsonrpc"
	"github.com/switchboard/switchboard/internal/sieve"
)

// TestVacationMethods drives mail.vacation.get and mail.vacation.set as
// mailbox.org's clients call them, at the account and the mail level,
// and checks every refusal leaves the settings and the script alone.
func TestVacationMethods(t *testing.T) {
	eachRPC(t, func(t *testing.T, e *rpcEnv) {
		ten := e.login("test_account", "123456-secret")
		other := e.login("other", "123456-secret")
		e.call(ten, "domain.add", map[string]string{"domain": "vac.test"}).ok(t)
		e.call(ten, "mail.add", map[string]string{"mail": "ana@vac.test", "password": "password123"}).ok(t)
		e.call(ten, "mail.add", map[string]string{"mail": "ben@vac.test", "password": "password123"}).ok(t)
		get := func(t *testing.T, session string, params any) map[string]any {
			t.Helper()
			var v map[string]any
			if err := json.Unmarshal(e.call(session, "mail.vacation.get", params).ok(t), &v); err != nil {
				t.Fatal(err)
			}
			return v
		}
		script := func(email string) string {
			_, s, err := e.st.Read().SieveScript(context.Background(), email, sieve.ScriptName)
			if err != nil && sb.ErrorCode(err) != sb.ENOTFOUND {
				t.Fatal(err)
			}
			return s
		}

		t.Run("get answers inactive defaults for a mailbox without one", func(t *testing.T) {
			v := get(t, ten, map[string]string{"mail": "ana@vac.test"})
			want := `{"active":false,"additional_mail_addresses":[],"body":"","days":7,"end_date":"","mail":"ana@vac.test","start_date":"","subject":""}`
			if b, _ := json.Marshal(v); string(b) != want {
				t.Errorf("got %s, want %s", b, want)
			}
		})
		t.Run("set with mailbox.org's parameters turns it on", func(t *testing.T) {
			r := e.call(ten, "mail.vacation.set", map[string]any{"mail": "ana@vac.test", "subject": "Urlaub", "body": "Bis bald.\n",
				"start_date": "2026-12-01", "end_date": "2026-12-31", "additional_mail_addresses": []string{"info@vac.test"}})
			if string(r.ok(t)) != "true" {
				t.Fatalf("result %s, want true", r.Result)
			}
			v := get(t, ten, map[string]string{"mail": "ana@vac.test"})
			want := `{"active":true,"additional_mail_addresses":["info@vac.test"],"body":"Bis bald.\n","days":7,"end_date":"2026-12-31","mail":"ana@vac.test","start_date":"2026-12-01","subject":"Urlaub"}`
			if b, _ := json.Marshal(v); string(b) != want {
				t.Errorf("got %s, want %s", b, want)
			}
			if s := script("ana@vac.test"); !strings.Contains(s, `:subject "Urlaub" :addresses ["info@vac.test"]`) {
				t.Errorf("script:\n%s", s)
			}
		})
		t.Run("addresses as one comma-separated string, days and active", func(t *testing.T) {
			e.call(ten, "mail.vacation.set", map[string]any{"mail": "ana@vac.test", "additional_mail_addresses": "a@vac.test, B@vac.test",
				"days": 14, "active": true}).ok(t)
			v := get(t, ten, map[string]string{"mail": "ana@vac.test"})
			if b, _ := json.Marshal(v["additional_mail_addresses"]); string(b) != `["a@vac.test","b@vac.test"]` || v["days"] != float64(14) {
				t.Errorf("got %v", v)
			}
		})
		t.Run("a mailbox session reads and sets its own, without mail", func(t *testing.T) {
			ana := e.login("ana@vac.test", "password123")
			e.call(ana, "mail.vacation.set", map[string]any{"subject": "Selbst gesetzt"}).ok(t)
			if v := get(t, ana, nil); v["subject"] != "Selbst gesetzt" || v["mail"] != "ana@vac.test" {
				t.Errorf("got %v", v)
			}
			e.call(ana, "mail.vacation.get", map[string]string{"mail": "ben@vac.test"}).fails(t, jsonrpc.CodeAccessDenied, "")
			e.call(ana, "mail.vacation.set", map[string]any{"mail": "ben@vac.test", "subject": "x"}).fails(t, jsonrpc.CodeAccessDenied, "")
		})
		t.Run("active false turns it off and keeps the text", func(t *testing.T) {
			e.call(ten, "mail.vacation.set", map[string]any{"mail": "ana@vac.test", "active": false}).ok(t)
			if v := get(t, ten, map[string]string{"mail": "ana@vac.test"}); v["active"] != false || v["body"] != "Bis bald.\n" {
				t.Errorf("got %v", v)
			}
			if s := script("ana@vac.test"); s != "" {
				t.Errorf("an inactive vacation has a script:\n%s", s)
			}
			e.call(ten, "mail.vacation.set", map[string]any{"mail": "ana@vac.test"}).ok(t)
		})

		t.Run("a subject alone will do, nothing at all will not", func(t *testing.T) {
			e.call(ten, "mail.vacation.set", map[string]any{"mail": "ben@vac.test"}).fails(t, jsonrpc.CodeInvalid, "body")
			if s := script("ben@vac.test"); s != "" {
				t.Errorf("a refused set wrote a script:\n%s", s)
			}
			e.call(ten, "mail.vacation.set", map[string]any{"mail": "ben@vac.test", "subject": "Nur ein Betreff"}).ok(t)
			if s := script("ben@vac.test"); !strings.Contains(s, `:subject "Nur ein Betreff" text:`) {
				t.Errorf("script:\n%s", s)
			}
		})

		before := get(t, ten, map[string]string{"mail": "ana@vac.test"})
		beforeScript := script("ana@vac.test")
		refusals := []struct {
			name    string
			session string
			method  string
			params  any
			code    int
			field   string
		}{
			{"an unknown parameter", ten, "mail.vacation.set", map[string]any{"mail": "ana@vac.test", "reply_to": "x@vac.test"}, jsonrpc.CodeInvalidParams, "reply_to"},
			{"an unknown parameter of get", ten, "mail.vacation.get", map[string]any{"mail": "ana@vac.test", "details": true}, jsonrpc.CodeInvalidParams, "details"},
			{"days as a string", ten, "mail.vacation.set", map[string]any{"mail": "ana@vac.test", "days": "7"}, jsonrpc.CodeInvalidParams, "days"},
			{"active as a string", ten, "mail.vacation.set", map[string]any{"mail": "ana@vac.test", "active": "yes"}, jsonrpc.CodeInvalidParams, "active"},
			{"addresses as a number", ten, "mail.vacation.set", map[string]any{"mail": "ana@vac.test", "additional_mail_addresses": 5}, jsonrpc.CodeInvalidParams, "additional_mail_addresses"},
			{"positional params", ten, "mail.vacation.set", []string{"ana@vac.test", "x"}, jsonrpc.CodeInvalidParams, ""},
			{"no mail at the account level", ten, "mail.vacation.set", map[string]any{"subject": "x"}, jsonrpc.CodeInvalidParams, "mail"},
			{"a subject with CRLF", ten, "mail.vacation.set", map[string]any{"mail": "ana@vac.test", "subject": "x\r\nBcc: y@evil.test"}, jsonrpc.CodeInvalid, "subject"},
			{"an end before the start", ten, "mail.vacation.set", map[string]any{"mail": "ana@vac.test", "start_date": "2026-12-02", "end_date": "2026-12-01"}, jsonrpc.CodeInvalid, "end_date"},
			{"a date as DD.MM.YYYY", ten, "mail.vacation.set", map[string]any{"mail": "ana@vac.test", "start_date": "01.12.2026"}, jsonrpc.CodeInvalid, "start_date"},
			{"days out of range", ten, "mail.vacation.set", map[string]any{"mail": "ana@vac.test", "days": 400}, jsonrpc.CodeInvalid, "days"},
			{"a bad address", ten, "mail.vacation.set", map[string]any{"mail": "ana@vac.test", "additional_mail_addresses": []string{"nope"}}, jsonrpc.CodeInvalid, "additional_mail_addresses"},
			{"another tenant's mailbox", other, "mail.vacation.set", map[string]any{"mail": "ana@vac.test", "subject": "x"}, jsonrpc.CodeNotFound, ""},
			{"another tenant reading", other, "mail.vacation.get", map[string]any{"mail": "ana@vac.test"}, jsonrpc.CodeNotFound, ""},
			{"an unknown mailbox", ten, "mail.vacation.set", map[string]any{"mail": "nobody@vac.test", "subject": "x"}, jsonrpc.CodeNotFound, ""},
			{"no session", "", "mail.vacation.set", map[string]any{"mail": "ana@vac.test", "subject": "x"}, jsonrpc.CodeInvalidSession, ""},
		}
		for _, tc := range refusals {
			t.Run("refuses "+tc.name, func(t *testing.T) {
				e.call(tc.session, tc.method, tc.params).fails(t, tc.code, tc.field)
				after := get(t, ten, map[string]string{"mail": "ana@vac.test"})
				if a, b := mustJSON(after), mustJSON(before); a != b || script("ana@vac.test") != beforeScript {
					t.Errorf("changed: %s, was %s", a, b)
				}
			})
		}
	})
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
