package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"
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
// million rows is served with flat memory. Nothing is written before the
// first row, so an error found before it still gets a proper error answer.
type stream struct {
	w       http.ResponseWriter
	out     *progressWriter
	key     string
	started bool
	n       int
	buf     bytes.Buffer  // the item being written
	enc     *json.Encoder // into buf
	raw     []byte        // the item being written, by a jsonAppender
}

func (s *Server) newStream(w http.ResponseWriter, key string) *stream {
	return &stream{w: w, out: s.progressWriter(w), key: key}
}

func (s *stream) start() error {
	s.started = true
	s.w.Header().Set("Content-Type", "application/json")
	s.w.Header().Set("Cache-Control", "no-store")
	s.w.WriteHeader(http.StatusOK)
	_, err := s.out.Write([]byte(`{"` + s.key + `":[`))
	return err
}

func (s *stream) item(v any) error {
	if !s.started {
		if err := s.start(); err != nil {
			return err
		}
	}
	// One buffer and one encoder serve the whole list, and the comma goes
	// out with its item: a list of a million rows makes no garbage per row
	// beyond what encoding/json itself needs.
	comma := s.n > 0
	s.n++
	if a, ok := v.(jsonAppender); ok {
		if s.raw == nil {
			s.raw = make([]byte, 0, 512) // a row's, and grown once for a longer one
		}
		s.raw = s.raw[:0]
		if comma {
			s.raw = append(s.raw, ',')
		}
		s.raw = a.appendJSON(s.raw)
		_, err := s.out.Write(s.raw)
		return err
	}
	s.buf.Reset()
	if comma {
		s.buf.WriteByte(',')
	}
	if s.enc == nil {
		s.enc = json.NewEncoder(&s.buf)
	}
	if err := s.enc.Encode(v); err != nil {
		return err
	}
	b := s.buf.Bytes()
	_, err := s.out.Write(b[:len(b)-1]) // without the newline Encode adds
	return err
}

// finish closes the list. An error after the first row cannot change the
// status any more: the connection is aborted so the client sees a broken
// response rather than a short list that looks complete.
func (s *stream) finish(err error) error {
	if err != nil {
		if s.started {
			panic(http.ErrAbortHandler)
		}
		return err
	}
	if !s.started {
		if err := s.start(); err != nil {
			return err
		}
	}
	_, err = s.out.Write([]byte("]}\n"))
	return err
}
