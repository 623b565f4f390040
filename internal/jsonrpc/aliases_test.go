package jsonrpc_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	sb "github.com/switchboard/switchboard"
)

// aliasState is what a refused alias call must leave as it was.
func (e *rpcEnv) aliasState(domain string) string {
	e.t.Helper()
	ctx := context.Background()
	tx := e.st.Read()
	d, err := tx.DomainByName(ctx, domain)
	if err != nil {
		e.t.Fatal(err)
	}
	var rows []string
	err = tx.EachAlias(ctx, d.ID, sb.Page{}, func(a sb.Alias) error {
		rows = append(rows, a.Email+" "+strings.Join(a.Destinations, ","))
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	audit, err := tx.AuditLog(ctx, 0, 1_000_000)
	if err != nil {
		e.t.Fatal(err)
	}
	return fmt.Sprintf("%q audit=%d", rows, len(audit))
}

func TestAliases(t *testing.T) {
	eachRPC(t, func(t *testing.T, e *rpcEnv) {
		ten := e.login("test_account", "123456-secret")
		e.call(ten, "domain.add", map[string]string{"domain": "alias.test"}).ok(t)
		e.call(ten, "mail.add", map[string]string{"mail": "alice@alias.test", "password": "password123"}).ok(t)
		other := e.login("other", "123456-secret")
		e.call(other, "domain.add", map[string]string{"domain": "other.test"}).ok(t)

		t.Run("alias.add takes goto as a comma-separated string", func(t *testing.T) {
			var a map[string]any
			json.Unmarshal(e.call(ten, "alias.add", map[string]any{"alias": "Info@Alias.test", "goto": "alice@alias.test, x@elsewhere.org"}).ok(t), &a)
			if a["alias"] != "info@alias.test" || a["domain"] != "alias.test" || fmt.Sprint(a["goto"]) != "[alice@alias.test x@elsewhere.org]" || a["id"] == nil {
				t.Fatalf("alias.add = %v", a)
			}
		})
		t.Run("alias.add takes goto as an array", func(t *testing.T) {
			var a map[string]any
			json.Unmarshal(e.call(ten, "alias.add", map[string]any{"alias": "sales@alias.test", "goto": []string{"a@elsewhere.org", "a@elsewhere.org"}}).ok(t), &a)
			if fmt.Sprint(a["goto"]) != "[a@elsewhere.org]" {
				t.Fatalf("alias.add = %v", a)
			}
		})
		t.Run("alias.list pages by id", func(t *testing.T) {
			var page []map[string]any
			json.Unmarshal(e.call(ten, "alias.list", map[string]any{"domain": "alias.test", "limit": 1}).ok(t), &page)
			if len(page) != 1 || page[0]["alias"] != "info@alias.test" {
				t.Fatalf("first page = %v", page)
			}
			json.Unmarshal(e.call(ten, "alias.list", map[string]any{"domain": "alias.test", "limit": 1, "after": page[0]["id"]}).ok(t), &page)
			if len(page) != 1 || page[0]["alias"] != "sales@alias.test" {
				t.Fatalf("second page = %v", page)
			}
		})

		mail := e.login("alice@alias.test", "password123")
		tests := []struct {
			name    string
			session string
			method  string
			params  any
			code    int
			field   string
		}{
			{"a mail-level session may not add aliases", mail, "alias.add", map[string]any{"alias": "m@alias.test", "goto": "x@elsewhere.org"}, 2, ""},
			{"a mail-level session may not list aliases", mail, "alias.list", map[string]any{"domain": "alias.test"}, 2, ""},
			{"a mail-level session may not delete aliases", mail, "alias.del", map[string]any{"alias": "info@alias.test"}, 2, ""},
			{"no session is refused", "", "alias.add", map[string]any{"alias": "m@alias.test", "goto": "x@elsewhere.org"}, 253, ""}, // jsonrpc.CodeInvalidSession
			{"another tenant's domain is not found", other, "alias.add", map[string]any{"alias": "m@alias.test", "goto": "x@elsewhere.org"}, 3, ""},
			{"another tenant's aliases are not listed", other, "alias.list", map[string]any{"domain": "alias.test"}, 3, ""},
			{"another tenant's alias is not deleted", other, "alias.del", map[string]any{"alias": "info@alias.test"}, 3, ""},
			{"an unknown domain is not found", ten, "alias.add", map[string]any{"alias": "m@nowhere.test", "goto": "x@elsewhere.org"}, 3, ""},
			{"a missing alias is refused", ten, "alias.add", map[string]any{"goto": "x@elsewhere.org"}, -32602, "alias"},
			{"an invalid alias is refused", ten, "alias.add", map[string]any{"alias": "nope", "goto": "x@elsewhere.org"}, 5, "alias"},
			{"no destination is refused", ten, "alias.add", map[string]any{"alias": "m@alias.test"}, 5, "goto"},
			{"an invalid destination is refused", ten, "alias.add", map[string]any{"alias": "m@alias.test", "goto": []string{"bad@"}}, 5, "goto"},
			{"goto of the wrong type is refused", ten, "alias.add", map[string]any{"alias": "m@alias.test", "goto": 7}, -32602, "goto"},
			{"the alias itself as destination is refused", ten, "alias.add", map[string]any{"alias": "m@alias.test", "goto": "m@alias.test"}, 5, "goto"},
			{"a duplicate alias is a conflict", ten, "alias.add", map[string]any{"alias": "info@alias.test", "goto": "x@elsewhere.org"}, 4, "alias"},
			{"an alias over a mailbox is a conflict", ten, "alias.add", map[string]any{"alias": "alice@alias.test", "goto": "x@elsewhere.org"}, 4, "alias"},
			{"a mailbox over an alias is a conflict", ten, "mail.add", map[string]any{"mail": "info@alias.test", "password": "password123"}, 4, "mail"},
			{"an unknown alias is not deleted", ten, "alias.del", map[string]any{"alias": "nope@alias.test"}, 3, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := e.aliasState("alias.test")
				e.call(tt.session, tt.method, tt.params).fails(t, tt.code, tt.field)
				if after := e.aliasState("alias.test"); after != before {
					t.Fatalf("a refused call changed the store:\nbefore %s\nafter  %s", before, after)
				}
			})
		}

		t.Run("alias.del deletes", func(t *testing.T) {
			if r := e.call(ten, "alias.del", map[string]any{"alias": "info@alias.test"}); string(r.ok(t)) != "true" {
				t.Fatalf("alias.del = %s", r.raw)
			}
			var page []map[string]any
			json.Unmarshal(e.call(ten, "alias.list", map[string]any{"domain": "alias.test"}).ok(t), &page)
			if len(page) != 1 || page[0]["alias"] != "sales@alias.test" {
				t.Fatalf("after delete = %v", page)
			}
		})
	})
}
