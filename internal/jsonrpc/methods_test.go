package jsonrpc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/httpapi"
	"github.com/switchboard/switchboard/internal/jsonrpc"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
	"github.com/switchboard/switchboard/internal/testenv"
)

type rpcEnv struct {
	t     *testing.T
	url   string
	svc   *service.Service
	st    *store.Store
	clock *testenv.Clock
}

func eachRPC(t *testing.T, fn func(t *testing.T, e *rpcEnv)) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		svc, c := testenv.Service(t, st, func(cfg *service.Config) { cfg.SessionIdle, cfg.SessionMax = 30*time.Minute, 12*time.Hour })
		// The whole server, as serve wires it, so /v1/ is tested as clients see it.
		url := testenv.Serve(t, httpapi.New(httpapi.Config{Services: svc, JSONRPC: jsonrpc.NewAPI(svc, nil)}))
		e := &rpcEnv{t: t, url: url, svc: svc, st: st, clock: c}
		ctx := context.Background()
		for _, ten := range []struct{ name, role string }{{"test_account", sb.RoleTenant}, {"other", sb.RoleTenant}, {"root", sb.RoleOperator}} {
			if _, err := svc.CreateTenant(ctx, sb.SystemActor, ten.name, "123456-secret", ten.role); err != nil {
				t.Fatal(err)
			}
		}
		fn(t, e)
	})
}

type rpcResult struct {
	raw    string
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Data    *struct {
			Field string `json:"field"`
		} `json:"data"`
	} `json:"error"`
}

// call posts one request to /v1/ with HPLS-AUTH and decodes the answer.
func (e *rpcEnv) call(session, method string, params any) *rpcResult {
	e.t.Helper()
	req := map[string]any{"jsonrpc": "2.0", "id": "1", "method": method, "params": params}
	body, _ := json.Marshal(req)
	return e.post(session, body)
}

func (e *rpcEnv) post(session string, body []byte) *rpcResult {
	e.t.Helper()
	hr, _ := http.NewRequest("POST", e.url+"/v1/", bytes.NewReader(body))
	hr.Header.Set("Content-Type", "application/json")
	if session != "" {
		hr.Header.Set("HPLS-AUTH", session)
	}
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		e.t.Fatalf("HTTP %d: %s", res.StatusCode, data)
	}
	r := &rpcResult{raw: string(data)}
	if bytes.HasPrefix(data, []byte("[")) {
		return r // a batch: the caller decodes it
	}
	if err := json.Unmarshal(data, r); err != nil {
		e.t.Fatalf("answer is not JSON: %s", data)
	}
	return r
}

func (r *rpcResult) ok(t *testing.T) json.RawMessage {
	t.Helper()
	if r.Error != nil || r.Result == nil {
		t.Fatalf("want a result, got %s", r.raw)
	}
	return r.Result
}

func (r *rpcResult) fails(t *testing.T, code int, field string) {
	t.Helper()
	if r.Error == nil || r.Error.Code != code {
		t.Fatalf("want error code %d, got %s", code, r.raw)
	}
	if field != "" && (r.Error.Data == nil || r.Error.Data.Field != field) {
		t.Fatalf("want error data.field %q, got %s", field, r.raw)
	}
	if strings.Contains(r.raw, "goroutine") || strings.Contains(r.raw, ".go:") {
		t.Fatalf("stack trace in the answer: %s", r.raw)
	}
}

func (e *rpcEnv) login(user, pass string) string {
	e.t.Helper()
	var out struct{ Session, Level string }
	json.Unmarshal(e.call("", "auth", map[string]string{"user": user, "pass": pass}).ok(e.t), &out)
	if out.Session == "" {
		e.t.Fatal("no session")
	}
	return out.Session
}

