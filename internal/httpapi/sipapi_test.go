package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/digest"
	"github.com/switchboard/switchboard/internal/httpapi"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
	"github.com/switchboard/switchboard/internal/testenv"
)

type sipEnv struct {
	*env
	clock *testenv.Clock
}

// eachSIP starts a server with the domain sip.example.org (tenant acme),
// an admin (admin@) and a user (alice@, both algorithms), on every backend.
func eachSIP(t *testing.T, fn func(t *testing.T, e *sipEnv)) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		c := testenv.NewClock(time.Now())
		e := newEnvWith(t, st, 0, func(cfg *service.Config) { cfg.Now = c.Now })
		tok := e.tenant("acme", sb.RoleTenant)
		e.do("POST", "/domains", tok, form{"domain": "sip.example.org", "username": "alice@sip.example.org", "password": "alice-password"}).want(201)
		if _, err := e.svc.CreateAccountCLI(context.Background(), sb.SystemActor, "admin@sip.example.org", "admin-password", "", true); err != nil {
			t.Fatal(err)
		}
		other := e.tenant("other", sb.RoleTenant)
		e.do("POST", "/domains", other, form{"domain": "other.example", "username": "bob@other.example", "password": "bob-password"}).want(201)
		if _, err := e.svc.CreateAccountCLI(context.Background(), sb.SystemActor, "admin@other.example", "admin-password", "", true); err != nil {
			t.Fatal(err)
		}
		fn(t, &sipEnv{env: e, clock: c})
	})
}

type sipResult struct {
	status int
	body   string
	json   map[string]any
	header http.Header
}

// sipDo sends one request with the documented headers and extra ones.
func (e *sipEnv) sipDo(method, path, from string, body any, hdr map[string]string) *sipResult {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.url+path, rd)
	if from != "" {
		req.Header.Set("From", from)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	r := &sipResult{status: res.StatusCode, body: string(data), header: res.Header}
	json.Unmarshal(data, &r.json)
	return r
}

// digestDo answers the 401 challenge for alg with the password, as a phone
// app would, and returns the authenticated answer.
func (e *sipEnv) digestDo(method, path, user, domain, password, alg string, body any) *sipResult {
	e.t.Helper()
	from := "sip:" + user + "@" + domain
	first := e.sipDo(method, path, from, body, nil)
	if first.status != 401 {
		e.t.Fatalf("unauthenticated %s %s: %d %s", method, path, first.status, first.body)
	}
	ch, ok := digest.FindChallenge(first.header.Values("Www-Authenticate"), alg)
	if !ok {
		e.t.Fatalf("no %s challenge in %v", alg, first.header.Values("Www-Authenticate"))
	}
	auth, err := digest.Respond(ch, method, path, user, password, 1, "")
	if err != nil {
		e.t.Fatal(err)
	}
	return e.sipDo(method, path, from, body, map[string]string{"Authorization": auth})
}

// offered lists the algorithms of the Digest challenges an unauthenticated
// request from the address gets, in order.
func (e *sipEnv) offered(from string) []string {
	e.t.Helper()
	r := e.sipDo("GET", "/api/accounts/me", from, nil, nil)
	if r.status != 401 {
		e.t.Fatalf("unauthenticated: %d %s", r.status, r.body)
	}
	var algs []string
	for _, c := range r.header.Values("Www-Authenticate") {
		_, rest, _ := strings.Cut(c, "algorithm=")
		alg, _, _ := strings.Cut(rest, ",")
		algs = append(algs, alg)
	}
	return algs
}

// forcedDigest answers with alg even when the server did not offer it (a
// client insisting on an algorithm): the challenge's algorithm is replaced.
func (e *sipEnv) forcedDigest(method, path, user, domain, password, alg string) *sipResult {
	e.t.Helper()
	from := "sip:" + user + "@" + domain
	first := e.sipDo(method, path, from, nil, nil)
	chs := first.header.Values("Www-Authenticate")
	if len(chs) == 0 {
		e.t.Fatalf("no challenge: %d %s", first.status, first.body)
	}
	ch := strings.NewReplacer("algorithm=SHA-256", "algorithm="+alg, "algorithm=MD5", "algorithm="+alg).Replace(chs[0])
	auth, err := digest.Respond(ch, method, path, user, password, 1, "")
	if err != nil {
		e.t.Fatal(err)
	}
	return e.sipDo(method, path, from, nil, map[string]string{"Authorization": auth})
}

