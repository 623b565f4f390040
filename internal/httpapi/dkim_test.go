package httpapi_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	msgdkim "github.com/emersion/go-msgauth/dkim"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/dkim"
)

func TestDKIM(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		tok := e.tenant("acme", sb.RoleTenant)
		other := e.tenant("other", sb.RoleTenant)
		e.do("POST", "/domains", tok, form{"domain": "example.com", "username": "a@example.com", "password": "password123"}).want(201)

		var records = map[string]string{}
		t.Run("a first RSA key is made with a dated selector and is active", func(t *testing.T) {
			res := e.do("POST", "/dkim/add-new-domain", tok, form{"domain": "example.com"}).want(201)
			sel, _ := res.json["selector"].(string)
			if !strings.HasPrefix(sel, "s20") || res.json["algorithm"] != "rsa" || res.json["active"] != true ||
				res.json["dns_name"] != sel+"._domainkey.example.com" ||
				!strings.HasPrefix(res.json["dns_value"].(string), "v=DKIM1; k=rsa; p=MII") {
				t.Fatalf("answer %s", res.body)
			}
			records[sel] = res.json["dns_value"].(string)
		})
		t.Run("a second ed25519 key waits inactive for rotation", func(t *testing.T) {
			res := e.do("POST", "/dkim/add-new-domain", tok, form{"domain": "example.com", "selector": "ed1", "algorithm": "ed25519"}).want(201)
			if res.json["active"] != false || !strings.HasPrefix(res.json["dns_value"].(string), "v=DKIM1; k=ed25519; p=") {
				t.Fatalf("answer %s", res.body)
			}
			records["ed1"] = res.json["dns_value"].(string)
		})
		t.Run("stored keys sign mail that verifies against the published records", func(t *testing.T) {
			for sel, record := range records {
				priv, err := e.svc.DKIMPrivateKey(t.Context(), sb.SystemActor, "example.com", sel)
				if err != nil {
					t.Fatal(err)
				}
				var signed bytes.Buffer
				msg := "From: a@example.com\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nhello\r\n"
				if err := dkim.Sign(&signed, strings.NewReader(msg), "example.com", sel, priv); err != nil {
					t.Fatal(err)
				}
				vs, err := msgdkim.VerifyWithOptions(&signed, &msgdkim.VerifyOptions{LookupTXT: func(name string) ([]string, error) {
					if name != sel+"._domainkey.example.com" {
						return nil, fmt.Errorf("unexpected lookup %s", name)
					}
					return []string{record}, nil
				}})
				if err != nil || len(vs) != 1 || vs[0].Err != nil {
					t.Fatalf("selector %s: verification failed: %v %+v", sel, err, vs)
				}
			}
		})
		t.Run("private keys are sealed in the database", func(t *testing.T) {
			d, _ := e.store.Read().DomainByName(t.Context(), "example.com")
			_, sealed, err := e.store.Read().DKIMKey(t.Context(), d.ID, "ed1")
			if err != nil || !strings.HasPrefix(sealed, "sealed:v1:") || strings.Contains(sealed, "PRIVATE KEY") {
				t.Fatalf("stored private key %.40q, %v", sealed, err)
			}
		})
		t.Run("the list shows which key is active and never a private key", func(t *testing.T) {
			res := e.do("GET", "/dkim?domain=example.com", tok, nil).want(200)
			keys := res.json["keys"].([]any)
			if len(keys) != 2 || keys[0].(map[string]any)["active"] != true || keys[1].(map[string]any)["active"] != false {
				t.Fatalf("list %s", res.body)
			}
			if strings.Contains(res.body, "PRIVATE") || strings.Contains(res.body, "sealed") {
				t.Fatalf("private material in %s", res.body)
			}
		})
		t.Run("rotation: activate the new key, then retire the old one", func(t *testing.T) {
			var old string
			for sel := range records {
				if sel != "ed1" {
					old = sel
				}
			}
			before := e.snapshot()
			e.do("DELETE", "/dkim", tok, form{"domain": "example.com", "selector": old}).wantError(409, "activate another key first")
			e.unchanged(before)
			e.do("POST", "/dkim/activate", tok, form{"domain": "example.com", "selector": "ed1"}).want(200)
			e.do("DELETE", "/dkim", tok, form{"domain": "example.com", "selector": old}).want(200)
			res := e.do("GET", "/dkim", tok, form{"domain": "example.com"}).want(200)
			keys := res.json["keys"].([]any)
			if len(keys) != 1 || keys[0].(map[string]any)["selector"] != "ed1" || keys[0].(map[string]any)["active"] != true {
				t.Fatalf("after rotation %s", res.body)
			}
		})
		refusals := []struct {
			name   string
			method string
			path   string
			token  string
			f      form
			status int
			msg    string
		}{
			{"a duplicate selector is refused", "POST", "/dkim/add-new-domain", tok, form{"domain": "example.com", "selector": "ed1"}, 409, "already exists"},
			{"an unknown algorithm is refused", "POST", "/dkim/add-new-domain", tok, form{"domain": "example.com", "algorithm": "dsa"}, 422, "algorithm"},
			{"a bad selector is refused", "POST", "/dkim/add-new-domain", tok, form{"domain": "example.com", "selector": "bad selector"}, 422, "selector"},
			{"a domain is required", "POST", "/dkim/add-new-domain", tok, form{}, 422, "domain is required"},
			{"another tenant cannot add keys", "POST", "/dkim/add-new-domain", other, form{"domain": "example.com"}, 404, "domain not found"},
			{"another tenant cannot list keys", "GET", "/dkim?domain=example.com", other, nil, 404, "domain not found"},
			{"another tenant cannot activate keys", "POST", "/dkim/activate", other, form{"domain": "example.com", "selector": "ed1"}, 404, "domain not found"},
			{"another tenant cannot delete keys", "DELETE", "/dkim", other, form{"domain": "example.com", "selector": "ed1"}, 404, "domain not found"},
			{"activating an unknown selector is 404", "POST", "/dkim/activate", tok, form{"domain": "example.com", "selector": "nope"}, 404, "not found"},
			{"no token is refused", "POST", "/dkim/add-new-domain", "", form{"domain": "example.com"}, 401, "auth token"},
		}
		for _, tt := range refusals {
			t.Run(tt.name, func(t *testing.T) {
				before := e.snapshot()
				e.do(tt.method, tt.path, tt.token, tt.f).wantError(tt.status, tt.msg)
				e.unchanged(before)
			})
		}
	})
}
