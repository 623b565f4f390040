package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"strings"
	"sync"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/auth"
)

// Result is the table of one run.
type Result struct {
	Database   string
	GOMAXPROCS int
	Conns      int
	Duration   time.Duration
	Rounds     int
	Client     string // "go" or "wrk"
	Rows       []Row
	// The read cache's answers during the scenarios: reads it answered,
	// and cacheable reads that went to the database (after a commit, or
	// seen for the first time); CacheOn is false without a cache.
	CacheHits, CacheMisses int64
	CacheOn                bool
	LogFlush               time.Duration // the server's --log-flush
}

// Row is one scenario's line.
type Row struct {
	Scenario string
	Conns    int
	Requests int64
	Errors   int64
	RPS      float64
	P50, P99 time.Duration
	// CPU is the process's CPU time per request while measured (server
	// and Go client, or with wrk the server alone): less disturbed than
	// RPS by other load.
	CPU time.Duration
	// ClientCPU is wrk's CPU time per request, 0 with the Go client.
	ClientCPU time.Duration
	// DBCPU is the CPU time per request of PostgreSQL's processes on this
	// machine (see meter), 0 on SQLite.
	DBCPU time.Duration
	// Ratio is RPS over the bare handler's (GET scenarios) or over the
	// argon2id ceiling (account creation); NaN when there is none.
	Ratio float64
	// BesideDB is, for account creation with PostgreSQL on this machine,
	// the ratio to what the ceiling leaves beside PostgreSQL's CPU (see
	// besideDatabase); 0 otherwise.
	BesideDB float64
	Note     string
	// FirstError is the first failure seen, for the log.
	FirstError string
}

// Run starts the servers, seeds them, runs the scenarios in order and
// returns the table. progress gets a line per scenario as it starts.
func Run(ctx context.Context, cfg Config, progress io.Writer) (*Result, error) {
	if progress == nil {
		progress = io.Discard
	}
	fmt.Fprintf(progress, "starting and seeding (%d accounts)...\n", cfg.Accounts)
	e, err := start(ctx, cfg, progress)
	if err != nil {
		return nil, err
	}
	defer e.close()
	for _, rec := range []struct {
		path  string
		start func(io.Writer) error
		stop  func()
	}{{cfg.CPUProfile, pprof.StartCPUProfile, pprof.StopCPUProfile}, {cfg.Trace, trace.Start, trace.Stop}} {
		if rec.path == "" {
			continue
		}
		done, err := record(rec.path, rec.start, rec.stop)
		if err != nil {
			return nil, err
		}
		defer func() {
			if err := done(); err != nil {
				fmt.Fprintln(progress, rec.path+":", err)
			}
		}()
	}
	if cfg.MemProfile != "" {
		if err := writeAllocs(cfg.MemProfile + ".base"); err != nil {
			return nil, err
		}
		defer func() {
			if err := writeAllocs(cfg.MemProfile); err != nil {
				fmt.Fprintln(progress, "memprofile:", err)
			}
		}()
	}
	res := &Result{Database: string(e.dialect), GOMAXPROCS: runtime.GOMAXPROCS(0), Conns: cfg.Conns, Duration: cfg.Duration,
		Rounds: cfg.Rounds, LogFlush: cfg.LogFlush, Client: cfg.Client}
	var c client = goClient{}
	if cfg.Client == clientWrk {
		c = &wrkClient{path: cfg.WrkPath}
	}
	// The scenarios run in rounds, each round giving every scenario its
	// share of --duration in turn, so that load from elsewhere on the
	// machine weighs on all of them alike; the big list runs once, after.
	specs := e.specs(cfg, c)
	totals := make([]load, len(specs))
	hits0, misses0, _ := e.st.ReadCacheStats() // the seed's reads are not the scenarios'

	for round := range cfg.Rounds {
		for i, sp := range specs {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			fmt.Fprintf(progress, "round %d/%d: %s...\n", round+1, cfg.Rounds, sp.name)
			totals[i].add(sp.run(ctx, cfg.Warmup/time.Duration(cfg.Rounds), cfg.Duration/time.Duration(cfg.Rounds)))
		}
	}
	if h, m, ok := e.st.ReadCacheStats(); ok {
		res.CacheOn, res.CacheHits, res.CacheMisses = true, h-hits0, m-misses0
	}
	bare, ceiling := math.NaN(), math.NaN()
	for i, sp := range specs {
		switch sp.name {
		case scBare:
			bare = totals[i].rps()
		case scCeiling:
			ceiling = totals[i].rps()
		}
	}
	for i, sp := range specs {
		ratio := math.NaN()
		switch sp.ratio {
		case ratioToBare:
			ratio = totals[i].rps() / bare
		case ratioToCeiling:
			ratio = totals[i].rps() / ceiling
		case ratioOne:
			ratio = 1
		}
		res.Rows = append(res.Rows, row(sp.name, sp.conns, totals[i], ratio, sp.note))
	}
	besideDatabase(res.Rows)
	if cfg.has(scBig) {
		fmt.Fprintf(progress, "big...\n")
		rows, err := e.big(ctx, cfg, c)
		if err != nil {
			return nil, fmt.Errorf("scenario big: %w", err)
		}
		res.Rows = append(res.Rows, rows...)
	}
	return res, nil
}

