package jsonrpc_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/jsonrpc"
)

// mailOut is what mail.get, mail.add, mail.set and mail.list answer per
// mailbox.
type mailOut struct {
	Mail      string    `json:"mail"`
	Active    bool      `json:"active"`
	FirstName string    `json:"first_name"`
	LastName  string    `json:"last_name"`
	Forwards  []string  `json:"forwards"`
	InboxSave bool      `json:"inboxsave"`
	Aliases   *[]string `json:"aliases"`
}

func (e *rpcEnv) mail(session, addr string) mailOut {
	e.t.Helper()
	var m mailOut
	if err := json.Unmarshal(e.call(session, "mail.get", map[string]string{"mail": addr}).ok(e.t), &m); err != nil {
		e.t.Fatal(err)
	}
	return m
}

func decode[T any](t *testing.T, raw json.RawMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	return v
}

func TestMailboxProfiles(t *testing.T) {
	eachRPC(t, func(t *testing.T, e *rpcEnv) {
		ten := e.login("test_account", "123456-secret")
		oth := e.login("other", "123456-secret")
		e.call(ten, "domain.add", map[string]string{"domain": "prof.test"}).ok(t)
		e.call(oth, "domain.add", map[string]string{"domain": "theirs.test"}).ok(t)

		t.Run("mail.add keeps names and forwarding and answers them", func(t *testing.T) {
			m := decode[mailOut](t, e.call(ten, "mail.add", map[string]any{"mail": "box@prof.test", "password": "password123",
				"first_name": "Ada", "last_name": "Lovelace", "inboxsave": false,
				"forwards": []string{"Ext@Elsewhere.org", "ext@elsewhere.org", "two@elsewhere.org"}}).ok(t))
			if m.FirstName != "Ada" || m.LastName != "Lovelace" || m.InboxSave || !slices.Equal(m.Forwards, []string{"ext@elsewhere.org", "two@elsewhere.org"}) {
				t.Fatalf("mail.add = %+v", m)
			}
			got := e.mail(ten, "box@prof.test")
			if got.FirstName != "Ada" || got.InboxSave || len(got.Forwards) != 2 || got.Aliases == nil || len(*got.Aliases) != 0 {
				t.Fatalf("mail.get = %+v", got)
			}
		})
		t.Run("mail.add without a profile keeps mail in the mailbox", func(t *testing.T) {
			m := decode[mailOut](t, e.call(ten, "mail.add", map[string]any{"mail": "plain@prof.test", "password": "password123"}).ok(t))
			if !m.InboxSave || m.Forwards == nil || len(m.Forwards) != 0 || m.FirstName != "" {
				t.Fatalf("mail.add = %+v", m)
			}
		})
		t.Run("forwards may be one comma-separated string", func(t *testing.T) {
			m := decode[mailOut](t, e.call(ten, "mail.add", map[string]any{"mail": "csv@prof.test", "password": "password123",
				"forwards": "a@elsewhere.org, b@elsewhere.org"}).ok(t))
			if !slices.Equal(m.Forwards, []string{"a@elsewhere.org", "b@elsewhere.org"}) {
				t.Fatalf("forwards = %q", m.Forwards)
			}
		})

		refusals := []struct {
			name, session, method string
			params                map[string]any
			code                  int
			field                 string
		}{
			{"mail.add forwarding to itself", ten, "mail.add", map[string]any{"mail": "self@prof.test", "password": "password123", "forwards": []string{"self@prof.test"}}, jsonrpc.CodeInvalid, "forwards"},
			{"mail.add forwarding to a bad address", ten, "mail.add", map[string]any{"mail": "bad@prof.test", "password": "password123", "forwards": []string{"not an address"}}, jsonrpc.CodeInvalid, "forwards"},
			{"mail.add with forwards of the wrong type", ten, "mail.add", map[string]any{"mail": "bad@prof.test", "password": "password123", "forwards": 7}, -32602, "forwards"},
			{"mail.add with a control character in a name", ten, "mail.add", map[string]any{"mail": "bad@prof.test", "password": "password123", "first_name": "A\x01"}, jsonrpc.CodeInvalid, "first_name"},
			{"mail.add with a name over 128 bytes", ten, "mail.add", map[string]any{"mail": "bad@prof.test", "password": "password123", "last_name": strings.Repeat("x", 129)}, jsonrpc.CodeInvalid, "last_name"},
			{"mail.add with aliases, which only mail.set takes", ten, "mail.add", map[string]any{"mail": "bad@prof.test", "password": "password123", "aliases": []string{"x@prof.test"}}, -32602, "aliases"},
			{"mail.add with an undocumented parameter", ten, "mail.add", map[string]any{"mail": "bad@prof.test", "password": "password123", "title": "Dr"}, -32602, "title"},
			{"mail.set forwarding to itself", ten, "mail.set", map[string]any{"mail": "box@prof.test", "forwards": []string{"box@prof.test"}}, jsonrpc.CodeInvalid, "forwards"},
			{"mail.set with more than 50 forwards", ten, "mail.set", map[string]any{"mail": "box@prof.test", "forwards": manyAddresses(51)}, jsonrpc.CodeInvalid, "forwards"},
			{"mail.set with a deletion_date that is no date", ten, "mail.set", map[string]any{"mail": "box@prof.test", "deletion_date": "tomorrow"}, -32602, "deletion_date"},
			{"mail.set with require_reset of the wrong type", ten, "mail.set", map[string]any{"mail": "box@prof.test", "require_reset": "yes"}, -32602, "require_reset"},
			{"mail.set with an alias in another account's domain", ten, "mail.set", map[string]any{"mail": "box@prof.test", "aliases": []string{"info@theirs.test"}}, jsonrpc.CodeNotFound, ""},
			{"mail.set with an alias that is a mailbox", ten, "mail.set", map[string]any{"mail": "box@prof.test", "aliases": []string{"plain@prof.test"}}, jsonrpc.CodeConflict, "aliases"},
			{"mail.set with the mailbox itself as an alias", ten, "mail.set", map[string]any{"mail": "box@prof.test", "aliases": []string{"box@prof.test"}}, jsonrpc.CodeInvalid, "aliases"},
			{"mail.set with a bad alias address", ten, "mail.set", map[string]any{"mail": "box@prof.test", "aliases": []string{"a b@prof.test"}}, jsonrpc.CodeInvalid, "aliases"},
			{"mail.set with an undocumented parameter", ten, "mail.set", map[string]any{"mail": "box@prof.test", "birthday": "1815-12-10"}, -32602, "birthday"},
			{"another account's mail.set of the mailbox", oth, "mail.set", map[string]any{"mail": "box@prof.test", "first_name": "Eve"}, jsonrpc.CodeNotFound, ""},
		}
		for _, tc := range refusals {
			t.Run(tc.name+" is refused and changes nothing", func(t *testing.T) {
				before := e.mail(ten, "box@prof.test")
				aliases := e.aliasState("prof.test")
				e.call(tc.session, tc.method, tc.params).fails(t, tc.code, tc.field)
				after := e.mail(ten, "box@prof.test")
				if after.FirstName != before.FirstName || !slices.Equal(after.Forwards, before.Forwards) || e.aliasState("prof.test") != aliases {
					t.Fatalf("changed: %+v -> %+v", before, after)
				}
				for _, addr := range []string{"self@prof.test", "bad@prof.test"} {
					if _, err := e.svc.GetMailbox(context.Background(), sb.SystemActor, addr); sb.ErrorCode(err) != sb.ENOTFOUND {
						t.Fatalf("%s: %v", addr, err)
					}
				}
			})
		}

		t.Run("mail.set changes names and forwarding, mail.get reads them back", func(t *testing.T) {
			m := decode[mailOut](t, e.call(ten, "mail.set", map[string]any{"mail": "box@prof.test", "first_name": "Grace",
				"inboxsave": true, "forwards": []string{"new@elsewhere.org"}, "require_reset": true, "deletion_date": "2030-01-01"}).ok(t))
			if m.FirstName != "Grace" || m.LastName != "Lovelace" || !m.InboxSave || !slices.Equal(m.Forwards, []string{"new@elsewhere.org"}) {
				t.Fatalf("mail.set = %+v", m)
			}
			e.call(ten, "mail.set", map[string]any{"mail": "box@prof.test", "forwards": []string{}}).ok(t)
			if got := e.mail(ten, "box@prof.test"); len(got.Forwards) != 0 || got.FirstName != "Grace" {
				t.Fatalf("after clearing forwards: %+v", got)
			}
		})
		t.Run("mail.set aliases makes exactly those the mailbox's aliases", func(t *testing.T) {
			m := decode[mailOut](t, e.call(ten, "mail.set", map[string]any{"mail": "box@prof.test", "aliases": []string{"info@prof.test", "Sales@prof.test"}}).ok(t))
			if m.Aliases == nil || !slices.Equal(*m.Aliases, []string{"info@prof.test", "sales@prof.test"}) {
				t.Fatalf("aliases = %v", m.Aliases)
			}
			var rows []struct {
				Alias string   `json:"alias"`
				Goto  []string `json:"goto"`
			}
			json.Unmarshal(e.call(ten, "alias.list", map[string]any{"domain": "prof.test"}).ok(t), &rows)
			if len(rows) != 2 || !slices.Equal(rows[0].Goto, []string{"box@prof.test"}) {
				t.Fatalf("alias.list = %+v", rows)
			}
			e.call(ten, "mail.set", map[string]any{"mail": "box@prof.test", "aliases": "info@prof.test"}).ok(t)
			if got := e.mail(ten, "box@prof.test"); !slices.Equal(*got.Aliases, []string{"info@prof.test"}) {
				t.Fatalf("after dropping sales: %v", *got.Aliases)
			}
			if _, err := e.st.Read().AliasByEmail(context.Background(), "sales@prof.test"); sb.ErrorCode(err) != sb.ENOTFOUND {
				t.Fatalf("sales@prof.test still exists: %v", err)
			}
		})
		t.Run("an alias already forwarding elsewhere is a conflict", func(t *testing.T) {
			e.call(ten, "alias.add", map[string]any{"alias": "team@prof.test", "goto": []string{"box@prof.test", "plain@prof.test"}}).ok(t)
			e.call(ten, "mail.set", map[string]any{"mail": "box@prof.test", "aliases": []string{"info@prof.test", "team@prof.test"}}).fails(t, jsonrpc.CodeConflict, "aliases")
			if got := e.mail(ten, "box@prof.test"); !slices.Equal(*got.Aliases, []string{"info@prof.test"}) {
				t.Fatalf("aliases = %v", *got.Aliases)
			}
		})
		t.Run("another account's alias to the mailbox is neither shown nor removed", func(t *testing.T) {
			e.call(oth, "alias.add", map[string]any{"alias": "fan@theirs.test", "goto": "box@prof.test"}).ok(t)
			if got := e.mail(ten, "box@prof.test"); !slices.Equal(*got.Aliases, []string{"info@prof.test"}) {
				t.Fatalf("aliases = %v", *got.Aliases)
			}
			e.call(ten, "mail.set", map[string]any{"mail": "box@prof.test", "aliases": []string{}}).ok(t)
			if _, err := e.st.Read().AliasByEmail(context.Background(), "fan@theirs.test"); err != nil {
				t.Fatalf("the other account's alias is gone: %v", err)
			}
			if got := e.mail(ten, "box@prof.test"); len(*got.Aliases) != 0 {
				t.Fatalf("aliases = %v", *got.Aliases)
			}
		})
		t.Run("a mailbox changes its own names and forwarding, not its aliases", func(t *testing.T) {
			e.call(ten, "mail.set", map[string]any{"mail": "box@prof.test", "password": "box-password-1"}).ok(t)
			box := e.login("box@prof.test", "box-password-1")
			e.call(box, "mail.set", map[string]any{"last_name": "Hopper", "forwards": []string{"me@elsewhere.org"}}).ok(t)
			if got := e.mail(box, "box@prof.test"); got.LastName != "Hopper" || !slices.Equal(got.Forwards, []string{"me@elsewhere.org"}) {
				t.Fatalf("mail.get = %+v", got)
			}
			e.call(box, "mail.set", map[string]any{"aliases": []string{"me@prof.test"}}).fails(t, jsonrpc.CodeAccessDenied, "")
			if _, err := e.st.Read().AliasByEmail(context.Background(), "me@prof.test"); sb.ErrorCode(err) != sb.ENOTFOUND {
				t.Fatalf("me@prof.test: %v", err)
			}
		})
		t.Run("a deleted mailbox leaves its tenant's forwards, not another's", func(t *testing.T) {
			e.call(ten, "mail.add", map[string]any{"mail": "gone@prof.test", "password": "password123"}).ok(t)
			e.call(ten, "mail.set", map[string]any{"mail": "box@prof.test", "forwards": []string{"gone@prof.test", "kept@elsewhere.org"}}).ok(t)
			e.call(oth, "mail.add", map[string]any{"mail": "their@theirs.test", "password": "password123", "forwards": "gone@prof.test"}).ok(t)
			e.call(ten, "mail.del", map[string]any{"mail": "gone@prof.test"}).ok(t)
			if got := e.mail(ten, "box@prof.test"); !slices.Equal(got.Forwards, []string{"kept@elsewhere.org"}) {
				t.Fatalf("box forwards = %q", got.Forwards)
			}
			if got := e.mail(oth, "their@theirs.test"); !slices.Equal(got.Forwards, []string{"gone@prof.test"}) {
				t.Fatalf("the other account's forwards = %q", got.Forwards)
			}
		})
	})
}

