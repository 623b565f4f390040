package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/digest"
	"github.com/switchboard/switchboard/internal/httpapi"
	"github.com/switchboard/switchboard/internal/jsonrpc"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
	"github.com/switchboard/switchboard/internal/testenv"
)

// The identity-core attacks: each test reproduces one way credentials were
// guessed, reused or outlived their right, through the real HTTP surfaces,
// on every backend.

// idEnv is a server with every surface (REST, JSON-RPC, SIP API) over one
// store, with tenant acme owning a.test and the mailbox d20@a.test.
type idEnv struct {
	*env
	acme string // acme's Auth-token
}

const (
	d20Password  = "d20-password"
	acmePassword = "pw-acme-secret"
)

func eachIdentity(t *testing.T, fn func(t *testing.T, e *idEnv)) {
	t.Helper()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		svc, _ := testenv.Service(t, st, nil)
		e := &idEnv{env: serveEnv(t, st, svc, httpapi.Config{JSONRPC: jsonrpc.NewAPI(svc, nil)})}
		e.acme = e.tenant("acme", sb.RoleTenant)
		e.do("POST", "/domains", e.acme, form{"domain": "a.test", "username": "d20@a.test", "password": d20Password}).want(201)
		fn(t, e)
	})
}

// from returns a client whose connections come from 127.0.0.n, so that a
// test can tell the per-identity bucket from the per-IP one.
func from(n int) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(n))}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: d.DialContext}}
}

