package jsonrpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard/switchboard"
)

// newTestServer returns a Server with a few example methods.
func newTestServer(log *slog.Logger) *Server {
	s := New(log)
	s.Register("echo", func(ctx context.Context, req *Request) (any, error) {
		return struct {
			Params  json.RawMessage `json:"params"`
			Session string          `json:"session"`
			IP      string          `json:"ip"`
		}{req.Params, req.Session, req.RemoteIP}, nil
	})
	s.Register("sum", func(ctx context.Context, req *Request) (any, error) {
		var in struct {
			A int `json:"a"`
			B int `json:"b"`
		}
		if err := DecodeParams(req.Params, &in); err != nil {
			return nil, err
		}
		return in.A + in.B, nil
	})
	s.Register("nothing", func(ctx context.Context, req *Request) (any, error) {
		return nil, nil
	})
	s.Register("panic", func(ctx context.Context, req *Request) (any, error) {
		panic("kaboom")
	})
	s.Register("chan", func(ctx context.Context, req *Request) (any, error) {
		return make(chan int), nil
	})
	s.Register("name", func(ctx context.Context, req *Request) (any, error) {
		return nil, InvalidParams("name is required", "name")
	})
	s.Register("fail", func(ctx context.Context, req *Request) (any, error) {
		var in struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Field   string `json:"field"`
		}
		if err := DecodeParams(req.Params, &in); err != nil {
			return nil, err
		}
		if in.Code == "" {
			return nil, errors.New("plain error with detail db-host-7")
		}
		err := &switchboard.Error{Code: in.Code, Message: in.Message, Field: in.Field, Err: errors.New("cause with detail db-host-7")}
		return nil, err
	})
	return s
}

// serveCase is one HTTP exchange and the exact answer expected.
type serveCase struct {
	name    string
	method  string            // HTTP method; POST when ""
	header  map[string]string // sent as given, without canonicalising the names
	body    string
	status  int
	want    string            // the exact body; "" for none
	headers map[string]string // response headers expected
}