func TestDocumentedCalls(t *testing.T) {
	eachRPC(t, func(t *testing.T, e *rpcEnv) {
		t.Run("auth returns a session and the level", func(t *testing.T) {
			r := e.post("", []byte(`{"jsonrpc":"2.0","method":"auth","params":{"user":"test_account","pass":"123456-secret"},"id":"1"}`))
			var out map[string]string
			json.Unmarshal(r.ok(t), &out)
			if len(out) != 2 || out["level"] != "account" || len(out["session"]) < 43 {
				t.Fatalf("auth = %s", r.raw)
			}
			if !strings.HasPrefix(r.raw, `{"jsonrpc":"2.0","result":`) || !strings.HasSuffix(strings.TrimSpace(r.raw), `"id":"1"}`) {
				t.Fatalf("envelope = %s", r.raw)
			}
		})
		t.Run("auth with bad credentials is the documented Access denied", func(t *testing.T) {
			r := e.post("", []byte(`{"jsonrpc":"2.0","method":"auth","params":{"user":"test_account","pass":"654321"},"id":"1"}`))
			if strings.TrimSpace(r.raw) != `{"jsonrpc":"2.0","error":{"code":2,"message":"Access denied"},"id":"1"}` {
				t.Fatalf("got %s", r.raw)
			}
		})
		t.Run("an operator logs in at level admin", func(t *testing.T) {
			var out map[string]string
			json.Unmarshal(e.call("", "auth", map[string]string{"user": "root", "pass": "123456-secret"}).ok(t), &out)
			if out["level"] != "admin" {
				t.Fatalf("level %q", out["level"])
			}
		})
		t.Run("hello.world answers anonymously with empty-string params", func(t *testing.T) {
			r := e.post("", []byte(`{"jsonrpc":"2.0","id":"1","method":"hello.world","params":""}`))
			if strings.TrimSpace(r.raw) != `{"jsonrpc":"2.0","result":"Hello World!","id":"1"}` {
				t.Fatalf("got %s", r.raw)
			}
		})
		sess := e.login("test_account", "123456-secret")
		t.Run("hello.innerworld answers with a session", func(t *testing.T) {
			r := e.post(sess, []byte(`{"jsonrpc":"2.0","id":"1","method":"hello.innerworld","params":""}`))
			if strings.TrimSpace(r.raw) != `{"jsonrpc":"2.0","result":"Hello Inner-World!","id":"1"}` {
				t.Fatalf("got %s", r.raw)
			}
		})
		t.Run("hello.innerworld refuses without a session", func(t *testing.T) {
			e.call("", "hello.innerworld", "").fails(t, jsonrpc.CodeInvalidSession, "")
		})
		t.Run("domain.list lists the account's domains with mail counts", func(t *testing.T) {
			e.call(sess, "domain.add", map[string]string{"domain": "domain1.test"}).ok(t)
			e.call(sess, "domain.add", map[string]string{"domain": "domain2.test"}).ok(t)
			e.call(sess, "mail.add", map[string]string{"mail": "a@domain1.test", "password": "password123"}).ok(t)
			e.call(sess, "mail.add", map[string]string{"mail": "b@domain1.test", "password": "password123"}).ok(t)
			r := e.post(sess, []byte(`{"jsonrpc":"2.0","id":"1","method":"domain.list","params":{"account":"test_account"}}`))
			want := `{"jsonrpc":"2.0","result":[{"domain":"domain1.test","count_mails":2},{"domain":"domain2.test","count_mails":0}],"id":"1"}`
			if strings.TrimSpace(r.raw) != want {
				t.Fatalf("got  %s\nwant %s", r.raw, want)
			}
		})
		t.Run("deauth returns true and the session stops working at once", func(t *testing.T) {
			r := e.post(sess, []byte(`{"jsonrpc":"2.0","id":"1","method":"deauth","params":""}`))
			if strings.TrimSpace(r.raw) != `{"jsonrpc":"2.0","result":true,"id":"1"}` {
				t.Fatalf("got %s", r.raw)
			}
			e.call(sess, "hello.innerworld", "").fails(t, jsonrpc.CodeInvalidSession, "")
			e.call(sess, "deauth", "").fails(t, jsonrpc.CodeInvalidSession, "")
		})
	})
}

// TestClientFlow is the acceptance path: auth → domain.list → mail.add →
// mail.list → deauth → refused, with HPLS-AUTH on /v1/.
func TestClientFlow(t *testing.T) {
	eachRPC(t, func(t *testing.T, e *rpcEnv) {
		s := e.login("test_account", "123456-secret")
		e.call(s, "domain.add", map[string]string{"domain": "flow.test"}).ok(t)
		if got := string(e.call(s, "domain.list", map[string]string{"account": "test_account"}).ok(t)); got != `[{"domain":"flow.test","count_mails":0}]` {
			t.Fatalf("domain.list = %s", got)
		}
		var m map[string]any
		json.Unmarshal(e.call(s, "mail.add", map[string]any{"mail": "Alice@Flow.test", "password": "password123"}).ok(t), &m)
		if m["mail"] != "alice@flow.test" || m["domain"] != "flow.test" || m["active"] != true {
			t.Fatalf("mail.add = %v", m)
		}
		var list []map[string]any
		json.Unmarshal(e.call(s, "mail.list", map[string]string{"domain": "flow.test"}).ok(t), &list)
		if len(list) != 1 || list[0]["mail"] != "alice@flow.test" {
			t.Fatalf("mail.list = %v", list)
		}
		e.call(s, "deauth", nil).ok(t)
		e.call(s, "mail.list", map[string]string{"domain": "flow.test"}).fails(t, jsonrpc.CodeInvalidSession, "")
	})
}