// curlDigest runs the real curl --digest against path and returns the
// status and body.
func (e *sipEnv) curlDigest(user, password, from, path string) (int, string) {
	e.t.Helper()
	curl, err := exec.LookPath("curl")
	if err != nil {
		if os.Getenv("CI") != "" {
			e.t.Fatal("curl missing in CI")
		}
		e.t.Skip("curl not installed")
	}
	out, err := exec.Command(curl, "-s", "--digest", "-u", user+":"+password, "-H", "From: "+from,
		"-H", "Accept: application/json", "-w", "\n%{http_code}", e.url+path).Output()
	if err != nil {
		e.t.Fatalf("curl: %v %s", err, out)
	}
	body, code, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	if code == "" {
		body, code = "", body
	}
	n := 0
	fmt.Sscan(code, &n)
	return n, body
}

func (r *sipResult) want(t *testing.T, status int) *sipResult {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	// Look for the keys and the hash prefix, not bare letters: a random
	// confirmation key may well contain "ha1".
	if strings.Contains(r.body, `"ha1"`) || strings.Contains(r.body, `"password_hash"`) || strings.Contains(r.body, "$argon2") {
		t.Fatalf("secret material in the answer: %s", r.body)
	}
	return r
}

func (r *sipResult) wantError(t *testing.T, status int, field string) {
	t.Helper()
	r.want(t, status)
	if _, ok := r.json["message"].(string); !ok {
		t.Fatalf("no message in %s", r.body)
	}
	if field != "" {
		errs, _ := r.json["errors"].(map[string]any)
		if _, ok := errs[field]; !ok {
			t.Fatalf("errors lack %q: %s", field, r.body)
		}
	}
}

func TestSIPPublicEndpoints(t *testing.T) {
	eachSIP(t, func(t *testing.T, e *sipEnv) {
		if r := e.sipDo("GET", "/api/ping", "", nil, nil).want(t, 200); r.body != "pong" {
			t.Fatalf("ping = %q", r.body)
		}
		r := e.sipDo("GET", "/api/accounts/sip:alice@sip.example.org/info", "", nil, nil).want(t, 200)
		if r.json["username"] != "alice" || r.json["domain"] != "sip.example.org" || r.json["activated"] != true || len(r.json) != 3 {
			t.Fatalf("info = %s", r.body)
		}
		e.sipDo("GET", "/api/accounts/sip:nobody@sip.example.org/info", "", nil, nil).wantError(t, 404, "")
	})
}

