package httpapi_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/switchboard/switchboard/internal/digest"
)

func TestRetriedDeleteNeverHitsANewerAccount(t *testing.T) {
	eachSIP(t, func(t *testing.T, e *sipEnv) {
		admin := func(method, path string, body any) *sipResult {
			t.Helper()
			return e.digestDo(method, path, "admin", "sip.example.org", "admin-password", digest.SHA256, body)
		}
		create := func(name string) int64 {
			t.Helper()
			r := admin("POST", "/api/accounts", map[string]any{"username": name, "password": "secret-pw", "algorithm": "SHA-256"}).want(t, 201)
			return int64(r.json["id"].(float64))
		}
		// The newest account has the highest id, the one SQLite without
		// AUTOINCREMENT hands out again.
		first := create("dave01")
		admin("DELETE", fmt.Sprintf("/api/accounts/%d", first), nil).want(t, 200)
		second := create("erin01")
		t.Run("the second account gets an id of its own", func(t *testing.T) {
			if second <= first {
				t.Fatalf("second account id %d, the deleted one had %d", second, first)
			}
		})
		t.Run("a retried delete of the first account is 404", func(t *testing.T) {
			admin("DELETE", fmt.Sprintf("/api/accounts/%d", first), nil).wantError(t, 404, "")
		})
		t.Run("the second account is still there", func(t *testing.T) {
			r := admin("GET", fmt.Sprintf("/api/accounts/%d", second), nil).want(t, 200)
			if r.json["username"] != "erin01" {
				t.Fatalf("account %d is %s", second, r.body)
			}
			if _, _, err := e.store.Read().AccountByEmail(context.Background(), "erin01@sip.example.org"); err != nil {
				t.Fatalf("erin01 is not in the store: %v", err)
			}
		})
	})
}