func manyAddresses(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "f" + strings.Repeat("x", i) + "@elsewhere.org"
	}
	return out
}

func TestMailListPagesAndSorting(t *testing.T) {
	eachRPC(t, func(t *testing.T, e *rpcEnv) {
		ten := e.login("test_account", "123456-secret")
		e.call(ten, "domain.add", map[string]string{"domain": "list.test"}).ok(t)
		for _, m := range []struct {
			mail, first, last string
			active            bool
		}{
			{"carol@list.test", "Zed", "Adams", true},
			{"alice@list.test", "Yves", "Brown", false},
			{"bob@list.test", "Xavier", "Clark", true},
		} {
			e.call(ten, "mail.add", map[string]any{"mail": m.mail, "password": "password123", "first_name": m.first, "last_name": m.last, "active": m.active}).ok(t)
		}
		e.call(ten, "mail.set", map[string]any{"mail": "bob@list.test", "aliases": []string{"b@list.test"}}).ok(t)
		order := func(t *testing.T, params map[string]any) []mailOut {
			t.Helper()
			params["domain"] = "list.test"
			return decode[[]mailOut](t, e.call(ten, "mail.list", params).ok(t))
		}
		mails := func(rows []mailOut) string {
			var s []string
			for _, r := range rows {
				s = append(s, strings.TrimSuffix(r.Mail, "@list.test"))
			}
			return strings.Join(s, ",")
		}
		cases := []struct {
			name   string
			params map[string]any
			want   string
		}{
			{"by mail", map[string]any{"sort_field": "mail"}, "alice,bob,carol"},
			{"by mail, descending", map[string]any{"sort_field": "mail", "sort_order": "desc"}, "carol,bob,alice"},
			{"by first name", map[string]any{"sort_field": "first_name"}, "bob,alice,carol"},
			{"by last name", map[string]any{"sort_field": "last_name", "sort_order": "ASC"}, "carol,alice,bob"},
			{"by status, inactive first", map[string]any{"sort_field": "status"}, "alice,carol,bob"},
			{"by creation date", map[string]any{"sort_field": "creation_date"}, "carol,alice,bob"},
			{"by domain, which is id order", map[string]any{"sort_field": "domain", "sort_order": "desc"}, "bob,alice,carol"},
			{"the first page of two", map[string]any{"sort_field": "mail", "page": 1, "page_size": 2}, "alice,bob"},
			{"the second page of two", map[string]any{"sort_field": "mail", "page": 2, "page_size": 2}, "carol"},
			{"a page past the end", map[string]any{"page": 3, "page_size": 2}, ""},
			{"the keyset pages as before", map[string]any{"limit": 2}, "carol,alice"},
		}
		for _, tc := range cases {
			t.Run("mail.list "+tc.name, func(t *testing.T) {
				if got := mails(order(t, tc.params)); got != tc.want {
					t.Fatalf("got %q, want %q", got, tc.want)
				}
			})
		}
		t.Run("details adds each mailbox's aliases", func(t *testing.T) {
			rows := order(t, map[string]any{"sort_field": "mail", "details": true})
			if rows[1].Aliases == nil || !slices.Equal(*rows[1].Aliases, []string{"b@list.test"}) || rows[0].Aliases == nil || len(*rows[0].Aliases) != 0 {
				t.Fatalf("rows = %+v", rows)
			}
			for _, r := range order(t, map[string]any{"details": false}) {
				if r.Aliases != nil {
					t.Fatalf("aliases without details: %+v", r)
				}
			}
			if rows := order(t, map[string]any{"details": true, "limit": 10}); rows[2].Aliases == nil || len(*rows[2].Aliases) != 1 {
				t.Fatalf("keyset rows with details = %+v", rows)
			}
		})
		refusals := []struct {
			name   string
			params map[string]any
			field  string
		}{
			{"page 0", map[string]any{"page": 0}, "page"},
			{"a negative page", map[string]any{"page": -1, "page_size": 10}, "page"},
			{"page_size 0", map[string]any{"page_size": 0}, "page_size"},
			{"page_size over 1000", map[string]any{"page_size": 1001}, "page_size"},
			{"a page deeper than 100000 mailboxes", map[string]any{"page": 102, "page_size": 1000}, "page"},
			{"an unknown sort_field", map[string]any{"sort_field": "password"}, "sort_field"},
			{"an unknown sort_order", map[string]any{"sort_field": "mail", "sort_order": "up"}, "sort_order"},
			{"pages mixed with the keyset", map[string]any{"page": 1, "limit": 10}, "page"},
			{"a sort_field of the wrong type", map[string]any{"sort_field": 3}, "sort_field"},
		}
		for _, tc := range refusals {
			t.Run("mail.list refuses "+tc.name, func(t *testing.T) {
				tc.params["domain"] = "list.test"
				e.call(ten, "mail.list", tc.params).fails(t, -32602, tc.field)
			})
		}
		t.Run("another account's domain is not found", func(t *testing.T) {
			oth := e.login("other", "123456-secret")
			e.call(oth, "mail.list", map[string]any{"domain": "list.test", "sort_field": "mail"}).fails(t, jsonrpc.CodeNotFound, "")
		})
	})
}