// rpc posts one JSON-RPC call and returns the result or the error code.
func rpc(t *testing.T, c *http.Client, base, session, method string, params any) (result any, code int) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	req, _ := http.NewRequest("POST", base+"/v1/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if session != "" {
		req.Header.Set("HPLS-AUTH", session)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Error(err)
		return nil, -1
	}
	defer res.Body.Close()
	var out struct {
		Result any `json:"result"`
		Error  *struct {
			Code int `json:"code"`
		} `json:"error"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Error(err)
		return nil, -1
	}
	if out.Error != nil {
		return nil, out.Error.Code
	}
	return out.Result, 0
}

// rpcSession logs in over JSON-RPC and returns the session.
func rpcSession(t *testing.T, c *http.Client, base, user, pass string) string {
	t.Helper()
	r, code := rpc(t, c, base, "", "auth", map[string]string{"user": user, "pass": pass})
	m, _ := r.(map[string]any)
	s, _ := m["session"].(string)
	if code != 0 || s == "" {
		t.Fatalf("auth %s: error code %d", user, code)
	}
	return s
}

// status sends a form request from client c and returns the status.
func status(t *testing.T, c *http.Client, method, u, token string, f url.Values) int {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if token != "" {
		req.Header.Set("Auth-token", token)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Error(err)
		return -1
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// digestStatus answers the SIP API's challenge with password from client c.
func digestStatus(t *testing.T, c *http.Client, base, method, path, user, domain, password string) int {
	t.Helper()
	do := func(authz string) *http.Response {
		req, _ := http.NewRequest(method, base+path, nil)
		req.Header.Set("From", "sip:"+user+"@"+domain)
		req.Header.Set("Accept", "application/json")
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	first := do("")
	if first.StatusCode != 401 {
		return first.StatusCode
	}
	ch, ok := digest.FindChallenge(first.Header.Values("Www-Authenticate"), digest.SHA256)
	if !ok {
		t.Fatal("no SHA-256 challenge")
	}
	authz, err := digest.Respond(ch, method, path, user, password, 1, "")
	if err != nil {
		t.Fatal(err)
	}
	return do(authz).StatusCode
}

func TestConcurrentGuessesAreCountedBeforeTheHash(t *testing.T) {
	const parallel = 50
	limit := service.DefaultAttempts.Burst
	cases := []struct {
		name  string
		guess func(e *idEnv, c *http.Client, i int) (refused, limited bool)
	}{
		{"tenant passwords at POST /auth", func(e *idEnv, c *http.Client, i int) (bool, bool) {
			st := status(e.t, c, "POST", e.url+"/auth", "", url.Values{"username": {"acme"}, "password": {fmt.Sprint("wrong-", i)}})
			return st == 401, st == 429
		}},
		{"mailbox passwords at JSON-RPC auth", func(e *idEnv, c *http.Client, i int) (bool, bool) {
			_, code := rpc(e.t, c, e.url, "", "auth", map[string]string{"user": "d20@a.test", "pass": fmt.Sprint("wrong-", i)})
			return code == jsonrpc.CodeAccessDenied, code == jsonrpc.CodeRateLimited
		}},
		{"mailbox passwords through SIP Digest", func(e *idEnv, c *http.Client, i int) (bool, bool) {
			st := digestStatus(e.t, c, e.url, "GET", "/api/accounts/me", "d20", "a.test", fmt.Sprint("wrong-", i))
			return st == 401, st == 429
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachIdentity(t, func(t *testing.T, e *idEnv) {
				c := from(1)
				var mu sync.Mutex
				var refused, limited int
				var wg sync.WaitGroup
				for i := range parallel {
					wg.Add(1)
					go func() {
						defer wg.Done()
						r, l := tc.guess(e, c, i)
						mu.Lock()
						defer mu.Unlock()
						if r {
							refused++
						}
						if l {
							limited++
						}
					}()
				}
				wg.Wait()
				if refused > limit || refused+limited != parallel {
					t.Fatalf("%d guesses at once: %d evaluated and refused, %d rate-limited; want at most %d evaluated, the rest limited",
						parallel, refused, limited, limit)
				}
			})
		})
	}
}

func TestRespeltIdentitiesShareOneBucket(t *testing.T) {
	eachIdentity(t, func(t *testing.T, e *idEnv) {
		e.do("POST", "/user/1", e.acme, form{"email": "other@a.test", "password": "other-password"}).want(201)
		// Lock d20@a.test from one address...
		for i := range service.DefaultAttempts.Burst {
			rpc(t, from(2), e.url, "", "auth", map[string]string{"user": "d20@a.test", "pass": fmt.Sprint("wrong-", i)})
		}
		// ...then every spelling, from fresh addresses, with the right
		// password, through every surface, is refused.
		spellings := []string{"d20@a.test", "D20@A.TEST", "d20@a.test.", " d20@a.test", "d20@ａ.test"}
		for i, s := range spellings {
			t.Run("JSON-RPC auth as "+s+" is limited", func(t *testing.T) {
				if _, code := rpc(t, from(10+i), e.url, "", "auth", map[string]string{"user": s, "pass": d20Password}); code != jsonrpc.CodeRateLimited {
					t.Fatalf("error code %d, want %d (rate limited)", code, jsonrpc.CodeRateLimited)
				}
			})
		}
		t.Run("SIP Digest for the same mailbox is limited", func(t *testing.T) {
			if st := digestStatus(t, from(20), e.url, "GET", "/api/accounts/me", "d20", "a.test", d20Password); st != 429 {
				t.Fatalf("status %d, want 429", st)
			}
		})
		t.Run("another mailbox from a fresh address still logs in", func(t *testing.T) {
			rpcSession(t, from(21), e.url, "other@a.test", "other-password")
		})
	})
}

func TestInstancesShareTheLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		one, _ := testenv.Service(t, st, nil)
		two, _ := testenv.Service(t, st, nil)
		if _, err := one.CreateTenant(ctx, sb.SystemActor, "acme", acmePassword, sb.RoleTenant); err != nil {
			t.Fatal(err)
		}
		for i := range service.DefaultAttempts.Burst {
			svc := []*service.Service{one, two}[i%2]
			if _, err := svc.CheckTenantPassword(ctx, "acme", "wrong", fmt.Sprint("192.0.2.", i)); sb.ErrorCode(err) != sb.EUNAUTHORIZED {
				t.Fatalf("guess %d: %v, want EUNAUTHORIZED", i, err)
			}
		}
		for _, svc := range []*service.Service{one, two} {
			if _, err := svc.CheckTenantPassword(ctx, "acme", acmePassword, "198.51.100.1"); sb.ErrorCode(err) != sb.ERATELIMIT {
				t.Fatalf("right password after guesses spread over two instances: %v, want ERATELIMIT", err)
			}
		}
	})
}

func TestPasswordChangesRevokeOtherLogins(t *testing.T) {
	eachIdentity(t, func(t *testing.T, e *idEnv) {
		c := from(1)
		other := e.login("acme", acmePassword)
		session := rpcSession(t, c, e.url, "acme", acmePassword)
		otherSession := rpcSession(t, c, e.url, "acme", acmePassword)
		t.Run("account.set keeps the caller's session and kills every other login", func(t *testing.T) {
			if _, code := rpc(t, c, e.url, session, "account.set", map[string]string{"account": "acme", "password": "new-acme-password"}); code != 0 {
				t.Fatalf("account.set: error code %d", code)
			}
			for _, tok := range []string{e.acme, other} {
				e.do("GET", "/domains", tok, nil).wantError(401, "auth token")
			}
			if _, code := rpc(t, c, e.url, otherSession, "domain.list", map[string]any{}); code != jsonrpc.CodeInvalidSession {
				t.Fatalf("other session after the change: code %d, want an invalid Auth-ID", code)
			}
			if _, code := rpc(t, c, e.url, session, "domain.list", map[string]any{}); code != 0 {
				t.Fatalf("the caller's own session died: code %d", code)
			}
		})
		t.Run("a password set from the command line kills every login", func(t *testing.T) {
			tok := e.login("acme", "new-acme-password")
			if err := e.svc.SetTenantPassword(context.Background(), sb.SystemActor, "acme", "third-acme-password"); err != nil {
				t.Fatal(err)
			}
			e.do("GET", "/domains", tok, nil).wantError(401, "auth token")
			if _, code := rpc(t, c, e.url, session, "domain.list", map[string]any{}); code != jsonrpc.CodeInvalidSession {
				t.Fatalf("session after passwd: code %d, want an invalid Auth-ID", code)
			}
		})
	})
	eachIdentity(t, func(t *testing.T, e *idEnv) {
		c := from(1)
		e.do("POST", "/user/1", e.acme, form{"email": "pw@a.test", "password": "stolen-password"}).want(201)
		thief := rpcSession(t, c, e.url, "pw@a.test", "stolen-password")
		id := int64(0)
		tx := e.store.Read()
		if a, _, err := tx.AccountByEmail(context.Background(), "pw@a.test"); err == nil {
			id = a.ID
		}
		e.do("POST", "/user-change-password", e.acme, form{"id": fmt.Sprint(id), "domain_id": "1", "password": "owners-password"}).want(200)
		t.Run("the mailbox's old session cannot take it back", func(t *testing.T) {
			if _, code := rpc(t, c, e.url, thief, "mail.passwordset", map[string]string{"mail": "pw@a.test", "password": "thiefs-password"}); code != jsonrpc.CodeInvalidSession {
				t.Fatalf("mail.passwordset with the old session: code %d, want an invalid Auth-ID", code)
			}
			rpcSession(t, c, e.url, "pw@a.test", "owners-password")
		})
	})
}

func TestSwitchedOffRightsDieAtOnce(t *testing.T) {
	eachSIP(t, func(t *testing.T, e *sipEnv) {
		ctx := context.Background()
		key, err := e.svc.CreateAPIKey(ctx, sb.SystemActor, "admin@sip.example.org", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.CreateAccountCLI(ctx, sb.SystemActor, "boss@sip.example.org", "boss-password", "", true); err != nil {
			t.Fatal(err)
		}
		byKey := func(body any) *sipResult {
			return e.sipDo("POST", "/api/accounts", "", body, map[string]string{"x-api-key": key.Key})
		}
		byKey(map[string]any{"username": "before01", "password": "before-password", "algorithm": "SHA-256"}).want(t, 201)
		admin := e.accountID("admin@sip.example.org")
		e.digestDo("GET", fmt.Sprintf("/api/accounts/%d/deactivate", admin), "boss", "sip.example.org", "boss-password", digest.SHA256, nil).want(t, 200)
		cases := []struct {
			name string
			do   func() *sipResult
		}{
			{"its API key cannot create an admin", func() *sipResult {
				return byKey(map[string]any{"username": "intruder", "password": "intruder-password", "algorithm": "SHA-256", "admin": true})
			}},
			{"its Digest login cannot create an admin", func() *sipResult {
				return e.digestDo("POST", "/api/accounts", "admin", "sip.example.org", "admin-password", digest.SHA256,
					map[string]any{"username": "intruder", "password": "intruder-password", "algorithm": "SHA-256", "admin": true})
			}},
			{"its Digest login cannot list accounts", func() *sipResult {
				return e.digestDo("GET", "/api/accounts", "admin", "sip.example.org", "admin-password", digest.SHA256, nil)
			}},
		}
		for _, tc := range cases {
			t.Run("a deactivated admin: "+tc.name, func(t *testing.T) {
				before := e.snapshot()
				tc.do().want(t, 403)
				e.unchanged(before)
			})
		}
	})
	eachSIP(t, func(t *testing.T, e *sipEnv) {
		ctx := context.Background()
		created, err := e.svc.CreateSIPAccount(ctx, e.actorOf("admin@sip.example.org"), sb.NewSIPAccount{
			Username: "pending1", Password: "pending-password", Algorithm: digest.SHA256})
		if err != nil {
			t.Fatal(err)
		}
		e.digestDo("GET", fmt.Sprintf("/api/accounts/%d/deactivate", created.Account.ID), "admin", "sip.example.org", "admin-password", digest.SHA256, nil).want(t, 200)
		t.Run("a deactivated account's confirmation key provisions nothing", func(t *testing.T) {
			if _, _, _, err := e.store.Read().AccountByConfirmationKey(ctx, created.ConfirmationKey); sb.ErrorCode(err) != sb.ENOTFOUND {
				t.Fatalf("confirmation key still stored: %v", err)
			}
			if doc, err := e.svc.Provision(ctx, created.ConfirmationKey); sb.ErrorCode(err) != sb.ENOTFOUND {
				t.Fatalf("provisioning with a revoked key: %s %v", doc, err)
			}
		})
	})
}

func (e *sipEnv) accountID(addr string) int64 {
	e.t.Helper()
	a, _, err := e.store.Read().AccountByEmail(context.Background(), addr)
	if err != nil {
		e.t.Fatal(err)
	}
	return a.ID
}

func (e *sipEnv) actorOf(addr string) sb.Actor {
	e.t.Helper()
	a, _, err := e.store.Read().AccountByEmail(context.Background(), addr)
	if err != nil {
		e.t.Fatal(err)
	}
	return sb.Actor{AccountID: a.ID, Email: a.Email}
}

func TestConcurrentGuessesOnTheConfigPages(t *testing.T) {
	const parallel = 50
	limit := service.DefaultAttempts.Burst
	eachConfigEnv(t, func(t *testing.T, e *configEnv) {
		tok := e.accessToken(e.oauthClient(e.tenant("acme", sb.RoleTenant)))
		id := e.send("POST", "/config/create", jsonHdr(tok), seedBody).want(201).json["id"].(string)
		admin := e.tenant("mailadmin", sb.RoleTenant)
		e.do("POST", "/domains", admin, form{"domain": "guess.example", "username": "bob@guess.example", "password": "password123"}).want(201)
		cases := []struct {
			name, path string
			body       func(i int) url.Values
		}{
			{"a configuration link's password", "/config/" + id, func(i int) url.Values {
				return url.Values{"password": {fmt.Sprint("wrong-", i)}}
			}},
			{"a mailbox password for a profile", "/mail/mobileconfig", func(i int) url.Values {
				return url.Values{"email": {"bob@guess.example"}, "password": {fmt.Sprint("wrong-", i)}}
			}},
		}
		for n, tc := range cases {
			t.Run(tc.name+" is counted before the hash", func(t *testing.T) {
				c := from(30 + n)
				var mu sync.Mutex
				counts := map[int]int{}
				var wg sync.WaitGroup
				for i := range parallel {
					wg.Add(1)
					go func() {
						defer wg.Done()
						st := status(t, c, "POST", e.url+tc.path, "", tc.body(i))
						mu.Lock()
						counts[st]++
						mu.Unlock()
					}()
				}
				wg.Wait()
				if counts[401] > limit || counts[401]+counts[429] != parallel {
					t.Fatalf("%d guesses at once answered %v; want at most %d evaluated (401), the rest 429", parallel, counts, limit)
				}
			})
		}
	})
}

func TestTheSIPPasswordChangeSharesTheMailboxBucket(t *testing.T) {
	eachSIP(t, func(t *testing.T, e *sipEnv) {
		ctx := context.Background()
		alice := e.actorOf("alice@sip.example.org")
		for i := range service.DefaultAttempts.Burst {
			if _, _, err := e.svc.CheckMailboxPassword(ctx, "ALICE@sip.example.org.", "wrong", fmt.Sprint("192.0.2.", i)); sb.ErrorCode(err) != sb.EUNAUTHORIZED {
				t.Fatalf("guess %d: %v", i, err)
			}
		}
		before := e.snapshot()
		if _, err := e.svc.ChangeSIPPassword(ctx, alice, digest.SHA256, "alice-password", "new-alice-password", "198.51.100.7"); sb.ErrorCode(err) != sb.ERATELIMIT {
			t.Fatalf("password change with the right old password while the mailbox is locked: %v, want ERATELIMIT", err)
		}
		e.unchanged(before)
	})
}