// besideDatabase adds to the create row, when PostgreSQL runs on the same
// cores, its ratio to what the ceiling leaves beside PostgreSQL's work: the
// ceiling times hash / (hash + PostgreSQL's CPU a creation), with the hash's
// CPU time from the ceiling's row. It tells how much of the distance to the
// ceiling is the database's CPU on the same machine, and how much is
// Switchboard's own; the ratio column stays the issue's.
func besideDatabase(rows []Row) {
	var ceiling, create *Row
	for i := range rows {
		switch rows[i].Scenario {
		case scCeiling:
			ceiling = &rows[i]
		case scCreate:
			create = &rows[i]
		}
	}
	if ceiling == nil || create == nil || create.DBCPU <= 0 || ceiling.CPU <= 0 || ceiling.RPS <= 0 {
		return
	}
	hash := ceiling.CPU.Seconds()
	left := ceiling.RPS * hash / (hash + create.DBCPU.Seconds())
	create.BesideDB = create.RPS / left
}

// What a row's ratio is to.
const (
	ratioNone = iota
	ratioOne
	ratioToBare
	ratioToCeiling
)

// scCeiling names the argon2id ceiling's row, which the create scenario
// brings.
const scCeiling = "argon2id"

// spec is one measured scenario: run measures it for d after warmup.
type spec struct {
	name  string
	conns int
	ratio int
	note  string
	run   func(ctx context.Context, warmup, d time.Duration) load
}

func row(name string, conns int, l load, ratio float64, note string) Row {
	p50, p99 := l.percentiles()
	r := Row{Scenario: name, Conns: conns, Requests: l.requests, Errors: l.errors, RPS: l.rps(),
		P50: p50, P99: p99, Ratio: ratio, Note: note, FirstError: l.firstErr}
	if l.requests > 0 {
		r.CPU = l.cpu / time.Duration(l.requests)
		r.ClientCPU = l.clientCPU / time.Duration(l.requests)
		r.DBCPU = l.dbCPU / time.Duration(l.requests)
	}
	return r
}

// specs are the scenarios of cfg but the big list, in order, driven by c.
func (e *env) specs(cfg Config, c client) []spec {
	httpSpec := func(name string, conns, ratio int, t target, note string) spec {
		t.meter = e.meter()
		return spec{name: name, conns: conns, ratio: ratio, note: note,
			run: func(ctx context.Context, w, d time.Duration) load { return c.run(ctx, conns, w, d, t) }}
	}
	getSpec := func(name, url, note string, headers ...string) spec {
		ratio := ratioToBare
		if name == scBare {
			ratio = ratioOne
		}
		return httpSpec(name, cfg.Conns, ratio, target{method: http.MethodGet, url: url, headers: headers, want: 200}, note)
	}
	var out []spec
	for _, name := range cfg.Scenarios {
		switch name {
		case scBare:
			out = append(out, getSpec(name, e.bareURL+"/domains", "net/http hello handler, same client"))
		case scDomains:
			out = append(out, getSpec(name, e.url+"/domains", "GET /domains, Auth-token, 10 domains", "Auth-token", e.token))
		case scUsers:
			out = append(out, getSpec(name, e.usersPage(), fmt.Sprintf("GET /users/{id}?limit=100, first page of %d", cfg.Accounts), "Auth-token", e.token))
		case scBarePage:
			out = append(out, getSpec(name, e.bareURL+"/page",
				fmt.Sprintf("net/http handler writing users' page as it is (%d bytes), gathered into one write as Switchboard writes it, same client", len(*e.page.Load()))))
		case scMe:
			out = append(out, getSpec(name, e.url+"/api/accounts/me", "GET /api/accounts/me, x-api-key",
				"x-api-key", e.apiKey, "Accept", "application/json"))
		case scRPC:
			out = append(out, httpSpec(name, cfg.Conns, ratioToBare, target{method: http.MethodPost, url: e.url + "/v1/", want: 200,
				headers: []string{"HPLS-AUTH", e.session, "Content-Type", "application/json"},
				body:    `{"jsonrpc":"2.0","id":1,"method":"domain.list","params":{}}`},
				"JSON-RPC domain.list, HPLS-AUTH session"))
		case scCreate:
			hasher := auth.NewHasher(e.params)
			out = append(out, spec{name: scCeiling, conns: runtime.GOMAXPROCS(0), ratio: ratioNone,
				note: fmt.Sprintf("hash ceiling: GOMAXPROCS goroutines hashing, m=%d KiB t=%d p=%d", e.params.Memory, e.params.Time, e.params.Threads),
				run: func(ctx context.Context, w, d time.Duration) load {
					return hashCeiling(ctx, e.meter(), hasher.Hash, w, d)
				}})
			// One newAccount for all rounds: each address is created once.
			t := target{method: http.MethodPost, url: fmt.Sprintf("%s/user/%d", e.url, e.createDomain), want: http.StatusCreated,
				headers: []string{"Auth-token", e.token, "Content-Type", "application/json"},
				account: &newAccount{domain: e.createName, password: seedPassword}}
			out = append(out, httpSpec(scCreate, cfg.CreateConns, ratioToCeiling, t, "POST /user/{id}, ratio to the argon2id ceiling"))
		}
	}
	return out
}