func TestSessions(t *testing.T) {
	eachRPC(t, func(t *testing.T, e *rpcEnv) {
		t.Run("a session idle for longer than the timeout is refused", func(t *testing.T) {
			s := e.login("test_account", "123456-secret")
			e.clock.Add(29 * time.Minute)
			e.call(s, "hello.innerworld", nil).ok(t) // activity renews the idle timer
			e.clock.Add(29 * time.Minute)
			e.call(s, "hello.innerworld", nil).ok(t)
			e.clock.Add(31 * time.Minute)
			e.call(s, "hello.innerworld", nil).fails(t, jsonrpc.CodeInvalidSession, "")
		})
		t.Run("a busy session still ends at its absolute lifetime", func(t *testing.T) {
			s := e.login("test_account", "123456-secret")
			for range 26 {
				e.clock.Add(29 * time.Minute)
				e.call(s, "hello.innerworld", nil)
			}
			e.call(s, "hello.innerworld", nil).fails(t, jsonrpc.CodeInvalidSession, "")
		})
		t.Run("a session works from another instance on the same database", func(t *testing.T) {
			s := e.login("test_account", "123456-secret")
			other, _ := testenv.Service(t, e.st, func(cfg *service.Config) { cfg.Now = e.clock.Now })
			if _, err := other.ResumeSession(context.Background(), s, "127.0.0.1"); err != nil {
				t.Fatalf("second instance refused the session: %v", err)
			}
		})
		t.Run("the Authorization Bearer header carries a session too", func(t *testing.T) {
			s := e.login("test_account", "123456-secret")
			hr, _ := http.NewRequest("POST", e.url+"/jsonrpc", strings.NewReader(`{"jsonrpc":"2.0","id":7,"method":"hello.innerworld"}`))
			hr.Header.Set("Authorization", "Bearer "+s)
			res, err := http.DefaultClient.Do(hr)
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if strings.TrimSpace(string(data)) != `{"jsonrpc":"2.0","result":"Hello Inner-World!","id":7}` {
				t.Fatalf("got %s", data)
			}
		})
		t.Run("failed logins are rate-limited", func(t *testing.T) {
			for i := range 10 {
				e.call("", "auth", map[string]string{"user": "other", "pass": fmt.Sprint("wrong", i)}).fails(t, 2, "")
			}
			e.call("", "auth", map[string]string{"user": "other", "pass": "123456-secret"}).fails(t, 6, "")
		})
	})
}

