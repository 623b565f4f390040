package main

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

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
