package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// wrkClient drives scenarios with the wrk binary, a C load generator in
// another process, so that the CPU time of this process is the server's
// alone and the client's does not flatter the ratios to the bare handler.
type wrkClient struct {
	path string
	runs int // wrk processes started, numbering the accounts they create
}

var _ client = (*wrkClient)(nil)

// wrkTimeout is wrk's --timeout: an answer slower than it counts as a
// timeout error, and wrk sizes its latency histogram by it (8 bytes per
// microsecond, mapped but mostly untouched), so it is generous but not
// the Go client's two minutes.
const wrkTimeout = "30s"

// run runs wrk for warmup (its output unread), then for d, and reads the
// second run's output. wrk counts every answer below 400 as a success:
// it cannot tell 200 from 201 (a response() callback in the script could,
// but wrk then parses every answer's headers and body, which is the
// client's CPU this client is here to keep small), so t.want is not
// checked: any 2xx counts (or 3xx, which no scenario answers).
func (c *wrkClient) run(ctx context.Context, conns int, warmup, d time.Duration, t target) load {
	if warmup > 0 {
		c.exec(ctx, conns, warmup, t) // a failure shows in the measured run
	}
	cpu0 := t.meter.read()
	out, clientCPU, err := c.exec(ctx, conns, d, t)
	cpu, dbCPU := t.meter.read().since(cpu0)
	if err != nil {
		return load{errors: 1, firstErr: err.Error()}
	}
	st, err := parseWrk(out)
	if err != nil {
		return load{errors: 1, firstErr: err.Error()}
	}
	l := load{requests: st.Requests - st.Non2xx, errors: st.errors(), elapsed: st.Duration,
		p50: st.P50, p99: st.P99, cpu: cpu, clientCPU: clientCPU, dbCPU: dbCPU}
	if l.errors > 0 {
		l.firstErr = fmt.Sprintf("wrk: %d answers of 400 or above; socket errors: connect %d, read %d, write %d, timeout %d",
			st.Non2xx, st.Connect, st.Read, st.Write, st.Timeout)
	}
	return l
}

// exec runs one wrk process against t for d and returns its standard
// output and the CPU time it used. wrk's -d takes whole seconds: a d that
// is not is rounded up and wrk is interrupted at d, after which it prints
// its figures for the time it really ran, as it does at its own end.
func (c *wrkClient) exec(ctx context.Context, conns int, d time.Duration, t target) (string, time.Duration, error) {
	c.runs++
	args := []string{"-t", strconv.Itoa(min(runtime.GOMAXPROCS(0), conns)), "-c", strconv.Itoa(conns),
		"-d", fmt.Sprintf("%ds", int64(math.Ceil(d.Seconds()))), "--timeout", wrkTimeout, "--latency"}
	if t.method == http.MethodGet {
		for i := 0; i+1 < len(t.headers); i += 2 {
			args = append(args, "-H", t.headers[i]+": "+t.headers[i+1])
		}
	} else {
		f, err := os.CreateTemp("", "switchboard-load-*.lua")
		if err != nil {
			return "", 0, err
		}
		defer os.Remove(f.Name())
		_, err = f.WriteString(wrkScript(t, c.runs))
		if err = errors.Join(err, f.Close()); err != nil {
			return "", 0, err
		}
		args = append(args, "-s", f.Name())
	}
	args = append(args, t.url)

	cmd := exec.CommandContext(ctx, c.path, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		return "", 0, fmt.Errorf("wrk: %w", err)
	}
	if d%time.Second != 0 {
		stop := time.AfterFunc(d, func() { cmd.Process.Signal(os.Interrupt) })
		defer stop.Stop()
	}
	err := cmd.Wait()
	var used time.Duration
	if cmd.ProcessState != nil {
		used = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	// wrk reports a script it cannot load on standard error, then sends
	// GETs instead and exits with status 0: anything there is a failure.
	msg := firstLine(stderr.String())
	switch {
	case err != nil && msg != "":
		err = fmt.Errorf("%w: %s", err, msg)
	case msg != "":
		err = errors.New(msg)
	}
	if err != nil {
		return stdout.String(), used, fmt.Errorf("wrk %s: %w", strings.Join(args, " "), err)
	}
	return stdout.String(), used, nil
}

// wrkScript is the Lua script of a POST target: its method, headers and
// body, or, for account creation, a request() making a new address each
// time, new<run>x<thread>x<n>@domain, unique across threads (numbered
// by setup, which runs in wrk's main Lua state) and wrk processes (run),
// so that none is refused as a duplicate.
func wrkScript(t target, run int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "wrk.method = %s\n", luaString(t.method))
	for i := 0; i+1 < len(t.headers); i += 2 {
		fmt.Fprintf(&b, "wrk.headers[%s] = %s\n", luaString(t.headers[i]), luaString(t.headers[i+1]))
	}
	if t.account == nil {
		fmt.Fprintf(&b, "wrk.body = %s\n", luaString(t.body))
		return b.String()
	}
	// The body around the local part, which is letters and digits only.
	const before = `{"email":"`
	after := strings.TrimPrefix(t.account.body(""), before)
	fmt.Fprintf(&b, `local before, after = %s, %s
local threads = 0
function setup(thread)
	threads = threads + 1
	thread:set("id", threads)
end
local n = 0
function request()
	n = n + 1
	return wrk.format(nil, nil, nil, before .. "new%dx" .. id .. "x" .. n .. after)
end
`, luaString(before), luaString(after), run)
	return b.String()
}

