package main

import (
	"context"
	"math"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// wrk's percentiles of several rounds add up as their mean weighted by
// the requests of each, and a round without requests weighs nothing.
func TestLoadAddsWrkPercentilesWeightedByRequests(t *testing.T) {
	var l load
	for _, r := range []load{
		{requests: 300, p50: 1 * time.Millisecond, p99: 10 * time.Millisecond, cpu: 3 * time.Millisecond, clientCPU: time.Millisecond},
		{requests: 100, p50: 5 * time.Millisecond, p99: 30 * time.Millisecond, cpu: time.Millisecond, clientCPU: time.Millisecond},
		{errors: 1, firstErr: "wrk: broken"},
	} {
		l.add(r)
	}
	p50, p99 := l.percentiles()
	if p50 != 2*time.Millisecond || p99 != 15*time.Millisecond {
		t.Errorf("p50 %v, p99 %v; want 2ms and 15ms", p50, p99)
	}
	if l.requests != 400 || l.errors != 1 || l.cpu != 4*time.Millisecond || l.clientCPU != 2*time.Millisecond || l.firstErr != "wrk: broken" {
		t.Errorf("added up to %+v", l)
	}
}

// The Go client's latencies make its percentiles, whatever p50 and p99
// hold.
func TestLoadPercentilesAreTheGoClientsLatencies(t *testing.T) {
	l := load{requests: 4, lat: []time.Duration{4, 1, 3, 2}, p50: time.Hour, p99: time.Hour}
	if p50, p99 := l.percentiles(); p50 != 2 || p99 != 4 {
		t.Errorf("p50 %v, p99 %v; want 2ns and 4ns", p50, p99)
	}
}

// The create row's ratio beside PostgreSQL: the ceiling less the share of
// the cores PostgreSQL's CPU takes a creation, with the hash's CPU time
// from the ceiling's row; nothing without PostgreSQL's CPU or a ceiling.
func TestBesideDatabaseSetsAsideThePostgreSQLShare(t *testing.T) {
	for _, tc := range []struct {
		name      string
		ceiling   *Row
		createDB  time.Duration
		createRPS float64
		want      float64
		noNote    bool
	}{
		// 100 hashes/s of 15 ms; 1.5 ms of PostgreSQL a creation leaves
		// 100 * 15/16.5 = 90.9/s: 85 creations/s are 0.935 of it.
		{"PostgreSQL's CPU set aside", &Row{Scenario: scCeiling, RPS: 100, CPU: 15 * time.Millisecond}, 1500 * time.Microsecond, 85, 85 / (100 * 15 / 16.5), false},
		{"no PostgreSQL's CPU (SQLite)", &Row{Scenario: scCeiling, RPS: 100, CPU: 15 * time.Millisecond}, 0, 85, 0, true},
		{"no ceiling row", nil, 1500 * time.Microsecond, 85, 0, true},
		{"a ceiling without CPU time", &Row{Scenario: scCeiling, RPS: 100}, 1500 * time.Microsecond, 85, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows := []Row{{Scenario: scBare, RPS: 1000}}
			if tc.ceiling != nil {
				rows = append(rows, *tc.ceiling)
			}
			rows = append(rows, Row{Scenario: scCreate, RPS: tc.createRPS, DBCPU: tc.createDB, Ratio: 0.85})
			besideDatabase(rows)
			got := rows[len(rows)-1]
			if math.Abs(got.BesideDB-tc.want) > 1e-9 {
				t.Errorf("BesideDB = %v, want %v", got.BesideDB, tc.want)
			}
			if got.Ratio != 0.85 {
				t.Errorf("the ratio column changed: %v", got.Ratio)
			}
			note := got.cells()[9]
			if has := strings.Contains(note, "left beside PostgreSQL"); has == tc.noNote {
				t.Errorf("note %q: mentions the ratio beside PostgreSQL = %v", note, has)
			}
		})
	}
}

// The ceiling's warm-up hashes are not counted: each goroutine makes
// warmHashes of them however short the warm-up, and the measured ones
// follow; the slow first hashes, whose memory is faulted back in, stay
// out of the ceiling.
func TestCeilingLeavesOutItsWarmUp(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	for _, tc := range []struct {
		name string
		d    time.Duration
	}{
		{"no measured time", 0},
		{"a measured window", 30 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int64
			hash := func(context.Context, string) (string, error) {
				n := calls.Add(1)
				if n <= int64(procs) {
					time.Sleep(50 * time.Millisecond) // a cold first hash
				} else {
					time.Sleep(time.Millisecond)
				}
				return "h", nil
			}
			out := hashCeiling(context.Background(), meter{}, hash, 0, tc.d)
			warm := calls.Load() - out.requests
			if warm != int64(procs*warmHashes) {
				t.Errorf("%d calls, %d counted: %d uncounted, want %d (warmHashes on each of %d goroutines)",
					calls.Load(), out.requests, warm, procs*warmHashes, procs)
			}
			if tc.d == 0 && out.requests != 0 {
				t.Errorf("%d hashes counted in no measured time", out.requests)
			}
			if tc.d > 0 && out.requests == 0 {
				t.Error("no hash counted in the measured window")
			}
			for _, l := range out.lat {
				if l >= 50*time.Millisecond {
					t.Errorf("a cold hash (%v) was counted", l)
				}
			}
		})
	}
}