func serveCases() []serveCase {
	const ok = `{"jsonrpc":"2.0","result":3,"id":1}`
	badParams := `{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params: params must be an object"},"id":1}`
	echo := func(params, session string) string {
		return `{"jsonrpc":"2.0","result":{"params":` + params + `,"session":"` + session + `","ip":"127.0.0.1"},"id":1}`
	}
	fail := func(params string) string {
		return `{"jsonrpc":"2.0","method":"fail","params":` + params + `,"id":7}`
	}
	failed := func(errObj string) string {
		return `{"jsonrpc":"2.0","error":` + errObj + `,"id":7}`
	}
	call := `{"jsonrpc":"2.0","method":"sum","params":{"a":1,"b":2},"id":1}`
	// A body of exactly MaxBodyBytes, padded with whitespace, and one byte more.
	fits := call + strings.Repeat(" ", MaxBodyBytes-len(call))
	tooLarge := fits + " "
	var batch strings.Builder
	batch.WriteString("[")
	for i := range MaxBatch + 1 {
		if i > 0 {
			batch.WriteString(",")
		}
		batch.WriteString(`{"jsonrpc":"2.0","method":"nothing"}`)
	}
	batch.WriteString("]")

	return []serveCase{
		{name: "a call with a number id answers with that id", body: call, status: 200, want: ok,
			headers: map[string]string{"Content-Type": "application/json"}},
		{name: "a call with a string id echoes the string",
			body:   `{"jsonrpc":"2.0","method":"sum","params":{"a":1,"b":2},"id":"abc-1"}`,
			status: 200, want: `{"jsonrpc":"2.0","result":3,"id":"abc-1"}`},
		{name: "a fractional id keeps its exact digits",
			body:   `{"jsonrpc":"2.0","method":"sum","params":{"a":1,"b":2},"id":1.50}`,
			status: 200, want: `{"jsonrpc":"2.0","result":3,"id":1.50}`},
		{name: "a huge id keeps its exact digits",
			body:   `{"id":123456789012345678901234567890e2,"jsonrpc":"2.0","method":"sum","params":{"a":1,"b":2}}`,
			status: 200, want: `{"jsonrpc":"2.0","result":3,"id":123456789012345678901234567890e2}`},
		{name: "a string id with markup is echoed unescaped",
			body:   `{"jsonrpc":"2.0","method":"sum","params":{"a":1,"b":2},"id":"<a&b>"}`,
			status: 200, want: `{"jsonrpc":"2.0","result":3,"id":"<a&b>"}`},
		{name: "an explicit null id is a call, not a notification",
			body:   `{"jsonrpc":"2.0","method":"sum","params":{"a":1,"b":2},"id":null}`,
			status: 200, want: `{"jsonrpc":"2.0","result":3,"id":null}`},
		{name: "whitespace around the request is allowed",
			body: "\r\n\t " + call + "\n", status: 200, want: ok},
		{name: "object params reach the method as they were sent",
			body:   `{"jsonrpc":"2.0","method":"echo","params":{"x": [1, 2]},"id":1}`,
			status: 200, want: echo(`{"x":[1,2]}`, "")},
		{name: "absent params reach the method as nil",
			body: `{"jsonrpc":"2.0","method":"echo","id":1}`, status: 200, want: echo("null", "")},
		{name: "empty string params reach the method as nil",
			body: `{"jsonrpc":"2.0","method":"echo","params":"","id":1}`, status: 200, want: echo("null", "")},
		{name: "null params reach the method as nil",
			body: `{"jsonrpc":"2.0","method":"echo","params":null,"id":1}`, status: 200, want: echo("null", "")},
		{name: "empty params leave a method's defaults alone",
			body:   `{"jsonrpc":"2.0","method":"sum","params":"","id":1}`,
			status: 200, want: `{"jsonrpc":"2.0","result":0,"id":1}`},
		{name: "number params are refused",
			body: `{"jsonrpc":"2.0","method":"echo","params":42,"id":1}`, status: 200, want: badParams},
		{name: "non-empty string params are refused",
			body: `{"jsonrpc":"2.0","method":"echo","params":"x","id":1}`, status: 200, want: badParams},
		{name: "boolean params are refused",
			body: `{"jsonrpc":"2.0","method":"echo","params":true,"id":1}`, status: 200, want: badParams},
		{name: "array params are refused: every method takes named params",
			body: `{"jsonrpc":"2.0","method":"sum","params":[1,2],"id":1}`, status: 200, want: badParams},
		{name: "empty array params are refused too",
			body: `{"jsonrpc":"2.0","method":"echo","params":[],"id":1}`, status: 200, want: badParams},
		{name: "an unknown params member is named in the error data",
			body:   `{"jsonrpc":"2.0","method":"sum","params":{"a":1,"c":2},"id":1}`,
			status: 200, want: `{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params: unknown field \"c\"","data":{"field":"c"}},"id":1}`},
		{name: "a params member of the wrong type is named in the error data",
			body:   `{"jsonrpc":"2.0","method":"sum","params":{"a":"1"},"id":1}`,
			status: 200, want: `{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params: a has the wrong type","data":{"field":"a"}},"id":1}`},
		{name: "a method can refuse its params itself",
			body:   `{"jsonrpc":"2.0","method":"name","id":1}`,
			status: 200, want: `{"jsonrpc":"2.0","error":{"code":-32602,"message":"name is required","data":{"field":"name"}},"id":1}`},
		{name: "a method returning nothing gives a null result",
			body: `{"jsonrpc":"2.0","method":"nothing","id":1}`, status: 200, want: `{"jsonrpc":"2.0","result":null,"id":1}`},
		{name: "a notification gets no response",
			body: `{"jsonrpc":"2.0","method":"sum","params":{"a":1}}`, status: 204},
		{name: "a notification of an unknown method gets no response",
			body: `{"jsonrpc":"2.0","method":"nope"}`, status: 204},
		{name: "a notification with bad params gets no response",
			body: `{"jsonrpc":"2.0","method":"sum","params":7}`, status: 204},
		{name: "a notification that panics gets no response",
			body: `{"jsonrpc":"2.0","method":"panic"}`, status: 204},
		{name: "a mixed batch answers the calls in order and skips the notifications",
			body: `[{"jsonrpc":"2.0","method":"sum","params":{"a":1,"b":2},"id":1},` +
				`{"jsonrpc":"2.0","method":"sum","params":{"a":5}},` +
				`{"jsonrpc":"2.0","method":"nope","id":"2"},` +
				`{"foo":"boo"},` +
				`{"jsonrpc":"2.0","method":"nothing","id":null}]`,
			status: 200,
			want: `[{"jsonrpc":"2.0","result":3,"id":1},` +
				`{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":"2"},` +
				`{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request: jsonrpc must be \"2.0\""},"id":null},` +
				`{"jsonrpc":"2.0","result":null,"id":null}]`},
		{name: "a batch of only notifications gets no response",
			body: `[{"jsonrpc":"2.0","method":"sum"},{"jsonrpc":"2.0","method":"nothing"}]`, status: 204},
		{name: "an empty batch is one invalid request",
			body: `[]`, status: 200, want: `{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request: empty batch"},"id":null}`},
		{name: "a batch of non-objects gets one error per element",
			body: `[1,2]`, status: 200,
			want: `[{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request: not an object"},"id":null},` +
				`{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request: not an object"},"id":null}]`},
		{name: "a batch longer than the limit is one invalid request",
			body: batch.String(), status: 200,
			want: `{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request: batch longer than 100"},"id":null}`},
		{name: "a body that is not JSON is a parse error",
			body: `{"jsonrpc":"2.0","method":"sum"`, status: 200,
			want: `{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}`},
		{name: "a batch that is not JSON is one parse error",
			body: `[{"jsonrpc":"2.0","method":"sum","id":1},{"jsonrpc"]`, status: 200,
			want: `{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}`},
		{name: "an empty body is a parse error",
			body: ``, status: 200,
			want: `{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}`},
		{name: "a request that is not an object is invalid",
			body: `"hello"`, status: 200,
			want: `{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request: not an object"},"id":null}`},
		{name: "a wrong jsonrpc version is invalid and keeps the id",
			body: `{"jsonrpc":"1.0","method":"sum","id":3}`, status: 200,
			want: `{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request: jsonrpc must be \"2.0\""},"id":3}`},
		{name: "a numeric jsonrpc version is invalid",
			body: `{"jsonrpc":2.0,"method":"sum","id":3}`, status: 200,
			want: `{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request: jsonrpc must be \"2.0\""},"id":3}`},
		{name: "a method that is not a string is invalid",
			body: `{"jsonrpc":"2.0","method":1,"params":"bar","id":3}`, status: 200,
			want: `{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request: method must be a string"},"id":3}`},
		{name: "a missing method is invalid even without an id",
			body: `{"jsonrpc":"2.0"}`, status: 200,
			want: `{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request: method must be a string"},"id":null}`},
		{name: "an object id is invalid and answered with a null id",
			body: `{"jsonrpc":"2.0","method":"sum","id":{"a":1}}`, status: 200,
			want: `{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request: id must be a string, a number or null"},"id":null}`},
		{name: "an unknown method is not found",
			body: `{"jsonrpc":"2.0","method":"nope","id":1}`, status: 200,
			want: `{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":1}`},
		{name: "a panicking method gives an internal error",
			body: `{"jsonrpc":"2.0","method":"panic","params":{"password":"s3cret"},"id":1}`, status: 200,
			want: `{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error"},"id":1}`},
		{name: "a result that cannot be marshalled gives an internal error",
			body: `{"jsonrpc":"2.0","method":"chan","id":1}`, status: 200,
			want: `{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error"},"id":1}`},
		{name: "an unauthorized error is access denied without detail",
			body:   fail(`{"code":"unauthorized","message":"wrong password","field":"password"}`),
			status: 200, want: failed(`{"code":2,"message":"Access denied"}`)},
		{name: "a forbidden error is access denied too",
			body:   fail(`{"code":"forbidden","message":"not your domain","field":"domain"}`),
			status: 200, want: failed(`{"code":2,"message":"Access denied"}`)},
		{name: "a not found error keeps its message and field",
			body:   fail(`{"code":"not_found","message":"no such mailbox","field":"mailbox"}`),
			status: 200, want: failed(`{"code":3,"message":"no such mailbox","data":{"field":"mailbox"}}`)},
		{name: "a conflict error keeps its message",
			body:   fail(`{"code":"conflict","message":"mailbox exists"}`),
			status: 200, want: failed(`{"code":4,"message":"mailbox exists"}`)},
		{name: "an invalid error keeps its message and field",
			body:   fail(`{"code":"invalid","message":"too short","field":"password"}`),
			status: 200, want: failed(`{"code":5,"message":"too short","data":{"field":"password"}}`)},
		{name: "a rate limit error keeps its message",
			body:   fail(`{"code":"rate_limited","message":"slow down"}`),
			status: 200, want: failed(`{"code":6,"message":"slow down"}`)},
		{name: "a too large error keeps its message and field",
			body:   fail(`{"code":"too_large","message":"quota too big","field":"quota"}`),
			status: 200, want: failed(`{"code":7,"message":"quota too big","data":{"field":"quota"}}`)},
		{name: "an unavailable error keeps its message",
			body:   fail(`{"code":"unavailable","message":"try later"}`),
			status: 200, want: failed(`{"code":8,"message":"try later"}`)},
		{name: "a domain error without a message gets the default one",
			body:   fail(`{"code":"not_found"}`),
			status: 200, want: failed(`{"code":3,"message":"Not found"}`)},
		{name: "an internal error hides its message",
			body:   fail(`{"code":"internal","message":"db-host-7 is down","field":"x"}`),
			status: 200, want: failed(`{"code":-32603,"message":"Internal error"}`)},
		{name: "an unknown domain code is an internal error",
			body:   fail(`{"code":"weird","message":"db-host-7"}`),
			status: 200, want: failed(`{"code":-32603,"message":"Internal error"}`)},
		{name: "a plain error is an internal error",
			body: fail(`""`), status: 200, want: failed(`{"code":-32603,"message":"Internal error"}`)},
		{name: "the session comes from the HPLS-AUTH header",
			header: map[string]string{"HPLS-AUTH": "tok-1"},
			body:   `{"jsonrpc":"2.0","method":"echo","id":1}`, status: 200, want: echo("null", "tok-1")},
		{name: "the session comes from a lower-case hpls-auth header",
			header: map[string]string{"hpls-auth": "tok-2"},
			body:   `{"jsonrpc":"2.0","method":"echo","id":1}`, status: 200, want: echo("null", "tok-2")},
		{name: "the session comes from a bearer authorization header",
			header: map[string]string{"Authorization": "Bearer tok-3"},
			body:   `{"jsonrpc":"2.0","method":"echo","id":1}`, status: 200, want: echo("null", "tok-3")},
		{name: "the bearer scheme is matched without regard to case",
			header: map[string]string{"authorization": "bearer tok-4"},
			body:   `{"jsonrpc":"2.0","method":"echo","id":1}`, status: 200, want: echo("null", "tok-4")},
		{name: "HPLS-AUTH wins over a bearer header",
			header: map[string]string{"HPLS-AUTH": "tok-5", "Authorization": "Bearer tok-6"},
			body:   `{"jsonrpc":"2.0","method":"echo","id":1}`, status: 200, want: echo("null", "tok-5")},
		{name: "a basic authorization header is no session",
			header: map[string]string{"Authorization": "Basic dXNlcjpwdw=="},
			body:   `{"jsonrpc":"2.0","method":"echo","id":1}`, status: 200, want: echo("null", "")},
		{name: "a GET is refused with the allowed method",
			method: http.MethodGet, status: 405,
			want:    `{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request: use POST"},"id":null}`,
			headers: map[string]string{"Allow": "POST", "Content-Type": "application/json"}},
		{name: "a PUT is refused with the allowed method",
			method: http.MethodPut, body: call, status: 405,
			want:    `{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request: use POST"},"id":null}`,
			headers: map[string]string{"Allow": "POST"}},
		{name: "a body of exactly the limit is served", body: fits, status: 200, want: ok},
		{name: "a body over the limit is refused as too large", body: tooLarge, status: 413,
			want: `{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request: body too large"},"id":null}`},
	}
}

