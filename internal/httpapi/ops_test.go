package httpapi_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/httpapi"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/store/storetest"
	"github.com/switchboard/switchboard/internal/testenv"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestOperations(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			st := storetest.Open(t, b)
			var logs syncBuffer
			logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			svc, _ := testenv.Service(t, st, func(cfg *service.Config) { cfg.Logger = logger })
			e := serveEnv(t, st, svc, httpapi.Config{Logger: logger})
			tok := e.tenant("acme", sb.RoleTenant)
			e.do("POST", "/domains", tok, form{"domain": "ops.example", "username": "a@ops.example", "password": "mailbox-secret-1"}).want(201)
			e.do("POST", "/auth", "", form{"username": "acme", "password": "wrong-secret-2"}).want(401)

			t.Run("healthz answers ok while the store answers", func(t *testing.T) {
				res := e.do("GET", "/healthz", "", nil).want(200)
				if strings.TrimSpace(res.body) != "ok" {
					t.Fatalf("healthz = %q", res.body)
				}
			})
			t.Run("metrics count requests by route and auth failures", func(t *testing.T) {
				res := e.do("GET", "/metrics", "", nil).want(200)
				for _, want := range []string{
					`switchboard_http_requests_total{route="POST /domains",status="201"} 1`,
					`switchboard_http_requests_total{route="POST /auth",status="401"} 1`,
					`switchboard_auth_failures_total{reason="unauthorized",surface="mailadmin"} 1`,
					`switchboard_http_request_duration_seconds_bucket{route="POST /domains"`,
				} {
					if !strings.Contains(res.body, want) {
						t.Errorf("metrics lack %s", want)
					}
				}
			})
			t.Run("the access log names routes but never secrets", func(t *testing.T) {
				l := logs.String()
				if !strings.Contains(l, `"route":"POST /domains"`) {
					t.Fatalf("no access log line:\n%s", l)
				}
				for _, secret := range []string{tok, "pw-acme-secret", "mailbox-secret-1", "wrong-secret-2"} {
					if strings.Contains(l, secret) {
						t.Fatalf("a secret reached the log: %q", secret)
					}
				}
			})
			t.Run("with the store gone, answers are generic 500 and 503", func(t *testing.T) {
				st.Close()
				e.do("GET", "/domains", tok, nil).wantError(500, "internal error")
				res := e.do("GET", "/healthz", "", nil)
				if res.status != 503 || strings.Contains(res.body, "sql") {
					t.Fatalf("healthz = %d %q", res.status, res.body)
				}
				if !strings.Contains(logs.String(), "request failed") {
					t.Fatal("the internal error was not logged with detail")
				}
			})
		})
	}
}