// luaString is s as a Lua string literal: quotes and backslashes escaped,
// and every byte outside printable ASCII as a three-digit decimal escape
// (three digits, so that a digit after it is not read as its own).
func luaString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, "\\%03d", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// wrkStats are the figures of one wrk run, as it prints them.
type wrkStats struct {
	Requests int64         // answers read, whatever their status ("N requests in D")
	Duration time.Duration // the time wrk ran
	RPS      float64       // Requests/sec
	P50, P99 time.Duration // from --latency's distribution, of every answer
	Non2xx   int64         // "Non-2xx or 3xx responses": answers of 400 and above
	// Socket errors; a timeout is an answer slower than --timeout, which
	// may still have arrived and been counted in Requests.
	Connect, Read, Write, Timeout int64
}

// errors are the failures of a run: answers of 400 and above and socket
// errors.
func (s wrkStats) errors() int64 {
	return s.Non2xx + s.Connect + s.Read + s.Write + s.Timeout
}

// parseWrk reads the standard output of wrk --latency, for example:
//
//	Running 1s test @ http://127.0.0.1:34563/
//	  2 threads and 8 connections
//	  ...
//	  Latency Distribution
//	     50%  221.00us
//	     ...
//	     99%    3.06ms
//	  31086 requests in 1.10s, 3.59MB read
//	  Socket errors: connect 0, read 22, write 0, timeout 8
//	  Non-2xx or 3xx responses: 22
//	Requests/sec:  28252.68
//	Transfer/sec:      3.26MB
//
// The request count, duration, rate and both percentiles must be there;
// the error lines are there only when there were errors.
func parseWrk(out string) (wrkStats, error) {
	var s wrkStats
	var seen struct{ total, rps, p50, p99 bool }
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		var err error
		switch {
		case len(f) == 6 && f[1] == "requests" && f[2] == "in" && f[5] == "read":
			if s.Requests, err = wrkCount(f[0]); err == nil {
				s.Duration, err = wrkTime(strings.TrimSuffix(f[3], ","))
			}
			seen.total = true
		case len(f) == 2 && f[0] == "Requests/sec:":
			s.RPS, err = strconv.ParseFloat(f[1], 64)
			if err == nil && (s.RPS < 0 || math.IsInf(s.RPS, 0) || math.IsNaN(s.RPS)) {
				err = fmt.Errorf("rate %q", f[1])
			}
			seen.rps = true
		case len(f) == 2 && f[0] == "50%":
			s.P50, err = wrkTime(f[1])
			seen.p50 = true
		case len(f) == 2 && f[0] == "99%":
			s.P99, err = wrkTime(f[1])
			seen.p99 = true
		case len(f) == 5 && f[0] == "Non-2xx" && f[3] == "responses:":
			s.Non2xx, err = wrkCount(f[4])
		case len(f) == 10 && f[0] == "Socket" && f[1] == "errors:" && f[2] == "connect" && f[4] == "read" && f[6] == "write" && f[8] == "timeout":
			for _, c := range []struct {
				n *int64
				s string
			}{{&s.Connect, f[3]}, {&s.Read, f[5]}, {&s.Write, f[7]}, {&s.Timeout, f[9]}} {
				if *c.n, err = wrkCount(strings.TrimSuffix(c.s, ",")); err != nil {
					break
				}
			}
		}
		if err != nil {
			return wrkStats{}, fmt.Errorf("wrk's output: %q: %w", strings.TrimSpace(line), err)
		}
	}
	switch {
	case !seen.total || !seen.rps:
		return wrkStats{}, fmt.Errorf("wrk's output has no request count or rate: %q", firstLine(out))
	case !seen.p50 || !seen.p99:
		return wrkStats{}, errors.New("wrk's output has no latency distribution (--latency)")
	case s.Non2xx > s.Requests:
		return wrkStats{}, fmt.Errorf("wrk's output: %d answers of 400 and above, of %d", s.Non2xx, s.Requests)
	}
	return s, nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

// wrkCount is a count as wrk prints it: a non-negative integer.
func wrkCount(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err == nil && n < 0 {
		err = fmt.Errorf("negative count %d", n)
	}
	return n, err
}

// wrkTime is a time as wrk prints it: a non-negative decimal and a unit,
// us, ms, s, m or h ("221.00us", "1.10s", "2.00m").
func wrkTime(s string) (time.Duration, error) {
	for _, u := range []struct {
		suffix string
		unit   time.Duration
	}{{"us", time.Microsecond}, {"ms", time.Millisecond}, {"s", time.Second}, {"m", time.Minute}, {"h", time.Hour}} {
		num, ok := strings.CutSuffix(s, u.suffix)
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, fmt.Errorf("time %q: %w", s, err)
		}
		// NaN fails every comparison; the upper bound keeps the
		// conversion to an int64 in range.
		if !(v >= 0 && v*float64(u.unit) < math.MaxInt64/2) {
			return 0, fmt.Errorf("time %q out of range", s)
		}
		return time.Duration(math.Round(v * float64(u.unit))), nil
	}
	return 0, fmt.Errorf("time %q has no unit", s)
}
