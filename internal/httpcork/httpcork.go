// Package httpcork writes a whole HTTP answer in one write, so that it
// leaves in one TCP segment.
//
// An answer of more than a few kilobytes leaves net/http in two writes: its
// connection buffer is 4 KiB, so the header and the body's start go out
// first and the rest follows. On Linux each write is a segment of its own,
// and the client wakes up for each. Write gathers the answer's writes on
// the connection (accepted by Listener) and hands them to the kernel in one
// write. This is what nginx's tcp_nopush does with TCP_CORK, without the
// two setsockopt calls a cork costs. Under wrk a 12.7 KB page took 30 µs of
// the server's CPU as net/http writes it and 23 µs corked (3 December);
// on a slower machine, 47–54 µs corked and 43–45 gathered (4 December,
// docs/performance.md).
package httpcork

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
)

// Bounds on the bodies gathered: a smaller one fits the connection's 4 KiB
// buffer with its header and leaves in one write anyway; a bigger one
// leaves in several segments whatever is done, and is written as it comes
// rather than copied once more.
const (
	gatherMin = 3 << 10
	gatherMax = 256 << 10
	keepMax   = 64 << 10 // the biggest gathering buffer kept for the next answer
)

var gatherBufs = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// Listener returns l with its connections able to gather an answer's
// writes for Write. A server whose listener it wraps sets ConnContext too.
func Listener(l net.Listener) net.Listener { return listener{l} }

type listener struct{ net.Listener }

func (l listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &Conn{Conn: c}, nil
}

// Conn is a connection Listener accepted. Outside Write it writes straight
// through.
type Conn struct {
	net.Conn
	mu  sync.Mutex
	buf *[]byte // non-nil while an answer is gathered
}

// NetConn returns the connection beneath.
func (c *Conn) NetConn() net.Conn { return c.Conn }

// Write writes p, or keeps it while an answer is gathered.
func (c *Conn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.buf != nil {
		*c.buf = append(*c.buf, p...)
		c.mu.Unlock()
		return len(p), nil
	}
	c.mu.Unlock()
	return c.Conn.Write(p)
}

// ReadFrom lets net/http reach the connection's own ReadFrom (sendfile,
// splice) outside Write.
func (c *Conn) ReadFrom(r io.Reader) (int64, error) {
	c.mu.Lock()
	gathering := c.buf != nil
	c.mu.Unlock()
	if rf, ok := c.Conn.(io.ReaderFrom); ok && !gathering {
		return rf.ReadFrom(r)
	}
	return io.Copy(writerOnly{c}, r)
}

type writerOnly struct{ io.Writer }

// CloseWrite shuts the connection's writing side, as net/http does before
// it closes a connection it refused.
func (c *Conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

func (c *Conn) gather() {
	c.mu.Lock()
	c.buf = gatherBufs.Get().(*[]byte)
	c.mu.Unlock()
}

// send writes what was gathered, in one write, and stops gathering.
func (c *Conn) send() error {
	c.mu.Lock()
	b := c.buf
	c.buf = nil
	c.mu.Unlock()
	if b == nil {
		return nil
	}
	var err error
	if len(*b) > 0 {
		_, err = c.Conn.Write(*b)
	}
	if cap(*b) <= keepMax {
		*b = (*b)[:0]
		gatherBufs.Put(b)
	}
	return err
}

type connKey struct{}

// ConnContext is the http.Server ConnContext of a server whose handlers
// write with Write: it keeps the request's connection, if Listener accepted
// it (beneath TLS, if any), for the writes that gather on it.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	if gc, ok := beneathTLS(c).(*Conn); ok {
		return context.WithValue(ctx, connKey{}, gc)
	}
	return ctx
}

// beneathTLS is the connection beneath TLS, if any.
func beneathTLS(c net.Conn) net.Conn {
	if t, ok := c.(*tls.Conn); ok {
		return t.NetConn()
	}
	return c
}

// Write writes body as the whole answer with status, after the header w
// holds: with its Content-Length (without one, net/http sends a body
// beyond its 2 KiB buffer chunked, and the last chunk after the handler
// returns), and flushed.
func Write(w http.ResponseWriter, r *http.Request, status int, body []byte) error {
	return WriteThrough(w, w, r, status, body)
}

// WriteThrough is Write with the body written through out, a writer on w
// (one that moves the write deadline on, say). The writes are gathered
// into one when the request came over HTTP/1 on a connection of Listener
// that ConnContext kept, and the body is big enough to need two writes.
// HTTP/2 is left alone: its frames are written by the connection's own
// goroutine, after the handler's flush returns.
func WriteThrough(w http.ResponseWriter, out io.Writer, r *http.Request, status int, body []byte) (err error) {
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	c, _ := r.Context().Value(connKey{}).(*Conn)
	if c == nil || r.ProtoMajor != 1 || len(body) < gatherMin || len(body) > gatherMax {
		w.WriteHeader(status)
		_, err := out.Write(body)
		return err
	}
	// Sent whatever happens, a panic included: what is gathered and not
	// sent would never leave.
	c.gather()
	defer func() {
		if serr := c.send(); err == nil {
			err = serr
		}
	}()
	w.WriteHeader(status)
	if _, err := out.Write(body); err != nil {
		return err
	}
	return http.NewResponseController(w).Flush()
}