func TestServe(t *testing.T) {
	srv := httptest.NewServer(newTestServer(nil))
	t.Cleanup(srv.Close)
	client := srv.Client()

	for _, tc := range serveCases() {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = http.MethodPost
			}
			req, err := http.NewRequest(method, srv.URL+"/v1/", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			for k, v := range tc.header {
				req.Header[k] = []string{v}
			}
			res, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, err := io.ReadAll(res.Body)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != tc.status {
				t.Errorf("status = %d, want %d", res.StatusCode, tc.status)
			}
			if string(body) != tc.want {
				t.Errorf("body =\n%s\nwant\n%s", body, tc.want)
			}
			for k, v := range tc.headers {
				if got := res.Header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			checkAnswer(t, res.StatusCode, res.Header, body)
		})
	}
}

// lockedBuffer is a log sink that server goroutines and the test share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestLogging(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    []string // in the log
		notWant []string // never in the log
	}{
		{name: "a panic is logged with the method but not the params",
			body:    `{"jsonrpc":"2.0","method":"panic","params":{"password":"s3cret"},"id":1}`,
			want:    []string{"method=panic", "kaboom", "component=jsonrpc"},
			notWant: []string{"s3cret"}},
		{name: "an internal error is logged with its detail",
			body: `{"jsonrpc":"2.0","method":"fail","params":{"code":"internal","message":"pw s3cret"},"id":1}`,
			want: []string{"method=fail", "db-host-7"}},
		{name: "a plain error is logged with its detail",
			body: `{"jsonrpc":"2.0","method":"fail","id":1}`,
			want: []string{"method=fail", "plain error with detail db-host-7"}},
		{name: "a client error is not logged",
			body:    `{"jsonrpc":"2.0","method":"fail","params":{"code":"invalid","message":"too short"},"id":1}`,
			notWant: []string{"method=fail"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs lockedBuffer
			srv := httptest.NewServer(newTestServer(slog.New(slog.NewTextHandler(&logs, nil))))
			defer srv.Close()
			res, err := srv.Client().Post(srv.URL, "application/json", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if strings.Contains(string(body), "db-host-7") || strings.Contains(string(body), "kaboom") {
				t.Errorf("response leaks detail: %s", body)
			}
			got := logs.String()
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("log lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(got, w) {
					t.Errorf("log holds %q:\n%s", w, got)
				}
			}
		})
	}
}

