package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"strings"
	"testing"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/digest"
)

// aliasFixture is tenant acme with example.com (mailbox admin@) and the
// alias fwd@example.com, and tenant other with other.example.
type aliasFixture struct {
	acme, other       string // tokens
	domainID, otherID int64
}

func newAliasFixture(e *env) aliasFixture {
	e.t.Helper()
	var f aliasFixture
	f.acme = e.tenant("acme", sb.RoleTenant)
	f.other = e.tenant("other", sb.RoleTenant)
	res := e.do("POST", "/domains", f.acme, form{"domain": "example.com", "username": "admin@example.com", "password": "password123"}).want(201)
	f.domainID = idOf(res, "domain", "id")
	res = e.do("POST", "/domains", f.other, form{"domain": "other.example", "username": "bob@other.example", "password": "password123"}).want(201)
	f.otherID = idOf(res, "domain", "id")
	e.do("POST", fmt.Sprintf("/alias/%d", f.domainID), f.acme, form{"address": "fwd@example.com", "goto": "admin@example.com"}).want(201)
	return f
}

func TestAliasWalkThrough(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		f := newAliasFixture(e)
		path := fmt.Sprintf("/alias/%d", f.domainID)

		res := e.do("POST", path, f.acme, form{"address": "Info@Example.COM",
			"goto": " admin@example.com, Someone@Elsewhere.org ,admin@example.com,"}).want(201)
		infoID := idOf(res, "alias", "id")
		want := fmt.Sprintf(`{"alias":{"id":%d,"domain_id":%d,"address":"info@example.com","goto":["admin@example.com","someone@elsewhere.org"]},"result":true}`,
			infoID, f.domainID)
		if strings.TrimSpace(res.body) != want {
			t.Fatalf("POST %s = %s\nwant %s", path, res.body, want)
		}

		t.Run("goto may be repeated as a form field", func(t *testing.T) {
			var b bytes.Buffer
			mw := multipart.NewWriter(&b)
			mw.WriteField("address", "team@example.com")
			mw.WriteField("goto", "a@elsewhere.org")
			mw.WriteField("goto", "b@elsewhere.org,c@elsewhere.org")
			mw.Close()
			res := e.raw("POST", path, f.acme, mw.FormDataContentType(), &b).want(201)
			if got := fmt.Sprint(res.json["alias"].(map[string]any)["goto"]); got != "[a@elsewhere.org b@elsewhere.org c@elsewhere.org]" {
				t.Fatalf("goto = %s", got)
			}
		})
		t.Run("goto may be a JSON array", func(t *testing.T) {
			res := e.raw("POST", path, f.acme, "application/json",
				strings.NewReader(`{"address":"sales@example.com","goto":["a@elsewhere.org","admin@example.com"]}`)).want(201)
			if got := fmt.Sprint(res.json["alias"].(map[string]any)["goto"]); got != "[a@elsewhere.org admin@example.com]" {
				t.Fatalf("goto = %s", got)
			}
		})

		t.Run("the list pages by id", func(t *testing.T) {
			var seen []string
			after := int64(0)
			for pages := 0; pages < 10; pages++ {
				res := e.do("GET", fmt.Sprintf("/aliases/%d?limit=2&after=%d", f.domainID, after), f.acme, nil).want(200)
				items, _ := res.json["aliases"].([]any)
				if len(items) == 0 {
					break
				}
				for _, it := range items {
					m := it.(map[string]any)
					if int64(m["domain_id"].(float64)) != f.domainID {
						t.Fatalf("alias of another domain listed: %s", res.body)
					}
					seen = append(seen, m["address"].(string))
					after = int64(m["id"].(float64))
				}
			}
			if got := strings.Join(seen, " "); got != "fwd@example.com info@example.com team@example.com sales@example.com" {
				t.Fatalf("listed %s", got)
			}
		})

		t.Run("an alias of no domain of the tenant is not listed", func(t *testing.T) {
			res := e.do("GET", fmt.Sprintf("/aliases/%d", f.otherID), f.other, nil).want(200)
			if strings.TrimSpace(res.body) != `{"aliases":[]}` {
				t.Fatalf("GET /aliases of other = %s", res.body)
			}
		})

		e.do("DELETE", "/aliases", f.acme, form{"address": "INFO@example.com"}).want(200)
		if _, err := e.store.Read().AliasByEmail(t.Context(), "info@example.com"); sb.ErrorCode(err) != sb.ENOTFOUND {
			t.Fatalf("alias still there after delete: %v", err)
		}
		res = e.do("GET", fmt.Sprintf("/aliases/%d", f.domainID), f.acme, nil).want(200)
		if strings.Contains(res.body, "info@example.com") || !strings.Contains(res.body, "fwd@example.com") {
			t.Fatalf("after delete: %s", res.body)
		}

		audit, err := e.store.Read().AuditLog(t.Context(), 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, a := range audit {
			if strings.HasPrefix(a.Action, "alias.") {
				actions = append(actions, a.Actor+" "+a.Action+" "+a.Object)
			}
		}
		wantAudit := strings.Join([]string{
			"tenant:acme alias.create alias:fwd@example.com",
			"tenant:acme alias.create alias:info@example.com",
			"tenant:acme alias.create alias:team@example.com",
			"tenant:acme alias.create alias:sales@example.com",
			"tenant:acme alias.delete alias:info@example.com",
		}, "\n")
		if got := strings.Join(actions, "\n"); got != wantAudit {
			t.Fatalf("audit log:\n%s\nwant:\n%s", got, wantAudit)
		}

		e.do("DELETE", "/domain", f.acme, form{"domain": "example.com"}).want(200)
		if _, err := e.store.Read().AliasByEmail(t.Context(), "fwd@example.com"); sb.ErrorCode(err) != sb.ENOTFOUND {
			t.Fatalf("alias outlived its domain: %v", err)
		}
	})
}

