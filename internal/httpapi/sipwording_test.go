package httpapi_test

import (
	"testing"

	"github.com/switchboard/switchboard/internal/digest"
)

// The service speaks neutral words; the SIP API answers in
// flexisip-account-manager's (Laravel's) own.
func TestSIPAPIWordsRefusalsAsFlexisip(t *testing.T) {
	eachSIP(t, func(t *testing.T, e *sipEnv) {
		cases := []struct {
			name    string
			do      func() *sipResult
			status  int
			message string
		}{
			{"a wrong password is Unauthenticated.", func() *sipResult {
				return e.digestDo("GET", "/api/accounts/me", "alice", "sip.example.org", "wrong-password", digest.SHA256, nil)
			}, 401, "Unauthenticated."},
			{"a user on an admin endpoint is unauthorized", func() *sipResult {
				return e.digestDo("GET", "/api/accounts", "alice", "sip.example.org", "alice-password", digest.SHA256, nil)
			}, 403, "This action is unauthorized."},
			{"a taken username is a validation error", func() *sipResult {
				e.digestDo("POST", "/api/accounts", "admin", "sip.example.org", "admin-password", digest.SHA256,
					map[string]any{"username": "taken1", "password": "first-password", "algorithm": "SHA-256"}).want(t, 201)
				return e.digestDo("POST", "/api/accounts", "admin", "sip.example.org", "admin-password", digest.SHA256,
					map[string]any{"username": "taken1", "password": "another-password", "algorithm": "SHA-256"})
			}, 422, "The username has already been taken."},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := tc.do()
				r.want(t, tc.status)
				if r.json["message"] != tc.message {
					t.Fatalf("message %q, want %q", r.json["message"], tc.message)
				}
			})
		}
	})
}