func TestDomainAndAccountMemos(t *testing.T) {
	eachRPC(t, func(t *testing.T, e *rpcEnv) {
		ten := e.login("test_account", "123456-secret")
		oth := e.login("other", "123456-secret")
		root := e.login("root", "123456-secret")
		type domainOut struct {
			Domain, Account, Memo string
		}
		domain := func(session, name string) domainOut {
			t.Helper()
			return decode[domainOut](t, e.call(session, "domain.get", map[string]string{"domain": name}).ok(t))
		}
		t.Run("domain.add accepts mailbox.org's domain password", func(t *testing.T) {
			e.call(ten, "domain.add", map[string]string{"domain": "alpha.test", "password": "domain-secret-1"}).ok(t)
			e.call(ten, "domain.add", map[string]string{"domain": "beta.test"}).ok(t)
			e.call(oth, "domain.add", map[string]string{"domain": "alpha-other.test"}).ok(t)
		})
		t.Run("domain.set with only a memo sets it for the owner", func(t *testing.T) {
			d := decode[domainOut](t, e.call(ten, "domain.set", map[string]string{"domain": "alpha.test", "memo": "main site\nsince 2020"}).ok(t))
			if d.Memo != "main site\nsince 2020" || domain(ten, "alpha.test").Memo != d.Memo || d.Account != "test_account" {
				t.Fatalf("domain.set = %+v", d)
			}
		})
		t.Run("domain.set refusals change nothing", func(t *testing.T) {
			e.call(ten, "domain.set", map[string]string{"domain": "alpha.test", "memo": "moved", "account": "other"}).fails(t, jsonrpc.CodeAccessDenied, "")
			e.call(oth, "domain.set", map[string]string{"domain": "alpha.test", "memo": "mine"}).fails(t, jsonrpc.CodeNotFound, "")
			e.call(ten, "domain.set", map[string]string{"domain": "alpha.test", "memo": "bad\x00memo"}).fails(t, jsonrpc.CodeInvalid, "memo")
			e.call(ten, "domain.set", map[string]string{"domain": "alpha.test", "memo": strings.Repeat("m", 4097)}).fails(t, jsonrpc.CodeInvalid, "memo")
			e.call(ten, "domain.set", map[string]string{"domain": "alpha.test"}).fails(t, -32602, "account")
			e.call(ten, "domain.set", map[string]string{"domain": "alpha.test", "password": "x"}).fails(t, -32602, "password")
			if d := domain(ten, "alpha.test"); d.Memo != "main site\nsince 2020" || d.Account != "test_account" {
				t.Fatalf("domain = %+v", d)
			}
		})
		t.Run("an operator moves a domain and sets its memo in one call", func(t *testing.T) {
			d := decode[domainOut](t, e.call(root, "domain.set", map[string]string{"domain": "beta.test", "account": "other", "memo": "handed over"}).ok(t))
			if d.Account != "other" || d.Memo != "handed over" || domain(oth, "beta.test").Memo != "handed over" {
				t.Fatalf("domain.set = %+v", d)
			}
		})
		t.Run("domain.list filter finds a part of the name", func(t *testing.T) {
			names := func(session string, params map[string]string) string {
				var rows []struct{ Domain string }
				json.Unmarshal(e.call(session, "domain.list", params).ok(t), &rows)
				var s []string
				for _, r := range rows {
					s = append(s, r.Domain)
				}
				return strings.Join(s, ",")
			}
			for _, tc := range []struct {
				name, session string
				params        map[string]string
				want          string
			}{
				{"a tenant's match", ten, map[string]string{"filter": "LPH"}, "alpha.test"},
				{"no match", ten, map[string]string{"filter": "gamma"}, ""},
				{"wildcards match only themselves", ten, map[string]string{"filter": "%"}, ""},
				{"an underscore is no wildcard", ten, map[string]string{"filter": "alpha_test"}, ""},
				{"an empty filter lists all", ten, map[string]string{"filter": ""}, "alpha.test"},
				{"an operator's own domains by default", root, map[string]string{"filter": "alpha"}, ""},
				{"an operator's match in one account", root, map[string]string{"filter": "alpha", "account": "other"}, "alpha-other.test"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					if got := names(tc.session, tc.params); got != tc.want {
						t.Fatalf("got %q, want %q", got, tc.want)
					}
				})
			}
			e.call(ten, "domain.list", map[string]string{"filter": "alpha", "account": "other"}).fails(t, jsonrpc.CodeAccessDenied, "")
		})
		t.Run("domain.del with account deletes only that account's domain", func(t *testing.T) {
			e.call(root, "domain.del", map[string]string{"domain": "alpha.test", "account": "other"}).fails(t, jsonrpc.CodeNotFound, "")
			domain(ten, "alpha.test")
			e.call(ten, "domain.del", map[string]string{"domain": "alpha.test", "account": "test_account"}).ok(t)
			e.call(ten, "domain.get", map[string]string{"domain": "alpha.test"}).fails(t, jsonrpc.CodeNotFound, "")
		})

		type accountOut struct {
			Account, Level, Memo string
			CountDomains         *int64 `json:"count_domains"`
		}
		t.Run("an operator sets an account's memo, which account.get shows", func(t *testing.T) {
			e.call(root, "account.set", map[string]string{"account": "test_account", "memo": "pays on time"}).ok(t)
			if a := decode[accountOut](t, e.call(ten, "account.get", nil).ok(t)); a.Memo != "pays on time" {
				t.Fatalf("account.get = %+v", a)
			}
		})
		t.Run("account.set refusals change nothing", func(t *testing.T) {
			e.call(ten, "account.set", map[string]string{"account": "test_account", "memo": "my own note"}).fails(t, jsonrpc.CodeAccessDenied, "")
			e.call(ten, "account.set", map[string]string{"account": "test_account", "memo": "x", "password": "new-password-9"}).fails(t, jsonrpc.CodeAccessDenied, "")
			e.call(root, "account.set", map[string]string{"account": "test_account"}).fails(t, -32602, "password")
			e.call(root, "account.set", map[string]string{"account": "test_account", "memo": "\x07"}).fails(t, jsonrpc.CodeInvalid, "memo")
			e.call(root, "account.set", map[string]string{"account": "nobody", "memo": "x"}).fails(t, jsonrpc.CodeNotFound, "")
			if a := decode[accountOut](t, e.call(ten, "account.get", nil).ok(t)); a.Memo != "pays on time" {
				t.Fatalf("account.get = %+v", a)
			}
			e.login("test_account", "123456-secret") // the password stayed
		})
		t.Run("account.set still changes the password alone", func(t *testing.T) {
			e.call(root, "account.set", map[string]string{"account": "other", "password": "other-password-2"}).ok(t)
			e.login("other", "other-password-2")
		})
		t.Run("account.list query and extended_results", func(t *testing.T) {
			rows := decode[[]accountOut](t, e.call(root, "account.list", map[string]any{"query": "ACCOUNT"}).ok(t))
			if len(rows) != 1 || rows[0].Account != "test_account" || rows[0].CountDomains != nil || rows[0].Memo != "pays on time" {
				t.Fatalf("account.list = %+v", rows)
			}
			rows = decode[[]accountOut](t, e.call(root, "account.list", map[string]any{"query": "oth", "extended_results": true}).ok(t))
			if len(rows) != 1 || rows[0].CountDomains == nil || *rows[0].CountDomains != 2 {
				t.Fatalf("account.list extended = %+v", rows)
			}
			if rows := decode[[]accountOut](t, e.call(root, "account.list", map[string]any{"query": "_"}).ok(t)); len(rows) != 1 {
				t.Fatalf("an underscore matched %+v", rows)
			}
			e.call(ten, "account.list", map[string]any{"query": "test"}).fails(t, jsonrpc.CodeAccessDenied, "")
			e.call(root, "account.list", map[string]any{"query": strings.Repeat("q", 129)}).fails(t, jsonrpc.CodeInvalid, "query")
			e.call(root, "account.list", map[string]any{"limit": 5}).fails(t, -32602, "limit")
		})
	})
}

