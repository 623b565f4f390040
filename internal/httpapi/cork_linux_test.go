package httpapi

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// segmentServer serves a page of n users through a stream, and a small
// answer at /small, and keeps the server's side of its connections.
type segmentServer struct {
	url  string
	mu   sync.Mutex
	conn net.Conn // the last one to turn active
}

func newSegmentServer(t *testing.T, n int, keepConns bool) *segmentServer {
	t.Helper()
	ss := &segmentServer{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/small" {
			w.Write([]byte(`{"result":true}`))
			return
		}
		st := (&Server{stall: DefaultStreamStall}).newStream(w, r, "users")
		for i := range n {
			u := userJSON{ID: int64(i), DomainID: 7, Email: "user" + strconv.Itoa(i) + "@example.com", quotaJSON: quotaJSON{Quota: 1 << 30}}
			if err := st.item(&u); err != nil {
				t.Error(err)
			}
		}
		if err := st.finish(nil); err != nil {
			t.Error(err)
		}
	})
	srv := httptest.NewUnstartedServer(h)
	if keepConns {
		srv.Config.ConnContext = ConnContext
	}
	srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
		if s == http.StateActive {
			ss.mu.Lock()
			ss.conn = c
			ss.mu.Unlock()
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	ss.url = srv.URL
	return ss
}

// tcpInfo reads the kernel's TCP state of the server's side of the last
// connection, and whether it is corked.
func (ss *segmentServer) tcpInfo(t *testing.T) (*unix.TCPInfo, bool) {
	t.Helper()
	ss.mu.Lock()
	c := ss.conn
	ss.mu.Unlock()
	rc, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var info *unix.TCPInfo
	var cork int
	var ierr, cerr error
	if err := rc.Control(func(fd uintptr) {
		info, ierr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
		cork, cerr = unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_CORK)
	}); err != nil {
		t.Fatal(err)
	}
	if ierr != nil || cerr != nil {
		t.Fatal(ierr, cerr)
	}
	return info, cork != 0
}

func fetch(t *testing.T, c *http.Client, url string) int {
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

// A page written at once leaves the server in one TCP segment when its
// connection is kept (ConnContext, as switchboard serve sets it), in two
// when it is not (net/http's 4 KiB buffer goes out first), and either way
// the socket is uncorked afterwards, so that a small answer on the same
// connection is not held back. The kernel's count of data segments sent
// (TCP_INFO's tcpi_data_segs_out) is the witness.
func TestWholeAnswerLeavesInOneSegment(t *testing.T) {
	for _, tc := range []struct {
		name     string
		rows     int
		keep     bool
		segments uint32
	}{
		{"a page of 100 rows, kept connection: one segment", 100, true, 1},
		{"a page of 100 rows, connection not kept: two segments", 100, false, 2},
		{"a page of 3 rows, kept connection: one segment", 3, true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ss := newSegmentServer(t, tc.rows, tc.keep)
			c := &http.Client{Transport: &http.Transport{}}
			defer c.CloseIdleConnections()
			fetch(t, c, ss.url+"/small") // the connection, and its first segments
			before, _ := ss.tcpInfo(t)
			n := fetch(t, c, ss.url+"/users")
			after, corked := ss.tcpInfo(t)
			if got := after.Data_segs_out - before.Data_segs_out; got != tc.segments {
				t.Errorf("a %d-byte answer left in %d data segments, want %d", n, got, tc.segments)
			}
			if corked {
				t.Error("the connection is still corked after the answer")
			}
			if tc.rows == 100 && n < 4<<10 {
				t.Fatalf("the page is %d bytes: too small to need two writes", n)
			}
			before = after
			fetch(t, c, ss.url+"/small")
			after, _ = ss.tcpInfo(t)
			if got := after.Data_segs_out - before.Data_segs_out; got != 1 {
				t.Errorf("the small answer after it left in %d data segments, want 1", got)
			}
		})
	}
}
