package httpapi_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/httpapi"
)

// TestAClientGoneIsNotAServerError: a request whose client closed the
// connection before its answer, and which then failed, is logged and
// counted as 499 (nginx's "client closed request"), not as the 500 an
// operator alerts on; a failure with the client still there stays a 500,
// and an answer that succeeded keeps its status whoever left.
func TestAClientGoneIsNotAServerError(t *testing.T) {
	logs := &syncBuffer{}
	srv := httpapi.New(httpapi.Config{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	entered := make(chan string, 1)
	for _, route := range []struct {
		path string
		h    func(w http.ResponseWriter, r *http.Request) error
	}{
		// Reads the body (net/http watches the connection only after it)
		// and waits for the client to leave, as a query or a hash's slot
		// does, then fails with the context's error.
		{"/test/abandoned", func(w http.ResponseWriter, r *http.Request) error {
			io.Copy(io.Discard, r.Body)
			entered <- r.URL.Path
			<-r.Context().Done()
			return sb.Internal(r.Context().Err())
		}},
		{"/test/failing", func(w http.ResponseWriter, r *http.Request) error {
			return sb.Internal(errors.New("the store is gone"))
		}},
		// Finishes its work after the client left, and answers.
		{"/test/done-anyway", func(w http.ResponseWriter, r *http.Request) error {
			io.Copy(io.Discard, r.Body)
			entered <- r.URL.Path
			<-r.Context().Done()
			w.WriteHeader(http.StatusCreated)
			return nil
		}},
	} {
		srv.HandleInFamily("mailadmin", "POST "+route.path, route.h)
	}
	url := newTestServer(t, srv)

	leave := func(t *testing.T, path string) {
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() {
			req, _ := http.NewRequestWithContext(ctx, "POST", url+path, strings.NewReader(`{}`))
			res, err := http.DefaultClient.Do(req)
			if err == nil {
				res.Body.Close()
			}
			done <- err
		}()
		select {
		case <-entered:
		case <-time.After(10 * time.Second):
			t.Fatal("the handler never ran")
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("the client's request ended with %v, want its cancellation", err)
		}
	}
	accessStatus := func(t *testing.T, path string) float64 {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			for _, rec := range logRecords(t, logs) {
				if rec["msg"] == "request" && rec["path"] == path {
					return rec["status"].(float64)
				}
			}
		}
		t.Fatalf("no access line for %s", path)
		return 0
	}

	leave(t, "/test/abandoned")
	if got := accessStatus(t, "/test/abandoned"); got != 499 {
		t.Errorf("abandoned request logged with status %v, want 499", got)
	}
	res, err := http.Post(url+"/test/failing", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 500 {
		t.Fatalf("failing route answered %d, want 500", res.StatusCode)
	}
	if got := accessStatus(t, "/test/failing"); got != 500 {
		t.Errorf("a failure with its client there logged with status %v, want 500", got)
	}
	leave(t, "/test/done-anyway")
	if got := accessStatus(t, "/test/done-anyway"); got != 201 {
		t.Errorf("an answer written after the client left logged with status %v, want its own 201", got)
	}

	res, err = http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{
		`switchboard_http_requests_total{route="POST /test/abandoned",status="499"} 1`,
		`switchboard_http_requests_total{route="POST /test/failing",status="500"} 1`,
		`switchboard_http_requests_total{route="POST /test/done-anyway",status="201"} 1`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(string(b), `route="POST /test/abandoned",status="500"`) {
		t.Error("the abandoned request counts among the 500s")
	}
}
