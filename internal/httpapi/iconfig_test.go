package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"howett.net/plist"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/httpapi"
	"github.com/switchboard/switchboard/internal/profile"
	"github.com/switchboard/switchboard/internal/profile/profiletest"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
	"github.com/switchboard/switchboard/internal/testenv"
)

// configEnv is a server with client configuration switched on and a
// signing certificate from a test PKI.
type configEnv struct {
	*env
	clock *testenv.Clock
	pki   profiletest.PKI
}

var testServers = profile.Servers{IMAPHost: "imap.host.example", IMAPPort: 993, IMAPSecurity: profile.SSL,
	SMTPHost: "smtp.host.example", SMTPPort: 587, SMTPSecurity: profile.STARTTLS}

func eachConfigEnv(t *testing.T, fn func(t *testing.T, e *configEnv)) {
	t.Helper()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		fn(t, newConfigEnv(t, st))
	})
}

func newConfigEnv(t *testing.T, st *store.Store) *configEnv {
	t.Helper()
	pki := profiletest.New(t)
	certPEM, _ := os.ReadFile(pki.ChainFile)
	keyPEM, _ := os.ReadFile(pki.KeyFile)
	signer, err := profile.NewSigner(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	svc, c := testenv.Service(t, st, func(cfg *service.Config) {
		cfg.ClientConfig = service.ClientConfigOptions{Signer: signer, PublicHost: "config.example.net", Servers: testServers}
	})
	return &configEnv{env: serveEnv(t, st, svc, httpapi.Config{PublicURL: "https://config.example.net/"}), clock: c, pki: pki}
}

// send makes a request with the given headers and a raw body.
func (e *env) send(method, path string, hdr map[string]string, body string) *result {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return e.exchange(req)
}

func jsonHdr(bearer string) map[string]string {
	h := map[string]string{"Content-Type": "application/json"}
	if bearer != "" {
		h["Authorization"] = "Bearer " + bearer
	}
	return h
}

// oauthClient creates a client for a tenant through the mail admin API.
func (e *configEnv) oauthClient(adminToken string) (id, secret string) {
	e.t.Helper()
	res := e.do("POST", "/oauth-clients", adminToken, nil).want(201)
	id, _ = res.json["client_id"].(string)
	secret, _ = res.json["client_secret"].(string)
	if id == "" || secret == "" {
		e.t.Fatalf("no client credentials in %s", res.body)
	}
	return id, secret
}

// accessToken obtains a bearer token as iConfig documents it.
func (e *configEnv) accessToken(id, secret string) string {
	e.t.Helper()
	body, _ := json.Marshal(map[string]string{"grant_type": "personal_access", "client_id": id, "client_secret": secret})
	res := e.send("POST", "/oauth/token", jsonHdr(""), string(body)).want(200)
	tok, _ := res.json["access_token"].(string)
	if tok == "" || res.json["token_type"] != "Bearer" || res.json["expires_in"].(float64) <= 0 {
		e.t.Fatalf("token answer %s", res.body)
	}
	return tok
}

// seedBody is the body of the iConfig documentation, with a name and a
// second account whose ports come as numbers.
const seedBody = `{
  "configs": {
    "email": [
      {
        "email_address": "my@email.com",
        "EmailAccountType": "EmailTypeIMAP",
        "EmailAccountName": "Testy McEmailface",
        "IncomingMailServerAuthentication": "EmailAuthPassword",
        "OutgoingMailServerAuthentication": "EmailAuthPassword",
        "IncomingPassword": "mysecureemailpassword",
        "OutgoingPassword": "mysecureemailpassword",
        "IncomingMailServerHostName": "mail.email.com",
        "OutgoingMailServerHostName": "mail.email.com",
        "IncomingMailServerPortNumber": "993",
        "OutgoingMailServerPortNumber": "587",
        "IncomingMailServerUseSSL": true,
        "OutgoingMailServerUseSSL": true
      },
      {
        "email_address": "pop@email.com",
        "EmailAccountType": "EmailTypePOP",
        "IncomingMailServerAuthentication": "EmailAuthCRAMMD5",
        "OutgoingMailServerAuthentication": "EmailAuthNone",
        "IncomingMailServerHostName": "pop.email.com",
        "OutgoingMailServerHostName": "smtp.email.com",
        "IncomingMailServerPortNumber": 995,
        "OutgoingMailServerPortNumber": 25,
        "IncomingMailServerUsername": "popuser",
        "IncomingMailServerUseSSL": "true",
        "OutgoingMailServerUseSSL": false
      }
    ]
  },
  "settings": {
    "password": "mysecurepassword",
    "removal_password": "remove-me"
  }
}`

func TestOAuthTokenEndpoint(t *testing.T) {
	eachConfigEnv(t, func(t *testing.T, e *configEnv) {
		admin := e.tenant("acme", sb.RoleTenant)
		id, secret := e.oauthClient(admin)

		t.Run("a JSON request with personal_access gets a bearer token", func(t *testing.T) {
			e.accessToken(id, secret)
		})
		t.Run("a form request with client_credentials gets one too", func(t *testing.T) {
			res := e.doEnc("POST", "/oauth/token", "", form{"grant_type": "client_credentials", "client_id": id, "client_secret": secret}, urlencodedForm).want(200)
			if res.header.Get("Cache-Control") != "no-store" {
				t.Fatalf("token answer may be cached: %v", res.header)
			}
		})
		tests := []struct {
			name   string
			f      form
			status int
			code   string
		}{
			{"a wrong secret is invalid_client", form{"grant_type": "personal_access", "client_id": id, "client_secret": "wrong"}, 401, "invalid_client"},
			{"an unknown client is invalid_client", form{"grant_type": "personal_access", "client_id": "nobody", "client_secret": secret}, 401, "invalid_client"},
			{"another grant type is unsupported_grant_type", form{"grant_type": "password", "client_id": id, "client_secret": secret}, 400, "unsupported_grant_type"},
			{"a missing secret is invalid_request", form{"grant_type": "personal_access", "client_id": id}, 400, "invalid_request"},
			{"a missing grant type is invalid_request", form{"client_id": id, "client_secret": secret}, 400, "invalid_request"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := e.doEnc("POST", "/oauth/token", "", tt.f, jsonBody).want(tt.status)
				if res.json["error"] != tt.code || res.json["access_token"] != nil {
					t.Fatalf("body %s, want error %s", res.body, tt.code)
				}
			})
		}
		t.Run("repeated wrong secrets are rate-limited", func(t *testing.T) {
			var res *result
			for range 12 {
				res = e.doEnc("POST", "/oauth/token", "", form{"grant_type": "personal_access", "client_id": id, "client_secret": "wrong"}, jsonBody)
			}
			res.want(429)
			if res.json["error"] != "slow_down" {
				t.Fatalf("body %s", res.body)
			}
		})
	})
}

