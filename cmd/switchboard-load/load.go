package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// request builds the i-th request of a scenario (i counts from 1, across
// all connections).
type request func(i int64) (*http.Request, error)

// load is the outcome of one scenario, or of its rounds added up.
type load struct {
	requests, errors int64
	elapsed          time.Duration
	lat              []time.Duration // of every request counted, by the Go client
	// p50 and p99 are wrk's, which keeps no latencies for us (lat is then
	// empty): of one run, or of several added up their mean weighted by
	// requests, which is not a percentile of all the requests together.
	p50, p99  time.Duration
	cpu       time.Duration // CPU time of the process while measured: server and Go client, or the server alone with wrk
	clientCPU time.Duration // CPU time of wrk, another process, while measured
	dbCPU     time.Duration // CPU time of the database's processes on this machine while measured (see meter)
	firstErr  string
}

// add counts other in l.
func (l *load) add(other load) {
	if n := l.requests + other.requests; n > 0 {
		mean := func(a, b time.Duration) time.Duration {
			return time.Duration((float64(a)*float64(l.requests) + float64(b)*float64(other.requests)) / float64(n))
		}
		l.p50, l.p99 = mean(l.p50, other.p50), mean(l.p99, other.p99)
	}
	l.requests += other.requests
	l.errors += other.errors
	l.elapsed += other.elapsed
	l.lat = append(l.lat, other.lat...)
	l.cpu += other.cpu
	l.clientCPU += other.clientCPU
	l.dbCPU += other.dbCPU
	if l.firstErr == "" {
		l.firstErr = other.firstErr
	}
}

// percentiles are l's p50 and p99: of its latencies, or wrk's.
func (l *load) percentiles() (p50, p99 time.Duration) {
	if len(l.lat) == 0 {
		return l.p50, l.p99
	}
	return percentile(l.lat, 0.50), percentile(l.lat, 0.99)
}

// client drives one HTTP scenario: conns connections sending t's
// requests for warmup, not counted, then for d.
type client interface {
	run(ctx context.Context, conns int, warmup, d time.Duration, t target) load
}

// target is what an HTTP scenario sends, in a form either client takes.
type target struct {
	method, url string
	headers     []string // name, value, ...
	want        int      // the answer's status (the Go client checks it; wrk takes any below 400)
	body        string   // a fixed body, or
	account     *newAccount
	meter       meter // what reads the CPU time it costs
}

// newAccount is the body of account creation, a new address each time.
type newAccount struct {
	domain, password string
	n                atomic.Int64 // the Go client's addresses, new1@, new2@, ..., across rounds
}

// body is the JSON body creating local@domain.
func (a *newAccount) body(local string) string {
	return fmt.Sprintf(`{"email":%s,"password":%s}`, jsonString(local+"@"+a.domain), jsonString(a.password))
}

// jsonString is s as a JSON string.
func jsonString(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}

// goClient is Go's net/http client in this process: its CPU time counts
// with the server's.
type goClient struct{}

var _ client = goClient{}

func (goClient) run(ctx context.Context, conns int, warmup, d time.Duration, t target) load {
	var next request
	switch {
	case t.method == http.MethodGet:
		next = get(t.url, t.headers...)
	case t.account != nil:
		next = post(t.url, func(int64) string { return t.account.body(fmt.Sprintf("new%d", t.account.n.Add(1))) }, t.headers...)
	default:
		next = post(t.url, func(int64) string { return t.body }, t.headers...)
	}
	return run(ctx, t.meter, conns, warmup, d, t.want, next)
}

func (l load) rps() float64 {
	if l.elapsed <= 0 {
		return 0
	}
	return float64(l.requests) / l.elapsed.Seconds()
}

// newClient is an HTTP client keeping up to conns connections open to one
// host, as a load generator with that many connections does.
func newClient(conns int) *http.Client {
	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
		IdleConnTimeout: time.Minute, DisableCompression: true}
	return &http.Client{Transport: tr, Timeout: 2 * time.Minute}
}

