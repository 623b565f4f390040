package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"strings"
	"testing"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/httpapi"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/store/storetest"
	"github.com/switchboard/switchboard/internal/testenv"
)

// A bcrypt and a SHA512-crypt hash doveadm pw made of "correct horse battery".
const (
	importBlowfish = "{BLF-CRYPT}$2y$05$kVQCFv8odaNDM771jP9oD.HV2zbgUNqhzMvXb59/k2HZ47Yt8JZ3a"
	importSHA512   = "$6$B8FTSOqJn2F0tROz$i.JkqWWSanoUxXXJ.oxWEf6W7nrB/RjiOVnEW4IKSVArXv8tpkojqzBxkO.rlbDYbr3eGqtJ/D5pZqmJL5wkm."
)

// importDomain makes tenant acme (returning its token) with domain a.test
// (returning its id), and tenant other.
func (e *env) importSetup() (acme, other string, domainID int64) {
	e.t.Helper()
	acme, other = e.tenant("acme", sb.RoleTenant), e.tenant("other", sb.RoleTenant)
	t, err := e.svc.GetTenant(context.Background(), sb.SystemActor, "acme")
	if err != nil {
		e.t.Fatal(err)
	}
	d, _, err := e.svc.CreateDomain(context.Background(), sb.Actor{TenantID: t.ID, TenantName: t.Name, Role: t.Role},
		sb.NewDomain{Name: "a.test"})
	if err != nil {
		e.t.Fatal(err)
	}
	return acme, other, d.ID
}

func multipartCSV(t *testing.T, fields map[string]string, file string) (string, *bytes.Buffer) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, err := mw.CreateFormFile("file", "accounts.csv")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write([]byte(file))
	mw.Close()
	return mw.FormDataContentType(), &b
}