func TestTenantsAndDomains(t *testing.T) {
	eachRPC(t, func(t *testing.T, e *rpcEnv) {
		root := e.login("root", "123456-secret")
		ten := e.login("test_account", "123456-secret")
		oth := e.login("other", "123456-secret")
		e.call(ten, "domain.add", map[string]string{"domain": "mine.test"}).ok(t)
		e.call(oth, "domain.add", map[string]string{"domain": "theirs.test"}).ok(t)

		t.Run("an operator manages accounts", func(t *testing.T) {
			var a map[string]string
			json.Unmarshal(e.call(root, "account.add", map[string]string{"account": "newco", "password": "password123"}).ok(t), &a)
			if a["account"] != "newco" || a["level"] != "account" {
				t.Fatalf("account.add = %v", a)
			}
			e.call(root, "account.add", map[string]string{"account": "newco", "password": "password123"}).fails(t, 4, "")
			e.call(root, "account.add", map[string]string{"account": "bad name", "password": "password123"}).fails(t, 5, "account")
			e.call(root, "account.add", map[string]string{"account": "x"}).fails(t, -32602, "password")
			e.call(root, "account.add", map[string]string{"account": "x", "password": "p", "color": "red"}).fails(t, -32602, "color")
			e.call(root, "account.set", map[string]string{"account": "newco", "password": "password456"}).ok(t)
			e.login("newco", "password456")
			var list []map[string]string
			json.Unmarshal(e.call(root, "account.list", nil).ok(t), &list)
			if len(list) != 4 {
				t.Fatalf("account.list = %v", list)
			}
			e.call(root, "domain.add", map[string]string{"domain": "newco.test", "account": "newco"}).ok(t)
			e.call(root, "account.del", map[string]string{"account": "newco"}).fails(t, 4, "")
			e.call(root, "domain.set", map[string]string{"domain": "newco.test", "account": "test_account"}).ok(t)
			e.call(root, "account.del", map[string]string{"account": "newco"}).ok(t)
			e.call(root, "account.get", map[string]string{"account": "newco"}).fails(t, 3, "")
		})
		t.Run("a tenant cannot manage accounts", func(t *testing.T) {
			e.call(ten, "account.add", map[string]string{"account": "evil", "password": "password123"}).fails(t, 2, "")
			e.call(ten, "account.list", nil).fails(t, 2, "")
			e.call(ten, "account.del", map[string]string{"account": "other"}).fails(t, 2, "")
			e.call(ten, "account.get", map[string]string{"account": "other"}).fails(t, 2, "")
			e.call(ten, "account.set", map[string]string{"account": "other", "password": "password999"}).fails(t, 2, "") // one policy for a tenant naming another: forbidden, as account.get
			e.login("other", "123456-secret")
		})
		t.Run("a tenant may name only itself in domain.list", func(t *testing.T) {
			e.call(ten, "domain.list", map[string]string{"account": "other"}).fails(t, 2, "")
			got := string(e.call(root, "domain.list", map[string]string{"account": "other"}).ok(t))
			if got != `[{"domain":"theirs.test","count_mails":0}]` {
				t.Fatalf("operator domain.list = %s", got)
			}
		})
		t.Run("another tenant's domain is invisible", func(t *testing.T) {
			e.call(ten, "domain.get", map[string]string{"domain": "theirs.test"}).fails(t, 3, "")
			e.call(ten, "domain.del", map[string]string{"domain": "theirs.test"}).fails(t, 3, "")
			e.call(ten, "domain.set", map[string]string{"domain": "theirs.test", "account": "test_account"}).fails(t, 2, "")
			e.call(ten, "mail.add", map[string]string{"mail": "x@theirs.test", "password": "password123"}).fails(t, 3, "")
			e.call(ten, "mail.list", map[string]string{"domain": "theirs.test"}).fails(t, 3, "")
			e.call(ten, "domain.add", map[string]string{"domain": "theirs.test"}).fails(t, 4, "domain")
			e.call(ten, "domain.add", map[string]string{"domain": "x.test", "account": "other"}).fails(t, 2, "")
			e.call(oth, "domain.get", map[string]string{"domain": "theirs.test"}).ok(t)
		})
		t.Run("domain.get and domain.del work on one's own domain", func(t *testing.T) {
			var d map[string]any
			json.Unmarshal(e.call(ten, "domain.get", map[string]string{"domain": "MINE.test"}).ok(t), &d)
			if d["domain"] != "mine.test" || d["account"] != "test_account" {
				t.Fatalf("domain.get = %v", d)
			}
			e.call(ten, "domain.add", map[string]string{"domain": "bad_domain"}).fails(t, 5, "domain")
			e.call(ten, "domain.add", nil).fails(t, -32602, "domain")
			e.call(ten, "domain.del", map[string]string{"domain": "mine.test"}).ok(t)
			e.call(ten, "domain.get", map[string]string{"domain": "mine.test"}).fails(t, 3, "")
		})
	})
}

