package httpapi_test

import (
	"fmt"
	"strings"
	"testing"

	sb "github.com/switchboard/switchboard"
)

func TestAppPasswordsInTheMailAdminAPI(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		acme, other := e.tenant("acme", sb.RoleTenant), e.tenant("other", sb.RoleTenant)
		created := e.do("POST", "/domains", acme, form{"domain": "apps.example", "username": "ann@apps.example", "password": "ann-password-1"}).want(201)
		annID := idOf(created, "user", "id")
		list := func(token string) []any {
			t.Helper()
			r := e.do("GET", fmt.Sprintf("/app-passwords/%d", annID), token, nil).want(200)
			if strings.Contains(r.body, `"password"`) {
				t.Fatalf("the list shows a secret: %s", r.body)
			}
			return r.json["app_passwords"].([]any)
		}

		var firstID int64
		for _, enc := range []struct {
			name string
			enc  encoding
		}{{"multipart", multipartForm}, {"urlencoded", urlencodedForm}, {"JSON", jsonBody}} {
			t.Run("a tenant creates one from a "+enc.name+" body and sees the password once", func(t *testing.T) {
				r := e.doEnc("POST", fmt.Sprintf("/app-password/%d", annID), acme, form{"name": "Mail " + enc.name, "protocols": "imap,smtp"}, enc.enc).want(201)
				pw, _ := r.json["password"].(string)
				ap := r.json["app_password"].(map[string]any)
				if len(pw) != 32 || ap["name"] != "Mail "+enc.name || ap["email"] != "ann@apps.example" || int64(ap["user_id"].(float64)) != annID ||
					fmt.Sprint(ap["protocols"]) != "[imap smtp]" {
					t.Fatalf("created %s", r.body)
				}
				if firstID == 0 {
					firstID = idOf(r, "app_password", "id")
				}
			})
		}
		t.Run("a JSON array of protocols, and none for every protocol", func(t *testing.T) {
			r := e.doEnc("POST", fmt.Sprintf("/app-password/%d", annID), acme, form{"protocols": `["pop3","sieve"]`}, jsonBody).want(201)
			if fmt.Sprint(r.json["app_password"].(map[string]any)["protocols"]) != "[pop3 sieve]" {
				t.Fatalf("created %s", r.body)
			}
			r = e.do("POST", fmt.Sprintf("/app-password/%d", annID), acme, nil).want(201)
			if fmt.Sprint(r.json["app_password"].(map[string]any)["protocols"]) != "[]" {
				t.Fatalf("created %s", r.body)
			}
		})
		t.Run("the list shows every one without its secret", func(t *testing.T) {
			if got := list(acme); len(got) != 5 {
				t.Fatalf("list %v", got)
			}
		})
		t.Run("refusals change nothing", func(t *testing.T) {
			before := e.snapshot()
			path := fmt.Sprintf("/app-password/%d", annID)
			e.do("POST", path, acme, form{"protocols": "imap,telnet"}).wantError(422, "telnet")
			e.do("POST", path, acme, form{"name": strings.Repeat("n", 65)}).wantError(422, "at most 64")
			e.doEnc("POST", path, acme, form{"protocols": `["imap",`}, jsonBody).wantError(422, "protocols")
			e.do("POST", "/app-password/abc", acme, nil).wantError(400, "user_id")
			e.do("POST", "/app-password/999999", acme, nil).wantError(404, "not found")
			e.do("POST", path, other, nil).wantError(404, "not found")
			e.do("POST", path, "", nil).want(401)
			e.do("GET", fmt.Sprintf("/app-passwords/%d", annID), other, nil).wantError(404, "not found")
			e.do("GET", "/app-passwords/0", acme, nil).wantError(400, "user_id")
			e.do("DELETE", "/app-passwords", other, form{"id": fmt.Sprint(firstID)}).wantError(404, "not found")
			e.do("DELETE", "/app-passwords", acme, form{}).wantError(422, "id is required")
			e.do("DELETE", "/app-passwords", acme, form{"id": "x"}).wantError(422, "id must be a positive integer")
			e.do("DELETE", "/app-passwords", acme, form{"id": "999999"}).wantError(404, "not found")
			e.unchanged(before)
		})
		t.Run("a tenant revokes one", func(t *testing.T) {
			e.do("DELETE", "/app-passwords", acme, form{"id": fmt.Sprint(firstID)}).want(200)
			e.do("DELETE", "/app-passwords", acme, form{"id": fmt.Sprint(firstID)}).wantError(404, "not found")
			if got := list(acme); len(got) != 4 {
				t.Fatalf("list after the revoke %v", got)
			}
		})
	})
}
