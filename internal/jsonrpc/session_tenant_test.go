package jsonrpc_test

import (
	"context"
	"sync"
	"testing"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/jsonrpc"
)

// A tenant's session is read with its tenant: deleting the tenant ends
// the session at the next call and for every call racing after it, and
// another tenant's session goes on.
func TestDeletedTenantsSessionDiesAtOnce(t *testing.T) {
	eachRPC(t, func(t *testing.T, e *rpcEnv) {
		doomed, other := e.login("test_account", "123456-secret"), e.login("other", "123456-secret")
		for range 2 { // the second from SQLite's read cache
			e.call(doomed, "domain.list", map[string]any{}).ok(t)
		}
		if err := e.svc.DeleteTenant(context.Background(), sb.SystemActor, "test_account"); err != nil {
			t.Fatal(err)
		}
		e.call(doomed, "domain.list", map[string]any{}).fails(t, jsonrpc.CodeInvalidSession, "")
		e.call(other, "domain.list", map[string]any{}).ok(t)
		// Fifty at once: each refused, as an invalid session or, once the
		// address has failed too often, by the rate limit counted first.
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				r := e.call(doomed, "domain.list", map[string]any{})
				if r.Error == nil || r.Error.Code != jsonrpc.CodeInvalidSession && r.Error.Code != jsonrpc.CodeRateLimited {
					t.Errorf("a deleted tenant's session got %s", r.raw)
				}
			})
		}
		wg.Wait()
	})
}
