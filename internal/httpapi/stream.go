package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/switchboard/switchboard/internal/httpcork"
)

// Streamed answers (lists, domain exports) may rightly take longer than any
// fixed write timeout, so instead they get a write deadline that moves on as
// the client takes data: a client that takes nothing for the stall time
// (Config.StreamStall) loses the connection and frees its handler, and no
// streamed answer lasts beyond StreamMax. Lists are also cut by the request
// timeout, since each chunk they read needs the request's context.
const (
	DefaultStreamStall = 30 * time.Second
	StreamMax          = 2 * time.Hour
)

// progressWriter extends the connection's write deadline, at most once a
// second, before each write of a streamed answer.
type progressWriter struct {
	w        io.Writer
	rc       *http.ResponseController
	stall    time.Duration
	end      time.Time
	extended time.Time
}

func (s *Server) progressWriter(w http.ResponseWriter) *progressWriter {
	return &progressWriter{w: w, rc: http.NewResponseController(w), stall: s.stall, end: time.Now().Add(StreamMax)}
}

func (p *progressWriter) Write(b []byte) (int, error) {
	if now := time.Now(); now.Sub(p.extended) >= time.Second {
		p.extended = now
		deadline := now.Add(p.stall)
		if deadline.After(p.end) {
			deadline = p.end
		}
		// A writer without deadlines (a test recorder) just writes.
		if err := p.rc.SetWriteDeadline(deadline); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return 0, err
		}
	}
	return p.w.Write(b)
}

// stream writes {"<key>":[item,item,...]} as rows arrive, so a list of a
// million rows is served with flat memory.
//
// The rows gather in one buffer, written out whenever it holds streamChunk
// bytes. An answer shorter than that (a page, the usual list) is written at
// finish, in one write with its Content-Length: each write of a few
// kilobytes costs a system call, a third of a page's handler time when
// rows went out in the connection's 4 KiB. Nothing is written before the
// first chunk, so an error found before it still gets a proper error answer.
type stream struct {
	w    http.ResponseWriter
	r    *http.Request
	out  *progressWriter
	sent bool          // a chunk went out: the status is written
	n    int           // items
	buf  *[]byte       // the answer not yet written
	enc  *json.Encoder // for items without appendJSON, into ebuf
	ebuf bytes.Buffer
}

// streamChunk is how much of a streamed answer is held before it is
// written: a page of 100 accounts is about 13 KB.
const streamChunk = 64 << 10

// streamBufs keeps the buffers of finished streams for the next ones.
var streamBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

func (s *Server) newStream(w http.ResponseWriter, r *http.Request, key string) *stream {
	buf := streamBufs.Get().(*[]byte)
	*buf = append((*buf)[:0], `{"`+key+`":[`...)
	return &stream{w: w, r: r, out: s.progressWriter(w), buf: buf}
}

func (s *stream) item(v any) error {
	b := *s.buf
	if s.n > 0 {
		b = append(b, ',')
	}
	s.n++
	if a, ok := v.(jsonAppender); ok {
		b = a.appendJSON(b)
	} else {
		s.ebuf.Reset()
		if s.enc == nil {
			s.enc = json.NewEncoder(&s.ebuf)
		}
		if err := s.enc.Encode(v); err != nil {
			*s.buf = b
			return err
		}
		e := s.ebuf.Bytes()
		b = append(b, e[:len(e)-1]...) // without the newline Encode adds
	}
	*s.buf = b
	if len(b) >= streamChunk {
		return s.send()
	}
	return nil
}

// send writes what the buffer holds, after the status if it is the first.
func (s *stream) send() error {
	if !s.sent {
		s.sent = true
		s.header()
		s.w.WriteHeader(http.StatusOK)
	}
	_, err := s.out.Write(*s.buf)
	*s.buf = (*s.buf)[:0]
	return err
}

func (s *stream) header() {
	s.w.Header().Set("Content-Type", "application/json")
	s.w.Header().Set("Cache-Control", "no-store")
}

// finish closes the list and gives its buffer back. An error after the
// first chunk cannot change the status any more: the connection is aborted
// so the client sees a broken response rather than a short list that looks
// complete. An error before it drops what was gathered, for the handler's
// error answer.
func (s *stream) finish(err error) error {
	defer s.release()
	if err != nil {
		if s.sent {
			panic(http.ErrAbortHandler)
		}
		return err
	}
	*s.buf = append(*s.buf, "]}\n"...)
	if s.sent {
		err = s.send()
	} else { // the whole answer: in one segment (httpcork)
		s.sent = true
		s.header()
		err = httpcork.WriteThrough(s.w, s.out, s.r, http.StatusOK, *s.buf)
	}
	if err != nil {
		// The status is out and the client has gone (or stalled past the
		// deadline): there is no answer left to give it.
		panic(http.ErrAbortHandler)
	}
	return nil
}

func (s *stream) release() {
	if s.buf != nil && cap(*s.buf) <= 2*streamChunk { // an item far beyond a chunk is not kept
		streamBufs.Put(s.buf)
	}
	s.buf = nil
}
