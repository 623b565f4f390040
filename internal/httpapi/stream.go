package httpapi

import (
	"encoding/json"
	"net/http"
)

// stream writes {"<key>":[item,item,...]} as rows arrive, so a list of a
// million rows is served with flat memory. Nothing is written before the
// first row, so an error found before it still gets a proper error answer.
type stream struct {
	w       http.ResponseWriter
	key     string
	started bool
	n       int
}

func newStream(w http.ResponseWriter, key string) *stream {
	return &stream{w: w, key: key}
}

func (s *stream) start() error {
	s.started = true
	s.w.Header().Set("Content-Type", "application/json")
	s.w.Header().Set("Cache-Control", "no-store")
	s.w.WriteHeader(http.StatusOK)
	_, err := s.w.Write([]byte(`{"` + s.key + `":[`))
	return err
}

func (s *stream) item(v any) error {
	if !s.started {
		if err := s.start(); err != nil {
			return err
		}
	}
	if s.n > 0 {
		if _, err := s.w.Write([]byte{','}); err != nil {
			return err
		}
	}
	s.n++
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = s.w.Write(b)
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
	_, err = s.w.Write([]byte("]}\n"))
	return err
}
