package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/store/storetest"
)

// runTool runs the tool with args, within two minutes.
func runTool(t *testing.T, args []string) *Result {
	t.Helper()
	cfg, err := ParseFlags(args, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := Run(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// The tool itself, briefly, on a tiny seed: every scenario must have
// answered with what it expects (no errors) at some rate, and the table
// must hold one line per scenario. Nothing here asserts a time or a ratio.
func TestLoadToolPrintsASaneTable(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers and loads them")
	}
	databases := []struct{ name, url string }{{"sqlite", ""}}
	if dsn := os.Getenv(storetest.EnvPostgres); dsn != "" {
		databases = append(databases, struct{ name, url string }{"postgres", dsn})
	}
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			args := []string{"--duration", "600ms", "--rounds", "2", "--warmup", "100ms", "--conns", "4", "--create-conns", "2",
				"--accounts", "150", "--big", "--big-accounts", "300", "--argon2", "test", "--markdown"}
			if db.url != "" {
				args = append(args, "--database", db.url)
			}
			res := runTool(t, args)
			checkTable(t, res, "client go")
			checkDBCPU(t, res, db.url != "" && len(postgresCPU("/proc")) > 0)
		})
	}
}

// The same with wrk as the client, once, on SQLite: every HTTP scenario
// (and the big list's first page) is driven by wrk, in two rounds of
// 500 ms at which wrk (whose -d is whole seconds) is interrupted, after a
// warm-up of 100 ms. Skipped without wrk, but not in CI, which installs
// it.
func TestLoadToolPrintsASaneTableWithWrk(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers and loads them")
	}
	needWrk(t)
	res := runTool(t, []string{"--client", "wrk", "--duration", "1s", "--rounds", "2", "--warmup", "200ms", "--conns", "4",
		"--create-conns", "2", "--accounts", "150", "--big", "--big-accounts", "300", "--argon2", "test", "--markdown"})
	checkTable(t, res, "client wrk")
	for _, r := range res.Rows {
		switch r.Scenario {
		case scCeiling, "big-stream": // in process
		default:
			if !(r.ClientCPU > 0) || !(r.P50 > 0) || r.P99 < r.P50 {
				t.Errorf("%s: wrk's CPU %v/req, p50 %v, p99 %v; want wrk's CPU and percentiles", r.Scenario, r.ClientCPU, r.P50, r.P99)
			}
		}
	}
}

// checkDBCPU checks that the scenarios that query the database report the
// CPU time of its processes when they run on this machine (local), and
// that no row reports any otherwise.
func checkDBCPU(t *testing.T, res *Result, local bool) {
	t.Helper()
	for _, r := range res.Rows {
		switch {
		case !local && r.DBCPU != 0:
			t.Errorf("%s: PostgreSQL's CPU %v/req on %s", r.Scenario, r.DBCPU, res.Database)
		case local && (r.Scenario == scDomains || r.Scenario == scUsers || r.Scenario == scCreate) && !(r.DBCPU > 0):
			t.Errorf("%s: no PostgreSQL CPU time, its processes run here", r.Scenario)
		}
	}
}

// checkTable checks the rows of a run of every scenario and --big on 300
// accounts, and its Markdown table, whose caption names client.
func checkTable(t *testing.T, res *Result, client string) {
	t.Helper()
	want := []string{scBare, scDomains, scUsers, scBarePage, scMe, scRPC, scCeiling, scCreate, "big-first-page", "big-stream"}
	if len(res.Rows) != len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(res.Rows), len(want), res.Rows)
	}
	for i, r := range res.Rows {
		if r.Scenario != want[i] {
			t.Errorf("row %d is %q, want %q", i, r.Scenario, want[i])
		}
		if r.Errors != 0 || r.Requests == 0 || !(r.RPS > 0) {
			t.Errorf("%s: %d requests, %d errors (first: %s), %.1f rps; want requests, no errors", r.Scenario, r.Requests, r.Errors, r.FirstError, r.RPS)
		}
	}
	for _, r := range res.Rows {
		switch r.Scenario {
		case scDomains, scUsers, scBarePage, scMe, scRPC, scCreate:
			if !(r.Ratio > 0) {
				t.Errorf("%s: ratio %v, want a positive number", r.Scenario, r.Ratio)
			}
		case "big-stream":
			if !strings.Contains(r.Note, "300 accounts") {
				t.Errorf("big-stream: %q does not tell the 300 accounts streamed", r.Note)
			}
		}
	}
	var out bytes.Buffer
	if err := res.Markdown(&out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	// caption, blank, header, separator, one line per row
	if len(lines) != 4+len(want) || !strings.HasPrefix(lines[2], "| scenario |") {
		t.Fatalf("markdown table:\n%s", out.String())
	}
	if !strings.Contains(lines[0], client) {
		t.Errorf("caption %q does not say %q", lines[0], client)
	}
}

func TestFlagsRefuseNonsense(t *testing.T) {
	for _, args := range [][]string{
		{"--scenarios", "bare,nonsense"},
		{"--duration", "0s"},
		{"--conns", "0"},
		{"--rounds", "0"},
		{"--argon2", "weak"},
		{"--log-flush", "-1s"},
		{"--client", "curl"},
		{"--client", ""},
		{"stray"},
	} {
		if _, err := ParseFlags(args, &bytes.Buffer{}); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

func TestFlagsSayWhenWrkIsMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := ParseFlags([]string{"--client", "wrk"}, &bytes.Buffer{})
	if want := "--client wrk: wrk not found in PATH (apt-get install wrk)"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}

// --trace writes an execution trace (runtime/trace's header, then events:
// reading it is go tool trace's test, not ours), and --log
// keeps the server's log: one access line a request of the scenario, with
// its duration, for the handler's own percentiles.
func TestTraceAndKeptLog(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers and loads them")
	}
	dir := t.TempDir()
	tracePath, logPath := filepath.Join(dir, "run.trace"), filepath.Join(dir, "server.log")
	res := runTool(t, []string{"--duration", "300ms", "--rounds", "1", "--warmup", "50ms", "--conns", "2",
		"--accounts", "20", "--scenarios", "bare,users", "--argon2", "test", "--trace", tracePath, "--log", logPath})
	tr, err := os.ReadFile(tracePath)
	if err != nil {
		t.Fatal(err)
	}
	// runtime/trace's header ("go 1.26 trace\x00\x00\x00"), then events.
	if head, _, ok := bytes.Cut(tr, []byte(" trace\x00")); !ok || !bytes.HasPrefix(head, []byte("go 1.")) || len(tr) < 1024 {
		t.Errorf("trace: %d bytes, starting %q; want an execution trace", len(tr), tr[:min(len(tr), 16)])
	}

	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	var users int64
	for line := range strings.Lines(string(b)) {
		var l struct {
			Route    string   `json:"route"`
			Status   int      `json:"status"`
			Duration *float64 `json:"duration_ms"`
		}
		if json.Unmarshal([]byte(line), &l) == nil && l.Route == "GET /users/{domain_id}" && l.Status == 200 && l.Duration != nil {
			users++
		}
	}
	var asked int64
	for _, row := range res.Rows {
		if row.Scenario == scUsers {
			asked = row.Requests
		}
	}
	// The log holds the warm-up's requests as well as the measured ones.
	if asked == 0 || users < asked {
		t.Errorf("kept log: %d access lines of GET /users with a duration, want at least the scenario's %d requests", users, asked)
	}
}