func TestDecodeParams(t *testing.T) {
	type inner struct {
		C int `json:"c"`
	}
	type target struct {
		A string `json:"a"`
		B inner  `json:"b"`
	}
	tests := []struct {
		name      string
		params    string
		want      target
		wantCode  int    // 0 for success, -1 for an error that is not an *Error
		wantField string // the error's data.field
	}{
		{name: "absent params leave the value unchanged", params: "", want: target{A: "default"}},
		{name: "null params leave the value unchanged", params: "null", want: target{A: "default"}},
		{name: "empty string params leave the value unchanged", params: `""`, want: target{A: "default"}},
		{name: "empty object params leave the value unchanged", params: " {} ", want: target{A: "default"}},
		{name: "an empty object with space inside leaves the value unchanged", params: "{ \n\t}", want: target{A: "default"}},
		{name: "two empty objects are refused", params: `{}{}`, wantCode: CodeInvalidParams},
		{name: "a lone brace is refused", params: `{`, wantCode: CodeInvalidParams},
		{name: "an empty object and a brace are refused", params: `{}}`, wantCode: CodeInvalidParams},
		{name: "named params fill the value", params: `{"a":"x","b":{"c":2}}`, want: target{A: "x", B: inner{C: 2}}},
		{name: "array params are refused for a struct", params: `["x"]`, wantCode: CodeInvalidParams},
		{name: "scalar params are refused", params: `7`, wantCode: CodeInvalidParams},
		{name: "an unknown member is named", params: `{"a":"x","zz":1}`, wantCode: CodeInvalidParams, wantField: "zz"},
		{name: "an unknown nested member is named", params: `{"b":{"d":1}}`, wantCode: CodeInvalidParams, wantField: "d"},
		{name: "a nested member of the wrong type is named by its path", params: `{"b":{"c":"2"}}`,
			wantCode: CodeInvalidParams, wantField: "b.c"},
		{name: "trailing data is refused", params: `{"a":"x"} {}`, wantCode: CodeInvalidParams},
		{name: "malformed JSON is refused", params: `{"a":`, wantCode: CodeInvalidParams},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := target{A: "default"}
			var p json.RawMessage
			if tc.params != "" {
				p = json.RawMessage(tc.params)
			}
			err := DecodeParams(p, &got)
			checkCode(t, err, tc.wantCode, tc.wantField)
			if err == nil && got != tc.want {
				t.Errorf("decoded %+v, want %+v", got, tc.want)
			}
		})
	}

	t.Run("array params are refused even for a slice", func(t *testing.T) {
		var got []string
		checkCode(t, DecodeParams(json.RawMessage(`["a","b"]`), &got), CodeInvalidParams, "")
	})
	t.Run("a non-pointer target is a plain error", func(t *testing.T) {
		checkCode(t, DecodeParams(json.RawMessage(`{"a":"x"}`), target{}), -1, "")
	})
}

