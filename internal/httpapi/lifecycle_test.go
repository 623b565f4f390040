package httpapi_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/digest"
	"github.com/switchboard/switchboard/internal/httpapi"
	"github.com/switchboard/switchboard/internal/notify"
	"github.com/switchboard/switchboard/internal/notify/smtptest"
	"github.com/switchboard/switchboard/internal/profile"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
	"github.com/switchboard/switchboard/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fakeSMS is the hand-written fake of the paid SMS gateway.
type fakeSMS struct {
	mu   sync.Mutex
	sent []string
}

func (f *fakeSMS) SendSMS(_ context.Context, to, text string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, to+" "+text)
	return nil
}

func (f *fakeSMS) last() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.sent) == 0 {
		return ""
	}
	return f.sent[len(f.sent)-1]
}

// apnsDevice is a local APNs stand-in: HTTP/2 over TLS, checking the ES256
// provider token, remembering the tokens pushed to each device.
type apnsDevice struct {
	srv    *httptest.Server
	mu     sync.Mutex
	tokens map[string]string
}

func newAPNs(t *testing.T) (*apnsDevice, *notify.APNs) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	d := &apnsDevice{tokens: map[string]string{}}
	d.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, err := notify.VerifyES256(strings.TrimPrefix(r.Header.Get("authorization"), "bearer "), &key.PublicKey)
		device := strings.TrimPrefix(r.URL.Path, "/3/device/")
		if r.ProtoMajor != 2 || err != nil || claims["iss"] != "TEAM123456" || r.Header.Get("apns-topic") == "" || device == "unreachable" {
			w.WriteHeader(400)
			w.Write([]byte(`{"reason":"BadDeviceToken"}`))
			return
		}
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		d.mu.Lock()
		d.tokens[device], _ = body["token"].(string)
		d.mu.Unlock()
	}))
	d.srv.EnableHTTP2 = true
	d.srv.StartTLS()
	t.Cleanup(d.srv.Close)
	return d, &notify.APNs{BaseURL: d.srv.URL, KeyID: "KEY1234567", TeamID: "TEAM123456", Key: key, Client: d.srv.Client()}
}

func (d *apnsDevice) token(device string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.tokens[device]
}

type phoneEnv struct {
	*sipEnv
	mail  *smtptest.Server
	sms   *fakeSMS
	apns  *apnsDevice
	store *store.Store
}

func newPhoneEnv(t *testing.T, st *store.Store, base *profile.LinphoneConfig) *phoneEnv {
	mail := smtptest.Start(t, smtptest.Options{})
	sms := &fakeSMS{}
	dev, apns := newAPNs(t)
	svc, c := testenv.Service(t, st, func(cfg *service.Config) {
		cfg.SIPDomain, cfg.ProvisioningBase = "sip.example.org", base
		cfg.Delivery = service.Delivery{
			Mailer: notify.NewSMTP(notify.SMTPConfig{Addr: mail.Addr, From: "noreply@sip.example.org"}),
			SMS:    sms,
			Push:   notify.Providers{"apns": apns, "apns.dev": apns},
		}
	})
	e := serveEnv(t, st, svc, httpapi.Config{})
	tok := e.tenant("acme", sb.RoleTenant)
	e.do("POST", "/domains", tok, form{"domain": "sip.example.org", "username": "postmaster@sip.example.org", "password": "postmaster-pw"}).want(201)
	return &phoneEnv{sipEnv: &sipEnv{env: e, clock: c}, mail: mail, sms: sms, apns: dev, store: st}
}

var codeRE = regexp.MustCompile(`\b(\d{6})\b`)

func (p *phoneEnv) mailCode(n int) string {
	p.t.Helper()
	m, ok := p.mail.Wait(n, 5*time.Second)
	if !ok {
		p.t.Fatalf("no mail #%d", n)
	}
	body := m.Data[strings.Index(m.Data, "\r\n\r\n")+4:]
	c := codeRE.FindStringSubmatch(body)
	if c == nil {
		p.t.Fatalf("no code in %q", body)
	}
	return c[1]
}