func TestOAuthClientManagement(t *testing.T) {
	eachConfigEnv(t, func(t *testing.T, e *configEnv) {
		acme := e.tenant("acme", sb.RoleTenant)
		other := e.tenant("other", sb.RoleTenant)
		id, secret := e.oauthClient(acme)
		e.oauthClient(other)

		res := e.do("GET", "/oauth-clients", acme, nil).want(200)
		list := res.json["oauth_clients"].([]any)
		if len(list) != 1 || list[0].(map[string]any)["client_id"] != id || strings.Contains(res.body, secret) {
			t.Fatalf("acme's list: %s", res.body)
		}
		e.do("DELETE", "/oauth-clients", other, form{"client_id": id}).wantError(404, "not found")
		e.do("POST", "/oauth-clients", acme, form{"tenant": "other"}).wantError(404, "not found")

		tok := e.accessToken(id, secret)
		e.send("POST", "/config/create", jsonHdr(tok), seedBody).want(201)
		e.do("DELETE", "/oauth-clients", acme, form{"client_id": id}).want(200)
		e.send("POST", "/config/create", jsonHdr(tok), seedBody).want(401)
		e.doEnc("POST", "/oauth/token", "", form{"grant_type": "personal_access", "client_id": id, "client_secret": secret}, jsonBody).want(401)
		if res := e.do("GET", "/oauth-clients", acme, nil).want(200); strings.TrimSpace(res.body) != `{"oauth_clients":[]}` {
			t.Fatalf("after revoke: %s", res.body)
		}
		// The secret is stored as a digest only.
		c, hash, err := e.store.Read().OAuthClientByClientID(t.Context(), "nobody")
		if err == nil || c != nil || hash != "" {
			t.Fatal("unknown client found")
		}
	})
}

