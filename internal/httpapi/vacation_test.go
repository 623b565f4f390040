package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/sieve"
)

// TestVacationREST sets and reads vacation replies through
// GET/POST /vacation/{user_id} in every body encoding, and checks that
// refusals answer in the family's format and change nothing.
func TestVacationREST(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		tok := e.tenant("acme", sb.RoleTenant)
		other := e.tenant("other", sb.RoleTenant)
		res := e.do("POST", "/domains", tok, form{"domain": "v.example", "username": "ana@v.example", "password": "anas-password"}).want(201)
		path := fmt.Sprintf("/vacation/%d", idOf(res, "user", "id"))
		vacation := func(t *testing.T) map[string]any {
			t.Helper()
			v, _ := e.do("GET", path, tok, nil).want(200).json["vacation"].(map[string]any)
			return v
		}
		script := func() string {
			_, s, err := e.store.Read().SieveScript(context.Background(), "ana@v.example", sieve.ScriptName)
			if err != nil && sb.ErrorCode(err) != sb.ENOTFOUND {
				t.Fatal(err)
			}
			return s
		}

		t.Run("a mailbox without one shows inactive defaults", func(t *testing.T) {
			v := vacation(t)
			if v["active"] != false || v["subject"] != "" || v["days"] != float64(7) || v["email"] != "ana@v.example" ||
				fmt.Sprint(v["additional_mail_addresses"]) != "[]" {
				t.Errorf("defaults %v", v)
			}
		})
		for _, enc := range []struct {
			name string
			enc  encoding
		}{{"multipart", multipartForm}, {"urlencoded", urlencodedForm}, {"JSON", jsonBody}} {
			t.Run("a "+enc.name+" body sets it on", func(t *testing.T) {
				subject := "Away (" + enc.name + ")"
				res := e.doEnc("POST", path, tok, form{"subject": subject, "body": "Back soon.\r\nAna", "start_date": "2026-12-01",
					"end_date": "2026-12-31", "days": "3", "additional_mail_addresses": "info@v.example, Sales@V.example"}, enc.enc).want(200)
				v, _ := res.json["vacation"].(map[string]any)
				if v["active"] != true || v["subject"] != subject || v["body"] != "Back soon.\nAna" || v["days"] != float64(3) ||
					v["start_date"] != "2026-12-01" || v["end_date"] != "2026-12-31" ||
					fmt.Sprint(v["additional_mail_addresses"]) != "[info@v.example sales@v.example]" {
					t.Errorf("answer %v", v)
				}
				if got := vacation(t); fmt.Sprint(got) != fmt.Sprint(v) {
					t.Errorf("GET shows %v, POST answered %v", got, v)
				}
				if s := script(); !strings.Contains(s, `:subject "`+subject+`"`) {
					t.Errorf("script:\n%s", s)
				}
			})
		}
		t.Run("a JSON array of addresses and a JSON boolean are taken", func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{"active": true, "additional_mail_addresses": []string{"a@v.example", "b@v.example"}})
			res := e.raw("POST", path, tok, "application/json", strings.NewReader(string(body))).want(200)
			if got := fmt.Sprint(res.json["vacation"].(map[string]any)["additional_mail_addresses"]); got != "[a@v.example b@v.example]" {
				t.Errorf("addresses %s", got)
			}
		})
		t.Run("active=false turns it off and keeps the text", func(t *testing.T) {
			e.do("POST", path, tok, form{"active": "false"}).want(200)
			if v := vacation(t); v["active"] != false || v["body"] != "Back soon.\nAna" {
				t.Errorf("after active=false %v", v)
			}
			if s := script(); s != "" {
				t.Errorf("an inactive vacation has a script:\n%s", s)
			}
			e.do("POST", path, tok, form{}).want(200)
			if s := script(); s == "" {
				t.Error("turned on again without a script")
			}
		})

		before, beforeScript, snap := vacation(t), script(), e.snapshot()
		refusals := []struct {
			name, path, token string
			f                 form
			status            int
			msg               string
		}{
			{"a subject with CRLF (header injection)", path, tok, form{"subject": "Away\r\nBcc: x@evil.example"}, 422, "one line"},
			{"a subject with LF", path, tok, form{"subject": "Away\nX: y"}, 422, "one line"},
			{"an end before the start", path, tok, form{"start_date": "2026-12-10", "end_date": "2026-12-01"}, 422, "before start_date"},
			{"a date that is no date", path, tok, form{"start_date": "tomorrow"}, 422, "YYYY-MM-DD"},
			{"days that are no number", path, tok, form{"days": "a week"}, 422, "days"},
			{"days out of range", path, tok, form{"days": "0"}, 422, "between 1 and 365"},
			{"active that is no boolean", path, tok, form{"active": "maybe"}, 422, "true or false"},
			{"neither subject nor body while on", path, tok, form{"subject": "", "body": " "}, 422, "a subject or a body is required"},
			{"a body over 32 KiB", path, tok, form{"body": strings.Repeat("x", 32*1024+1)}, 422, "at most"},
			{"an address that is none", path, tok, form{"additional_mail_addresses": "no-at-sign"}, 422, "additional_mail_addresses"},
			{"a user id that is no number", "/vacation/ana", tok, form{"subject": "x"}, 400, "user_id"},
			{"another tenant's mailbox", path, other, form{"subject": "Hijacked"}, 404, "not found"},
			{"an unknown mailbox", "/vacation/999999", tok, form{"subject": "x"}, 404, "not found"},
			{"no token", path, "", form{"subject": "x"}, 401, ""},
		}
		for _, tc := range refusals {
			t.Run("refuses "+tc.name, func(t *testing.T) {
				e.do("POST", tc.path, tc.token, tc.f).wantError(tc.status, tc.msg)
				if got := vacation(t); fmt.Sprint(got) != fmt.Sprint(before) || script() != beforeScript {
					t.Errorf("changed to %v", got)
				}
				e.unchanged(snap)
			})
		}
		t.Run("another tenant cannot read it", func(t *testing.T) {
			e.do("GET", path, other, nil).wantError(404, "not found")
		})
	})
}
