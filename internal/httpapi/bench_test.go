package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/httpapi"
	"github.com/switchboard/switchboard/internal/jsonrpc"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
	"github.com/switchboard/switchboard/internal/testenv"
)

// get issues a GET with a token and drains the answer.
func get(b *testing.B, c *http.Client, url, token string) {
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Auth-token", token)
	}
	res, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		b.Fatalf("status %d", res.StatusCode)
	}
}

// BenchmarkBareHandler is the floor: a plain net/http handler writing a
// small JSON answer over the same loopback client.
func BenchmarkBareHandler(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"domains":[{"id":1,"name":"example.com","users_count":5}]}`)
	}))
	defer srv.Close()
	c := srv.Client()
	for b.Loop() {
		get(b, c, srv.URL+"/domains", "")
	}
}

type benchEnv struct {
	url   string
	token string
	svc   *service.Service
	st    *store.Store
	c     *http.Client
}

func newBenchEnv(b *testing.B, backend storetest.Backend, hasher *auth.Hasher) *benchEnv {
	st := storetest.Open(b, backend)
	svc, _ := testenv.Service(b, st, func(cfg *service.Config) { cfg.Hasher = hasher })
	url := testenv.Serve(b, httpapi.New(httpapi.Config{Services: svc}))
	ctx := context.Background()
	if _, err := svc.CreateTenant(ctx, sb.SystemActor, "acme", "bench-password", sb.RoleTenant); err != nil {
		b.Fatal(err)
	}
	tok, _, err := svc.Login(ctx, "acme", "bench-password", "127.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	return &benchEnv{url: url, token: tok, svc: svc, st: st, c: &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}}
}

func (e *benchEnv) domain(b *testing.B, name string) *sb.Domain {
	d, _, err := e.svc.CreateDomain(context.Background(), sb.Actor{TenantID: 1, TenantName: "acme", Role: sb.RoleTenant}, sb.NewDomain{Name: name, First: &sb.FirstAccount{Address: "postmaster@" + name, Password: "bench-password"}})
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// BenchmarkGetDomains: token-authenticated GET /domains, ten domains.
func BenchmarkGetDomains(b *testing.B) {
	for _, backend := range storetest.Backends() {
		b.Run(backend.Name, func(b *testing.B) {
			e := newBenchEnv(b, backend, auth.NewHasher(auth.TestParams))
			for i := range 10 {
				e.domain(b, fmt.Sprintf("d%d.example", i))
			}
			b.ResetTimer()
			for b.Loop() {
				get(b, e.c, e.url+"/domains", e.token)
			}
		})
	}
}

// BenchmarkRPCDomainList: JSON-RPC domain.list with an HPLS-AUTH session,
// ten domains, as the load tool's rpc scenario calls it.
func BenchmarkRPCDomainList(b *testing.B) {
	for _, backend := range storetest.Backends() {
		b.Run(backend.Name, func(b *testing.B) {
			st := storetest.Open(b, backend)
			svc, _ := testenv.Service(b, st, func(cfg *service.Config) { cfg.Hasher = auth.NewHasher(auth.TestParams) })
			url := testenv.Serve(b, httpapi.New(httpapi.Config{Services: svc, JSONRPC: jsonrpc.NewAPI(svc, nil)}))
			ctx := context.Background()
			if _, err := svc.CreateTenant(ctx, sb.SystemActor, "acme", "bench-password", sb.RoleTenant); err != nil {
				b.Fatal(err)
			}
			e := &benchEnv{svc: svc}
			for i := range 10 {
				e.domain(b, fmt.Sprintf("d%d.example", i))
			}
			session, _, err := svc.OpenSession(ctx, "acme", "bench-password", "127.0.0.1")
			if err != nil {
				b.Fatal(err)
			}
			c := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
			const body = `{"jsonrpc":"2.0","id":1,"method":"domain.list","params":{}}`
			b.ResetTimer()
			for b.Loop() {
				req, _ := http.NewRequest("POST", url+"/v1/", strings.NewReader(body))
				req.Header.Set("HPLS-AUTH", session)
				req.Header.Set("Content-Type", "application/json")
				res, err := c.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				out, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != 200 || !strings.Contains(string(out), `"result"`) {
					b.Fatalf("status %d: %s", res.StatusCode, out)
				}
			}
		})
	}
}

// BenchmarkGetUsersFirstPage: the first page (100 rows) of GET /users/{id}
// for a domain holding one million accounts, seeded in bulk with one
// precomputed hash.
func BenchmarkGetUsersFirstPage(b *testing.B) {
	const accounts = 1_000_000
	for _, backend := range storetest.Backends() {
		b.Run(backend.Name, func(b *testing.B) {
			e := newBenchEnv(b, backend, auth.NewHasher(auth.TestParams))
			d := e.domain(b, "big.example")
			hash, _ := auth.NewHasher(auth.TestParams).Hash(context.Background(), "bench-password")
			ctx := context.Background()
			const chunk = 50_000
			for start := 1; start < accounts; start += chunk {
				rows := make([]store.BulkAccount, 0, chunk)
				for i := start; i < min(start+chunk, accounts); i++ {
					l := fmt.Sprintf("user%07d", i)
					rows = append(rows, store.BulkAccount{Local: l, Email: l + "@big.example"})
				}
				if err := e.st.InTx(ctx, func(tx *store.Tx) error {
					return tx.BulkInsertAccounts(ctx, d.ID, hash, time.Now(), rows)
				}); err != nil {
					b.Fatal(err)
				}
			}
			url := fmt.Sprintf("%s/users/%d?limit=100", e.url, d.ID)
			b.ResetTimer()
			for b.Loop() {
				get(b, e.c, url, e.token)
			}
		})
	}
}

// BenchmarkCreateAccount: POST /user/{id} with the production argon2id
// parameters; the hash dominates.
func BenchmarkCreateAccount(b *testing.B) {
	for _, backend := range storetest.Backends() {
		b.Run(backend.Name, func(b *testing.B) {
			e := newBenchEnv(b, backend, auth.NewHasher(auth.DefaultParams))
			d := e.domain(b, "new.example")
			url := fmt.Sprintf("%s/user/%d", e.url, d.ID)
			i := 0
			b.ResetTimer()
			for b.Loop() {
				i++
				body := fmt.Sprintf(`{"email":"u%d@new.example","password":"bench-password"}`, i)
				req, _ := http.NewRequest("POST", url, strings.NewReader(body))
				req.Header.Set("Auth-token", e.token)
				req.Header.Set("Content-Type", "application/json")
				res, err := e.c.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 201 {
					b.Fatalf("status %d", res.StatusCode)
				}
			}
		})
	}
}

// BenchmarkCreateAccountBesideHash: POST /user/{id} with the production
// argon2id parameters, one client, each request followed by one bare hash
// with the same parameters, so that other load on the machine weighs on
// both alike; hash-ms and create-ms are their medians, over-ms what a
// creation costs beyond its hash.
func BenchmarkCreateAccountBesideHash(b *testing.B) {
	for _, backend := range storetest.Backends() {
		b.Run(backend.Name, func(b *testing.B) {
			hasher := auth.NewHasher(auth.DefaultParams)
			e := newBenchEnv(b, backend, hasher)
			d := e.domain(b, "new.example")
			url := fmt.Sprintf("%s/user/%d", e.url, d.ID)
			var creates, hashes []time.Duration
			i := 0
			b.ResetTimer()
			for b.Loop() {
				i++
				body := fmt.Sprintf(`{"email":"u%d@new.example","password":"bench-password"}`, i)
				req, _ := http.NewRequest("POST", url, strings.NewReader(body))
				req.Header.Set("Auth-token", e.token)
				req.Header.Set("Content-Type", "application/json")
				t0 := time.Now()
				res, err := e.c.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 201 {
					b.Fatalf("status %d", res.StatusCode)
				}
				t1 := time.Now()
				if _, err := hasher.Hash(context.Background(), "bench-password"); err != nil {
					b.Fatal(err)
				}
				creates, hashes = append(creates, t1.Sub(t0)), append(hashes, time.Since(t1))
			}
			c, h := median(creates), median(hashes)
			b.ReportMetric(float64(c.Microseconds())/1000, "create-ms")
			b.ReportMetric(float64(h.Microseconds())/1000, "hash-ms")
			b.ReportMetric(float64((c-h).Microseconds())/1000, "over-ms")
		})
	}
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