func testBase(t *testing.T) *profile.LinphoneConfig {
	base, err := profile.ParseLinphone([]byte(`<?xml version="1.0" encoding="UTF-8"?>
<config xmlns="http://www.linphone.org/xsds/lpconfig.xsd">
  <section name="sip">
    <entry name="default_proxy" overwrite="true">0</entry>
  </section>
  <section name="nat_policy_0">
    <entry name="stun_server">stun.sip.example.org</entry>
  </section>
</config>`))
	if err != nil {
		t.Fatal(err)
	}
	return base
}

// TestPhoneAppJourney is the acceptance path of the SIP lifecycle.
func TestPhoneAppJourney(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		p := newPhoneEnv(t, st, testBase(t))
		tokens := map[string]string{"pn_provider": "apns", "pn_param": "TEAM123456.org.linphone.phone.voip", "pn_prid": "phone-1"}
		p.sipDo("POST", "/api/tokens", "", tokens, nil).want(t, 201)
		token := p.apns.token("phone-1")
		if len(token) < 40 {
			t.Fatalf("the device got no token: %q", token)
		}
		t.Run("a second token to the same device is refused", func(t *testing.T) {
			p.sipDo("POST", "/api/tokens", "", tokens, nil).wantError(t, 403, "")
		})

		body := map[string]any{"username": "alice1", "password": "alice-secret", "algorithm": "SHA-256", "token": token, "email": "alice@mail.example"}
		r := p.sipDo("POST", "/api/accounts/with-token", "", body, nil).want(t, 201)
		if r.json["username"] != "alice1" || r.json["domain"] != "sip.example.org" || r.json["activated"] != false {
			t.Fatalf("with-token %s", r.body)
		}
		key := r.json["confirmation_key"].(string)
		t.Run("a used token creates nothing more", func(t *testing.T) {
			before := p.snapshot()
			body2 := map[string]any{"username": "alice2", "password": "alice-secret", "algorithm": "SHA-256", "token": token}
			p.sipDo("POST", "/api/accounts/with-token", "", body2, nil).wantError(t, 422, "token")
			p.unchanged(before)
		})

		code := p.mailCode(1)
		m, _ := p.mail.Wait(1, time.Second)
		if m.To[0] != "alice@mail.example" || !strings.Contains(m.Data, "Subject: Activate your account alice1@sip.example.org") {
			t.Fatalf("activation mail %+v", m)
		}
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		p.sipDo("POST", "/api/accounts/sip:alice1@sip.example.org/activate/email", "", map[string]string{"code": wrong}, nil).wantError(t, 404, "")
		p.sipDo("POST", "/api/accounts/sip:nobody@sip.example.org/activate/email", "", map[string]string{"code": code}, nil).wantError(t, 404, "")
		r = p.sipDo("POST", "/api/accounts/sip:alice1@sip.example.org/activate/email", "", map[string]string{"code": code}, nil).want(t, 200)
		if r.json["activated"] != true {
			t.Fatalf("activate %s", r.body)
		}
		p.sipDo("POST", "/api/accounts/sip:alice1@sip.example.org/activate/email", "", map[string]string{"code": code}, nil).wantError(t, 404, "")

		p.digestDo("GET", "/api/accounts/me", "alice1", "sip.example.org", "alice-secret", digest.SHA256, nil).want(t, 200)

		res, err := http.Get(p.url + "/provisioning/" + key)
		if err != nil {
			t.Fatal(err)
		}
		var xmlBody bytes.Buffer
		xmlBody.ReadFrom(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/xml" {
			t.Fatalf("provisioning %d %s", res.StatusCode, xmlBody.String())
		}
		golden(t, "provisioning.xml", xmlBody.Bytes())
		var doc profile.LinphoneConfig
		if err := xml.Unmarshal(xmlBody.Bytes(), &doc); err != nil || doc.XMLName.Space != profile.LinphoneNS {
			t.Fatalf("not lpconfig XML: %v", err)
		}
		ha1, _ := digest.HA1(digest.SHA256, "alice1", "sip.example.org", "alice-secret")
		if entry(doc, "auth_info_0", "ha1") != ha1 || entry(doc, "auth_info_0", "algorithm") != "SHA-256" ||
			entry(doc, "sip", "default_proxy") != "0" || strings.Contains(xmlBody.String(), "alice-secret") {
			t.Fatalf("provisioning XML %s", xmlBody.String())
		}
		res, _ = http.Get(p.url + "/provisioning/" + key)
		xmlBody.Reset()
		xmlBody.ReadFrom(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || strings.Contains(xmlBody.String(), "auth_info_0") || !strings.Contains(xmlBody.String(), "nat_policy_0") {
			t.Fatalf("second fetch %d %s", res.StatusCode, xmlBody.String())
		}
		if a, _ := p.svc.PublicSIPAccount(context.Background(), "alice1@sip.example.org"); !a.Provisioned {
			t.Fatal("the account is not marked provisioned")
		}

		t.Run("the QR code encodes the absolute provisioning URL", func(t *testing.T) {
			zbar, err := exec.LookPath("zbarimg")
			if err != nil {
				if os.Getenv("CI") != "" {
					t.Fatal("zbarimg missing in CI")
				}
				t.Skip("zbar-tools not installed")
			}
			res, err := http.Get(p.url + "/provisioning/qrcode/some-key")
			if err != nil || res.Header.Get("Content-Type") != "image/png" {
				t.Fatalf("qrcode: %v %v", err, res.Header)
			}
			png := filepath.Join(t.TempDir(), "qr.png")
			var b bytes.Buffer
			b.ReadFrom(res.Body)
			res.Body.Close()
			os.WriteFile(png, b.Bytes(), 0o600)
			out, err := exec.Command(zbar, "--quiet", "--raw", png).Output()
			if err != nil || strings.TrimSpace(string(out)) != p.url+"/provisioning/some-key" {
				t.Fatalf("decoded %q, %v", out, err)
			}
		})
	})
}