// big seeds a domain of cfg.BigAccounts accounts, then measures its first
// page (one connection, driven by c) and one full streamed list (read by
// a Go client in this process whatever c is), with the growth of the
// process's resident memory while it streams.
func (e *env) big(ctx context.Context, cfg Config, c client) ([]Row, error) {
	d, _, err := e.svc.CreateDomain(ctx, sb.Actor{TenantID: 1, TenantName: e.tenant, Role: sb.RoleTenant},
		sb.NewDomain{Name: "big.load.test"})
	if err != nil {
		return nil, err
	}
	if err := e.bulkAccounts(ctx, d, cfg.BigAccounts, e.progress); err != nil {
		return nil, err
	}
	url := fmt.Sprintf("%s/users/%d", e.url, d.ID)
	first := c.run(ctx, 1, cfg.Warmup, cfg.Duration,
		target{method: http.MethodGet, url: url + "?limit=100", headers: []string{"Auth-token", e.token}, want: 200, meter: e.meter()})
	rows := []Row{row("big-first-page", 1, first, math.NaN(), fmt.Sprintf("GET /users/{id}?limit=100 of %d accounts", cfg.BigAccounts))}

	runtime.GC()
	debug.FreeOSMemory()
	base, err := rss()
	if err != nil {
		return nil, err
	}
	peak := base
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if r, err := rss(); err == nil && r > peak {
					peak = r
				}
			}
		}
	}()
	t0 := time.Now()
	n, err := streamCount(ctx, url, e.token)
	took := time.Since(t0)
	close(stop)
	wg.Wait()
	l := load{requests: 1, elapsed: took, lat: []time.Duration{took}}
	if err != nil {
		l = load{errors: 1, elapsed: took, firstErr: err.Error()}
	} else if n != cfg.BigAccounts {
		l = load{errors: 1, elapsed: took, firstErr: fmt.Sprintf("streamed %d accounts, want %d", n, cfg.BigAccounts)}
	}
	growth := float64(peak-base) / (1 << 20)
	r := row("big-stream", 1, l, math.NaN(), fmt.Sprintf("full list, %d accounts in %.1fs (%.0f/s), RSS +%.1f MiB",
		n, took.Seconds(), float64(n)/took.Seconds(), growth))
	return append(rows, r), nil
}

// streamCount reads a full GET /users list and counts its entries, in
// constant memory.
func streamCount(ctx context.Context, url, token string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Auth-token", token)
	res, err := newClient(1).Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		return 0, fmt.Errorf("status %d", res.StatusCode)
	}
	br := bufio.NewReaderSize(res.Body, 64<<10)
	marker := []byte(`"email":`)
	n := 0
	var tail []byte
	buf := make([]byte, 64<<10)
	for {
		k, err := br.Read(buf)
		chunk := append(tail, buf[:k]...)
		n += bytes.Count(chunk, marker)
		// Keep the last bytes, less than a marker, for a marker split
		// between two reads.
		keep := min(len(chunk), len(marker)-1)
		tail = append(tail[:0], chunk[len(chunk)-keep:]...)
		if errors.Is(err, io.EOF) {
			if !bytes.HasSuffix(bytes.TrimSpace(chunk), []byte("]}")) {
				return n, errors.New("list did not end with ]}")
			}
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// rss is the process's resident set size in bytes, from /proc.
func rss() (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmRSS in /proc/self/status")
}

// record starts a recording of the scenarios (the CPU profile, the
// execution trace) into a new file at path; the function it returns stops
// it and closes the file.
func record(path string, start func(io.Writer) error, stop func()) (func() error, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := start(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() error {
		stop()
		return f.Close()
	}, nil
}

// writeAllocs writes the allocation profile as it stands to path.
func writeAllocs(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC() // the profile's figures are as of the last collection
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
