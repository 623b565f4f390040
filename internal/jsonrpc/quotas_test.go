package jsonrpc_test

import (
	"context"
	"encoding/json"
	"testing"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/jsonrpc"
)

type mailAnswer struct {
	Mail                string `json:"mail"`
	Quota               int64  `json:"quota"`
	QuotaMessages       int64  `json:"quota_messages"`
	Plan                string `json:"plan"`
	AdditionalMailQuota int64  `json:"additional_mail_quota"`
	QuotaUsage          *struct {
		Storage       int64 `json:"storage"`
		StorageLimit  int64 `json:"storage_limit"`
		Messages      int64 `json:"messages"`
		MessagesLimit int64 `json:"messages_limit"`
	} `json:"quota_usage"`
}

func TestMailQuotaParams(t *testing.T) {
	eachRPC(t, func(t *testing.T, e *rpcEnv) {
		ten := e.login("test_account", "123456-secret")
		e.call(ten, "domain.add", map[string]string{"domain": "q.test"}).ok(t)
		decode := func(r *rpcResult) mailAnswer {
			t.Helper()
			var m mailAnswer
			if err := json.Unmarshal(r.ok(t), &m); err != nil {
				t.Fatal(err)
			}
			return m
		}
		for _, tc := range []struct {
			name   string
			method string
			params map[string]any
			want   mailAnswer
		}{
			{"mail.add takes a quota in bytes", "mail.add", map[string]any{"mail": "a@q.test", "password": "password123", "quota": 102400, "quota_messages": 9},
				mailAnswer{Mail: "a@q.test", Quota: 102400, QuotaMessages: 9}},
			{"mail.add takes a quota as a size", "mail.add", map[string]any{"mail": "b@q.test", "password": "password123", "quota": "100M"},
				mailAnswer{Mail: "b@q.test", Quota: 100 << 20}},
			{"mail.add takes a plan and additional MiB", "mail.add", map[string]any{"mail": "c@q.test", "password": "password123", "plan": "light",
				"additional_mail_quota": "512"}, mailAnswer{Mail: "c@q.test", Quota: 2<<30 + 512<<20, Plan: "light", AdditionalMailQuota: 512}},
			{"mail.set changes the plan and keeps the additional MiB", "mail.set", map[string]any{"mail": "c@q.test", "plan": "premium"},
				mailAnswer{Mail: "c@q.test", Quota: 50<<30 + 512<<20, Plan: "premium", AdditionalMailQuota: 512}},
			{"mail.set with a quota outright leaves the plan", "mail.set", map[string]any{"mail": "c@q.test", "quota": 0},
				mailAnswer{Mail: "c@q.test"}},
			{"mail.get returns the plan", "mail.get", map[string]any{"mail": "a@q.test"},
				mailAnswer{Mail: "a@q.test", Quota: 102400, QuotaMessages: 9}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got := decode(e.call(ten, tc.method, tc.params))
				if got != tc.want {
					t.Fatalf("%s answered %+v, want %+v", tc.method, got, tc.want)
				}
			})
		}
		t.Run("mail.get with include_quota_usage adds the usage", func(t *testing.T) {
			got := decode(e.call(ten, "mail.get", map[string]any{"mail": "a@q.test", "include_quota_usage": true}))
			if got.QuotaUsage == nil || got.QuotaUsage.StorageLimit != 102400 || got.QuotaUsage.MessagesLimit != 9 || got.QuotaUsage.Storage != 0 {
				t.Fatalf("quota_usage %+v", got.QuotaUsage)
			}
			if got := decode(e.call(ten, "mail.get", map[string]any{"mail": "a@q.test", "include_quota_usage": false})); got.QuotaUsage != nil {
				t.Fatalf("quota_usage without asking: %+v", got.QuotaUsage)
			}
		})
		mine := e.login("a@q.test", "password123")
		refusals := []struct {
			name    string
			session string
			method  string
			params  map[string]any
			code    int
			field   string
		}{
			{"a negative quota", ten, "mail.set", map[string]any{"mail": "a@q.test", "quota": -1}, -32602, "quota"},
			{"a quota that is not a size", ten, "mail.set", map[string]any{"mail": "a@q.test", "quota": "lots"}, -32602, "quota"},
			{"a quota of the wrong type", ten, "mail.set", map[string]any{"mail": "a@q.test", "quota": true}, -32602, "quota"},
			{"a fractional additional quota", ten, "mail.set", map[string]any{"mail": "a@q.test", "additional_mail_quota": 1.5}, -32602, "additional_mail_quota"},
			{"quota_messages of the wrong type", ten, "mail.set", map[string]any{"mail": "a@q.test", "quota_messages": "many"}, -32602, "quota_messages"},
			{"an unknown plan", ten, "mail.set", map[string]any{"mail": "a@q.test", "plan": "gold"}, jsonrpc.CodeInvalid, "plan"},
			{"a quota and a plan", ten, "mail.add", map[string]any{"mail": "d@q.test", "password": "password123", "quota": 5, "plan": "light"}, jsonrpc.CodeInvalid, "quota"},
			{"a mailbox changing its own quota", mine, "mail.set", map[string]any{"quota": 0}, jsonrpc.CodeAccessDenied, ""},
			{"another tenant's mailbox", e.login("other", "123456-secret"), "mail.set", map[string]any{"mail": "a@q.test", "quota": 1}, jsonrpc.CodeNotFound, ""},
			{"an unknown member still", ten, "mail.set", map[string]any{"mail": "a@q.test", "quota_limit": 1}, -32602, "quota_limit"},
		}
		for _, tc := range refusals {
			t.Run("refused: "+tc.name, func(t *testing.T) {
				e.call(tc.session, tc.method, tc.params).fails(t, tc.code, tc.field)
				a, err := e.svc.GetMailbox(context.Background(), sb.SystemActor, "a@q.test")
				if err != nil || a.Quota != (sb.MailboxQuota{Bytes: 102400, Messages: 9}) {
					t.Fatalf("after the refusal: %+v, %v", a, err)
				}
				if _, err := e.svc.GetMailbox(context.Background(), sb.SystemActor, "d@q.test"); sb.ErrorCode(err) != sb.ENOTFOUND {
					t.Fatalf("d@q.test: %v", err)
				}
			})
		}
	})
}

