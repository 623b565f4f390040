package httpapi

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	sb "github.com/switchboard/switchboard"
)

func TestReadParams(t *testing.T) {
	tests := []struct {
		name, method, target, ctype, body string
		want                              map[string]string
	}{
		{"multipart on DELETE is read", "DELETE", "/users", "multipart/form-data; boundary=b",
			"--b\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\na@b.example\r\n--b--\r\n", map[string]string{"email": "a@b.example"}},
		{"a multipart file field is read as text", "POST", "/ssl/upload", "multipart/form-data; boundary=b",
			"--b\r\nContent-Disposition: form-data; name=\"cert\"; filename=\"c.pem\"\r\n\r\nPEM\r\n--b--\r\n", map[string]string{"cert": "PEM"}},
		{"urlencoded on GET is read", "GET", "/export/domain", "application/x-www-form-urlencoded", "domain=x.example", map[string]string{"domain": "x.example"}},
		{"JSON scalars become strings", "POST", "/x", "application/json", `{"id":12,"ok":true,"s":"v","n":null}`, map[string]string{"id": "12", "ok": "true", "s": "v"}},
		{"the body wins over the query", "POST", "/x?a=query&b=query", "application/json", `{"a":"body"}`, map[string]string{"a": "body", "b": "query"}},
		{"a body without a content type is ignored", "POST", "/x?a=1", "", "garbage", map[string]string{"a": "1"}},
		{"an empty JSON body is no parameters", "POST", "/x", "application/json", "", map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, bytes.NewBufferString(tt.body))
			if tt.ctype != "" {
				r.Header.Set("Content-Type", tt.ctype)
			}
			p, err := ReadParams(r)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.want {
				if p.Get(k) != v {
					t.Errorf("%s = %q, want %q", k, p.Get(k), v)
				}
			}
			if len(p) != len(tt.want) {
				t.Errorf("got %d fields %v, want %d", len(p), p, len(tt.want))
			}
		})
	}
}

// FuzzReadParams feeds arbitrary bodies of every content type: the parser
// never panics and fails only with a malformed or too-large error.
func FuzzReadParams(f *testing.F) {
	f.Add("multipart/form-data; boundary=b", []byte("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--b--\r\n"))
	f.Add("application/x-www-form-urlencoded", []byte("a=1&b=%zz"))
	f.Add("application/json", []byte(`{"a":[1,{"b":2}],"c":1e400}`))
	f.Add("text/plain", []byte("x"))
	f.Add("multipart/form-data", []byte("--"))
	f.Fuzz(func(t *testing.T, ctype string, body []byte) {
		r := httptest.NewRequest("POST", "/x?q=1", bytes.NewReader(body))
		r.Header.Set("Content-Type", ctype)
		r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, 1<<16)
		p, err := ReadParams(r)
		if err != nil {
			var e *sb.Error
			if !errors.As(err, &e) || (e.Code != sb.EMALFORMED && e.Code != sb.ETOOLARGE) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if p == nil {
			t.Fatal("nil params without error")
		}
	})
}
