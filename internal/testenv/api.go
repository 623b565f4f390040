package testenv

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// API is a tenant's client of a running server's mail admin REST (with
// its auth token) and JSON-RPC (with its session), for the tests that
// drive real mail and SIP servers through the APIs.
type API struct {
	tb      testing.TB
	URL     string
	Token   string // the mail admin REST's Auth-token
	Session string // the JSON-RPC session (HPLS-AUTH)
}

// LoginAPI logs tenant in at base through POST /auth and JSON-RPC auth.
func LoginAPI(tb testing.TB, base, tenant, password string) *API {
	tb.Helper()
	c := &API{tb: tb, URL: base}
	c.Token = c.Call("POST", "/auth", url.Values{"username": {tenant}, "password": {password}})["token"].(string)
	var login struct {
		Result struct{ Session string }
	}
	c.RPCRaw("auth", map[string]any{"user": tenant, "pass": password}, &login)
	c.Session = login.Result.Session
	return c
}

// Call sends a form to the mail admin REST and returns the answer, which
// must be a success.
func (c *API) Call(method, path string, form url.Values) map[string]any {
	c.tb.Helper()
	req, _ := http.NewRequest(method, c.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if c.Token != "" {
		req.Header.Set("Auth-token", c.Token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.tb.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	var v map[string]any
	if res.StatusCode >= 300 || json.Unmarshal(body, &v) != nil || v["result"] == false {
		c.tb.Fatalf("%s %s: %d %s", method, path, res.StatusCode, body)
	}
	return v
}

// RPC calls a JSON-RPC method, which must succeed.
func (c *API) RPC(method string, params any) {
	c.tb.Helper()
	var v struct{ Error any }
	c.RPCRaw(method, params, &v)
	if v.Error != nil {
		c.tb.Fatalf("%s: %v", method, v.Error)
	}
}

// RPCRaw calls a JSON-RPC method and decodes the whole response into into.
func (c *API) RPCRaw(method string, params, into any) {
	c.tb.Helper()
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	req, _ := http.NewRequest("POST", c.URL+"/jsonrpc", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if c.Session != "" {
		req.Header.Set("HPLS-AUTH", c.Session)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.tb.Fatal(err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(into); err != nil {
		c.tb.Fatalf("%s: %v", method, err)
	}
}