func TestAliasRefusals(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		f := newAliasFixture(e)
		path := fmt.Sprintf("/alias/%d", f.domainID)
		many := make([]string, 51)
		for i := range many {
			many[i] = fmt.Sprintf("u%d@elsewhere.org", i)
		}
		tests := []struct {
			name   string
			method string
			path   string
			token  string
			f      form
			status int
			msg    string
		}{
			{"no token is refused", "POST", path, "", form{"address": "a@example.com", "goto": "x@elsewhere.org"}, 401, "auth token"},
			{"an alias in another tenant's domain is not found", "POST", fmt.Sprintf("/alias/%d", f.otherID), f.acme,
				form{"address": "a@other.example", "goto": "x@elsewhere.org"}, 404, "domain not found"},
			{"an alias in an unknown domain is not found", "POST", "/alias/999999", f.acme,
				form{"address": "a@example.com", "goto": "x@elsewhere.org"}, 404, "domain not found"},
			{"a malformed domain id is refused", "POST", "/alias/x", f.acme, form{"address": "a@example.com", "goto": "x@elsewhere.org"}, 400, "domain_id"},
			{"a missing address is refused", "POST", path, f.acme, form{"goto": "x@elsewhere.org"}, 422, "address is required"},
			{"an invalid address is refused", "POST", path, f.acme, form{"address": "not an address", "goto": "x@elsewhere.org"}, 422,
				`address "not an address" is not a valid email address`},
			{"an address of another domain is refused", "POST", path, f.acme, form{"address": "a@other.example", "goto": "x@elsewhere.org"}, 422,
				"address must be an address in example.com"},
			{"no destination is refused", "POST", path, f.acme, form{"address": "a@example.com"}, 422, "goto is required"},
			{"blank destinations are refused", "POST", path, f.acme, form{"address": "a@example.com", "goto": " , ,"}, 422, "goto is required"},
			{"too many destinations are refused", "POST", path, f.acme, form{"address": "a@example.com", "goto": strings.Join(many, ",")}, 422,
				"at most 50"},
			{"an invalid destination is refused by name", "POST", path, f.acme, form{"address": "a@example.com", "goto": "x@elsewhere.org, bad@@x"}, 422,
				`goto "bad@@x" is not a valid email address`},
			{"the alias itself as destination is refused", "POST", path, f.acme, form{"address": "a@example.com", "goto": "x@elsewhere.org,A@Example.com"}, 422,
				`goto "a@example.com" is the alias itself`},
			{"a second alias of an address is a conflict", "POST", path, f.acme, form{"address": "fwd@example.com", "goto": "x@elsewhere.org"}, 409,
				"alias fwd@example.com already exists"},
			{"an alias over a mailbox is a conflict", "POST", path, f.acme, form{"address": "admin@example.com", "goto": "x@elsewhere.org"}, 409,
				"address admin@example.com is already a mailbox"},
			{"a mailbox over an alias is a conflict", "POST", fmt.Sprintf("/user/%d", f.domainID), f.acme,
				form{"email": "fwd@example.com", "password": "password123"}, 409, "address fwd@example.com is already an alias"},
			{"listing another tenant's aliases is not found", "GET", fmt.Sprintf("/aliases/%d", f.domainID), f.other, nil, 404, "domain not found"},
			{"listing without a token is refused", "GET", fmt.Sprintf("/aliases/%d", f.domainID), "", nil, 401, "auth token"},
			{"deleting another tenant's alias is not found", "DELETE", "/aliases", f.other, form{"address": "fwd@example.com"}, 404, "alias not found"},
			{"deleting an unknown alias is not found", "DELETE", "/aliases", f.acme, form{"address": "nope@example.com"}, 404, "alias not found"},
			{"deleting a mailbox as an alias is not found", "DELETE", "/aliases", f.acme, form{"address": "admin@example.com"}, 404, "alias not found"},
			{"deleting without an address is refused", "DELETE", "/aliases", f.acme, form{}, 422, "address is required"},
			{"deleting without a token is refused", "DELETE", "/aliases", "", form{"address": "fwd@example.com"}, 401, "auth token"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := e.snapshot()
				e.do(tt.method, tt.path, tt.token, tt.f).wantError(tt.status, tt.msg)
				e.unchanged(before)
			})
		}
	})
}