func TestImportAccountsREST(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		acme, other, id := e.importSetup()
		ctx := context.Background()
		file := func(prefix string) string {
			return "email,password_hash,sip\n" + prefix + "1@a.test," + importBlowfish + ",\n" + prefix + "2@a.test," + importSHA512 + ",false\n"
		}
		t.Run("a raw text/csv body imports into the path's domain", func(t *testing.T) {
			res := e.raw("POST", fmt.Sprintf("/import/accounts/%d", id), acme, "text/csv; charset=utf-8", strings.NewReader(file("raw"))).want(201)
			if res.json["result"] != true || res.json["imported"] != 2.0 || res.json["kept_hashes"] != 2.0 || res.json["sip"] != 0.0 {
				t.Fatalf("answer %s", res.body)
			}
			if d := res.json["domain"].(map[string]any); d["name"] != "a.test" || d["users_count"] != 2.0 {
				t.Fatalf("domain %v", d)
			}
			for email, want := range map[string]string{"raw1@a.test": importBlowfish, "raw2@a.test": "{SHA512-CRYPT}" + importSHA512} {
				if _, hash, err := e.store.Read().AccountByEmail(ctx, email); err != nil || hash != want {
					t.Fatalf("%s: stored %q, %v; want %q", email, hash, err, want)
				}
			}
		})
		t.Run("a multipart file imports into the domain its domain field names", func(t *testing.T) {
			ctype, body := multipartCSV(t, map[string]string{"domain": "a.test"}, file("multi"))
			res := e.raw("POST", "/import/accounts", acme, ctype, body).want(201)
			if res.json["imported"] != 2.0 || res.json["domain"].(map[string]any)["users_count"] != 4.0 {
				t.Fatalf("answer %s", res.body)
			}
		})
		t.Run("the query's domain names the domain of a raw body", func(t *testing.T) {
			res := e.raw("POST", "/import/accounts?domain=A.TEST", acme, "text/csv", strings.NewReader(file("query"))).want(201)
			if res.json["imported"] != 2.0 {
				t.Fatalf("answer %s", res.body)
			}
		})

		before := e.snapshot()
		bad := "email,password_hash,sip\nraw1@a.test," + importBlowfish + ",\nnew@a.test,{PLAIN}secret,\nx@b.test," + importBlowfish + ",yes\n"
		t.Run("a bad file is answered 422 with every fault and writes nothing", func(t *testing.T) {
			res := e.raw("POST", fmt.Sprintf("/import/accounts/%d", id), acme, "text/csv", strings.NewReader(bad))
			res.wantError(422, "the file has 4 faults; nothing was imported")
			want := []map[string]any{
				{"line": 2.0, "field": "email", "reason": "the address is already an account"},
				{"line": 3.0, "field": "password_hash", "reason": "the {PLAIN} scheme is not accepted; accepted: {ARGON2ID}, {BLF-CRYPT} ($2y$, $2b$, $2a$), {SHA512-CRYPT} ($6$) and {SHA256-CRYPT} ($5$)"},
				{"line": 4.0, "field": "email", "reason": "the address is not in a.test"},
				{"line": 4.0, "field": "sip", "reason": "a SIP identity needs a plaintext password (its digest HA1s cannot be derived from a hash): leave sip empty or false, and set a password later"},
			}
			got, _ := res.json["errors"].([]any)
			if len(got) != len(want) || res.json["errors_total"] != 4.0 {
				t.Fatalf("errors %s", res.body)
			}
			for i, w := range want {
				if fmt.Sprint(got[i]) != fmt.Sprint(w) {
					t.Errorf("error %d = %v, want %v", i, got[i], w)
				}
			}
			if strings.Contains(res.body, "secret") {
				t.Fatalf("the answer repeats a password: %s", res.body)
			}
			e.unchanged(before)
		})
		for _, tc := range []struct {
			name, path, token, ctype string
			body                     string
			status                   int
			msg                      string
		}{
			{"another tenant's domain is not found", fmt.Sprintf("/import/accounts/%d", id), other, "text/csv", file("x"), 404, "domain not found"},
			{"another tenant's domain by name is not found", "/import/accounts?domain=a.test", other, "text/csv", file("x"), 404, "not found"},
			{"no token is unauthorized", fmt.Sprintf("/import/accounts/%d", id), "", "text/csv", file("x"), 401, ""},
			{"no domain is invalid", "/import/accounts", acme, "text/csv", file("x"), 422, "name the domain"},
			{"a bad domain id is malformed", "/import/accounts/x", acme, "text/csv", file("x"), 400, "domain_id"},
			{"a JSON body is malformed", fmt.Sprintf("/import/accounts/%d", id), acme, "application/json", `{"email":"x"}`, 400, "text/csv"},
			{"a multipart body without a file is invalid", "/import/accounts?domain=a.test", acme, "multipart/form-data; boundary=b", "--b--\r\n", 422, "no \"file\" field"},
		} {
			t.Run("refuses: "+tc.name, func(t *testing.T) {
				res := e.raw("POST", tc.path, tc.token, tc.ctype, strings.NewReader(tc.body))
				res.wantError(tc.status, tc.msg)
				if _, ok := res.json["errors"]; ok {
					t.Fatalf("a refusal of the request carries line errors: %s", res.body)
				}
				e.unchanged(before)
			})
		}
	})
}

func TestImportAccountsRESTBounds(t *testing.T) {
	file := "email,password_hash\na@a.test," + importBlowfish + "\nb@a.test," + importBlowfish + "\n"
	for _, b := range storetest.Backends() {
		for _, tc := range []struct {
			name  string
			tweak func(*service.Config)
			cfg   httpapi.Config
			msg   string
		}{
			{"a file over the service's byte bound is 413", func(c *service.Config) { c.Import.AccountMaxBytes = 40 }, httpapi.Config{}, "larger than 40 bytes"},
			{"a file over the service's account bound is 413", func(c *service.Config) { c.Import.AccountMaxRows = 1 }, httpapi.Config{}, "more than 1 accounts"},
			{"a body over the server's import limit is 413", nil, httpapi.Config{MaxImportBytes: 50}, "larger than 50 bytes"},
		} {
			t.Run(b.Name+": "+tc.name, func(t *testing.T) {
				st := storetest.Open(t, b)
				svc, _ := testenv.Service(t, st, tc.tweak)
				e := serveEnv(t, st, svc, tc.cfg)
				e.t = t
				acme, _, id := e.importSetup()
				before := e.snapshot()
				e.raw("POST", fmt.Sprintf("/import/accounts/%d", id), acme, "text/csv", strings.NewReader(file)).wantError(413, tc.msg)
				e.unchanged(before)
			})
		}
	}
}