func entry(doc profile.LinphoneConfig, section, name string) string {
	for _, s := range doc.Sections {
		if s.Name == section {
			for _, e := range s.Entries {
				if e.Name == name {
					return e.Value
				}
			}
		}
	}
	return ""
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		os.WriteFile(path, got, 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden %s: %v (run with -update)", name, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the golden file:\n%s", name, got)
	}
}

func TestLifecycleRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		p := newPhoneEnv(t, st, nil)
		t.Run("an unknown push provider is 422", func(t *testing.T) {
			p.sipDo("POST", "/api/tokens", "", map[string]string{"pn_provider": "webpush", "pn_param": "x", "pn_prid": "d"}, nil).wantError(t, 422, "pn_provider")
		})
		t.Run("a failed push is 503 and stores nothing", func(t *testing.T) {
			req := map[string]string{"pn_provider": "apns", "pn_param": "T.org.x", "pn_prid": "unreachable"}
			p.sipDo("POST", "/api/tokens", "", req, nil).wantError(t, 503, "")
			if total, _, _ := st.Read().CountDeviceTokens(context.Background(), "unreachable", time.Now()); total != 0 {
				t.Fatalf("%d tokens stored after a failed push", total)
			}
		})
		t.Run("a made-up token creates no account", func(t *testing.T) {
			before := p.snapshot()
			p.sipDo("POST", "/api/accounts/with-token", "", map[string]any{"username": "mallory", "password": "secret-pw", "algorithm": "MD5", "token": "forged"}, nil).wantError(t, 422, "token")
			p.unchanged(before)
		})
		t.Run("an expired token creates no account", func(t *testing.T) {
			p.sipDo("POST", "/api/tokens", "", map[string]string{"pn_provider": "apns", "pn_param": "T.org.x", "pn_prid": "phone-9"}, nil).want(t, 201)
			p.clock.Add(25 * time.Hour)
			p.sipDo("POST", "/api/accounts/with-token", "", map[string]any{"username": "latecomer", "password": "secret-pw", "algorithm": "MD5",
				"token": p.apns.token("phone-9")}, nil).wantError(t, 422, "token")
		})
		// An admin-created account activated by SMS, whose codes cannot be
		// brute-forced.
		if _, err := p.svc.CreateAccountCLI(context.Background(), sb.SystemActor, "admin@sip.example.org", "admin-password", "", true); err != nil {
			t.Fatal(err)
		}
		admin := func(body any) *sipResult {
			return p.digestDo("POST", "/api/accounts", "admin", "sip.example.org", "admin-password", digest.MD5, body)
		}
		t.Run("a PIN cannot be brute-forced", func(t *testing.T) {
			admin(map[string]any{"username": "bob123", "password": "secret-pw", "algorithm": "MD5", "phone": "+33611111111"}).want(t, 201)
			pin := codeRE.FindStringSubmatch(p.sms.last())[1]
			wrong := fmt.Sprintf("%06d", (int(pin[5]-'0')+1)%10)
			for range service.MaxCodeAttempts {
				p.sipDo("POST", "/api/accounts/sip:bob123@sip.example.org/activate/phone", "", map[string]string{"code": wrong}, nil).wantError(t, 404, "")
			}
			// Even the right PIN is dead now (or the caller is rate-limited).
			r := p.sipDo("POST", "/api/accounts/sip:bob123@sip.example.org/activate/phone", "", map[string]string{"code": pin}, nil)
			if r.status != 404 && r.status != 429 {
				t.Fatalf("the right PIN after %d wrong ones: %d %s", service.MaxCodeAttempts, r.status, r.body)
			}
		})
		t.Run("activation after confirmation_key_expires is 403", func(t *testing.T) {
			admin(map[string]any{"username": "carol1", "password": "secret-pw", "algorithm": "MD5", "email": "carol@mail.example",
				"confirmation_key_expires": p.clock.Now().Add(time.Hour).UTC().Format("2006-01-02 15:04:05")}).want(t, 201)
			code := p.mailCode(1)
			p.clock.Add(2 * time.Hour)
			p.sipDo("POST", "/api/accounts/sip:carol1@sip.example.org/activate/email", "", map[string]string{"code": code}, nil).wantError(t, 403, "")
		})
		t.Run("email and phone changes take effect only with their codes", func(t *testing.T) {
			admin(map[string]any{"username": "dave12", "password": "secret-pw", "algorithm": "MD5", "activated": true}).want(t, 201)
			dave := func(method, path string, body any) *sipResult {
				return p.digestDo(method, path, "dave12", "sip.example.org", "secret-pw", digest.MD5, body)
			}
			dave("POST", "/api/accounts/me/email/request", map[string]string{"email": "not-an-address"}).wantError(t, 422, "email")
			dave("POST", "/api/accounts/me/email/request", map[string]string{"email": "dave@new.example"}).want(t, 200)
			if r := dave("GET", "/api/accounts/me", nil).want(t, 200); r.json["email"] != nil {
				t.Fatalf("email changed before confirmation: %s", r.body)
			}
			code := p.mailCode(2)
			dave("POST", "/api/accounts/me/email", map[string]string{"code": "12345x"}).wantError(t, 422, "code")
			if r := dave("POST", "/api/accounts/me/email", map[string]string{"code": code}).want(t, 200); r.json["email"] != "dave@new.example" {
				t.Fatalf("email change %s", r.body)
			}
			dave("POST", "/api/accounts/me/phone/request", map[string]string{"phone": "0612"}).wantError(t, 422, "phone")
			dave("POST", "/api/accounts/me/phone/request", map[string]string{"phone": "+33622222222"}).want(t, 200)
			pin := codeRE.FindStringSubmatch(p.sms.last())[1]
			if r := dave("POST", "/api/accounts/me/phone", map[string]string{"code": pin}).want(t, 200); r.json["phone"] != "+33622222222" {
				t.Fatalf("phone change %s", r.body)
			}
		})
		t.Run("without a base configuration an unknown key is 404", func(t *testing.T) {
			res, _ := http.Get(p.url + "/provisioning/unknown-key")
			res.Body.Close()
			if res.StatusCode != 404 {
				t.Fatalf("status %d", res.StatusCode)
			}
		})
	})
}