// TestMailboxOverAliasOnEveryPath checks that every way of creating a
// mailbox refuses an address that is an alias.
func TestMailboxOverAliasOnEveryPath(t *testing.T) {
	eachSIP(t, func(t *testing.T, e *sipEnv) {
		ctx := context.Background()
		d, err := e.store.Read().DomainByName(ctx, "sip.example.org")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.CreateAlias(ctx, sb.SystemActor, sb.DomainRef{ID: d.ID}, "carol1@sip.example.org", []string{"alice@sip.example.org"}); err != nil {
			t.Fatal(err)
		}
		t.Run("the SIP API refuses it", func(t *testing.T) {
			before := e.snapshot()
			r := e.digestDo("POST", "/api/accounts", "admin", "sip.example.org", "admin-password", digest.SHA256,
				map[string]any{"username": "carol1", "password": "carol-pw", "algorithm": "SHA-256"})
			r.want(t, 409)
			if !strings.Contains(r.body, "is already an alias") {
				t.Fatalf("answer %s", r.body)
			}
			e.unchanged(before)
		})
		t.Run("the command line refuses it", func(t *testing.T) {
			before := e.snapshot()
			_, err := e.svc.CreateAccountCLI(ctx, sb.SystemActor, "carol1@sip.example.org", "admin-password", "", false)
			if sb.ErrorCode(err) != sb.ECONFLICT || !strings.Contains(sb.ErrorMessage(err), "is already an alias") {
				t.Fatalf("got %v, want ECONFLICT", err)
			}
			e.unchanged(before)
		})
		t.Run("the service refuses it by address", func(t *testing.T) {
			before := e.snapshot()
			_, err := e.svc.CreateMailbox(ctx, sb.SystemActor, sb.NewMailbox{Address: "carol1@sip.example.org", Password: "password123", Active: true, InboxSave: true})
			if sb.ErrorCode(err) != sb.ECONFLICT {
				t.Fatalf("got %v, want ECONFLICT", err)
			}
			e.unchanged(before)
		})
	})
}

func TestDeletedMailboxLeavesTheAliasesForwardingToIt(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		f := newAliasFixture(e) // fwd@ -> admin@ only
		path := fmt.Sprintf("/alias/%d", f.domainID)
		e.do("POST", "/user/"+fmt.Sprint(f.domainID), f.acme, form{"email": "carol@example.com", "password": "password123"}).want(201)
		e.do("POST", path, f.acme, form{"address": "team@example.com", "goto": "admin@example.com,carol@example.com,x@elsewhere.org"}).want(201)
		e.do("POST", path, f.acme, form{"address": "ops@example.com", "goto": "x_admin@example.com"}).want(201)

		e.do("DELETE", "/users", f.acme, form{"email": "admin@example.com"}).want(200)

		if _, err := e.store.Read().AliasByEmail(t.Context(), "fwd@example.com"); sb.ErrorCode(err) != sb.ENOTFOUND {
			t.Errorf("an alias left with no destination is kept: %v", err)
		}
		team, err := e.store.Read().AliasByEmail(t.Context(), "team@example.com")
		if err != nil || strings.Join(team.Destinations, ",") != "carol@example.com,x@elsewhere.org" {
			t.Errorf("team@ = %+v, %v; want the deleted mailbox dropped and the rest kept", team, err)
		}
		ops, err := e.store.Read().AliasByEmail(t.Context(), "ops@example.com")
		if err != nil || strings.Join(ops.Destinations, ",") != "x_admin@example.com" {
			t.Errorf("ops@ = %+v, %v; an address that only looks alike must stay", ops, err)
		}
		audit, _ := e.store.Read().AuditLog(t.Context(), 0, 100)
		var got []string
		for _, a := range audit {
			if a.Action == "alias.update" || a.Action == "alias.delete" {
				got = append(got, a.Action+" "+a.Object)
			}
		}
		if strings.Join(got, "; ") != "alias.update alias:team@example.com; alias.delete alias:fwd@example.com" {
			t.Errorf("audit: %v", got)
		}
	})
}
