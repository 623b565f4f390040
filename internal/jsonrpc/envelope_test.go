package jsonrpc

import (
	"bytes"
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

// envelopeCases are Request objects whose members readEnvelope must read
// as encoding/json does: repeated members, whitespace everywhere, nested
// values holding braces and quotes in strings, every kind of value, and
// escaped member names (left to encoding/json).
var envelopeCases = []string{
	`{}`,
	` { } `,
	`{"jsonrpc":"2.0","id":1,"method":"domain.list","params":{}}`,
	"{\n\t\"jsonrpc\" : \"2.0\" ,\r\n \"method\"\t:\"x\" , \"id\" : null }",
	`{"id":1,"id":"two","id":[3]}`,
	`{"params":{"a":"}","b":["]",{"c":"\"{"}]},"method":"m"}`,
	`{"params":[1,2,[3,{"x":[]}]],"id":-1.5e+3}`,
	`{"id":true,"jsonrpc":false,"method":null,"params":0}`,
	`{"other":{"id":2},"id":3}`,
	`{"\u0069d":1,"method":"m"}`,
	`{"id":1,"\u0069d":2}`,
	`{"me\thod":"x","method\"":"y"}`,
	`{"id":"\"\\\u00e9"}`,
	`{"method":"\u0064omain.list"}`,
	"{\"id\":\"\xff\xfe\"}",
	`{"ID":1,"Method":"m","JSONRPC":"2.0"}`,
	`{"params":""}`,
}

// FuzzEnvelope checks readEnvelope against encoding/json's map on any
// valid JSON object: the same members, byte for byte, whenever readEnvelope
// answers; and that it answers whenever no member name holds an escape.
func FuzzEnvelope(f *testing.F) {
	for _, c := range envelopeCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		raw = trimSpace(raw)
		if len(raw) == 0 || raw[0] != '{' || !json.Valid(raw) {
			return
		}
		want, _ := envelopeOfMap(raw)
		got, ok := readEnvelope(raw)
		if !ok {
			if !bytes.Contains(raw, []byte(`\`)) {
				t.Fatalf("%q: left to encoding/json without an escape", raw)
			}
			return
		}
		if got.hasID != want.hasID || !bytes.Equal(got.id, want.id) || !bytes.Equal(got.version, want.version) ||
			!bytes.Equal(got.method, want.method) || !bytes.Equal(got.params, want.params) {
			t.Fatalf("%q:\n got %+v\nwant %+v", raw, got, want)
		}
	})
}

// TestEnvelopeOfEveryCase runs the fuzz target's seeds, and checks that
// readEnvelope itself answered for those without an escaped name.
func TestEnvelopeOfEveryCase(t *testing.T) {
	for _, c := range envelopeCases {
		raw := trimSpace([]byte(c))
		want, _ := envelopeOfMap(raw)
		got, ok := readEnvelope(raw)
		escaped := strings.Contains(c, `{"\u`) || strings.Contains(c, `,"\u`) || strings.Contains(c, `"me\thod"`)
		if ok == escaped {
			t.Errorf("%s: readEnvelope answered %v", c, ok)
			continue
		}
		if ok && (got.hasID != want.hasID || string(got.id) != string(want.id) || string(got.version) != string(want.version) ||
			string(got.method) != string(want.method) || string(got.params) != string(want.params)) {
			t.Errorf("%s:\n got %+v\nwant %+v", c, got, want)
		}
	}
}