func TestSIPDigest(t *testing.T) {
	eachSIP(t, func(t *testing.T, e *sipEnv) {
		t.Run("an unauthenticated request gets one challenge per algorithm", func(t *testing.T) {
			r := e.sipDo("GET", "/api/accounts/me", "sip:alice@sip.example.org", nil, nil)
			r.wantError(t, 401, "")
			chs := r.header.Values("Www-Authenticate")
			if len(chs) != 2 || !strings.Contains(chs[0], "algorithm=MD5") || !strings.Contains(chs[1], "algorithm=SHA-256") {
				t.Fatalf("challenges %q", chs)
			}
			for _, c := range chs {
				for _, part := range []string{`realm="sip.example.org"`, "qop=", "nonce=", "opaque="} {
					if !strings.Contains(c, part) {
						t.Fatalf("challenge %q lacks %s", c, part)
					}
				}
			}
		})
		for _, alg := range []string{digest.MD5, digest.SHA256} {
			t.Run("a client answering "+alg+" gets its account", func(t *testing.T) {
				r := e.digestDo("GET", "/api/accounts/me", "alice", "sip.example.org", "alice-password", alg, nil).want(t, 200)
				if r.json["username"] != "alice" || r.json["activated"] != true {
					t.Fatalf("me = %s", r.body)
				}
			})
			t.Run("a wrong password with "+alg+" is refused", func(t *testing.T) {
				e.digestDo("GET", "/api/accounts/me", "alice", "sip.example.org", "wrong-password", alg, nil).wantError(t, 401, "")
			})
		}
		t.Run("a replayed nonce count is refused", func(t *testing.T) {
			from := "sip:alice@sip.example.org"
			first := e.sipDo("GET", "/api/accounts/me", from, nil, nil)
			ch, _ := digest.FindChallenge(first.header.Values("Www-Authenticate"), digest.SHA256)
			auth, _ := digest.Respond(ch, "GET", "/api/accounts/me", "alice", "alice-password", 1, "cnonce1")
			e.sipDo("GET", "/api/accounts/me", from, nil, map[string]string{"Authorization": auth}).want(t, 200)
			e.sipDo("GET", "/api/accounts/me", from, nil, map[string]string{"Authorization": auth}).wantError(t, 401, "")
			next, _ := digest.Respond(ch, "GET", "/api/accounts/me", "alice", "alice-password", 2, "cnonce1")
			e.sipDo("GET", "/api/accounts/me", from, nil, map[string]string{"Authorization": next}).want(t, 200)
		})
		t.Run("an expired nonce gets stale=true", func(t *testing.T) {
			from := "sip:alice@sip.example.org"
			first := e.sipDo("GET", "/api/accounts/me", from, nil, nil)
			ch, _ := digest.FindChallenge(first.header.Values("Www-Authenticate"), digest.MD5)
			auth, _ := digest.Respond(ch, "GET", "/api/accounts/me", "alice", "alice-password", 1, "")
			e.clock.Add(6 * time.Minute)
			r := e.sipDo("GET", "/api/accounts/me", from, nil, map[string]string{"Authorization": auth})
			r.wantError(t, 401, "")
			if !strings.Contains(strings.Join(r.header.Values("Www-Authenticate"), " "), "stale=true") {
				t.Fatalf("no stale=true in %q", r.header.Values("Www-Authenticate"))
			}
		})
		t.Run("curl --digest works", func(t *testing.T) {
			curl, err := exec.LookPath("curl")
			if err != nil {
				t.Skip("curl not installed")
			}
			out, err := exec.Command(curl, "-s", "--digest", "-u", "alice:alice-password", "-H", "from: sip:alice@sip.example.org",
				"-H", "accept: application/json", e.url+"/api/accounts/me").CombinedOutput()
			if err != nil || !strings.Contains(string(out), `"username":"alice"`) {
				t.Fatalf("curl: %v %s", err, out)
			}
		})
		t.Run("headers are checked", func(t *testing.T) {
			e.sipDo("GET", "/api/accounts/me", "", nil, nil).wantError(t, 400, "from")
			e.sipDo("GET", "/api/accounts/me", "alice@sip.example.org with junk", nil, nil).wantError(t, 400, "from")
			e.sipDo("GET", "/api/accounts/me", "sip:alice@sip.example.org", nil, map[string]string{"Accept": "text/html"}).wantError(t, 400, "accept")
			e.sipDo("POST", "/api/accounts/me/password", "sip:alice@sip.example.org", map[string]string{"a": "b"},
				map[string]string{"Content-Type": "text/plain"}).wantError(t, 400, "content-type")
		})
		t.Run("failed digests are rate-limited", func(t *testing.T) {
			for range 10 {
				e.digestDo("GET", "/api/accounts/me", "bob", "other.example", "guess", digest.MD5, nil)
			}
			e.sipDo("GET", "/api/accounts/me", "sip:bob@other.example", nil, nil).wantError(t, 429, "")
		})
	})
}