func TestSearch(t *testing.T) {
	eachRPC(t, func(t *testing.T, e *rpcEnv) {
		ten := e.login("test_account", "123456-secret")
		oth := e.login("other", "123456-secret")
		root := e.login("root", "123456-secret")
		e.call(ten, "domain.add", map[string]string{"domain": "findme.test"}).ok(t)
		e.call(ten, "mail.add", map[string]string{"mail": "finder@findme.test", "password": "password123"}).ok(t)
		e.call(ten, "mail.add", map[string]string{"mail": "zed@findme.test", "password": "password123"}).ok(t)
		e.call(oth, "domain.add", map[string]string{"domain": "findme-too.test"}).ok(t)
		e.call(oth, "mail.add", map[string]string{"mail": "finder@findme-too.test", "password": "password123"}).ok(t)
		type out struct {
			Accounts []struct{ Account string }
			Domains  []struct{ Domain string }
			Mails    []struct{ Mail string }
		}
		flat := func(o out) string {
			var s []string
			for _, a := range o.Accounts {
				s = append(s, "account:"+a.Account)
			}
			for _, d := range o.Domains {
				s = append(s, "domain:"+d.Domain)
			}
			for _, m := range o.Mails {
				s = append(s, "mail:"+m.Mail)
			}
			return strings.Join(s, " ")
		}
		for _, tc := range []struct {
			name, session string
			params        map[string]string
			want          string
		}{
			{"a tenant sees only its own", ten, map[string]string{"query": "find"}, "domain:findme.test mail:finder@findme.test"},
			{"an address finds the mailbox", ten, map[string]string{"query": "Finder@findme.test"}, "mail:finder@findme.test"},
			{"a domain part finds its mailboxes", ten, map[string]string{"query": "@findme.test"}, "mail:finder@findme.test mail:zed@findme.test"},
			{"another tenant's domain finds nothing", ten, map[string]string{"query": "finder@findme-too.test"}, ""},
			{"the tenant's own name", ten, map[string]string{"query": "test_acc"}, "account:test_account"},
			{"another tenant's name is not found", ten, map[string]string{"query": "other"}, ""},
			{"the search member some clients send", ten, map[string]string{"search": "zed"}, "mail:zed@findme.test"},
			{"an operator sees every tenant", root, map[string]string{"query": "find"}, "domain:findme.test domain:findme-too.test mail:finder@findme.test mail:finder@findme-too.test"},
			{"an operator finds accounts", root, map[string]string{"query": "oth"}, "account:other"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if got := flat(decode[out](t, e.call(tc.session, "search", tc.params).ok(t))); got != tc.want {
					t.Fatalf("got %q, want %q", got, tc.want)
				}
			})
		}
		t.Run("refusals", func(t *testing.T) {
			e.call(ten, "search", nil).fails(t, -32602, "query")
			e.call(ten, "search", map[string]string{"query": strings.Repeat("x", 200)}).fails(t, jsonrpc.CodeInvalid, "query")
			e.call(ten, "search", map[string]string{"query": "x", "limit": "1"}).fails(t, -32602, "limit")
			e.call("", "search", map[string]string{"query": "x"}).fails(t, jsonrpc.CodeInvalidSession, "")
			e.call(ten, "mail.set", map[string]string{"mail": "zed@findme.test", "password": "zed-password-1"}).ok(t)
			zed := e.login("zed@findme.test", "zed-password-1")
			e.call(zed, "search", map[string]string{"query": "find"}).fails(t, jsonrpc.CodeAccessDenied, "")
		})
	})
}

