package jsonrpc_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

type appPasswordAnswer struct {
	ID        int64    `json:"id"`
	Mail      string   `json:"mail"`
	Memo      string   `json:"memo"`
	Protocols []string `json:"protocols"`
	Created   string   `json:"created"`
	Password  string   `json:"password"`
}

func TestMailAppPasswords(t *testing.T) {
	eachRPC(t, func(t *testing.T, e *rpcEnv) {
		owner, other := e.login("test_account", "123456-secret"), e.login("other", "123456-secret")
		e.call(owner, "domain.add", map[string]string{"domain": "apps.test"}).ok(t)
		e.call(owner, "mail.add", map[string]string{"mail": "alice@apps.test", "password": "password123"}).ok(t)
		e.call(owner, "mail.add", map[string]string{"mail": "bob@apps.test", "password": "password123"}).ok(t)
		alice := e.login("alice@apps.test", "password123")

		list := func(session string, params map[string]any) []appPasswordAnswer {
			t.Helper()
			var out []appPasswordAnswer
			raw := e.call(session, "mail.apppassword.list", params).ok(t)
			if err := json.Unmarshal(raw, &out); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(raw), `"password"`) {
				t.Fatalf("the list shows a secret: %s", raw)
			}
			return out
		}
		add := func(session string, params map[string]any) appPasswordAnswer {
			t.Helper()
			var out appPasswordAnswer
			if err := json.Unmarshal(e.call(session, "mail.apppassword.add", params).ok(t), &out); err != nil {
				t.Fatal(err)
			}
			return out
		}

		var mailClient appPasswordAnswer
		t.Run("a tenant adds one with a memo and protocols, and sees the password once", func(t *testing.T) {
			mailClient = add(owner, map[string]any{"mail": "alice@apps.test", "memo": "Thunderbird", "protocols": []string{"smtp", "imap"}})
			if mailClient.ID == 0 || mailClient.Mail != "alice@apps.test" || mailClient.Memo != "Thunderbird" ||
				!slices.Equal(mailClient.Protocols, []string{"imap", "smtp"}) || len(mailClient.Password) != 32 || mailClient.Created == "" {
				t.Fatalf("mail.apppassword.add = %+v", mailClient)
			}
			got := list(owner, map[string]any{"mail": "alice@apps.test"})
			if len(got) != 1 || got[0].ID != mailClient.ID || got[0].Memo != "Thunderbird" || got[0].Password != "" {
				t.Fatalf("mail.apppassword.list = %+v", got)
			}
		})
		t.Run("protocols may be one comma-separated string, and none means every protocol", func(t *testing.T) {
			p := add(owner, map[string]any{"mail": "alice@apps.test", "protocols": "pop3, sieve"})
			if !slices.Equal(p.Protocols, []string{"pop3", "sieve"}) {
				t.Fatalf("protocols %q", p.Protocols)
			}
			all := add(owner, map[string]any{"mail": "alice@apps.test"})
			if all.Protocols == nil || len(all.Protocols) != 0 || !strings.HasPrefix(all.Memo, "App password of ") {
				t.Fatalf("without protocols: %+v", all)
			}
			e.call(owner, "mail.apppassword.del", map[string]any{"id": p.ID}).ok(t)
			e.call(owner, "mail.apppassword.del", map[string]any{"id": all.ID, "mail": "alice@apps.test"}).ok(t)
		})
		t.Run("a mailbox session manages its own, mail defaulting to itself", func(t *testing.T) {
			own := add(alice, map[string]any{"memo": "phone"})
			if own.Mail != "alice@apps.test" {
				t.Fatalf("own = %+v", own)
			}
			if got := list(alice, map[string]any{}); len(got) != 2 {
				t.Fatalf("alice lists %+v", got)
			}
			e.call(alice, "mail.apppassword.list", map[string]any{"mail": "bob@apps.test"}).fails(t, 3, "")
			e.call(alice, "mail.apppassword.add", map[string]any{"mail": "bob@apps.test"}).fails(t, 3, "")
			e.call(alice, "mail.apppassword.del", map[string]any{"id": own.ID}).ok(t)
		})
		t.Run("another tenant learns nothing and revokes nothing", func(t *testing.T) {
			e.call(other, "mail.apppassword.list", map[string]any{"mail": "alice@apps.test"}).fails(t, 3, "")
			e.call(other, "mail.apppassword.add", map[string]any{"mail": "alice@apps.test"}).fails(t, 3, "")
			e.call(other, "mail.apppassword.del", map[string]any{"id": mailClient.ID}).fails(t, 3, "")
			if got := list(owner, map[string]any{"mail": "alice@apps.test"}); len(got) != 1 {
				t.Fatalf("after the other tenant: %+v", got)
			}
		})
		t.Run("bad params are refused and change nothing", func(t *testing.T) {
			cases := []struct {
				name, method string
				params       any
				code         int
				field        string
			}{
				{"add without mail", "mail.apppassword.add", map[string]any{"memo": "x"}, -32602, "mail"},
				{"add with an unknown protocol", "mail.apppassword.add", map[string]any{"mail": "alice@apps.test", "protocols": []string{"imap", "ftp"}}, 5, "protocols"},
				{"add with protocols of the wrong type", "mail.apppassword.add", map[string]any{"mail": "alice@apps.test", "protocols": 7}, -32602, "protocols"},
				{"add with a memo too long", "mail.apppassword.add", map[string]any{"mail": "alice@apps.test", "memo": strings.Repeat("m", 65)}, 5, "memo"},
				{"add with an unknown member", "mail.apppassword.add", map[string]any{"mail": "alice@apps.test", "password": "mine"}, -32602, "password"},
				{"add for an unknown mailbox", "mail.apppassword.add", map[string]any{"mail": "nobody@apps.test"}, 3, ""},
				{"add for a malformed address", "mail.apppassword.add", map[string]any{"mail": "not an address"}, 5, "mail"},
				{"add with positional params", "mail.apppassword.add", []string{"alice@apps.test"}, -32602, ""},
				{"list without mail", "mail.apppassword.list", map[string]any{}, -32602, "mail"},
				{"list with an unknown member", "mail.apppassword.list", map[string]any{"mail": "alice@apps.test", "limit": 5}, -32602, "limit"},
				{"del without id", "mail.apppassword.del", map[string]any{}, -32602, "id"},
				{"del with a negative id", "mail.apppassword.del", map[string]any{"id": -1}, -32602, "id"},
				{"del with an id as text", "mail.apppassword.del", map[string]any{"id": "1"}, -32602, "id"},
				{"del of an unknown id", "mail.apppassword.del", map[string]any{"id": 999999}, 3, ""},
				{"del under another mailbox", "mail.apppassword.del", map[string]any{"id": mailClient.ID, "mail": "bob@apps.test"}, 3, ""},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					e.call(owner, tc.method, tc.params).fails(t, tc.code, tc.field)
				})
			}
			if got := list(owner, map[string]any{"mail": "alice@apps.test"}); len(got) != 1 || got[0].ID != mailClient.ID {
				t.Fatalf("after the refusals: %+v", got)
			}
		})
		t.Run("without a session nothing is answered", func(t *testing.T) {
			e.call("", "mail.apppassword.list", map[string]any{"mail": "alice@apps.test"}).fails(t, 253, "")
		})
		t.Run("del revokes it", func(t *testing.T) {
			e.call(owner, "mail.apppassword.del", map[string]any{"id": mailClient.ID}).ok(t)
			if got := list(owner, map[string]any{"mail": "alice@apps.test"}); len(got) != 0 {
				t.Fatalf("after del: %+v", got)
			}
			e.call(owner, "mail.apppassword.del", map[string]any{"id": mailClient.ID}).fails(t, 3, "")
		})
	})
}