// checkCode checks that err is nil (code 0), a plain error (code -1) or an
// *Error with the code and data.field given.
func checkCode(t *testing.T, err error, code int, field string) {
	t.Helper()
	switch {
	case code == 0:
		if err != nil {
			t.Fatalf("err = %v, want none", err)
		}
		return
	case err == nil:
		t.Fatalf("err = nil, want code %d", code)
	}
	e, ok := errors.AsType[*Error](err)
	if code == -1 {
		if ok {
			t.Errorf("err = %v, want a plain error", err)
		}
		return
	}
	if !ok {
		t.Fatalf("err = %v, want an *Error", err)
	}
	if e.Code != code {
		t.Errorf("code = %d, want %d", e.Code, code)
	}
	gotField := ""
	if e.Data != nil {
		gotField = e.Data.Field
	}
	if gotField != field {
		t.Errorf("field = %q, want %q", gotField, field)
	}
}

func TestRegister(t *testing.T) {
	h := func(ctx context.Context, req *Request) (any, error) { return nil, nil }
	tests := []struct {
		name   string
		method string
		h      Handler
	}{
		{name: "an empty name is refused", method: "", h: h},
		{name: "a reserved name is refused", method: "rpc.discover", h: h},
		{name: "a nil handler is refused", method: "x", h: nil},
		{name: "a name registered twice is refused", method: "echo", h: h},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(nil)
			defer func() {
				if recover() == nil {
					t.Error("Register did not panic")
				}
			}()
			s.Register(tc.method, tc.h)
		})
	}
}

