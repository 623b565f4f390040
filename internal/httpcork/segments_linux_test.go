package httpcork_test

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/switchboard/switchboard/internal/httpcork"
)

// LastConn keeps the server's side of the last connection to turn active,
// for SegmentsOut.
type LastConn struct {
	mu   sync.Mutex
	conn net.Conn
}

// ConnState is an http.Server ConnState.
func (l *LastConn) ConnState(c net.Conn, s http.ConnState) {
	if s == http.StateActive {
		l.mu.Lock()
		l.conn = c
		l.mu.Unlock()
	}
}

// Segments is SegmentsOut of the last connection.
func (l *LastConn) Segments(t *testing.T) uint32 {
	t.Helper()
	l.mu.Lock()
	c := l.conn
	l.mu.Unlock()
	n, err := httpcork.SegmentsOut(c)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func get(t *testing.T, c *http.Client, url string) int {
	t.Helper()
	res, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", url, res.StatusCode, err)
	}
	return len(b)
}

// A whole answer written with Write leaves the server in one TCP segment
// when its connection came through Listener and was kept (ConnContext), in
// two when it was not (net/http's 4 KiB buffer goes out first), and either
// way nothing is held back after it: a small answer on the same
// connection leaves at once, in one segment; over TLS too. The kernel's count of data segments sent (TCP_INFO's
// tcpi_data_segs_out) is the witness.
func TestWholeAnswerLeavesInOneSegment(t *testing.T) {
	for _, tc := range []struct {
		name     string
		size     int
		keep     bool
		listener bool // Listener without ConnContext, or ConnContext without Listener
		tls      bool
		h2       bool
		segments uint32 // 0: not counted
	}{
		{"13 KB, connection kept: one segment", 13 << 10, true, true, false, false, 1},
		{"13 KB, connection not kept: two segments", 13 << 10, false, false, false, false, 2},
		{"13 KB, Listener without ConnContext: two segments", 13 << 10, false, true, false, false, 2},
		{"13 KB, ConnContext without Listener: two segments", 13 << 10, true, false, false, false, 2},
		{"5 KB, connection kept: one segment", 5 << 10, true, true, false, false, 1},
		{"2 KB, connection kept: one segment", 2 << 10, true, true, false, false, 1},
		{"200 KB, connection kept: every byte", 200 << 10, true, true, false, false, 0},
		{"13 KB over TLS, connection kept: one segment", 13 << 10, true, true, true, false, 1},
		{"13 KB over TLS, connection not kept: two segments or more", 13 << 10, false, false, true, false, 2},
		{"13 KB over HTTP/2, connection kept: written as net/http writes it", 13 << 10, true, true, true, true, 0}, // crypto/tls's first records are small
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := bytes.Repeat([]byte("x"), tc.size)
			var last LastConn
			var proto atomic.Int32
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				proto.Store(int32(r.ProtoMajor))
				if r.URL.Path == "/small" {
					w.Write([]byte(`{"result":true}`))
					return
				}
				if err := httpcork.Write(w, r, http.StatusOK, body); err != nil {
					t.Error(err)
				}
			}))
			if tc.keep {
				srv.Config.ConnContext = httpcork.ConnContext
			}
			if tc.listener {
				srv.Listener = httpcork.Listener(srv.Listener)
			}
			srv.Config.ConnState = last.ConnState
			c := &http.Client{Transport: &http.Transport{}}
			srv.EnableHTTP2 = tc.h2
			if tc.tls {
				srv.StartTLS() // HTTP/1.1: httptest offers h2 only when asked
				c = srv.Client()
			} else {
				srv.Start()
			}
			defer srv.Close()
			defer c.CloseIdleConnections()

			get(t, c, srv.URL+"/small") // the connection, and its first segments
			before := last.Segments(t)
			if n := get(t, c, srv.URL+"/whole"); n != tc.size {
				t.Fatalf("got %d bytes, want %d", n, tc.size)
			}
			after := last.Segments(t)
			if want := map[bool]int32{false: 1, true: 2}[tc.h2]; proto.Load() != want {
				t.Fatalf("served over HTTP/%d, want HTTP/%d", proto.Load(), want)
			}
			if got := after - before; tc.segments != 0 && got != tc.segments && (tc.keep && tc.listener || got < tc.segments) {
				t.Errorf("the answer left in %d data segments, want %d", got, tc.segments)
			}
			get(t, c, srv.URL+"/small")
			if final := last.Segments(t); !tc.h2 && final-after != 1 {
				t.Errorf("the small answer after it left in %d data segments, want 1", final-after)
			}
		})
	}
}

// A connection of Listener still carries what net/http writes by other
// ways than Write: a file copied through ReadFrom (sendfile), a stream of
// small writes.
func TestListenerConnectionsCarryEveryAnswer(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	body := bytes.Repeat([]byte("0123456789"), 50_000)
	if err := os.WriteFile(file, body, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/file":
			http.ServeFile(w, r, file)
		case "/stream":
			for range 1000 {
				w.Write([]byte("0123456789"))
			}
		}
	}))
	srv.Listener = httpcork.Listener(srv.Listener)
	srv.Config.ConnContext = httpcork.ConnContext
	srv.Start()
	defer srv.Close()
	c := &http.Client{Transport: &http.Transport{}}
	defer c.CloseIdleConnections()
	for range 2 {
		if n := get(t, c, srv.URL+"/file"); n != len(body) {
			t.Errorf("file: got %d bytes, want %d", n, len(body))
		}
		if n := get(t, c, srv.URL+"/stream"); n != 10_000 {
			t.Errorf("stream: got %d bytes, want 10000", n)
		}
	}
}
