package httpapi_test

import (
	"bufio"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/internal/httpapi"
)

// logRecords returns the JSON log records written to logs so far.
func logRecords(t *testing.T, logs *syncBuffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, sc.Text())
		}
		out = append(out, rec)
	}
	return out
}

// TestPanicAnswersInTheRoutesFormat registers a panicking route in every
// family and checks that each answers 500 the way its family writes an
// internal error, and that the panic is logged with its route and stack.
func TestPanicAnswersInTheRoutesFormat(t *testing.T) {
	cases := []struct {
		family      string
		contentType string
		body        string // the whole body, or for HTML a part of it
		header      [2]string
	}{
		{"mailadmin", "application/json", `{"msg":"internal error","result":false}` + "\n", [2]string{}},
		{"sip", "application/json", `{"message":"internal error"}` + "\n", [2]string{}},
		{"oauth", "application/json", `{"error":"server_error","error_description":"internal error"}` + "\n", [2]string{"Pragma", "no-cache"}},
		{"iconfig", "application/json", `{"message":"internal error"}` + "\n", [2]string{}},
		{"page", "text/html; charset=utf-8", `<p role="alert">internal error</p>`, [2]string{"Content-Security-Policy", "default-src 'none'; form-action 'self'; frame-ancestors 'none'"}},
		{"plain", "text/plain; charset=utf-8", "internal error\n", [2]string{}},
		{"jsonrpc", "application/json", `{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error"},"id":null}` + "\n", [2]string{}},
		{"bare", "text/plain; charset=utf-8", "internal error\n", [2]string{}},
	}
	logs := &syncBuffer{}
	srv := httpapi.New(httpapi.Config{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	for _, c := range cases {
		srv.HandleInFamily(c.family, "POST /test/panic/"+c.family, func(w http.ResponseWriter, r *http.Request) error {
			panic("boom in " + c.family)
		})
	}
	url := newTestServer(t, srv)

	for _, c := range cases {
		t.Run("a panicking "+c.family+" route answers 500 in its format", func(t *testing.T) {
			res, err := http.Post(url+"/test/panic/"+c.family, "application/json", strings.NewReader(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusInternalServerError {
				t.Errorf("status = %d, want 500", res.StatusCode)
			}
			if got := res.Header.Get("Content-Type"); got != c.contentType {
				t.Errorf("Content-Type = %q, want %q", got, c.contentType)
			}
			if c.family == "page" {
				if !strings.Contains(string(b), c.body) || strings.Contains(string(b), "<form") {
					t.Errorf("body = %s, want the page with %s and no form", b, c.body)
				}
			} else if string(b) != c.body {
				t.Errorf("body = %q, want %q", b, c.body)
			}
			if c.header[0] != "" && res.Header.Get(c.header[0]) != c.header[1] {
				t.Errorf("%s = %q, want %q", c.header[0], res.Header.Get(c.header[0]), c.header[1])
			}

			route := "POST /test/panic/" + c.family
			var logged, accessLogged bool
			for _, rec := range logRecords(t, logs) {
				if rec["route"] != route {
					continue
				}
				switch rec["msg"] {
				case "panic":
					logged = rec["level"] == "ERROR" && rec["panic"] == "boom in "+c.family &&
						strings.Contains(rec["stack"].(string), "panic_test.go")
				case "request":
					accessLogged = rec["status"] == float64(500)
				}
			}
			if !logged {
				t.Errorf("no ERROR log line \"panic\" for %s with the panic and its stack", route)
			}
			if !accessLogged {
				t.Errorf("the access log has no status 500 for %s", route)
			}
		})
	}
}

// TestPanicAfterTheAnswerBegan checks that a panic once the status is sent
// leaves the answer as it is: nothing is written over it.
func TestPanicAfterTheAnswerBegan(t *testing.T) {
	logs := &syncBuffer{}
	srv := httpapi.New(httpapi.Config{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	srv.HandleInFamily("mailadmin", "GET /test/panic-late", func(w http.ResponseWriter, r *http.Request) error {
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, `{"result":true`)
		panic("late boom")
	})
	url := newTestServer(t, srv)
	res, err := http.Get(url + "/test/panic-late")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || string(b) != `{"result":true` {
		t.Errorf("got %d %q, want the 200 and the partial body as written", res.StatusCode, b)
	}
	var logged bool
	for _, rec := range logRecords(t, logs) {
		logged = logged || rec["msg"] == "panic" && rec["panic"] == "late boom"
	}
	if !logged {
		t.Error("the late panic is not logged")
	}
}
