package main

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Outputs of wrk 4.1.0 (Debian) with --latency, against a hello handler,
// one failing now and then (a 500, a reset, an answer slower than
// --timeout 1s), one closing its listener and connections after a second,
// one run interrupted at 1.3 s of 5, and what it says for a closed port
// (on standard error, with nothing on standard output).
func TestParseWrkReadsRealOutputs(t *testing.T) {
	for _, tc := range []struct {
		file string
		want wrkStats
	}{
		{"wrk-hello.txt", wrkStats{Requests: 31086, Duration: 1100 * time.Millisecond, RPS: 28252.68,
			P50: 221 * time.Microsecond, P99: 3060 * time.Microsecond}},
		{"wrk-errors.txt", wrkStats{Requests: 278, Duration: 2 * time.Second, RPS: 138.78,
			P50: 118 * time.Microsecond, P99: 1070 * time.Microsecond, Non2xx: 22, Read: 22, Timeout: 8}},
		{"wrk-server-closed.txt", wrkStats{Requests: 18149, Duration: 2030 * time.Millisecond, RPS: 8918.83,
			P50: 192 * time.Microsecond, P99: 4700 * time.Microsecond, Read: 8, Write: 55214}},
		{"wrk-interrupted.txt", wrkStats{Requests: 44154, Duration: 1400 * time.Millisecond, RPS: 31467.84,
			P50: 208 * time.Microsecond, P99: 11540 * time.Microsecond}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got, err := parseWrk(readTestdata(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
	t.Run("a refused connection is no output", func(t *testing.T) {
		if _, err := parseWrk(readTestdata(t, "wrk-refused.txt")); err == nil {
			t.Error("no error")
		}
	})
	t.Run("errors add answers of 400 and above and socket errors", func(t *testing.T) {
		st, err := parseWrk(readTestdata(t, "wrk-errors.txt"))
		if err != nil {
			t.Fatal(err)
		}
		if n := st.errors(); n != 22+22+8 {
			t.Errorf("%d errors, want 52", n)
		}
	})
}

func TestParseWrkRefusesWhatItCannotTrust(t *testing.T) {
	good := readTestdata(t, "wrk-errors.txt")
	for _, tc := range []struct{ name, out string }{
		{"an empty output", ""},
		{"no latency distribution", dropLines(good, "50%", "99%")},
		{"no p99", dropLines(good, "99%")},
		{"no request count", dropLines(good, "requests in")},
		{"no rate", dropLines(good, "Requests/sec")},
		{"a negative count", strings.Replace(good, "278 requests", "-278 requests", 1)},
		{"a negative socket error count", strings.Replace(good, "read 22,", "read -22,", 1)},
		{"a time without a unit", strings.Replace(good, "118.00us", "118.00", 1)},
		{"a negative time", strings.Replace(good, "118.00us", "-118.00us", 1)},
		{"a time past any duration", strings.Replace(good, "in 2.00s", "in 1e300h", 1)},
		{"a rate that is not a number", strings.Replace(good, "138.78", "NaN", 1)},
		{"more failed answers than answers", strings.Replace(good, "responses: 22", "responses: 279", 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if st, err := parseWrk(tc.out); err == nil {
				t.Errorf("no error; read %+v", st)
			}
		})
	}
}

func TestWrkTimeReadsEveryUnit(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"82.00us": 82 * time.Microsecond,
		"1.77ms":  1770 * time.Microsecond,
		"2.03s":   2030 * time.Millisecond,
		"1.50m":   90 * time.Second,
		"1.00h":   time.Hour,
		"0.00us":  0,
	} {
		if got, err := wrkTime(in); err != nil || got != want {
			t.Errorf("%q: %v, %v; want %v", in, got, err, want)
		}
	}
}

// The scripts of the POST scenarios, run by wrk against a handler that
// reads each body as the server would: the fixed body arrives as it was
// written, and account creation sends a new address each time, across
// threads and wrk processes (a warm-up and two runs), with a password
// that needs escaping in Lua and JSON arriving intact.
func TestWrkScriptsSendTheirBodies(t *testing.T) {
	wrk := needWrk(t)
	const password = "a \"quoted\" \\ pass\nword, 3\x01 é"
	const fixed = `{"jsonrpc":"2.0","id":1,"method":"domain.list","params":{"q":"a \"b\" \\ c"}}`
	var mu sync.Mutex
	seen := map[string]bool{}
	var bad []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Email, Password string }
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.URL.Path == "/rpc":
			if string(body) != fixed || r.Header.Get("HPLS-AUTH") != "s3ss\"ion" {
				bad = append(bad, string(body))
				w.WriteHeader(http.StatusBadRequest)
			}
		case json.Unmarshal(body, &in) != nil || in.Password != password || r.Header.Get("Auth-token") != "tok":
			bad = append(bad, string(body))
			w.WriteHeader(http.StatusBadRequest)
		case seen[in.Email]:
			w.WriteHeader(http.StatusConflict)
		default:
			seen[in.Email] = true
			w.WriteHeader(http.StatusCreated)
		}
	}))
	defer srv.Close()
	c := &wrkClient{path: wrk}
	ctx := context.Background()

	rpc := target{method: http.MethodPost, url: srv.URL + "/rpc", want: 200, body: fixed,
		headers: []string{"HPLS-AUTH", "s3ss\"ion", "Content-Type", "application/json"}}
	if l := c.run(ctx, 4, 0, 300*time.Millisecond, rpc); l.errors != 0 || l.requests == 0 {
		t.Errorf("fixed body: %d requests, %d errors (%s)", l.requests, l.errors, l.firstErr)
	}

	create := target{method: http.MethodPost, url: srv.URL + "/user/1", want: http.StatusCreated,
		headers: []string{"Auth-token", "tok", "Content-Type", "application/json"},
		account: &newAccount{domain: "d9.load.test", password: password}}
	var counted int64
	for range 2 {
		l := c.run(ctx, 4, 100*time.Millisecond, 300*time.Millisecond, create)
		if l.errors != 0 || l.requests == 0 {
			t.Errorf("account creation: %d requests, %d errors (%s)", l.requests, l.errors, l.firstErr)
		}
		if !(l.clientCPU > 0) || l.p50 <= 0 || l.p99 < l.p50 || l.elapsed <= 0 {
			t.Errorf("account creation: wrk's CPU %v, p50 %v, p99 %v, elapsed %v", l.clientCPU, l.p50, l.p99, l.elapsed)
		}
		counted += l.requests
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bad) > 0 {
		t.Errorf("%d bodies not as sent, the first: %q", len(bad), bad[0])
	}
	if int64(len(seen)) < counted {
		t.Errorf("%d addresses created, fewer than the %d answers wrk counted", len(seen), counted)
	}
	form := regexp.MustCompile(`^new[0-9]+x[0-9]+x[0-9]+@d9\.load\.test$`)
	for e := range seen {
		if !form.MatchString(e) {
			t.Errorf("address %q", e)
			break
		}
	}
}

func FuzzParseWrk(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "wrk-*.txt"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, out string) {
		st, err := parseWrk(out)
		if err != nil {
			return
		}
		for _, n := range []int64{st.Requests, st.Non2xx, st.Connect, st.Read, st.Write, st.Timeout} {
			if n < 0 {
				t.Fatalf("negative count: %+v", st)
			}
		}
		if st.Duration < 0 || st.P50 < 0 || st.P99 < 0 || !(st.RPS >= 0) || math.IsInf(st.RPS, 0) || st.Non2xx > st.Requests {
			t.Fatalf("out of range: %+v", st)
		}
	})
}

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// dropLines is s without the lines containing any of subs.
func dropLines(s string, subs ...string) string {
	var keep []string
	for _, line := range strings.Split(s, "\n") {
		drop := false
		for _, sub := range subs {
			drop = drop || strings.Contains(line, sub)
		}
		if !drop {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

// needWrk is the path of wrk; without it the test is skipped, but fails
// in CI, which installs it.
func needWrk(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("wrk")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("wrk not found in PATH; CI installs it (.ci/run)")
		}
		t.Skip("wrk not found in PATH (apt-get install wrk)")
	}
	return path
}