// TestSIPChallengesFollowTheAccount: the 401 offers only the algorithms
// the account named by from has an HA1 for, so curl (which answers the
// first challenge) logs in to every account whatever API set its password.
func TestSIPChallengesFollowTheAccount(t *testing.T) {
	eachSIP(t, func(t *testing.T, e *sipEnv) {
		admin := func(body any) *sipResult {
			return e.digestDo("POST", "/api/accounts", "admin", "sip.example.org", "admin-password", digest.SHA256, body)
		}
		admin(map[string]any{"username": "md5only", "password": "md5-password", "algorithm": "MD5", "activated": true}).want(t, 201)
		admin(map[string]any{"username": "sha2only", "password": "sha2-password", "algorithm": "SHA-256", "activated": true}).want(t, 201)
		// The README's own step, done by bob: a password change to SHA-256 only.
		e.digestDo("POST", "/api/accounts/me/password", "bob", "other.example", "bob-password", digest.MD5,
			map[string]string{"algorithm": "SHA-256", "old_password": "bob-password", "password": "new-password"}).want(t, 200)
		cases := []struct {
			name, user, domain, password string
			want                         []string
		}{
			{"an account with both HA1s gets MD5 then SHA-256", "alice", "sip.example.org", "alice-password", []string{"MD5", "SHA-256"}},
			{"an MD5-only account gets MD5 only", "md5only", "sip.example.org", "md5-password", []string{"MD5"}},
			{"a SHA-256-only account gets SHA-256 only", "sha2only", "sip.example.org", "sha2-password", []string{"SHA-256"}},
			{"an account whose password was changed to SHA-256 gets SHA-256 only", "bob", "other.example", "new-password", []string{"SHA-256"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				from := "sip:" + tc.user + "@" + tc.domain
				if got := e.offered(from); strings.Join(got, " ") != strings.Join(tc.want, " ") {
					t.Fatalf("challenges for %s: %q, want %q", from, got, tc.want)
				}
				code, body := e.curlDigest(tc.user, tc.password, from, "/api/accounts/me")
				if code != 200 || !strings.Contains(body, `"username":"`+tc.user+`"`) {
					t.Fatalf("curl --digest: %d %s", code, body)
				}
			})
		}
		t.Run("an unknown account gets both, like one with both", func(t *testing.T) {
			for _, from := range []string{"sip:nobody@sip.example.org", "sip:nobody@unknown.example"} {
				if got := e.offered(from); strings.Join(got, " ") != "MD5 SHA-256" {
					t.Fatalf("challenges for %s: %q", from, got)
				}
			}
		})
		t.Run("an algorithm the account has no HA1 for is still refused", func(t *testing.T) {
			e.forcedDigest("GET", "/api/accounts/me", "sha2only", "sip.example.org", "sha2-password", digest.MD5).wantError(t, 401, "")
			e.forcedDigest("GET", "/api/accounts/me", "md5only", "sip.example.org", "md5-password", digest.SHA256).wantError(t, 401, "")
		})
	})
}

