package httpapi_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/httpapi"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
)

// bigDomain is a domain with many accounts, served by an API whose
// connections have small socket buffers, so a client that does not read
// stalls its handler after a few hundred rows instead of megabytes.
type bigDomain struct {
	*env
	token    string
	domainID int64
	addr     string // host:port of the small-buffer server
}

// eachBigDomain runs fn on every backend with a domain of n accounts (at
// most 20,000 on SQLite under -race) and a server with the given stall
// timeout.
func eachBigDomain(t *testing.T, n int, stall time.Duration, fn func(t *testing.T, b *bigDomain)) {
	for _, backend := range storetest.Backends() {
		t.Run(backend.Name, func(t *testing.T) {
			ctx := context.Background()
			url := backend.URL(t)
			st, err := store.Open(ctx, url, "")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			e := newEnv(t, st, 0)
			tok := e.tenant("acme", sb.RoleTenant)
			res := e.do("POST", "/domains", tok, form{"domain": "big.example", "username": "postmaster@big.example", "password": "postmaster-pw"}).want(201)
			domainID := idOf(res, "domain", "id")
			count := n
			if raceDetector && st.Dialect() == store.SQLite {
				// Still far beyond the socket buffers, in seconds rather
				// than a minute.
				count = min(n, 20_000)
			}
			start := time.Now()
			seedAccounts(t, st.Dialect(), url, domainID, count)
			t.Logf("seeded %d accounts in %v", count, time.Since(start))

			srv := httptest.NewUnstartedServer(httpapi.New(httpapi.Config{Services: e.svc, StreamStall: stall}))
			srv.Listener = smallBuffers{srv.Listener}
			srv.Start()
			t.Cleanup(srv.Close)
			fn(t, &bigDomain{env: e, token: tok, domainID: domainID, addr: srv.Listener.Addr().String()})
		})
	}
}

// seedAccounts inserts n accounts into a domain in one statement: through
// the API each would cost an argon2 hash, and row by row under -race the
// pure-Go SQLite takes minutes.
func seedAccounts(t *testing.T, dialect store.Dialect, url string, domainID int64, n int) {
	t.Helper()
	driver, dsn := "pgx", url
	if dialect == store.SQLite {
		driver, dsn = "sqlite", "file:"+strings.TrimPrefix(url, "sqlite:")+"?_pragma=busy_timeout(10000)"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.Exec(fmt.Sprintf(`INSERT INTO accounts (domain_id, local, email, password_hash, active, activated, created_at, updated_at)
		WITH RECURSIVE seq (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < %d)
		SELECT %d, 'u' || i, 'u' || i || '@big.example', 'not-a-hash', TRUE, TRUE, 0, 0 FROM seq`, n, domainID))
	if err != nil {
		t.Fatalf("seed %d accounts: %v", n, err)
	}
}

// smallBuffers gives accepted connections a small send buffer.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(16 << 10)
	}
	return c, err
}

// stalledList asks for the domain's accounts over a raw connection with a
// small receive buffer, reads the status line (so the handler has started
// streaming) and nothing more.
func (b *bigDomain) stalledList(t *testing.T) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", b.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() }) // runs before the server's Close, which waits for the handler
	conn.(*net.TCPConn).SetReadBuffer(16 << 10)
	fmt.Fprintf(conn, "GET /users/%d HTTP/1.1\r\nHost: %s\r\nAuth-token: %s\r\n\r\n", b.domainID, b.addr, b.token)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	status, err := bufio.NewReaderSize(conn, 16).ReadString('\n')
	if err != nil || !strings.Contains(status, " 200 ") {
		t.Fatalf("list: %q, %v", status, err)
	}
	return conn
}

func TestSlowReadersCannotStarveTheServer(t *testing.T) {
	eachBigDomain(t, 200_000, time.Minute, func(t *testing.T, b *bigDomain) {
		for range 8 { // as many as SQLite has read connections
			b.stalledList(t)
		}
		client := &http.Client{Timeout: time.Second} // the failure condition: no answer within 1 s
		for _, c := range []struct{ name, path, token, want string }{
			{"the health check answers", "/healthz", "", "ok"},
			{"a tenant lists its domains", "/domains", b.token, `"big.example"`},
		} {
			t.Run(c.name+" while eight clients stall on huge lists", func(t *testing.T) {
				req, _ := http.NewRequest("GET", "http://"+b.addr+c.path, nil)
				if c.token != "" {
					req.Header.Set("Auth-token", c.token)
				}
				res, err := client.Do(req)
				if err != nil {
					t.Fatalf("GET %s: %v", c.path, err)
				}
				defer res.Body.Close()
				body, err := io.ReadAll(res.Body)
				if err != nil || res.StatusCode != 200 || !strings.Contains(string(body), c.want) {
					t.Fatalf("GET %s: %d %q %v", c.path, res.StatusCode, body, err)
				}
			})
		}
		client.CloseIdleConnections()
	})
}

func TestAClientThatStopsReadingIsDropped(t *testing.T) {
	eachBigDomain(t, 5_000, 500*time.Millisecond, func(t *testing.T, b *bigDomain) {
		conn := b.stalledList(t)
		time.Sleep(2 * time.Second) // four stall timeouts without reading
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		body, err := io.ReadAll(conn)
		if strings.Contains(string(body), "]}\n") {
			t.Fatalf("the whole list arrived (%d bytes): the stalled client was not dropped", len(body))
		}
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("the server still holds the connection after %d bytes", len(body))
		}
	})
}