func TestAccountPlansAndLimits(t *testing.T) {
	eachRPC(t, func(t *testing.T, e *rpcEnv) {
		root := e.login("root", "123456-secret")
		type account struct {
			Account      string `json:"account"`
			Plan         string `json:"plan"`
			MaxDomains   int64  `json:"max_domains"`
			MaxMailboxes int64  `json:"max_mailboxes"`
			MaxQuota     int64  `json:"max_quota"`
			DefaultQuota int64  `json:"default_quota"`
			Usage        *struct {
				Domains, Mailboxes, Quota int64
			} `json:"usage"`
		}
		get := func(session, name string) account {
			t.Helper()
			var a account
			if err := json.Unmarshal(e.call(session, "account.get", map[string]string{"account": name}).ok(t), &a); err != nil {
				t.Fatal(err)
			}
			return a
		}
		var added account
		json.Unmarshal(e.call(root, "account.add", map[string]any{"account": "small", "password": "123456-secret", "plan": "basic", "max_mailboxes": 2}).ok(t), &added)
		if added.Plan != "basic" || added.MaxDomains != 1 || added.MaxMailboxes != 2 || added.MaxQuota != 25<<30 || added.DefaultQuota != 2<<30 {
			t.Fatalf("account.add answered %+v", added)
		}
		small := e.login("small", "123456-secret")
		e.call(small, "domain.add", map[string]string{"domain": "small.test"}).ok(t)
		e.call(small, "mail.add", map[string]string{"mail": "one@small.test", "password": "password123"}).ok(t)
		e.call(small, "mail.add", map[string]string{"mail": "two@small.test", "password": "password123"}).ok(t)
		t.Run("the third mailbox is refused naming the limit", func(t *testing.T) {
			r := e.call(small, "mail.add", map[string]string{"mail": "three@small.test", "password": "password123"})
			r.fails(t, jsonrpc.CodeInvalid, "")
			if r.Error.Message != "account small has reached its limit of 2 mailboxes (max_mailboxes)" {
				t.Fatalf("message %q", r.Error.Message)
			}
			r = e.call(small, "domain.add", map[string]string{"domain": "second.test"})
			r.fails(t, jsonrpc.CodeInvalid, "")
			if r.Error.Message != "account small has reached its limit of 1 domains (max_domains)" {
				t.Fatalf("message %q", r.Error.Message)
			}
		})
		t.Run("account.get shows the limits and the usage", func(t *testing.T) {
			a := get(small, "small")
			if a.Usage == nil || a.Usage.Domains != 1 || a.Usage.Mailboxes != 2 || a.Usage.Quota != 4<<30 || a.MaxMailboxes != 2 {
				t.Fatalf("account.get %+v %+v", a, a.Usage)
			}
		})
		t.Run("account.set changes the plan without a password", func(t *testing.T) {
			e.call(root, "account.set", map[string]any{"account": "small", "plan": "profi", "max_quota": "1T"}).ok(t)
			if a := get(root, "small"); a.Plan != "profi" || a.MaxMailboxes != 50 || a.MaxQuota != 1<<40 {
				t.Fatalf("after account.set: %+v", a)
			}
			e.call(small, "mail.add", map[string]string{"mail": "three@small.test", "password": "password123"}).ok(t)
			// The session still works: no password was changed.
			e.call(small, "mail.get", map[string]string{"mail": "three@small.test"}).ok(t)
		})
		for _, tc := range []struct {
			name    string
			session string
			params  map[string]any
			code    int
			field   string
		}{
			{"a tenant may not change its own plan", small, map[string]any{"account": "small", "plan": "reseller"}, jsonrpc.CodeAccessDenied, ""},
			{"an unknown plan", root, map[string]any{"account": "small", "plan": "platinum"}, jsonrpc.CodeInvalid, "plan"},
			{"a negative limit", root, map[string]any{"account": "small", "max_domains": -1}, jsonrpc.CodeInvalid, "max_domains"},
			{"a limit that is not a size", root, map[string]any{"account": "small", "max_quota": "big"}, -32602, "max_quota"},
			{"an unknown account", root, map[string]any{"account": "nobody", "plan": "basic"}, jsonrpc.CodeNotFound, "account"},
			{"neither a password nor limits", root, map[string]any{"account": "small"}, -32602, "password"},
			{"an unknown member", root, map[string]any{"account": "small", "max_aliases": 3}, -32602, "max_aliases"},
		} {
			t.Run("account.set refused: "+tc.name, func(t *testing.T) {
				e.call(tc.session, "account.set", tc.params).fails(t, tc.code, tc.field)
				if a := get(root, "small"); a.Plan != "profi" || a.MaxDomains != 5 {
					t.Fatalf("after the refusal: %+v", a)
				}
			})
		}
		t.Run("account.add with a bad plan creates nothing", func(t *testing.T) {
			e.call(root, "account.add", map[string]any{"account": "ghost", "password": "123456-secret", "plan": "gold"}).fails(t, jsonrpc.CodeInvalid, "plan")
			if _, err := e.svc.GetTenant(context.Background(), sb.SystemActor, "ghost"); sb.ErrorCode(err) != sb.ENOTFOUND {
				t.Fatalf("ghost: %v", err)
			}
		})
	})
}
