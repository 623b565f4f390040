package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/httpapi"
	"github.com/switchboard/switchboard/internal/httpcork"
	"github.com/switchboard/switchboard/internal/jsonrpc"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
	"github.com/switchboard/switchboard/internal/testenv"
)

// A page of a list, mail admin's GET /users/{id} and JSON-RPC's mail.list,
// leaves the server in one TCP segment on a connection that gathers its
// writes, as switchboard serve's do (httpcork.Listener and ConnContext),
// where net/http alone sends its 4 KiB buffer first and the rest after.
// Counted by the kernel on the server's side.
func TestPagesLeaveInOneSegment(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc, _ := testenv.Service(t, st, nil)
		api := httpapi.New(httpapi.Config{Services: svc, JSONRPC: jsonrpc.NewAPI(svc, nil)})
		var mu sync.Mutex
		var last net.Conn
		srv := httptest.NewUnstartedServer(api)
		srv.Listener = httpcork.Listener(srv.Listener)
		srv.Config.ConnContext = httpcork.ConnContext
		srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
			if s == http.StateActive {
				mu.Lock()
				last = c
				mu.Unlock()
			}
		}
		srv.Start()
		defer srv.Close()
		segments := func() uint32 {
			mu.Lock()
			defer mu.Unlock()
			n, err := httpcork.SegmentsOut(last)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}

		if _, err := svc.CreateTenant(ctx, sb.SystemActor, "acme", "acme-password-1", sb.RoleTenant); err != nil {
			t.Fatal(err)
		}
		d, _, err := svc.CreateDomain(ctx, sb.SystemActor, sb.NewDomain{Name: "big.example", Owner: "acme"})
		if err != nil {
			t.Fatal(err)
		}
		rows := make([]store.BulkAccount, 0, 100)
		for i := range 100 {
			l := fmt.Sprintf("user%03d", i)
			rows = append(rows, store.BulkAccount{Local: l, Email: l + "@big.example"})
		}
		if err := st.InTx(ctx, func(tx *store.Tx) error { return tx.BulkInsertAccounts(ctx, d.ID, "h", time.Now(), rows) }); err != nil {
			t.Fatal(err)
		}
		token, _, err := svc.Login(ctx, "acme", "acme-password-1", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		session, _, err := svc.OpenSession(ctx, "acme", "acme-password-1", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}

		c := &http.Client{Transport: &http.Transport{}}
		defer c.CloseIdleConnections()
		for _, tc := range []struct {
			name string
			req  func() *http.Request
		}{
			{"GET /users/{id}?limit=100", func() *http.Request {
				r, _ := http.NewRequest("GET", fmt.Sprintf("%s/users/%d?limit=100", srv.URL, d.ID), nil)
				r.Header.Set("Auth-token", token)
				return r
			}},
			{"JSON-RPC mail.list, 100 mailboxes", func() *http.Request {
				r, _ := http.NewRequest("POST", srv.URL+"/v1/", strings.NewReader(
					`{"jsonrpc":"2.0","id":1,"method":"mail.list","params":{"domain":"big.example","page_size":100}}`))
				r.Header.Set("HPLS-AUTH", session)
				r.Header.Set("Content-Type", "application/json")
				return r
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				n := 0
				var before uint32
				for i := range 2 { // the first makes the connection
					res, err := c.Do(tc.req())
					if err != nil {
						t.Fatal(err)
					}
					b, err := io.ReadAll(res.Body)
					res.Body.Close()
					if err != nil || res.StatusCode != 200 || !strings.Contains(string(b), "user099@big.example") {
						t.Fatalf("status %d, %v: %.200s", res.StatusCode, err, b)
					}
					if i == 0 {
						before = segments()
					}
					n = len(b)
				}
				if n < 5<<10 {
					t.Fatalf("the answer is %d bytes: too small to need two writes", n)
				}
				if got := segments() - before; got != 1 {
					t.Errorf("a %d-byte answer left in %d data segments, want 1", n, got)
				}
			})
		}
	})
}
