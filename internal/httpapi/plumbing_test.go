package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/httpapi"
	"github.com/switchboard/switchboard/internal/jsonrpc"
	"github.com/switchboard/switchboard/internal/profile"
	"github.com/switchboard/switchboard/internal/profile/profiletest"
	"github.com/switchboard/switchboard/internal/seal"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
)

// logBuffer collects a server's log lines; the server writes while the
// test reads.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newWiredEnv starts a server as serve wires it: with JSON-RPC, and every
// log line of the service and the API, at debug level, into logs.
func newWiredEnv(t *testing.T, st *store.Store, logs *logBuffer, tweak func(*service.Config)) *env {
	t.Helper()
	box, err := seal.New(bytes.Repeat([]byte{42}, seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := service.Config{Store: st, Hasher: auth.NewHasher(auth.TestParams), Seal: box, Logger: logger}
	if tweak != nil {
		tweak(&cfg)
	}
	svc := service.New(cfg)
	api := httpapi.New(httpapi.Config{Services: svc, Logger: logger, JSONRPC: jsonrpc.NewAPI(svc, logger)})
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	return &env{t: t, url: srv.URL, store: st, svc: svc, api: api}
}

func TestUnmatchedRequestsInTheirFamilysFormat(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newWiredEnv(t, st, &logBuffer{}, nil)
		tok := e.tenant("acme", "tenant")
		// format: mail (result:false, msg), sip (message), rpc (JSON-RPC
		// error object), plain (text).
		tests := []struct {
			name, method, path string
			status             int
			allow              string
			format             string
		}{
			{"a wrong method on a mail admin route is 405 with Allow", "PUT", "/domains", 405, "GET, HEAD, POST", "mail"},
			{"a wrong method on a GET route allows HEAD too", "POST", "/openapi.json", 405, "GET, HEAD", "mail"},
			{"an unknown mail admin path stays 404", "GET", "/nope", 404, "", "mail"},
			{"a wrong method under /api is 405 in the SIP API's format", "PUT", "/api/accounts/5/activate", 405, "GET, HEAD, POST", "sip"},
			{"a wrong method on /api/accounts lists every method it has", "PATCH", "/api/accounts", 405, "GET, HEAD, POST", "sip"},
			{"an unknown path under /api is 404 in the SIP API's format", "GET", "/api/nope", 404, "", "sip"},
			{"/api itself is the SIP API's too", "GET", "/api", 404, "", "sip"},
			{"GET /v1/ is 405 in JSON-RPC's format", "GET", "/v1/", 405, "POST", "rpc"},
			{"GET /jsonrpc is 405 in JSON-RPC's format", "GET", "/jsonrpc", 405, "POST", "rpc"},
			{"a wrong method on a configuration link is 405 in the iConfig format", "PUT", "/config/abc", 405, "DELETE, GET, HEAD, POST", "sip"},
			{"a wrong method on a provisioning key is 405 as text", "POST", "/provisioning/abc", 405, "GET, HEAD", "plain"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := e.snapshot()
				res := e.raw(tt.method, tt.path, tok, "", nil).want(tt.status)
				if got := res.header.Get("Allow"); got != tt.allow {
					t.Errorf("Allow = %q, want %q", got, tt.allow)
				}
				switch tt.format {
				case "mail":
					if res.json["result"] != false || res.json["msg"] == nil {
						t.Errorf("not the mail admin format: %s", res.body)
					}
				case "sip":
					if msg, _ := res.json["message"].(string); msg == "" || res.json["msg"] != nil || res.json["result"] != nil {
						t.Errorf("not the SIP API's format: %s", res.body)
					}
				case "rpc":
					rpcErr, _ := res.json["error"].(map[string]any)
					if res.json["jsonrpc"] != "2.0" || rpcErr["code"] != float64(-32600) || res.json["id"] != nil {
						t.Errorf("not a JSON-RPC error response: %s", res.body)
					}
				case "plain":
					if !strings.HasPrefix(res.header.Get("Content-Type"), "text/plain") || res.json != nil {
						t.Errorf("not a text answer: %s %s", res.header.Get("Content-Type"), res.body)
					}
				}
				if tt.status == 405 && !strings.Contains(res.body, tt.allow) {
					t.Errorf("the answer does not name the methods allowed: %s", res.body)
				}
				e.unchanged(before)
			})
		}
	})
}