func TestMailboxes(t *testing.T) {
	eachRPC(t, func(t *testing.T, e *rpcEnv) {
		ten := e.login("test_account", "123456-secret")
		e.call(ten, "domain.add", map[string]string{"domain": "mail.test"}).ok(t)
		e.call(ten, "mail.add", map[string]string{"mail": "alice@mail.test", "password": "password123"}).ok(t)
		e.call(ten, "mail.add", map[string]string{"mail": "bob@mail.test", "password": "password123"}).ok(t)

		t.Run("mail.add refuses bad input", func(t *testing.T) {
			e.call(ten, "mail.add", map[string]string{"mail": "alice@mail.test", "password": "password123"}).fails(t, 4, "mail")
			e.call(ten, "mail.add", map[string]string{"mail": "not-an-address", "password": "password123"}).fails(t, 5, "mail")
			e.call(ten, "mail.add", map[string]string{"mail": "c@mail.test", "password": "short"}).fails(t, 5, "password")
			e.call(ten, "mail.add", map[string]any{"mail": "c@mail.test", "password": "password123", "active": "yes"}).fails(t, -32602, "active")
			e.call(ten, "mail.add", []string{"c@mail.test"}).fails(t, -32602, "")
		})
		t.Run("a tenant reads, changes and deletes its mailboxes", func(t *testing.T) {
			var m map[string]any
			json.Unmarshal(e.call(ten, "mail.set", map[string]any{"mail": "bob@mail.test", "active": false}).ok(t), &m)
			if m["active"] != false {
				t.Fatalf("mail.set = %v", m)
			}
			e.call("", "auth", map[string]string{"user": "bob@mail.test", "pass": "password123"}).fails(t, 2, "")
			e.call(ten, "mail.set", map[string]any{"mail": "bob@mail.test", "active": true, "password": "password456"}).ok(t)
			e.login("bob@mail.test", "password456")
			json.Unmarshal(e.call(ten, "mail.get", map[string]string{"mail": "bob@mail.test"}).ok(t), &m)
			if m["mail"] != "bob@mail.test" || m["active"] != true {
				t.Fatalf("mail.get = %v", m)
			}
			e.call(ten, "mail.passwordset", map[string]string{"mail": "bob@mail.test", "password": "password789"}).ok(t)
			e.login("bob@mail.test", "password789")
			e.call(ten, "mail.del", map[string]string{"mail": "bob@mail.test"}).ok(t)
			e.call(ten, "mail.get", map[string]string{"mail": "bob@mail.test"}).fails(t, 3, "")
			e.call(ten, "mail.del", map[string]string{"mail": "bob@mail.test"}).fails(t, 3, "")
		})
		t.Run("a mailbox reads and changes only itself", func(t *testing.T) {
			e.call(ten, "mail.add", map[string]string{"mail": "carol@mail.test", "password": "password123"}).ok(t)
			alice := e.login("alice@mail.test", "password123")
			var out map[string]string
			json.Unmarshal(e.call("", "auth", map[string]string{"user": "alice@mail.test", "pass": "password123"}).ok(t), &out)
			if out["level"] != "mail" {
				t.Fatalf("level = %q", out["level"])
			}
			e.call(alice, "mail.get", nil).ok(t)
			e.call(alice, "mail.get", map[string]string{"mail": "carol@mail.test"}).fails(t, 2, "")
			e.call(alice, "mail.set", map[string]any{"mail": "carol@mail.test", "password": "hijacked1"}).fails(t, 2, "")
			e.call(alice, "mail.passwordset", map[string]string{"mail": "carol@mail.test", "password": "hijacked1"}).fails(t, 2, "")
			e.call(alice, "mail.set", map[string]any{"active": false}).fails(t, 2, "")
			e.call(alice, "mail.del", map[string]string{"mail": "alice@mail.test"}).fails(t, 2, "")
			e.call(alice, "mail.list", map[string]string{"domain": "mail.test"}).fails(t, 3, "")
			e.call(alice, "domain.list", nil).fails(t, 2, "")
			e.call(alice, "domain.add", map[string]string{"domain": "alice.test"}).fails(t, 2, "")
			e.call(alice, "account.get", nil).fails(t, 2, "")
			e.login("carol@mail.test", "password123") // carol's password survived
			e.call(alice, "mail.passwordset", map[string]string{"password": "alice-new-1"}).ok(t)
			e.login("alice@mail.test", "alice-new-1")
		})
		t.Run("a deactivated mailbox loses its session", func(t *testing.T) {
			e.call(ten, "mail.add", map[string]string{"mail": "dave@mail.test", "password": "password123"}).ok(t)
			dave := e.login("dave@mail.test", "password123")
			e.call(ten, "mail.set", map[string]any{"mail": "dave@mail.test", "active": false}).ok(t)
			e.call(dave, "hello.innerworld", nil).fails(t, jsonrpc.CodeInvalidSession, "")
		})
		t.Run("mail.list pages by id", func(t *testing.T) {
			var page []map[string]any
			json.Unmarshal(e.call(ten, "mail.list", map[string]any{"domain": "mail.test", "limit": 1}).ok(t), &page)
			if len(page) != 1 || page[0]["mail"] != "alice@mail.test" {
				t.Fatalf("first page = %v", page)
			}
		})
	})
}

func TestBatchOverServices(t *testing.T) {
	eachRPC(t, func(t *testing.T, e *rpcEnv) {
		s := e.login("test_account", "123456-secret")
		r := e.post(s, []byte(`[{"jsonrpc":"2.0","id":1,"method":"hello.world"},{"jsonrpc":"2.0","method":"hello.innerworld"},{"jsonrpc":"2.0","id":2,"method":"domain.add","params":{"domain":"batch.test"}},{"jsonrpc":"2.0","id":3,"method":"nope"}]`))
		var out []map[string]any
		if err := json.Unmarshal([]byte(r.raw), &out); err != nil || len(out) != 3 {
			t.Fatalf("batch answer %s", r.raw)
		}
		if out[0]["id"] != 1.0 || out[0]["result"] != "Hello World!" || out[1]["id"] != 2.0 || out[2]["id"] != 3.0 {
			t.Fatalf("batch answer %s", r.raw)
		}
	})
}
