package jsonrpc_test

import (
	"testing"

	"github.com/switchboard/switchboard/internal/jsonrpc"
)

// The service says tenant; mailbox.org, and so JSON-RPC, says account.
func TestErrorsSpeakMailboxOrgsWords(t *testing.T) {
	eachRPC(t, func(t *testing.T, e *rpcEnv) {
		root := e.login("root", "123456-secret")
		cases := []struct {
			name, method string
			params       map[string]any
			code         int
			field, msg   string
		}{
			{"an unknown owner is an account not found", "domain.add",
				map[string]any{"domain": "new.example", "account": "nobody"}, jsonrpc.CodeNotFound, "account", "account not found"},
			{"an unknown tenant is an account not found", "account.del",
				map[string]any{"account": "nobody"}, jsonrpc.CodeNotFound, "", "account not found"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := e.call(root, tc.method, tc.params)
				r.fails(t, tc.code, tc.field)
				if r.Error.Message != tc.msg {
					t.Fatalf("message %q, want %q", r.Error.Message, tc.msg)
				}
			})
		}
	})
}
