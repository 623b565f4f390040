package jsonrpc

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
)

// A successful response is assembled from its members by hand; it must be
// byte for byte what encoding/json writes for it.
func TestResultEnvelopeIsWhatEncodingJSONWrites(t *testing.T) {
	results := []string{`null`, `true`, `"Hello <World> & \u2028"`, `{"a":[1,2,{"b":"c"}]}`, `[]`, `-1.5e3`}
	ids := []string{``, `null`, `1`, `-7`, `1.0e2`, `"x"`, `"<é\u2028>"`, `"a\"b"`, "\"\u2028 \u2029\""}
	for _, res := range results {
		for _, id := range ids {
			r := &response{JSONRPC: "2.0", Result: json.RawMessage(res)}
			if id != "" {
				r.ID = json.RawMessage(id)
			}
			want, err := marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.appendResult(nil); string(got) != string(want) {
				t.Errorf("result %s id %q:\n got %s\nwant %s", res, id, got, want)
			}
		}
	}
}

// jsonString reads a member as encoding/json reads it into a string.
func TestJSONStringIsWhatEncodingJSONReads(t *testing.T) {
	for _, raw := range []string{`"2.0"`, `""`, `"domain.list"`, `"2\u002e0"`, `"a\"b"`, "\"\xff\xfe\"", `"é"`, `"\ud800"`, `1`, `null`, `{}`, `[]`, `true`} {
		var want string
		err := json.Unmarshal([]byte(raw), &want)
		got, ok := jsonString(json.RawMessage(raw))
		isString := err == nil && raw[0] == '"' // null decodes into a string too, leaving it ""
		if ok != isString || got != want {
			t.Errorf("%s: got %q, %v; encoding/json %q, %v", raw, got, ok, want, err)
		}
	}
}

// BenchmarkEnvelope: one call through the server's own decoding and
// encoding, the method doing nothing but decoding its params and returning
// ten small rows (domain.list's shape), to see what the JSON-RPC layer
// itself costs.
func BenchmarkEnvelope(b *testing.B) {
	type row struct {
		Domain string `json:"domain"`
		Count  int    `json:"count"`
	}
	rows := make([]row, 10)
	for i := range rows {
		rows[i] = row{Domain: fmt.Sprintf("d%d.example", i), Count: i}
	}
	s := New(nil)
	s.Register("domain.list", func(_ context.Context, req *Request) (any, error) {
		var p struct {
			Account string `json:"account"`
			Filter  string `json:"filter"`
		}
		if err := DecodeParams(req.Params, &p); err != nil {
			return nil, err
		}
		return rows, nil
	})
	body := `{"jsonrpc":"2.0","id":1,"method":"domain.list","params":{}}`
	for b.Loop() {
		r := httptest.NewRequest("POST", "/v1/", strings.NewReader(body))
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}
