package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/internal/httpapi"
)

// TestOpenAPICoversEveryRoute fails when a registered route is missing from
// openapi.json, or the document names a route that is not served.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	srv := httpapi.New(httpapi.Config{JSONRPC: http.NotFoundHandler()})
	e := &env{t: t}
	ts := newTestServer(t, srv)
	e.url = ts
	res := e.do("GET", "/openapi.json", "", nil).want(200)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal([]byte(res.body), &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	served := map[string]bool{}
	for _, route := range srv.Routes() {
		method, path, ok := strings.Cut(route, " ")
		if !ok {
			t.Fatalf("route %q has no method", route)
		}
		served[strings.ToLower(method)+" "+path] = true
		if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("route %s is not documented in openapi.json", route)
		}
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if !served[method+" "+path] {
				t.Errorf("openapi.json documents %s %s, which is not served", method, path)
			}
		}
	}
}
