package httpapi

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http/httptest"
	"strings"
	"testing"
)

// tricky are strings each of which encoding/json escapes in its own way.
var tricky = []string{
	"", "alice@example.com", "a<b", "a>b", "a&b", `quo"te@x`, `back\slash`, "<script>&amp;", "tab\there", "nl\nx", "\x00\x01\x1f\x7f",
	"é@exämple.org", "日本@例え.jp", "\u2028\u2029", "bad\xffutf8", "\xc3", "emoji😀", strings.Repeat("a", 300),
}

var numbers = []int64{0, 1, -1, 42, math.MaxInt64, math.MinInt64}

// checkRow fails unless v's appendJSON writes what encoding/json's Encoder
// (as the stream used it) writes for v.
func checkRow(t *testing.T, v jsonAppender) {
	t.Helper()
	var want bytes.Buffer
	if err := json.NewEncoder(&want).Encode(v); err != nil {
		t.Fatal(err)
	}
	prefix := []byte("prefix,") // appendJSON appends, it does not overwrite
	got := v.appendJSON(append([]byte(nil), prefix...))
	if !bytes.Equal(got, append(prefix, bytes.TrimSuffix(want.Bytes(), []byte("\n"))...)) {
		t.Fatalf("appendJSON wrote\n%q\nencoding/json writes\n%q", got[len(prefix):], want.Bytes())
	}
}

func TestRowsEncodeAsEncodingJSON(t *testing.T) {
	for _, s := range tricky {
		for _, n := range numbers {
			checkRow(t, &domainJSON{ID: n, Name: s, UsersCount: -n})
			checkRow(t, &userJSON{ID: n, DomainID: n / 2, Email: s,
				quotaJSON: quotaJSON{Quota: n, QuotaMessages: -n, QuotaUsed: n / 3, QuotaUsedMsgs: n / 5}})
		}
	}
}

// The stream writes the same list with and without the appenders.
func TestStreamWritesAppendersAsEncodingJSON(t *testing.T) {
	type plainUser userJSON // the same fields, without appendJSON
	rows := []userJSON{}    // a long list, with rows that fall back to encoding/json
	for i := range 40 * len(tricky) {
		rows = append(rows, userJSON{ID: int64(i), DomainID: 7, Email: tricky[i%len(tricky)], quotaJSON: quotaJSON{Quota: int64(i) << 20}})
	}
	write := func(item func(st *stream, u userJSON) error) string {
		rec := httptest.NewRecorder()
		st := (&Server{}).newStream(rec, httptest.NewRequest("GET", "/users/7", nil), "users")
		for _, u := range rows {
			if err := item(st, u); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.finish(nil); err != nil {
			t.Fatal(err)
		}
		return rec.Body.String()
	}
	fast := write(func(st *stream, u userJSON) error { return st.item(&u) })
	slow := write(func(st *stream, u userJSON) error { p := plainUser(u); return st.item(&p) })
	mixed := write(func(st *stream, u userJSON) error { // appenders and encoding/json in turn
		if u.ID%3 == 0 {
			p := plainUser(u)
			return st.item(&p)
		}
		return st.item(&u)
	})
	if len(fast) < 16<<10 {
		t.Fatalf("the list is %d bytes: too short to cross the connection's 4 KiB buffers", len(fast))
	}
	if mixed != slow {
		t.Fatalf("appenders and encoding/json in turn wrote another list:\n%.300s", mixed)
	}
	if fast != slow {
		t.Fatalf("with appenders:\n%s\nwith encoding/json:\n%s", fast, slow)
	}
	var parsed struct{ Users []userJSON }
	if err := json.Unmarshal([]byte(fast), &parsed); err != nil || len(parsed.Users) != len(rows) {
		t.Fatalf("the list does not parse back: %v, %d rows", err, len(parsed.Users))
	}
}

func FuzzRowJSON(f *testing.F) {
	for _, s := range tricky {
		f.Add(s, int64(1), int64(2), int64(3))
	}
	f.Fuzz(func(t *testing.T, s string, a, b, c int64) {
		checkRow(t, &domainJSON{ID: a, Name: s, UsersCount: b})
		checkRow(t, &userJSON{ID: a, DomainID: b, Email: s, quotaJSON: quotaJSON{Quota: c, QuotaMessages: a ^ b, QuotaUsed: b - c, QuotaUsedMsgs: c}})
	})
}
