package httpapi_test

import (
	"context"
	"fmt"
	"testing"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/digest"
	"github.com/switchboard/switchboard/internal/service"
)

func TestMailAdminQuotas(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		tok := e.tenant("acme", sb.RoleTenant)
		res := e.do("POST", "/domains", tok, form{"domain": "q.test", "username": "admin@q.test", "password": "password123"}).want(201)
		domainID := idOf(res, "domain", "id")
		if u := res.json["user"].(map[string]any); u["quota"] != 0.0 || u["quota_used"] != 0.0 {
			t.Fatalf("first mailbox without a quota: %s", res.body)
		}
		quotaOf := func(email string) sb.MailboxQuota {
			t.Helper()
			a, err := e.svc.GetMailbox(context.Background(), sb.SystemActor, email)
			if err != nil {
				t.Fatal(err)
			}
			return a.Quota
		}
		for _, tc := range []struct {
			name  string
			enc   encoding
			f     form
			quota sb.MailboxQuota
		}{
			{"a quota with a unit, multipart", multipartForm, form{"email": "a@q.test", "password": "password123", "quota": "100K"}, sb.MailboxQuota{Bytes: 102400}},
			{"a quota in bytes and messages, urlencoded", urlencodedForm, form{"email": "b@q.test", "password": "password123", "quota": "5000", "quota_messages": "7"},
				sb.MailboxQuota{Bytes: 5000, Messages: 7}},
			{"a quota in JSON", jsonBody, form{"email": "c@q.test", "password": "password123", "quota": "2G"}, sb.MailboxQuota{Bytes: 2 << 30}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := e.doEnc("POST", fmt.Sprintf("/user/%d", domainID), tok, tc.f, tc.enc).want(201)
				if u := res.json["user"].(map[string]any); int64(u["quota"].(float64)) != tc.quota.Bytes || int64(u["quota_messages"].(float64)) != tc.quota.Messages {
					t.Fatalf("answer %s", res.body)
				}
				if got := quotaOf(tc.f["email"]); got != tc.quota {
					t.Fatalf("stored %+v, want %+v", got, tc.quota)
				}
			})
		}
		t.Run("a bad quota is refused and creates nothing", func(t *testing.T) {
			before := e.snapshot()
			for _, q := range []string{"-1", "1.5G", "lots", "2000T"} {
				e.do("POST", fmt.Sprintf("/user/%d", domainID), tok, form{"email": "bad@q.test", "password": "password123", "quota": q}).wantError(422, "quota must be")
			}
			e.do("POST", fmt.Sprintf("/user/%d", domainID), tok, form{"email": "bad@q.test", "password": "password123", "quota_messages": "-3"}).wantError(422, "quota_messages")
			e.unchanged(before)
		})
		a, _ := e.svc.GetMailbox(context.Background(), sb.SystemActor, "a@q.test")
		change := func(f form) *result {
			t.Helper()
			return e.do("POST", "/user-quota", tok, f)
		}
		ids := func(extra form) form {
			f := form{"id": fmt.Sprint(a.ID), "domain_id": fmt.Sprint(domainID)}
			for k, v := range extra {
				f[k] = v
			}
			return f
		}
		t.Run("POST /user-quota changes the quota", func(t *testing.T) {
			res := change(ids(form{"quota": "1M", "quota_messages": "100"})).want(200)
			if u := res.json["user"].(map[string]any); u["quota"] != float64(1<<20) || u["quota_messages"] != 100.0 || u["email"] != "a@q.test" {
				t.Fatalf("answer %s", res.body)
			}
			if got := quotaOf("a@q.test"); got != (sb.MailboxQuota{Bytes: 1 << 20, Messages: 100}) {
				t.Fatalf("stored %+v", got)
			}
			rows := e.do("GET", fmt.Sprintf("/users/%d", domainID), tok, nil).want(200)
			found := false
			for _, u := range rows.json["users"].([]any) {
				if u := u.(map[string]any); u["email"] == "a@q.test" {
					found = u["quota"] == float64(1<<20) && u["quota_used"] == 0.0
				}
			}
			if !found {
				t.Fatalf("GET /users: %s", rows.body)
			}
		})
		t.Run("POST /user-quota refusals change nothing", func(t *testing.T) {
			other := e.tenant("other", sb.RoleTenant)
			before := e.snapshot()
			change(ids(nil)).wantError(422, "quota is required")
			change(ids(form{"quota": "-5"})).wantError(422, "quota must be")
			change(form{"id": "x", "domain_id": fmt.Sprint(domainID), "quota": "1M"}).wantError(422, "id must be a positive integer")
			change(form{"id": fmt.Sprint(a.ID), "domain_id": fmt.Sprint(domainID + 99), "quota": "1M"}).wantError(404, "domain not found")
			e.do("POST", "/user-quota", other, ids(form{"quota": "1M"})).wantError(404, "domain not found")
			e.do("POST", "/user-quota", "", ids(form{"quota": "1M"})).want(401)
			e.unchanged(before)
			if got := quotaOf("a@q.test"); got.Bytes != 1<<20 {
				t.Fatalf("a refusal changed the quota: %+v", got)
			}
		})
		t.Run("the tenant's limits refuse with 422 naming the limit", func(t *testing.T) {
			if _, err := e.svc.SetTenantLimits(context.Background(), sb.SystemActor, "acme", sb.TenantLimitsChange{
				MaxMailboxes: ptr(int64(4)), MaxDomains: ptr(int64(1)), MaxQuotaBytes: ptr(3 * service.GiB)}); err != nil {
				t.Fatal(err)
			}
			before := e.snapshot()
			e.do("POST", fmt.Sprintf("/user/%d", domainID), tok, form{"email": "e@q.test", "password": "password123", "quota": "1M"}).
				wantError(422, "tenant acme has reached its limit of 4 mailboxes (max_mailboxes)")
			e.do("POST", "/domains", tok, form{"domain": "r.test", "username": "a@r.test", "password": "password123"}).
				wantError(422, "tenant acme has reached its limit of 1 domains (max_domains)")
			change(ids(form{"quota": "2G"})).wantError(422, "total quota limit of 3221225472 bytes (max_quota)")
			e.unchanged(before)
		})
	})
}

func ptr[T any](v T) *T { return &v }

func TestSIPAPICreateRespectsTenantLimits(t *testing.T) {
	eachSIP(t, func(t *testing.T, e *sipEnv) {
		// acme holds alice and admin in sip.example.org.
		if _, err := e.svc.SetTenantLimits(context.Background(), sb.SystemActor, "acme", sb.TenantLimitsChange{MaxMailboxes: ptr(int64(3))}); err != nil {
			t.Fatal(err)
		}
		admin := func(body any) *sipResult {
			return e.digestDo("POST", "/api/accounts", "admin", "sip.example.org", "admin-password", digest.SHA256, body)
		}
		admin(map[string]any{"username": "carol1", "password": "carol-password", "algorithm": "SHA-256", "activated": true}).want(t, 201)
		r := admin(map[string]any{"username": "dave01", "password": "dave-password", "algorithm": "SHA-256", "activated": true})
		r.wantError(t, 422, "")
		if msg, _ := r.json["message"].(string); msg != "tenant acme has reached its limit of 3 mailboxes (max_mailboxes)" {
			t.Fatalf("SIP API refusal: %s", r.body)
		}
		if _, err := e.svc.GetMailbox(context.Background(), sb.SystemActor, "dave01@sip.example.org"); sb.ErrorCode(err) != sb.ENOTFOUND {
			t.Fatalf("the refused account exists: %v", err)
		}
	})
}