func TestConfigCreateAndDownload(t *testing.T) {
	eachConfigEnv(t, func(t *testing.T, e *configEnv) {
		tok := e.accessToken(e.oauthClient(e.tenant("acme", sb.RoleTenant)))
		res := e.send("POST", "/config/create", jsonHdr(tok), seedBody).want(201)
		id, _ := res.json["id"].(string)
		if id == "" || res.json["url"] != "https://config.example.net/config/"+id {
			t.Fatalf("create answer %s", res.body)
		}
		exp, err := time.Parse(time.RFC3339, res.json["expires_at"].(string))
		if err != nil || !exp.Equal(e.clock.Now().Add(7*24*time.Hour)) {
			t.Fatalf("expires_at %v, %v", res.json["expires_at"], err)
		}

		t.Run("the stored configuration is sealed and the link password hashed", func(t *testing.T) {
			row, err := e.store.Read().ClientConfig(t.Context(), id, e.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(row.Sealed, "mysecureemailpassword") || strings.Contains(row.Sealed, "my@email.com") {
				t.Fatal("configuration stored in clear")
			}
			if !strings.HasPrefix(row.PasswordHash, "{ARGON2ID}$argon2id$") {
				t.Fatalf("link password hash %q", row.PasswordHash)
			}
		})
		t.Run("the link shows a password form", func(t *testing.T) {
			res := e.send("GET", "/config/"+id, nil, "").want(200)
			if !strings.Contains(res.body, `<form method="post">`) || !strings.Contains(res.body, `name="password"`) {
				t.Fatalf("form: %s", res.body)
			}
		})
		t.Run("a wrong password is refused", func(t *testing.T) {
			res := e.doEnc("POST", "/config/"+id, "", form{"password": "wrong-password"}, urlencodedForm).want(401)
			if res.header.Get("Content-Type") == profile.ContentType {
				t.Fatal("profile served for a wrong password")
			}
		})
		t.Run("the right password downloads the signed profile", func(t *testing.T) {
			res := e.doEnc("POST", "/config/"+id, "", form{"password": "mysecurepassword"}, urlencodedForm).want(200)
			if ct := res.header.Get("Content-Type"); ct != "application/x-apple-aspen-config" {
				t.Fatalf("Content-Type %q", ct)
			}
			if cd := res.header.Get("Content-Disposition"); cd != `attachment; filename=mail.mobileconfig` {
				t.Fatalf("Content-Disposition %q", cd)
			}
			content := e.pki.Verify(t, []byte(res.body))
			var doc struct {
				PayloadType    string
				PayloadContent []map[string]any
			}
			if _, err := plist.Unmarshal(content, &doc); err != nil {
				t.Fatal(err)
			}
			if doc.PayloadType != "Configuration" || len(doc.PayloadContent) != 3 {
				t.Fatalf("profile %+v", doc)
			}
			imap, pop, removal := doc.PayloadContent[0], doc.PayloadContent[1], doc.PayloadContent[2]
			for k, want := range map[string]any{"EmailAddress": "my@email.com", "EmailAccountName": "Testy McEmailface",
				"IncomingPassword": "mysecureemailpassword", "IncomingMailServerPortNumber": uint64(993),
				"OutgoingMailServerPortNumber": uint64(587), "IncomingMailServerUsername": "my@email.com",
				"OutgoingMailServerUseSSL": true, "PayloadType": "com.apple.mail.managed"} {
				if imap[k] != want {
					t.Errorf("imap %s = %#v, want %#v", k, imap[k], want)
				}
			}
			for k, want := range map[string]any{"EmailAccountType": "EmailTypePOP", "IncomingMailServerUsername": "popuser",
				"IncomingMailServerAuthentication": "EmailAuthCRAMMD5", "IncomingMailServerUseSSL": true, "OutgoingMailServerUseSSL": false} {
				if pop[k] != want {
					t.Errorf("pop %s = %#v, want %#v", k, pop[k], want)
				}
			}
			if removal["PayloadType"] != "com.apple.profileRemovalPassword" || removal["RemovalPassword"] != "remove-me" {
				t.Errorf("removal payload %v", removal)
			}
		})
		t.Run("the link expires, before and after the purge", func(t *testing.T) {
			e.clock.Add(7*24*time.Hour + time.Second)
			e.send("GET", "/config/"+id, nil, "").want(404)
			e.doEnc("POST", "/config/"+id, "", form{"password": "mysecurepassword"}, urlencodedForm).want(404)
			if err := e.svc.PurgeExpired(t.Context()); err != nil {
				t.Fatal(err)
			}
			if _, err := e.store.Read().ClientConfig(t.Context(), id, time.Unix(0, 0)); sb.ErrorCode(err) != sb.ENOTFOUND {
				t.Fatalf("expired configuration kept: %v", err)
			}
		})
	})
}

func TestConfigLinkPasswordIsRateLimited(t *testing.T) {
	eachConfigEnv(t, func(t *testing.T, e *configEnv) {
		tok := e.accessToken(e.oauthClient(e.tenant("acme", sb.RoleTenant)))
		id := e.send("POST", "/config/create", jsonHdr(tok), seedBody).want(201).json["id"].(string)
		var res *result
		// A link's password has the bucket every secret has: 10 failures.
		for range 11 {
			res = e.doEnc("POST", "/config/"+id, "", form{"password": "wrong-password"}, urlencodedForm)
		}
		res.want(429)
		// Even the right password waits now.
		e.doEnc("POST", "/config/"+id, "", form{"password": "mysecurepassword"}, urlencodedForm).want(429)
	})
}

func TestConfigCreateRefusals(t *testing.T) {
	eachConfigEnv(t, func(t *testing.T, e *configEnv) {
		acme := e.tenant("acme", sb.RoleTenant)
		tok := e.accessToken(e.oauthClient(acme))

		t.Run("no, a bad or a mail admin token is 401", func(t *testing.T) {
			for _, bad := range []string{"", "not-a-token", acme} {
				res := e.send("POST", "/config/create", jsonHdr(bad), seedBody).want(401)
				if res.json["message"] == nil || !strings.HasPrefix(res.header.Get("WWW-Authenticate"), "Bearer") {
					t.Fatalf("refusal %s %v", res.body, res.header)
				}
			}
		})
		mutate := func(f func(email map[string]any, settings map[string]any)) string {
			var body map[string]any
			json.Unmarshal([]byte(seedBody), &body)
			emails := body["configs"].(map[string]any)["email"].([]any)
			f(emails[1].(map[string]any), body["settings"].(map[string]any))
			out, _ := json.Marshal(body)
			return string(out)
		}
		tests := []struct {
			name, field string
			f           func(email, settings map[string]any)
		}{
			{"a port that is not a number", "configs.email.1.IncomingMailServerPortNumber", func(m, _ map[string]any) { m["IncomingMailServerPortNumber"] = "imap" }},
			{"a port out of range", "configs.email.1.OutgoingMailServerPortNumber", func(m, _ map[string]any) { m["OutgoingMailServerPortNumber"] = 70000 }},
			{"a missing port", "configs.email.1.OutgoingMailServerPortNumber", func(m, _ map[string]any) { delete(m, "OutgoingMailServerPortNumber") }},
			{"an unknown account type", "configs.email.1.EmailAccountType", func(m, _ map[string]any) { m["EmailAccountType"] = "EmailTypeExchange" }},
			{"an unknown authentication", "configs.email.1.IncomingMailServerAuthentication", func(m, _ map[string]any) { m["IncomingMailServerAuthentication"] = "Plain" }},
			{"a bad address", "configs.email.1.email_address", func(m, _ map[string]any) { m["email_address"] = "nobody" }},
			{"a bad host name", "configs.email.1.IncomingMailServerHostName", func(m, _ map[string]any) { m["IncomingMailServerHostName"] = "bad host" }},
			{"a non-boolean SSL flag", "configs.email.1.OutgoingMailServerUseSSL", func(m, _ map[string]any) { m["OutgoingMailServerUseSSL"] = "maybe" }},
			{"a missing link password", "settings.password", func(_, s map[string]any) { delete(s, "password") }},
			{"a short link password", "settings.password", func(_, s map[string]any) { s["password"] = "short" }},
			{"a control character in a name", "configs.email.1.EmailAccountName", func(m, _ map[string]any) { m["EmailAccountName"] = "a\nb" }},
		}
		for _, tt := range tests {
			t.Run(tt.name+" is 422 naming the field", func(t *testing.T) {
				before := e.configCount(t)
				res := e.send("POST", "/config/create", jsonHdr(tok), mutate(tt.f)).want(422)
				errs, _ := res.json["errors"].(map[string]any)
				if errs[tt.field] == nil {
					t.Fatalf("errors do not name %s: %s", tt.field, res.body)
				}
				if e.configCount(t) != before {
					t.Fatal("a refused configuration was stored")
				}
			})
		}
		t.Run("no email payload is 422", func(t *testing.T) {
			e.send("POST", "/config/create", jsonHdr(tok), `{"configs":{"email":[]},"settings":{"password":"mysecurepassword"}}`).want(422)
		})
		t.Run("malformed JSON is 400", func(t *testing.T) {
			e.send("POST", "/config/create", jsonHdr(tok), `{"configs":`).want(400)
		})
	})
}

// configCount counts stored configurations through the audit log.
func (e *configEnv) configCount(t *testing.T) int {
	t.Helper()
	audit, err := e.store.Read().AuditLog(context.Background(), 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range audit {
		if a.Action == "client_config.create" {
			n++
		}
	}
	return n
}

func TestConfigsBelongToTheirTenant(t *testing.T) {
	eachConfigEnv(t, func(t *testing.T, e *configEnv) {
		acme := e.accessToken(e.oauthClient(e.tenant("acme", sb.RoleTenant)))
		other := e.accessToken(e.oauthClient(e.tenant("other", sb.RoleTenant)))
		id := e.send("POST", "/config/create", jsonHdr(acme), seedBody).want(201).json["id"].(string)

		e.send("DELETE", "/config/"+id, jsonHdr(other), "").want(404)
		e.send("GET", "/config/"+id, nil, "").want(200)
		e.send("DELETE", "/config/"+id, jsonHdr(acme), "").want(204)
		e.send("GET", "/config/"+id, nil, "").want(404)
		e.send("DELETE", "/config/"+id, jsonHdr(""), "").want(401)
	})
}

func TestAutoconfigurationOfHostedDomains(t *testing.T) {
	eachConfigEnv(t, func(t *testing.T, e *configEnv) {
		tok := e.tenant("acme", sb.RoleTenant)
		e.do("POST", "/domains", tok, form{"domain": "example.com", "username": "bob@example.com", "password": "password123"}).want(201)

		for _, path := range []string{"/mail/config-v1.1.xml", "/.well-known/autoconfig/mail/config-v1.1.xml"} {
			t.Run("Thunderbird autoconfig at "+path, func(t *testing.T) {
				res := e.send("GET", path+"?emailaddress="+url.QueryEscape("bob@Example.com"), nil, "").want(200)
				var doc struct {
					Version  string `xml:"version,attr"`
					Provider struct {
						ID       string `xml:"id,attr"`
						Domain   string `xml:"domain"`
						Incoming struct {
							Type     string `xml:"type,attr"`
							Hostname string `xml:"hostname"`
							Port     int    `xml:"port"`
							Username string `xml:"username"`
						} `xml:"incomingServer"`
						Outgoing struct {
							Type       string `xml:"type,attr"`
							SocketType string `xml:"socketType"`
						} `xml:"outgoingServer"`
					} `xml:"emailProvider"`
				}
				if err := xml.Unmarshal([]byte(res.body), &doc); err != nil {
					t.Fatal(err)
				}
				p := doc.Provider
				if doc.Version != "1.1" || p.ID != "example.com" || p.Domain != "example.com" || p.Incoming.Type != "imap" ||
					p.Incoming.Hostname != "imap.host.example" || p.Incoming.Port != 993 || p.Incoming.Username != "%EMAILADDRESS%" ||
					p.Outgoing.Type != "smtp" || p.Outgoing.SocketType != "STARTTLS" {
					t.Fatalf("autoconfig %+v", doc)
				}
			})
		}
		t.Run("an unknown domain is 404", func(t *testing.T) {
			e.send("GET", "/mail/config-v1.1.xml?emailaddress=bob@unknown.example", nil, "").want(404)
		})

		adReq := func(addr string) string {
			return `<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="` + profile.AutodiscoverRequestNS + `"><Request>` +
				`<EMailAddress>` + addr + `</EMailAddress><AcceptableResponseSchema>` + profile.OutlookResponseNS +
				`</AcceptableResponseSchema></Request></Autodiscover>`
		}
		t.Run("Outlook autodiscover", func(t *testing.T) {
			res := e.send("POST", "/autodiscover/autodiscover.xml", map[string]string{"Content-Type": "text/xml"}, adReq("bob@example.com")).want(200)
			var doc struct {
				XMLName  xml.Name
				Response struct {
					XMLName xml.Name
					Account struct {
						Protocol []struct{ Type, Server, Port, LoginName string }
					}
				}
			}
			if err := xml.Unmarshal([]byte(res.body), &doc); err != nil {
				t.Fatal(err)
			}
			pr := doc.Response.Account.Protocol
			if doc.XMLName.Space != profile.AutodiscoverResponseNS || doc.Response.XMLName.Space != profile.OutlookResponseNS ||
				len(pr) != 2 || pr[0].Type != "IMAP" || pr[1].Type != "SMTP" || pr[1].Port != "587" || pr[0].LoginName != "bob@example.com" {
				t.Fatalf("autodiscover %+v", doc)
			}
		})
		t.Run("autodiscover for an unknown domain is 404", func(t *testing.T) {
			e.send("POST", "/autodiscover/autodiscover.xml", map[string]string{"Content-Type": "text/xml"}, adReq("bob@unknown.example")).want(404)
		})
		t.Run("a body that is not an autodiscover request is 400", func(t *testing.T) {
			e.send("POST", "/autodiscover/autodiscover.xml", map[string]string{"Content-Type": "text/xml"}, "<x/>").want(400)
		})

		t.Run("a mailbox owner downloads a signed profile without a password", func(t *testing.T) {
			res := e.doEnc("POST", "/mail/mobileconfig", "", form{"email": "bob@example.com", "password": "password123"}, urlencodedForm).want(200)
			content := e.pki.Verify(t, []byte(res.body))
			var doc struct{ PayloadContent []map[string]any }
			if _, err := plist.Unmarshal(content, &doc); err != nil {
				t.Fatal(err)
			}
			p := doc.PayloadContent[0]
			if p["EmailAddress"] != "bob@example.com" || p["IncomingMailServerHostName"] != "imap.host.example" ||
				p["IncomingPassword"] != nil || p["OutgoingPassword"] != nil || p["OutgoingPasswordSameAsIncomingPassword"] != true {
				t.Fatalf("hosted payload %v", p)
			}
			if bytes.Contains(content, []byte("password123")) {
				t.Fatal("the mailbox password is in the profile")
			}
		})
		t.Run("a wrong mailbox password is refused and rate-limited", func(t *testing.T) {
			var res *result
			for i := range 11 {
				res = e.doEnc("POST", "/mail/mobileconfig", "", form{"email": "bob@example.com", "password": fmt.Sprint("wrong", i)}, urlencodedForm)
				if i == 0 {
					res.want(401)
				}
			}
			res.want(429)
		})
	})
}