func TestEvery429CarriesRetryAfter(t *testing.T) {
	const parallel = 50
	// Each surface's guesses come from their own address, so that the
	// buckets of one case do not spill into the next.
	// The limits on unknown bearer tokens are checked before the lookup
	// and spent after it, so only guesses one after the other reach them.
	cases := []struct {
		name   string
		serial bool
		req    func(base string, i int) *http.Request
	}{
		{"mail admin passwords at POST /auth", false, func(base string, i int) *http.Request {
			return formRequest("POST", base+"/auth", url.Values{"username": {"acme"}, "password": {fmt.Sprint("wrong-", i)}})
		}},
		{"unknown mail admin auth tokens", true, func(base string, i int) *http.Request {
			r := formRequest("GET", base+"/domains", nil)
			r.Header.Set("Auth-token", fmt.Sprint("no-such-token-", i))
			return r
		}},
		{"SIP API keys", false, func(base string, i int) *http.Request {
			r := formRequest("GET", base+"/api/accounts/me", nil)
			r.Header.Set("From", "sip:alice@sip.example.org")
			r.Header.Set("x-api-key", fmt.Sprint("no-such-key-", i))
			return r
		}},
		{"OAuth client secrets", false, func(base string, i int) *http.Request {
			return formRequest("POST", base+"/oauth/token", url.Values{"grant_type": {"client_credentials"},
				"client_id": {"no-such-client"}, "client_secret": {fmt.Sprint("wrong-", i)}})
		}},
		{"iConfig bearer tokens", true, func(base string, i int) *http.Request {
			r := formRequest("DELETE", base+"/config/0123456789abcdef0123456789abcdef", nil)
			r.Header.Set("Authorization", fmt.Sprint("Bearer no-such-token-", i))
			return r
		}},
		{"configuration link passwords", false, func(base string, i int) *http.Request {
			return formRequest("POST", base+"/config/0123456789abcdef0123456789abcdef", url.Values{"password": {fmt.Sprint("wrong-", i)}})
		}},
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newWiredEnv(t, st, &logBuffer{}, nil)
		e.tenant("acme", "tenant")
		for n, tc := range cases {
			t.Run(tc.name+" are answered 429 with Retry-After", func(t *testing.T) {
				c := from(40 + n)
				var mu sync.Mutex
				var limited int
				var wg sync.WaitGroup
				for i := range parallel {
					wg.Add(1)
					guess := func() {
						defer wg.Done()
						res, err := c.Do(tc.req(e.url, i))
						if err != nil {
							t.Error(err)
							return
						}
						io.Copy(io.Discard, res.Body)
						res.Body.Close()
						if res.StatusCode != 429 {
							return
						}
						mu.Lock()
						limited++
						mu.Unlock()
						ra := res.Header.Get("Retry-After")
						if secs, err := strconv.Atoi(ra); err != nil || secs < 1 || secs > 6 {
							t.Errorf("a 429 has Retry-After %q; want whole seconds from 1 to the 6 s refill", ra)
						}
					}
					if tc.serial {
						guess()
					} else {
						go guess()
					}
				}
				wg.Wait()
				if limited == 0 {
					t.Fatalf("%d wrong guesses at once were never rate-limited", parallel)
				}
			})
		}
	})
}

func formRequest(method, u string, f url.Values) *http.Request {
	var body io.Reader
	if f != nil {
		body = strings.NewReader(f.Encode())
	}
	r, _ := http.NewRequest(method, u, body)
	if f != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return r
}

// publicWildcards are the route paths whose wildcards hold no secret (ids,
// SIP addresses, the ACME token every resolver may fetch): the logs may
// show them. Every other wildcard must be redacted, so a new route with a
// secret in its path fails TestSecretsInPathsStayOutOfLogs until it is
// registered with handleSecret (or listed here, if it is no secret).
var publicWildcards = map[string]bool{
	"/users/{domain_id}":                  true,
	"/user/{domain_id}":                   true,
	"/aliases/{domain_id}":                true,
	"/alias/{domain_id}":                  true,
	"/app-passwords/{user_id}":            true,
	"/app-password/{user_id}":             true,
	"/import/accounts/{domain_id}":        true,
	"/api/accounts/{id}":                  true,
	"/api/accounts/{id}/activate":         true,
	"/api/accounts/{id}/deactivate":       true,
	"/api/accounts/{sip}/info":            true,
	"/api/accounts/{sip}/activate/email":  true,
	"/api/accounts/{sip}/activate/phone":  true,
	"/.well-known/acme-challenge/{token}": true,
	// A device's uuid is its +sip.instance, an identifier every SIP
	// message it sends carries; it grants nothing.
	"/api/accounts/me/devices/{uuid}":   true,
	"/api/accounts/{id}/devices":        true,
	"/api/accounts/{id}/devices/{uuid}": true,
	"/devices/{account_id}":             true,
	"/devices/{account_id}/{uuid}":      true,
	"/vacation/{user_id}":               true,
}

var wildcardRE = regexp.MustCompile(`\{[a-z_]+(\.\.\.)?\}`)