func TestValidatorAndPermissionTests(t *testing.T) {
	eachRPC(t, func(t *testing.T, e *rpcEnv) {
		ten := e.login("test_account", "123456-secret")
		oth := e.login("other", "123456-secret")
		root := e.login("root", "123456-secret")
		e.call(ten, "domain.add", map[string]string{"domain": "mine.test"}).ok(t)
		e.call(oth, "domain.add", map[string]string{"domain": "theirs.test"}).ok(t)
		e.call(ten, "mail.add", map[string]string{"mail": "m@mine.test", "password": "password123"}).ok(t)
		box := e.login("m@mine.test", "password123")

		for _, tc := range []struct {
			kind, value string
			want        bool
		}{
			{"mail", "A.B@Example.org", true}, {"mail", "no-at-sign", false}, {"mail", "a/b@example.org", false},
			{"domain", "example.org", true}, {"domain", "-bad-.org", false}, {"domain", "localhost", false},
			{"hostname", "mx1.example.org", true}, {"mailhost", "mx 1.example.org", false},
			{"account", "test_account", true}, {"account", "bad name", false},
			{"user", "test_account", true}, {"user", "m@mine.test", true}, {"user", "not valid!", false},
			{"pass", "long-enough-1", true}, {"pass", "short", false}, {"pass2", "", false},
			{"memo", "two\nlines", true}, {"memo", "nul\x00", false},
			{"name", "Ada Lovelace", true}, {"name", "  ", false}, {"name", "tab\tname", false},
			{"contextid", "1234", true}, {"contextid", "12a", false},
		} {
			t.Run("utils.validator "+tc.kind+" "+tc.value, func(t *testing.T) {
				var got bool
				json.Unmarshal(e.call("", "utils.validator", map[string]string{"type": tc.kind, "value": tc.value}).ok(t), &got)
				if got != tc.want {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			})
		}
		t.Run("utils.validator refusals", func(t *testing.T) {
			e.call("", "utils.validator", map[string]string{"type": "colour", "value": "red"}).fails(t, -32602, "type")
			e.call("", "utils.validator", map[string]string{"type": "mail"}).fails(t, -32602, "value")
			e.call("", "utils.validator", map[string]string{"value": "x"}).fails(t, -32602, "type")
			e.call("", "utils.validator", map[string]any{"type": "mail", "value": 5}).fails(t, -32602, "value")
			e.call("", "utils.validator", map[string]any{"type": "mail", "value": "a@b.test", "strict": true}).fails(t, -32602, "strict")
		})

		allowed := func(t *testing.T, session, method, key, value string, want bool) {
			t.Helper()
			var got bool
			json.Unmarshal(e.call(session, method, map[string]string{key: value}).ok(t), &got)
			if got != want {
				t.Fatalf("%s %s=%s: got %v, want %v", method, key, value, got, want)
			}
		}
		t.Run("test.domainallowed", func(t *testing.T) {
			allowed(t, ten, "test.domainallowed", "domain", "mine.test", true)
			allowed(t, ten, "test.domainallowed", "domain", "MINE.test", true)
			allowed(t, ten, "test.domainallowed", "domain", "theirs.test", false)
			allowed(t, ten, "test.domainallowed", "domain", "free.test", true)
			allowed(t, ten, "test.domainallowed", "domain", "sub.theirs.test", false)
			allowed(t, ten, "test.domainallowed", "domain", "sub.mine.test", true)
			allowed(t, ten, "test.domainallowed", "domain", "not a domain", false)
			allowed(t, root, "test.domainallowed", "domain", "theirs.test", true)
			allowed(t, root, "test.domainallowed", "domain", "sub.theirs.test", true)
			allowed(t, box, "test.domainallowed", "domain", "mine.test", false)
		})
		t.Run("test.accountallowed", func(t *testing.T) {
			allowed(t, ten, "test.accountallowed", "account", "test_account", true)
			allowed(t, ten, "test.accountallowed", "account", "other", false)
			allowed(t, ten, "test.accountallowed", "account", "newco", false)
			allowed(t, root, "test.accountallowed", "account", "other", true)
			allowed(t, root, "test.accountallowed", "account", "newco", true)
			allowed(t, root, "test.accountallowed", "account", "bad name", false)
			allowed(t, box, "test.accountallowed", "account", "test_account", false)
		})
		t.Run("the permission tests need a session and their parameter", func(t *testing.T) {
			e.call("", "test.domainallowed", map[string]string{"domain": "mine.test"}).fails(t, jsonrpc.CodeInvalidSession, "")
			e.call("", "test.accountallowed", map[string]string{"account": "other"}).fails(t, jsonrpc.CodeInvalidSession, "")
			e.call(ten, "test.domainallowed", nil).fails(t, -32602, "domain")
			e.call(ten, "test.accountallowed", map[string]string{"account": "x", "domain": "y"}).fails(t, -32602, "domain")
		})
	})
}

// TestInvalidAuthID checks mailbox.org's code 253 for a session that is
// no (longer a) valid one, while bad credentials keep code 2.
func TestInvalidAuthID(t *testing.T) {
	eachRPC(t, func(t *testing.T, e *rpcEnv) {
		ten := e.login("test_account", "123456-secret")
		for _, tc := range []struct{ name, session string }{
			{"no session", ""},
			{"an unknown session", "made-up-session-token"},
		} {
			t.Run(tc.name+" is code 253", func(t *testing.T) {
				r := e.call(tc.session, "domain.list", nil)
				r.fails(t, jsonrpc.CodeInvalidSession, "")
				if r.Error.Message != "This Auth-ID is invalid" {
					t.Fatalf("message %q", r.Error.Message)
				}
			})
		}
		t.Run("a closed session is code 253", func(t *testing.T) {
			e.call(ten, "deauth", nil).ok(t)
			e.call(ten, "domain.list", nil).fails(t, jsonrpc.CodeInvalidSession, "")
			e.call(ten, "deauth", nil).fails(t, jsonrpc.CodeInvalidSession, "")
		})
		t.Run("bad credentials stay code 2", func(t *testing.T) {
			e.call("", "auth", map[string]string{"user": "test_account", "pass": "wrong-password"}).fails(t, jsonrpc.CodeAccessDenied, "")
			e.call("", "auth", map[string]string{"user": "nobody@nowhere.test", "pass": "wrong-password"}).fails(t, jsonrpc.CodeAccessDenied, "")
		})
	})
}