func TestSIPAccountsAdmin(t *testing.T) {
	eachSIP(t, func(t *testing.T, e *sipEnv) {
		admin := func(method, path string, body any) *sipResult {
			t.Helper()
			return e.digestDo(method, path, "admin", "sip.example.org", "admin-password", digest.SHA256, body)
		}
		var created map[string]any
		t.Run("an admin creates an unactivated account with a confirmation key", func(t *testing.T) {
			r := admin("POST", "/api/accounts", map[string]any{"username": "carol1", "password": "carol-pw", "algorithm": "SHA-256",
				"phone": "+33612345678", "confirmation_key_expires": "2030-01-02 03:04:05"}).want(t, 201)
			created = r.json
			if r.json["username"] != "carol1" || r.json["domain"] != "sip.example.org" || r.json["activated"] != false ||
				len(r.json["confirmation_key"].(string)) < 20 || r.json["phone"] != "+33612345678" {
				t.Fatalf("created %s", r.body)
			}
		})
		id := int64(created["id"].(float64))
		t.Run("an unactivated account cannot use the user endpoints", func(t *testing.T) {
			e.digestDo("GET", "/api/accounts/me", "carol1", "sip.example.org", "carol-pw", digest.SHA256, nil).wantError(t, 403, "")
		})
		t.Run("the account has only the algorithm it was created with", func(t *testing.T) {
			admin("GET", fmt.Sprintf("/api/accounts/%d/activate", id), nil).want(t, 200)
			e.digestDo("GET", "/api/accounts/me", "carol1", "sip.example.org", "carol-pw", digest.SHA256, nil).want(t, 200)
			if got := e.offered("sip:carol1@sip.example.org"); len(got) != 1 || got[0] != digest.SHA256 {
				t.Fatalf("challenges %q", got)
			}
			e.forcedDigest("GET", "/api/accounts/me", "carol1", "sip.example.org", "carol-pw", digest.MD5).wantError(t, 401, "")
		})
		t.Run("a deactivated account is refused", func(t *testing.T) {
			r := admin("GET", fmt.Sprintf("/api/accounts/%d/deactivate", id), nil).want(t, 200)
			if r.json["activated"] != false {
				t.Fatalf("deactivate %s", r.body)
			}
			e.digestDo("GET", "/api/accounts/me", "carol1", "sip.example.org", "carol-pw", digest.SHA256, nil).wantError(t, 403, "")
		})
		invalid := []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"a short username", map[string]any{"username": "bob", "password": "secret-pw", "algorithm": "MD5"}, "username"},
			{"a short password", map[string]any{"username": "dave12", "password": "abc", "algorithm": "MD5"}, "password"},
			{"an unknown algorithm", map[string]any{"username": "dave12", "password": "secret-pw", "algorithm": "SHA-1"}, "algorithm"},
			{"a taken username", map[string]any{"username": "carol1", "password": "secret-pw", "algorithm": "MD5"}, "username"},
			{"a bad expiry date", map[string]any{"username": "dave12", "password": "secret-pw", "algorithm": "MD5", "confirmation_key_expires": "tomorrow"}, "confirmation_key_expires"},
			{"a bad phone", map[string]any{"username": "dave12", "password": "secret-pw", "algorithm": "MD5", "phone": "0612"}, "phone"},
			{"a wrongly typed field", map[string]any{"username": "dave12", "password": "secret-pw", "algorithm": "MD5", "activated": "yes"}, "activated"},
		}
		for _, tt := range invalid {
			t.Run(tt.name+" is refused with 422", func(t *testing.T) {
				before := e.snapshot()
				admin("POST", "/api/accounts", tt.body).wantError(t, 422, tt.field)
				e.unchanged(before)
			})
		}
		t.Run("accounts are listed in Laravel pages", func(t *testing.T) {
			for i := range 12 {
				admin("POST", "/api/accounts", map[string]any{"username": fmt.Sprintf("bulk%03d", i), "password": "secret-pw", "algorithm": "MD5", "activated": true}).want(t, 201)
			}
			r := admin("GET", "/api/accounts?per_page=5&page=2", nil).want(t, 200)
			data := r.json["data"].([]any)
			if len(data) != 5 || r.json["current_page"] != 2.0 || r.json["per_page"] != 5.0 || r.json["total"] != 15.0 ||
				r.json["last_page"] != 3.0 || r.json["from"] != 6.0 || r.json["to"] != 10.0 ||
				!strings.HasSuffix(r.json["next_page_url"].(string), "/api/accounts?page=3&per_page=5") ||
				!strings.HasSuffix(r.json["prev_page_url"].(string), "page=1&per_page=5") {
				t.Fatalf("page %s", r.body)
			}
			admin("GET", "/api/accounts?per_page=500", nil).wantError(t, 422, "per_page")
		})
		t.Run("an x-api-key authenticates as its admin", func(t *testing.T) {
			k, err := e.svc.CreateAPIKey(context.Background(), sb.SystemActor, "admin@sip.example.org", "")
			if err != nil {
				t.Fatal(err)
			}
			r := e.sipDo("GET", fmt.Sprintf("/api/accounts/%d", id), "", nil, map[string]string{"x-api-key": k.Key}).want(t, 200)
			if r.json["username"] != "carol1" {
				t.Fatalf("get %s", r.body)
			}
			e.sipDo("GET", "/api/accounts", "", nil, map[string]string{"x-api-key": "not-a-key"}).wantError(t, 401, "")
			if _, err := e.svc.CreateAPIKey(context.Background(), sb.SystemActor, "alice@sip.example.org", ""); err == nil {
				t.Fatal("an API key was made for a non-admin")
			}
		})
		t.Run("a non-admin gets 403 on admin endpoints", func(t *testing.T) {
			user := func(method, path string, body any) *sipResult {
				return e.digestDo(method, path, "alice", "sip.example.org", "alice-password", digest.MD5, body)
			}
			before := e.snapshot()
			user("POST", "/api/accounts", map[string]any{"username": "mallory", "password": "secret-pw", "algorithm": "MD5"}).wantError(t, 403, "")
			user("GET", "/api/accounts", nil).wantError(t, 403, "")
			user("GET", fmt.Sprintf("/api/accounts/%d", id), nil).wantError(t, 403, "")
			user("DELETE", fmt.Sprintf("/api/accounts/%d", id), nil).wantError(t, 403, "")
			user("GET", fmt.Sprintf("/api/accounts/%d/activate", id), nil).wantError(t, 403, "")
			e.unchanged(before)
		})
		t.Run("an admin of another domain sees none of these accounts", func(t *testing.T) {
			other := func(method, path string) *sipResult {
				return e.digestDo(method, path, "admin", "other.example", "admin-password", digest.MD5, nil)
			}
			before := e.snapshot()
			other("GET", fmt.Sprintf("/api/accounts/%d", id)).wantError(t, 404, "")
			other("GET", fmt.Sprintf("/api/accounts/%d/activate", id)).wantError(t, 404, "")
			other("DELETE", fmt.Sprintf("/api/accounts/%d", id)).wantError(t, 404, "")
			r := other("GET", "/api/accounts")
			if strings.Contains(r.body, "carol1") || strings.Contains(r.body, "alice") {
				t.Fatalf("foreign accounts listed: %s", r.body)
			}
			e.unchanged(before)
		})
		t.Run("an admin deletes an account with its data", func(t *testing.T) {
			admin("DELETE", fmt.Sprintf("/api/accounts/%d", id), nil).want(t, 200)
			admin("GET", fmt.Sprintf("/api/accounts/%d", id), nil).wantError(t, 404, "")
		})
	})
}