func TestErrorCodes(t *testing.T) {
	domain := []string{
		switchboard.EINVALID, switchboard.EMALFORMED, switchboard.ENOTFOUND, switchboard.ECONFLICT,
		switchboard.EUNAUTHORIZED, switchboard.EFORBIDDEN, switchboard.ERATELIMIT,
		switchboard.ETOOLARGE, switchboard.EUNAVAILABLE, switchboard.EINTERNAL,
	}
	for _, code := range domain {
		t.Run("the domain code "+code+" is documented once", func(t *testing.T) {
			n := 0
			for _, d := range ErrorCodes() {
				if d.Domain == code {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%d rows, want 1", n)
			}
		})
	}
	t.Run("every row has a message and a meaning", func(t *testing.T) {
		for _, d := range ErrorCodes() {
			if d.Message == "" || d.Meaning == "" {
				t.Errorf("incomplete row %+v", d)
			}
		}
	})
}

// checkAnswer checks that an HTTP answer is either empty (204) or a JSON-RPC
// response object or a non-empty array of them.
func checkAnswer(t *testing.T, status int, h http.Header, body []byte) {
	t.Helper()
	if len(body) == 0 {
		if status != http.StatusNoContent {
			t.Fatalf("empty body with status %d", status)
		}
		return
	}
	if status == http.StatusNoContent {
		t.Fatalf("status 204 with body %q", body)
	}
	if ct := h.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q", ct)
	}
	if !json.Valid(body) {
		t.Fatalf("body is not JSON: %q", body)
	}
	if body[0] != '[' {
		checkResponse(t, body)
		return
	}
	var list []json.RawMessage
	if err := json.Unmarshal(body, &list); err != nil || len(list) == 0 {
		t.Fatalf("bad batch response %q: %v", body, err)
	}
	for _, r := range list {
		checkResponse(t, r)
	}
}

// checkResponse checks one JSON-RPC response object.
func checkResponse(t *testing.T, raw json.RawMessage) {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("response %q is not an object: %v", raw, err)
	}
	if string(m["jsonrpc"]) != `"2.0"` {
		t.Fatalf("response %q: jsonrpc is not \"2.0\"", raw)
	}
	id, ok := m["id"]
	if !ok {
		t.Fatalf("response %q has no id", raw)
	}
	if _, ok := validID(id); !ok {
		t.Fatalf("response %q has a bad id", raw)
	}
	_, hasResult := m["result"]
	errRaw, hasError := m["error"]
	if hasResult == hasError {
		t.Fatalf("response %q must have exactly one of result and error", raw)
	}
	if hasError {
		var e struct {
			Code    *int    `json:"code"`
			Message *string `json:"message"`
		}
		if err := json.Unmarshal(errRaw, &e); err != nil || e.Code == nil || e.Message == nil {
			t.Fatalf("response %q has a bad error object", raw)
		}
	}
}

func FuzzServe(f *testing.F) {
	for _, tc := range serveCases() {
		if len(tc.body) < 4096 {
			f.Add([]byte(tc.body))
		}
	}
	f.Add([]byte(`{"jsonrpc":"2.0","method":"echo","id":"\xff\xfe"}`))
	f.Add([]byte(`[{"jsonrpc":"2.0","method":"echo","params":"","id":-0.0e-0},{"id":1}]`))
	s := newTestServer(nil)
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/jsonrpc", bytes.NewReader(body))
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		checkAnswer(t, rec.Code, rec.Header(), rec.Body.Bytes())
	})
}
