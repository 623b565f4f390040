package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

// countingRecorder counts the writes a handler makes to its response.
type countingRecorder struct {
	*httptest.ResponseRecorder
	writes []int // the length of each
}

func (c *countingRecorder) Write(b []byte) (int, error) {
	c.writes = append(c.writes, len(b))
	return c.ResponseRecorder.Write(b)
}

// streamRows writes n rows of a list through a stream and returns what the
// client got, and finish's answer.
func streamRows(t *testing.T, n int, end error) (*countingRecorder, error) {
	t.Helper()
	rec := &countingRecorder{ResponseRecorder: httptest.NewRecorder()}
	st := (&Server{}).newStream(rec, httptest.NewRequest("GET", "/users/7", nil), "users")
	for i := range n {
		u := userJSON{ID: int64(i), DomainID: 7, Email: "user" + strconv.Itoa(i) + "@example.com", quotaJSON: quotaJSON{Quota: 1 << 30}}
		if err := st.item(&u); err != nil {
			t.Fatal(err)
		}
	}
	return rec, st.finish(end)
}

// parsedUsers is the number of users in a list, failing unless it parses.
func parsedUsers(t *testing.T, body []byte) int {
	t.Helper()
	var parsed struct{ Users []userJSON }
	if err := json.Unmarshal(body, &parsed); err != nil {
		t.Fatalf("the list does not parse: %v\n%.200s", err, body)
	}
	return len(parsed.Users)
}

func TestStreamSendsAShortListInOneWrite(t *testing.T) {
	for _, n := range []int{0, 1, 100} {
		rec, err := streamRows(t, n, nil)
		if err != nil {
			t.Fatal(err)
		}
		body := rec.Body.Bytes()
		if len(rec.writes) != 1 {
			t.Errorf("%d rows: %d writes (%v), want one", n, len(rec.writes), rec.writes)
		}
		if got := rec.Header().Get("Content-Length"); got != strconv.Itoa(len(body)) {
			t.Errorf("%d rows: Content-Length %q for a body of %d bytes", n, got, len(body))
		}
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
			t.Errorf("%d rows: status %d, Content-Type %q", n, rec.Code, rec.Header().Get("Content-Type"))
		}
		if got := parsedUsers(t, body); got != n {
			t.Errorf("%d rows sent, %d parsed", n, got)
		}
	}
}

func TestStreamSendsALongListInChunks(t *testing.T) {
	const n = 3000 // about 350 KiB: five chunks and a rest
	rec, err := streamRows(t, n, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.writes) < 4 {
		t.Fatalf("%d writes (%v) for %d bytes", len(rec.writes), rec.writes, rec.Body.Len())
	}
	for i, w := range rec.writes[:len(rec.writes)-1] {
		if w < streamChunk || w > streamChunk+512 { // a chunk, and at most the row that filled it
			t.Errorf("write %d is %d bytes, want a chunk of %d", i, w, streamChunk)
		}
	}
	if got := rec.Header().Get("Content-Length"); got != "" {
		t.Errorf("a list sent in chunks has Content-Length %q", got)
	}
	if got := parsedUsers(t, rec.Body.Bytes()); got != n {
		t.Errorf("%d rows sent, %d parsed", n, got)
	}
}

// An error before the first chunk went out is the handler's to answer:
// nothing of the list is written.
func TestStreamErrorBeforeTheFirstChunkWritesNothing(t *testing.T) {
	boom := errors.New("the database went away")
	rec, err := streamRows(t, 100, boom)
	if !errors.Is(err, boom) {
		t.Fatalf("finish returned %v, want %v", err, boom)
	}
	if len(rec.writes) != 0 || rec.Body.Len() != 0 {
		t.Fatalf("%d writes (%q) before the error answer", len(rec.writes), rec.Body.String())
	}
	rec.WriteHeader(http.StatusServiceUnavailable) // the handler still can
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("the status is %d: the stream wrote one", rec.Code)
	}
}

// An error after the first chunk aborts the connection: a client must not
// take a cut list for a whole one.
func TestStreamErrorAfterTheFirstChunkAborts(t *testing.T) {
	defer func() {
		if r := recover(); r != http.ErrAbortHandler {
			t.Fatalf("recovered %v, want http.ErrAbortHandler", r)
		}
	}()
	streamRows(t, 1000, errors.New("the database went away"))
	t.Fatal("finish returned after part of the list was sent")
}

// failingWriter is a client that has gone: every write fails.
type failingWriter struct {
	header  http.Header
	headers int // WriteHeader calls
}

func (f *failingWriter) Header() http.Header { return f.header }
func (f *failingWriter) WriteHeader(int)     { f.headers++ }
func (f *failingWriter) Write([]byte) (int, error) {
	return 0, errors.New("write: broken pipe")
}

// A write that fails once the status is out leaves nothing for the handler
// to answer: the stream aborts the connection, whether the write was the
// only one (a page) or the last of several, and the status went out once.
func TestStreamWriteFailureAborts(t *testing.T) {
	for _, n := range []int{1, 3000} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			w := &failingWriter{header: http.Header{}}
			st := (&Server{}).newStream(w, httptest.NewRequest("GET", "/users/7", nil), "users")
			var err error
			for i := 0; i < n && err == nil; i++ {
				u := userJSON{ID: int64(i), DomainID: 7, Email: "user" + strconv.Itoa(i) + "@example.com"}
				err = st.item(&u)
			}
			defer func() {
				if p := recover(); p != http.ErrAbortHandler {
					t.Errorf("finish after a failed write: panic %v, want http.ErrAbortHandler", p)
				}
				if w.headers != 1 {
					t.Errorf("WriteHeader called %d times, want once", w.headers)
				}
			}()
			_ = st.finish(err)
			t.Error("finish returned after a failed write")
		})
	}
}