// TestSIPActivateMethods: activate and deactivate answer GET (the seed)
// and POST (flexisip-account-manager 2.x) alike.
func TestSIPActivateMethods(t *testing.T) {
	eachSIP(t, func(t *testing.T, e *sipEnv) {
		admin := func(method, path string, body any) *sipResult {
			return e.digestDo(method, path, "admin", "sip.example.org", "admin-password", digest.SHA256, body)
		}
		r := admin("POST", "/api/accounts", map[string]any{"username": "flip01", "password": "flip-password", "algorithm": "SHA-256"}).want(t, 201)
		id := int64(r.json["id"].(float64))
		cases := []struct {
			method, action string
			body           any
			activated      bool
		}{
			{"GET", "activate", nil, true},
			{"GET", "deactivate", nil, false},
			{"POST", "activate", nil, true},
			{"POST", "deactivate", nil, false},
			{"POST", "activate", map[string]any{}, true},
			{"POST", "deactivate", map[string]any{}, false},
		}
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%s %s with body %v answers the account", tc.method, tc.action, tc.body), func(t *testing.T) {
				r := admin(tc.method, fmt.Sprintf("/api/accounts/%d/%s", id, tc.action), tc.body).want(t, 200)
				if r.json["username"] != "flip01" || r.json["activated"] != tc.activated {
					t.Fatalf("%s %s: %s", tc.method, tc.action, r.body)
				}
				if a, _, err := e.store.Read().AccountByEmail(context.Background(), "flip01@sip.example.org"); err != nil || a.Activated != tc.activated {
					t.Fatalf("stored activated = %v, want %v (%v)", a.Activated, tc.activated, err)
				}
			})
		}
		for _, method := range []string{"GET", "POST"} {
			t.Run(method+" by a non-admin is 403 and changes nothing", func(t *testing.T) {
				before := e.snapshot()
				e.digestDo(method, fmt.Sprintf("/api/accounts/%d/activate", id), "alice", "sip.example.org", "alice-password", digest.SHA256, nil).wantError(t, 403, "")
				e.unchanged(before)
			})
			t.Run(method+" of an unknown account is 404", func(t *testing.T) {
				admin(method, "/api/accounts/999999/activate", nil).wantError(t, 404, "")
			})
		}
	})
}

