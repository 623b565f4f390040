package jsonrpc_test

import (
	"context"
	"encoding/json"
	"testing"

	sb "github.com/switchboard/switchboard"
)

// TestParamsAreExact checks that every method refuses what docs/jsonrpc.md
// does not allow with -32602 naming the member, and that a refusal changes
// nothing.
func TestParamsAreExact(t *testing.T) {
	eachRPC(t, func(t *testing.T, e *rpcEnv) {
		ten := e.login("test_account", "123456-secret")
		e.call(ten, "domain.add", map[string]string{"domain": "exact.test"}).ok(t)
		e.call(ten, "mail.add", map[string]string{"mail": "a@exact.test", "password": "password123"}).ok(t)
		e.call(ten, "alias.add", map[string]any{"alias": "x@exact.test", "goto": "a@exact.test"}).ok(t)

		tests := []struct {
			name    string
			session string
			method  string
			params  any
			field   string // data.field expected; "" for none
		}{
			{"auth without pass names pass", "", "auth", map[string]string{"user": "test_account"}, "pass"},
			{"auth with an empty pass names pass", "", "auth", map[string]string{"user": "test_account", "pass": ""}, "pass"},
			{"auth without user names user", "", "auth", map[string]string{"pass": "123456-secret"}, "user"},
			{"auth without params names user", "", "auth", nil, "user"},
			{"auth with positional params is refused", "", "auth", []string{"test_account", "123456-secret"}, ""},
			{"mail.list with a limit over 1000 names limit", ten, "mail.list", map[string]any{"domain": "exact.test", "limit": 5000}, "limit"},
			{"mail.list with a limit of 1001 names limit", ten, "mail.list", map[string]any{"domain": "exact.test", "limit": 1001}, "limit"},
			{"mail.list with a zero limit names limit", ten, "mail.list", map[string]any{"domain": "exact.test", "limit": 0}, "limit"},
			{"mail.list with a negative limit names limit", ten, "mail.list", map[string]any{"domain": "exact.test", "limit": -1}, "limit"},
			{"mail.list with a negative cursor names after", ten, "mail.list", map[string]any{"domain": "exact.test", "after": -5}, "after"},
			{"mail.list without a domain names domain", ten, "mail.list", map[string]any{"limit": 10}, "domain"},
			{"mail.list with positional params is refused", ten, "mail.list", []any{"exact.test", 10}, ""},
			{"alias.list with a limit over 1000 names limit", ten, "alias.list", map[string]any{"domain": "exact.test", "limit": 5000}, "limit"},
			{"alias.list with a zero limit names limit", ten, "alias.list", map[string]any{"domain": "exact.test", "limit": 0}, "limit"},
			{"alias.list with a negative cursor names after", ten, "alias.list", map[string]any{"domain": "exact.test", "after": -1}, "after"},
			{"domain.list takes no limit", ten, "domain.list", map[string]any{"limit": 5000}, "limit"},
			{"domain.add with positional params is refused", ten, "domain.add", []string{"positional.test"}, ""},
			{"mail.add with positional params is refused", ten, "mail.add", []string{"b@exact.test", "password123"}, ""},
			{"hello.world with empty positional params is refused", "", "hello.world", []any{}, ""},
			{"account.del takes no limit", ten, "account.del", map[string]any{"account": "test_account", "max_domains": 1}, "max_domains"},
			{"account.get takes no plan", ten, "account.get", map[string]any{"account": "test_account", "plan": "basic"}, "plan"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := e.call(tc.session, tc.method, tc.params)
				r.fails(t, -32602, tc.field)
				if tc.field == "" && r.Error.Message != "Invalid params: params must be an object" {
					t.Errorf("message = %q", r.Error.Message)
				}
			})
		}

		t.Run("the refusals created nothing", func(t *testing.T) {
			if _, err := e.svc.GetDomain(context.Background(), sb.SystemActor, "positional.test"); sb.ErrorCode(err) != sb.ENOTFOUND {
				t.Errorf("positional.test: %v", err)
			}
			if _, err := e.svc.GetMailbox(context.Background(), sb.SystemActor, "b@exact.test"); sb.ErrorCode(err) != sb.ENOTFOUND {
				t.Errorf("b@exact.test: %v", err)
			}
		})

		ok := []struct {
			name   string
			method string
			params any
			want   int
		}{
			{"mail.list without a limit answers up to 1000", "mail.list", map[string]any{"domain": "exact.test"}, 1},
			{"mail.list with a limit of 1000 is served", "mail.list", map[string]any{"domain": "exact.test", "limit": 1000}, 1},
			{"mail.list with a limit of 1 is served", "mail.list", map[string]any{"domain": "exact.test", "limit": 1}, 1},
			{"alias.list with a limit of 1000 is served", "alias.list", map[string]any{"domain": "exact.test", "limit": 1000}, 1},
			{"alias.list with a cursor past the end is empty", "alias.list", map[string]any{"domain": "exact.test", "after": 1 << 40}, 0},
		}
		for _, tc := range ok {
			t.Run(tc.name, func(t *testing.T) {
				var rows []map[string]any
				if err := json.Unmarshal(e.call(ten, tc.method, tc.params).ok(t), &rows); err != nil || len(rows) != tc.want {
					t.Fatalf("rows = %v (%v), want %d", rows, err, tc.want)
				}
			})
		}
	})
}