func TestSecretsInPathsStayOutOfLogs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		logs := &logBuffer{}
		pki := profiletest.New(t)
		certPEM, _ := os.ReadFile(pki.ChainFile)
		keyPEM, _ := os.ReadFile(pki.KeyFile)
		signer, err := profile.NewSigner(certPEM, keyPEM)
		if err != nil {
			t.Fatal(err)
		}
		e := newWiredEnv(t, st, logs, func(c *service.Config) {
			c.ClientConfig = service.ClientConfigOptions{Signer: signer, PublicHost: "config.example.net", Servers: testServers}
		})
		ctx := context.Background()
		tok := e.tenant("acme", sb.RoleTenant)
		e.do("POST", "/domains", tok, form{"domain": "sip.example.org", "username": "alice@sip.example.org", "password": "alice-password"}).want(201)
		if _, err := e.svc.CreateAccountCLI(ctx, sb.SystemActor, "admin@sip.example.org", "admin-password", "", true); err != nil {
			t.Fatal(err)
		}
		admin, _, err := e.store.Read().AccountByEmail(ctx, "admin@sip.example.org")
		if err != nil {
			t.Fatal(err)
		}
		created, err := e.svc.CreateSIPAccount(ctx, sb.Actor{AccountID: admin.ID, Email: admin.Email},
			sb.NewSIPAccount{Username: "phone1", Password: "phone-password", Algorithm: "SHA-256", Activated: true})
		if err != nil || created.ConfirmationKey == "" {
			t.Fatalf("create SIP account: %v (key %q)", err, created.ConfirmationKey)
		}
		key := created.ConfirmationKey
		ce := &configEnv{env: e}
		bearer := ce.accessToken(ce.oauthClient(tok))
		link := e.send("POST", "/config/create", jsonHdr(bearer), seedBody).want(201).json["id"].(string)

		t.Run("a real provisioning key and configuration link", func(t *testing.T) {
			e.raw("GET", "/provisioning/"+key, "", "", nil)
			e.raw("GET", "/provisioning/qrcode/"+key, "", "", nil)
			e.raw("POST", "/provisioning/"+key, "", "", nil).want(405)
			e.raw("GET", "/provisioning/"+key+"/more", "", "", nil).want(404)
			e.raw("GET", "/config/"+link, "", "", nil).want(200)
			e.raw("POST", "/config/"+link, "", "application/x-www-form-urlencoded",
				strings.NewReader(url.Values{"password": {"wrong-password"}}.Encode()))
			e.raw("POST", "/config/"+link, "", "application/x-www-form-urlencoded",
				strings.NewReader(url.Values{"password": {"mysecurepassword"}}.Encode())).want(200)
			e.raw("PUT", "/config/"+link, "", "", nil).want(405)
			e.send("DELETE", "/config/"+link, jsonHdr(bearer), "")
			metrics := e.raw("GET", "/metrics", "", "", nil).want(200).body
			log := logs.String()
			for name, secret := range map[string]string{"the provisioning key": key, "the configuration link": link} {
				if strings.Contains(log, secret) {
					t.Errorf("the log holds %s:\n%s", name, log)
				}
				if strings.Contains(metrics, secret) {
					t.Errorf("the metrics hold %s", name)
				}
			}
			for _, want := range []string{`"path":"/provisioning/REDACTED"`, `"path":"/provisioning/qrcode/REDACTED"`, `"path":"/config/REDACTED"`} {
				if !strings.Contains(log, want) {
					t.Errorf("no access log line with %s", want)
				}
			}
			if !strings.Contains(metrics, `route="GET /provisioning/{confirmation_key}"`) {
				t.Errorf("the metrics do not count provisioning by its route pattern")
			}
		})

		t.Run("every wildcard of every route is redacted unless it is public", func(t *testing.T) {
			for i, route := range e.api.Routes() {
				method, pattern, _ := strings.Cut(route, " ")
				n := 0
				path := wildcardRE.ReplaceAllStringFunc(pattern, func(string) string {
					n++
					return fmt.Sprintf("Marker%dx%d", i, n)
				})
				if n == 0 {
					continue
				}
				e.raw(method, path, "", "", nil)
				log := logs.String()
				for k := 1; k <= n; k++ {
					marker := fmt.Sprintf("Marker%dx%d", i, k)
					if !strings.Contains(log, marker) != !publicWildcards[pattern] {
						t.Errorf("%s: the log shows %s: %v, public: %v", route, marker, strings.Contains(log, marker), publicWildcards[pattern])
					}
				}
			}
		})

		t.Run("an internal error on a secret route logs no secret", func(t *testing.T) {
			st.Close()
			e.raw("GET", "/provisioning/"+key, "", "", nil).want(500)
			e.raw("GET", "/config/"+link, "", "", nil).want(500)
			log := logs.String()
			if !strings.Contains(log, `"msg":"request failed"`) {
				t.Fatalf("no error log line:\n%s", log)
			}
			if strings.Contains(log, key) || strings.Contains(log, link) {
				t.Errorf("the error log holds a secret:\n%s", log)
			}
		})
	})
}