func TestSIPUserEndpoints(t *testing.T) {
	eachSIP(t, func(t *testing.T, e *sipEnv) {
		alice := func(method, path, password, alg string, body any) *sipResult {
			return e.digestDo(method, path, "alice", "sip.example.org", password, alg, body)
		}
		t.Run("a wrong old password is refused", func(t *testing.T) {
			alice("POST", "/api/accounts/me/password", "alice-password", digest.MD5,
				map[string]string{"algorithm": "SHA-256", "old_password": "nope-nope", "password": "alice-new-pw"}).wantError(t, 422, "old_password")
			alice("POST", "/api/accounts/me/password", "alice-password", digest.MD5,
				map[string]string{"algorithm": "SHA-256", "password": "alice-new-pw"}).wantError(t, 422, "old_password")
			alice("POST", "/api/accounts/me/password", "alice-password", digest.MD5,
				map[string]string{"algorithm": "SHA-512", "old_password": "alice-password", "password": "alice-new-pw"}).wantError(t, 422, "algorithm")
		})
		t.Run("changing the password changes every credential together", func(t *testing.T) {
			alice("POST", "/api/accounts/me/password", "alice-password", digest.MD5,
				map[string]string{"algorithm": "SHA-256", "old_password": "alice-password", "password": "alice-new-pw"}).want(t, 200)
			alice("GET", "/api/accounts/me", "alice-new-pw", digest.SHA256, nil).want(t, 200)
			alice("GET", "/api/accounts/me", "alice-password", digest.SHA256, nil).wantError(t, 401, "")
			// MD5 HA1 cleared: no MD5 challenge, and an MD5 answer fails.
			if got := e.offered("sip:alice@sip.example.org"); len(got) != 1 || got[0] != digest.SHA256 {
				t.Fatalf("challenges %q", got)
			}
			e.forcedDigest("GET", "/api/accounts/me", "alice", "sip.example.org", "alice-password", digest.MD5).wantError(t, 401, "")
			e.forcedDigest("GET", "/api/accounts/me", "alice", "sip.example.org", "alice-new-pw", digest.MD5).wantError(t, 401, "")
			if _, _, err := e.svc.CheckMailboxPassword(context.Background(), "alice@sip.example.org", "alice-new-pw", "10.0.0.9"); err != nil {
				t.Fatalf("the mailbox password did not follow: %v", err)
			}
		})
		t.Run("a mail admin password change updates the HA1s too", func(t *testing.T) {
			tok := e.login("acme", "pw-acme-secret")
			var id float64
			for _, u := range e.do("GET", "/users/1", tok, nil).json["users"].([]any) {
				if u.(map[string]any)["email"] == "alice@sip.example.org" {
					id = u.(map[string]any)["id"].(float64)
				}
			}
			e.do("POST", "/user-change-password", tok, form{"id": fmt.Sprint(int64(id)), "domain_id": "1", "password": "from-mail-admin"}).want(200)
			alice("GET", "/api/accounts/me", "from-mail-admin", digest.MD5, nil).want(t, 200)
			alice("GET", "/api/accounts/me", "from-mail-admin", digest.SHA256, nil).want(t, 200)
		})
		t.Run("a user deletes itself", func(t *testing.T) {
			alice("DELETE", "/api/accounts/me", "from-mail-admin", digest.MD5, nil).want(t, 200)
			alice("GET", "/api/accounts/me", "from-mail-admin", digest.MD5, nil).wantError(t, 401, "")
		})
	})
}

