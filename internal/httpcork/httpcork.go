// Package httpcork writes a whole HTTP answer in one TCP segment.
//
// An answer of more than a few kilobytes leaves net/http in two writes: its
// connection buffer is 4 KiB, so the header and the body's start go out
// first and the rest follows. On Linux each write is a segment of its own,
// and the client wakes up for each. Like nginx's tcp_nopush, Write corks
// the socket for the answer's writes and uncorks it after the flush, so the
// answer leaves in one segment: under wrk a 12.7 KB page went from 30 to
// 23 µs of the server's CPU and from 18 to 13 µs of the client's
// (docs/performance.md).
package httpcork

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strconv"
	"syscall"
)

// corkMin is the smallest body worth corking for: a smaller one fits the
// connection's 4 KiB buffer with its header and leaves in one write anyway.
const corkMin = 3 << 10

type connKey struct{}

// ConnContext is the http.Server ConnContext of a server whose handlers
// write with Write: it keeps the request's TCP connection (beneath TLS, if
// any) for the writes that cork it.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	if sc, ok := tcpConn(c); ok {
		return context.WithValue(ctx, connKey{}, sc)
	}
	return ctx
}

// tcpConn is the connection beneath TLS, if any, as a syscall.Conn.
func tcpConn(c net.Conn) (syscall.Conn, bool) {
	if t, ok := c.(*tls.Conn); ok {
		c = t.NetConn()
	}
	sc, ok := c.(syscall.Conn)
	return sc, ok
}

// Write writes body as the whole answer with status, after the header w
// holds: with its Content-Length (without one, net/http sends a body
// beyond its 2 KiB buffer chunked, and the last chunk after the handler
// returns, past the cork), and flushed.
func Write(w http.ResponseWriter, r *http.Request, status int, body []byte) error {
	return WriteThrough(w, w, r, status, body)
}

// WriteThrough is Write with the body written through out, a writer on w
// (one that moves the write deadline on, say). The writes are corked when
// the request came over HTTP/1 on a connection ConnContext kept, the body
// is big enough to need two writes, and the system has TCP_CORK (Linux).
// HTTP/2 is left alone: its frames are written by the connection's own
// goroutine, after the handler's flush returns.
func WriteThrough(w http.ResponseWriter, out io.Writer, r *http.Request, status int, body []byte) error {
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	sc, _ := r.Context().Value(connKey{}).(syscall.Conn)
	if sc == nil || r.ProtoMajor != 1 || len(body) < corkMin || !setCork(sc, true) {
		_, err := out.Write(body)
		return err
	}
	// Uncorked whatever happens: a socket left corked holds the answer's
	// last segment for 200 ms.
	defer setCork(sc, false)
	if _, err := out.Write(body); err != nil {
		return err
	}
	return http.NewResponseController(w).Flush()
}