// fetchProvisioning GETs a provisioning URL and returns status, content
// type and body.
func fetchProvisioning(t *testing.T, url string) (int, string, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	return res.StatusCode, res.Header.Get("Content-Type"), b.String()
}

// TestProvisioningKeys: what each kind of key gets, with and without a
// base configuration. An account that is not activated is never
// provisioned and keeps its key; a used key keeps answering 200 (empty
// without a base) while its account is on, since liblinphone fetches the URI
// at every start; a key that never existed is 404 without a base.
func TestProvisioningKeys(t *testing.T) {
	bases := []struct {
		name string
		base func(t *testing.T) *profile.LinphoneConfig
	}{
		{"without a base", func(*testing.T) *profile.LinphoneConfig { return nil }},
		{"with a base", testBase},
	}
	for i, b := range bases {
		t.Run(b.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, st *store.Store) {
				p := newPhoneEnv(t, st, b.base(t))
				ctx := context.Background()
				adminAddr := fmt.Sprintf("admin%d@sip.example.org", i)
				if _, err := p.svc.CreateAccountCLI(ctx, sb.SystemActor, adminAddr, "admin-password", "", true); err != nil {
					t.Fatal(err)
				}
				admin := func(method, path string, body any) *sipResult {
					return p.digestDo(method, path, strings.TrimSuffix(adminAddr, "@sip.example.org"), "sip.example.org", "admin-password", digest.SHA256, body)
				}
				user := fmt.Sprintf("pending%d", i)
				r := admin("POST", "/api/accounts", map[string]any{"username": user, "password": "pending-password", "algorithm": "SHA-256"}).want(t, 201)
				key, id := r.json["confirmation_key"].(string), int64(r.json["id"].(float64))
				addr := user + "@sip.example.org"
				state := func() (provisioned, keyStored bool) {
					a, _, err := st.Read().AccountByEmail(ctx, addr)
					if err != nil {
						t.Fatal(err)
					}
					_, _, _, err = st.Read().AccountByConfirmationKey(ctx, key)
					return a.Provisioned, err == nil
				}
				empty := b.base(t) == nil

				t.Run("a not activated account's key is 404 and changes nothing", func(t *testing.T) {
					before := p.snapshot()
					if code, _, body := fetchProvisioning(t, p.url+"/provisioning/"+key); code != 404 || strings.Contains(body, "ha1") {
						t.Fatalf("status %d %s", code, body)
					}
					p.unchanged(before)
					if provisioned, stored := state(); provisioned || !stored {
						t.Fatalf("provisioned=%v, key stored=%v", provisioned, stored)
					}
				})
				admin("POST", fmt.Sprintf("/api/accounts/%d/activate", id), nil).want(t, 200)
				t.Run("once activated, the same key provisions it", func(t *testing.T) {
					code, ctype, body := fetchProvisioning(t, p.url+"/provisioning/"+key)
					if code != 200 || ctype != "application/xml" || !strings.Contains(body, `<entry name="username" overwrite="true">`+user+`</entry>`) {
						t.Fatalf("status %d %s %s", code, ctype, body)
					}
					if provisioned, stored := state(); !provisioned || stored {
						t.Fatalf("provisioned=%v, key stored=%v", provisioned, stored)
					}
				})
				t.Run("a later fetch of the used key is 200 without the account", func(t *testing.T) {
					code, ctype, body := fetchProvisioning(t, p.url+"/provisioning/"+key)
					var doc profile.LinphoneConfig
					if code != 200 || ctype != "application/xml" || xml.Unmarshal([]byte(body), &doc) != nil || doc.XMLName.Space != profile.LinphoneNS ||
						strings.Contains(body, "auth_info_0") || strings.Contains(body, "proxy_0") || empty != (len(doc.Sections) == 0) {
						t.Fatalf("status %d %s %s", code, ctype, body)
					}
				})
				t.Run("a key that never existed is 404 without a base, the base with one", func(t *testing.T) {
					code, _, body := fetchProvisioning(t, p.url+"/provisioning/never-issued-key")
					if empty && code != 404 || !empty && (code != 200 || !strings.Contains(body, "nat_policy_0")) {
						t.Fatalf("status %d %s", code, body)
					}
				})
				admin("POST", fmt.Sprintf("/api/accounts/%d/deactivate", id), nil).want(t, 200)
				t.Run("the used key of a deactivated account gets no more than an unknown key", func(t *testing.T) {
					code, _, body := fetchProvisioning(t, p.url+"/provisioning/"+key)
					if empty && code != 404 || !empty && (code != 200 || strings.Contains(body, "auth_info_0")) {
						t.Fatalf("status %d %s", code, body)
					}
				})
				admin("POST", fmt.Sprintf("/api/accounts/%d/activate", id), nil).want(t, 200)
				t.Run("reactivated, its phone's fetch is 200 again", func(t *testing.T) {
					if code, _, body := fetchProvisioning(t, p.url+"/provisioning/"+key); code != 200 || strings.Contains(body, "auth_info_0") {
						t.Fatalf("status %d %s", code, body)
					}
				})
			})
		})
	}
}