func TestSIPRegistrationDomain(t *testing.T) {
	st := storetest.Open(t, storetest.Backends()[0])
	e := newEnvWith(t, st, 0, func(cfg *service.Config) { cfg.SIPDomain = "sip.example.org" })
	for _, d := range []struct{ tenant, domain string }{{"acme", "sip.example.org"}, {"other", "other.example"}} {
		tok := e.tenant(d.tenant, sb.RoleTenant)
		e.do("POST", "/domains", tok, form{"domain": d.domain, "username": "user@" + d.domain, "password": "password-1"}).want(201)
		if _, err := e.svc.CreateAccountCLI(context.Background(), sb.SystemActor, "admin@"+d.domain, "admin-password", "", true); err != nil {
			t.Fatal(err)
		}
	}
	se := &sipEnv{env: e}
	body := map[string]any{"username": "newbie", "password": "secret-pw", "algorithm": "MD5"}
	r := se.digestDo("POST", "/api/accounts", "admin", "sip.example.org", "admin-password", digest.MD5, body).want(t, 201)
	if r.json["domain"] != "sip.example.org" {
		t.Fatalf("created in %v", r.json["domain"])
	}
	before := e.snapshot()
	se.digestDo("POST", "/api/accounts", "admin", "other.example", "admin-password", digest.MD5, body).wantError(t, 403, "")
	e.unchanged(before)
}

// BenchmarkDigestAccountsMe: one digest-authenticated GET /api/accounts/me
// per iteration (the client reuses its nonce with an increasing count, as
// phones do), including the nonce-count write.
func BenchmarkDigestAccountsMe(b *testing.B) {
	for _, backend := range storetest.Backends() {
		for _, alg := range []string{digest.MD5, digest.SHA256} {
			b.Run(backend.Name+"/"+alg, func(b *testing.B) {
				e := &sipEnv{env: newBenchSIPEnv(b, storetest.Open(b, backend))}
				from := "sip:alice@sip.example.org"
				var challenge string
				req := func(auth string) int {
					r, _ := http.NewRequest("GET", e.url+"/api/accounts/me", nil)
					r.Header.Set("From", from)
					if auth != "" {
						r.Header.Set("Authorization", auth)
					}
					res, err := http.DefaultClient.Do(r)
					if err != nil {
						b.Fatal(err)
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if auth == "" {
						ch, _ := digest.FindChallenge(res.Header.Values("Www-Authenticate"), alg)
						challenge = ch
					}
					return res.StatusCode
				}
				req("")
				nc := uint64(0)
				b.ResetTimer()
				for b.Loop() {
					nc++
					auth, _ := digest.Respond(challenge, "GET", "/api/accounts/me", "alice", "alice-password", nc, "bench")
					if code := req(auth); code != 200 {
						b.Fatalf("status %d", code)
					}
				}
			})
		}
	}
}

func newBenchSIPEnv(b *testing.B, st *store.Store) *env {
	svc, _ := testenv.Service(b, st, nil)
	e := serveEnv(b, st, svc, httpapi.Config{})
	ctx := context.Background()
	ten, _ := svc.CreateTenant(ctx, sb.SystemActor, "acme", "password-123", sb.RoleTenant)
	if _, _, err := svc.CreateDomain(ctx, sb.Actor{TenantID: ten.ID, TenantName: "acme", Role: ten.Role}, sb.NewDomain{Name: "sip.example.org", First: &sb.FirstAccount{Address: "alice@sip.example.org", Password: "alice-password"}}); err != nil {
		b.Fatal(err)
	}
	return e
}
