package main

import (
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