// run drives conns connections, each sending the next request as soon as
// the last answer is read, for warmup (not counted) and then d, and
// reports the requests answered with want in d, the failures and the
// latency percentiles. A request counts when its answer arrives in d,
// wherever it started: counting only those started in d too left out a
// latency's worth of answers at the start of every window (5% of the
// creations, whose answers take 100 ms, in a 2 s round). The CPU time is
// taken at both ends of d.
func run(ctx context.Context, m meter, conns int, warmup, d time.Duration, want int, next request) load {
	c := newClient(conns)
	defer c.CloseIdleConnections()
	var seq atomic.Int64
	var mu sync.Mutex
	var out load
	var all []time.Duration
	start := time.Now()
	measureFrom, end := start.Add(warmup), start.Add(warmup+d)
	cpuAt := func(after time.Duration) func() reading {
		read := make(chan reading, 1)
		t := time.AfterFunc(after, func() { read <- m.read() })
		return func() reading { // the reading, or now's if the time has not come
			if t.Stop() {
				return m.read()
			}
			return <-read
		}
	}
	cpu0, cpu1 := cpuAt(warmup), cpuAt(warmup+d)
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 4096)
			var n, errs int64
			var first string
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(end) {
					break
				}
				err := do(c, next, seq.Add(1), want)
				t1 := time.Now()
				if t1.Before(measureFrom) || t1.After(end) {
					continue // answered in the warm-up, or past the end: not counted
				}
				if err != nil {
					errs++
					if first == "" {
						first = err.Error()
					}
					continue
				}
				n++
				lat = append(lat, t1.Sub(t0))
			}
			mu.Lock()
			out.requests += n
			out.errors += errs
			if out.firstErr == "" {
				out.firstErr = first
			}
			all = append(all, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if c0, c1 := cpu0(), cpu1(); c0.self > 0 && c1.self > 0 {
		out.cpu, out.dbCPU = c1.since(c0)
	}
	out.elapsed = min(time.Since(measureFrom), d)
	out.lat = all
	return out
}

// do sends one request and reads its answer through.
func do(c *http.Client, next request, i int64, want int) error {
	req, err := next(i)
	if err != nil {
		return err
	}
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: status %d, want %d", req.Method, req.URL.Path, res.StatusCode, want)
	}
	return err
}

// percentile is the q-quantile of ds (sorted in place), 0 for none.
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(q*float64(len(ds))+0.5) - 1
	return ds[min(max(i, 0), len(ds)-1)]
}

// get is a request for GET url with the given headers.
func get(url string, headers ...string) request {
	return func(int64) (*http.Request, error) {
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			return nil, err
		}
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		return req, nil
	}
}

// post is a request for POST url with the body body(i) and the given
// headers.
func post(url string, body func(i int64) string, headers ...string) request {
	return func(i int64) (*http.Request, error) {
		req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body(i)))
		if err != nil {
			return nil, err
		}
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		return req, nil
	}
}

// hashCeiling hashes with h on GOMAXPROCS goroutines for warmup, and at
// least warmHashes hashes each (not counted), then for d: the most
// accounts per second any server could create on this machine with these
// parameters; its latencies are one hash's time. After the GET scenarios
// (a heap of a few MB, the buffers' memory returned to the kernel) each
// goroutine's first two or three hashes took 65-116 ms against 11-17 ms,
// faulting their 19 MiB back in: counted, they made a 2 s round's ceiling
// a tenth low and the creation's ratio to it high (the creation, right
// after the ceiling, starts warm).
func hashCeiling(ctx context.Context, m meter, hash func(context.Context, string) (string, error), warmup, d time.Duration) load {
	hashFor(ctx, hash, time.Now().Add(warmup), warmHashes)
	start := time.Now()
	cpu0 := m.read()
	out := hashFor(ctx, hash, start.Add(d), 0)
	out.elapsed = time.Since(start)
	out.cpu, out.dbCPU = m.read().since(cpu0)
	return out
}

// warmHashes is how many hashes each of the ceiling's goroutines makes,
// at least, before it is measured.
const warmHashes = 4

// hashFor hashes on GOMAXPROCS goroutines, each starting hashes until end
// and until it has made atLeast of them, and returns their count,
// latencies and first failure.
func hashFor(ctx context.Context, hash func(context.Context, string) (string, error), end time.Time, atLeast int) load {
	var mu sync.Mutex
	var out load
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			var first string
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(end) && len(lat) >= atLeast {
					break
				}
				if _, err := hash(ctx, "load-test-password"); err != nil {
					if ctx.Err() == nil { // interrupted: no failure
						first = err.Error()
					}
					break
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			out.add(load{requests: int64(len(lat)), lat: lat, firstErr: first})
			if first != "" {
				out.errors++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}
