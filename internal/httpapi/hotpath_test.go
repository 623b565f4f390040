package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/httpapi"
	"github.com/switchboard/switchboard/internal/jsonrpc"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
	"github.com/switchboard/switchboard/internal/testenv"
)

// The token-authenticated GETs run on prepared statements kept per
// connection, never on remembered answers: these tests warm every cache
// there is, revoke on another instance, and expect the next request to be
// refused.

// keyStatus sends GET /api/accounts/me with an API key from client c.
func keyStatus(t *testing.T, c *http.Client, base, key string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/api/accounts/me", nil)
	req.Header.Set("x-api-key", key)
	req.Header.Set("Accept", "application/json")
	res, err := c.Do(req)
	if err != nil {
		t.Error(err)
		return -1
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

func TestRevocationReachesAnotherInstanceAtOnce(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			dbURL := b.URL(t)
			// Two instances: two stores (each with its own connections and
			// statement caches) on one database, and a server on each.
			var urls [2]string
			var svcs [2]*service.Service
			for i := range 2 {
				st, err := store.Open(ctx, dbURL, "")
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				svcs[i], _ = testenv.Service(t, st, nil)
				urls[i] = testenv.Serve(t, httpapi.New(httpapi.Config{Services: svcs[i], JSONRPC: jsonrpc.NewAPI(svcs[i], nil)}))
			}
			if _, err := svcs[0].CreateTenant(ctx, sb.SystemActor, "acme", acmePassword, sb.RoleTenant); err != nil {
				t.Fatal(err)
			}
			one := testenv.LoginAPI(t, urls[0], "acme", acmePassword)
			one.Call("POST", "/domains", map[string][]string{"domain": {"a.test"}, "username": {"d20@a.test"}, "password": {d20Password}})
			if _, err := svcs[0].CreateAccountCLI(ctx, sb.SystemActor, "admin@a.test", "admin-password", "", true); err != nil {
				t.Fatal(err)
			}
			key, err := svcs[0].CreateAPIKey(ctx, sb.SystemActor, "admin@a.test", "")
			if err != nil {
				t.Fatal(err)
			}
			c := from(1)
			warm := func(t *testing.T) {
				t.Helper()
				for i := range 20 {
					u := urls[i%2]
					if st := status(t, c, "GET", u+"/domains", one.Token, nil); st != 200 {
						t.Fatalf("GET /domains on instance %d before revocation: %d", i%2, st)
					}
					if st := keyStatus(t, c, u, key.Key); st != 200 {
						t.Fatalf("GET /api/accounts/me on instance %d before revocation: %d", i%2, st)
					}
					if _, code := rpc(t, c, u, one.Session, "domain.list", nil); code != 0 {
						t.Fatalf("domain.list on instance %d before revocation: code %d", i%2, code)
					}
				}
			}
			warm(t)
			t.Run("a token logged out on one instance is refused by the other", func(t *testing.T) {
				if st := status(t, c, "DELETE", urls[1]+"/auth", one.Token, nil); st != 200 {
					t.Fatalf("DELETE /auth: %d", st)
				}
				if st := status(t, c, "GET", urls[0]+"/domains", one.Token, nil); st != 401 {
					t.Fatalf("GET /domains with the revoked token: %d, want 401", st)
				}
			})
			t.Run("an API key revoked on one instance is refused by the other", func(t *testing.T) {
				if err := svcs[1].RevokeAPIKey(ctx, sb.SystemActor, key.ID); err != nil {
					t.Fatal(err)
				}
				if st := keyStatus(t, c, urls[0], key.Key); st != 401 {
					t.Fatalf("GET /api/accounts/me with the revoked key: %d, want 401", st)
				}
			})
			t.Run("a session ended on one instance is refused by the other", func(t *testing.T) {
				if _, code := rpc(t, c, urls[1], one.Session, "deauth", nil); code != 0 {
					t.Fatalf("deauth: code %d", code)
				}
				if _, code := rpc(t, c, urls[0], one.Session, "domain.list", nil); code != 253 {
					t.Fatalf("domain.list with the ended session: code %d, want 253 (This Auth-ID is invalid)", code)
				}
			})
		})
	}
}

func TestAPIKeyChecks(t *testing.T) {
	eachSIP(t, func(t *testing.T, e *sipEnv) {
		ctx := context.Background()
		key, err := e.svc.CreateAPIKey(ctx, sb.SystemActor, "admin@sip.example.org", "")
		if err != nil {
			t.Fatal(err)
		}
		burst := service.DefaultAttempts.Burst
		t.Run("many concurrent calls with a valid key all succeed", func(t *testing.T) {
			// Each call used to reserve an attempt of its IP's bucket before
			// the check: more calls in flight than the bucket holds were
			// refused with 429.
			c := from(1)
			var wg sync.WaitGroup
			codes := make([]int, 4*burst)
			for i := range codes {
				wg.Add(1)
				go func() {
					defer wg.Done()
					codes[i] = keyStatus(t, c, e.url, key.Key)
				}()
			}
			wg.Wait()
			for i, code := range codes {
				if code != 200 {
					t.Fatalf("call %d of %d: %d, want 200", i, len(codes), code)
				}
			}
		})
		t.Run("wrong keys spend the IP's bucket, and then the right key is refused from there too", func(t *testing.T) {
			c := from(2)
			for i := range burst {
				if code := keyStatus(t, c, e.url, fmt.Sprint("wrong-key-", i)); code != 401 {
					t.Fatalf("wrong key %d: %d, want 401", i, code)
				}
			}
			if code := keyStatus(t, c, e.url, "wrong-key-last"); code != 429 {
				t.Fatalf("wrong key past the bucket: %d, want 429", code)
			}
			if code := keyStatus(t, c, e.url, key.Key); code != 429 {
				t.Fatalf("right key from the spent IP: %d, want 429", code)
			}
			if code := keyStatus(t, c, e.url, key.Key); code != 429 {
				t.Fatalf("right key from the spent IP, again: %d, want 429", code)
			}
			if code := keyStatus(t, from(3), e.url, key.Key); code != 200 {
				t.Fatalf("right key from another IP: %d, want 200", code)
			}
			e.clock.Add(service.DefaultAttempts.Every)
			if code := keyStatus(t, c, e.url, key.Key); code != 200 {
				t.Fatalf("right key once the bucket refilled one attempt: %d, want 200", code)
			}
		})
		t.Run("the last use is recorded to the second", func(t *testing.T) {
			lastUsed := func() time.Time {
				t.Helper()
				keys, err := e.svc.ListAPIKeys(ctx, sb.SystemActor)
				if err != nil {
					t.Fatal(err)
				}
				for _, k := range keys {
					if k.ID == key.ID {
						return k.LastUsedAt
					}
				}
				t.Fatal("key not listed")
				return time.Time{}
			}
			e.clock.Add(2 * time.Second)
			if code := keyStatus(t, from(1), e.url, key.Key); code != 200 {
				t.Fatalf("call: %d", code)
			}
			if got, want := lastUsed(), e.clock.Now().Truncate(time.Second); !got.Equal(want) {
				t.Fatalf("last used %v, want the clock's %v", got, want)
			}
		})
	})
}
