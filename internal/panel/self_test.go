package panel_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/digest"
	"github.com/switchboard/switchboard/internal/httpapi"
	"github.com/switchboard/switchboard/internal/jsonrpc"
	"github.com/switchboard/switchboard/internal/notify"
	"github.com/switchboard/switchboard/internal/panel"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
	"github.com/switchboard/switchboard/internal/testenv"
)

const alice = "alice@sip.example.org"

// outbox is a hand-written mailer and SMS gateway that keeps what it sends.
type outbox struct {
	mu   sync.Mutex
	sent []string // "to: text"
}

func (o *outbox) Send(_ context.Context, m notify.Mail) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, m.To+": "+m.Body)
	return nil
}

func (o *outbox) SendSMS(_ context.Context, to, text string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, to+": "+text)
	return nil
}

var codeRE = regexp.MustCompile(`code(?: to use this number for \S+ is|: )\s*(\S+)`)

// code is the last code sent to to.
func (o *outbox) code(t *testing.T, to string) string {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := len(o.sent) - 1; i >= 0; i-- {
		if strings.HasPrefix(o.sent[i], to+": ") {
			if m := codeRE.FindStringSubmatch(o.sent[i]); m != nil {
				return strings.TrimSpace(m[1])
			}
			t.Fatalf("no code in %q", o.sent[i])
		}
	}
	t.Fatalf("nothing sent to %s: %v", to, o.sent)
	return ""
}

// eachDeliveryEnv is eachEnv's acme domain with alice, on a server that
// sends mail and SMS into an outbox.
func eachDeliveryEnv(t *testing.T, fn func(t *testing.T, e *env, out *outbox)) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		out := &outbox{}
		svc, c := testenv.Service(t, st, func(cfg *service.Config) {
			cfg.Delivery = service.Delivery{Mailer: out, SMS: out}
		})
		h := httpapi.New(httpapi.Config{Services: svc, JSONRPC: jsonrpc.NewAPI(svc, nil), Panel: panel.New(panel.Config{Services: svc})})
		e := &env{t: t, url: testenv.Serve(t, h), svc: svc, st: st, clock: c}
		ctx := context.Background()
		if _, err := svc.CreateTenant(ctx, sb.SystemActor, "acme", tenantPassword, sb.RoleTenant); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.CreateDomain(ctx, sb.SystemActor, sb.NewDomain{Name: "sip.example.org", Owner: "acme",
			First: &sb.FirstAccount{Address: alice, Password: alicePassword}}); err != nil {
			t.Fatal(err)
		}
		fn(t, e, out)
	})
}

// loginStatus is the status of a login attempt through the panel's form.
func (e *env) loginStatus(user, password string) int {
	return e.browser().post("/panel/login", url.Values{"user": {user}, "password": {password}}).status
}

// sipStatus is the status of GET /api/accounts/me answered with Digest alg.
func (e *env) sipStatus(user, domain, password, alg string) int {
	e.t.Helper()
	do := func(authz string) *http.Response {
		req, _ := http.NewRequest("GET", e.url+"/api/accounts/me", nil)
		req.Header.Set("From", "sip:"+user+"@"+domain)
		req.Header.Set("Accept", "application/json")
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			e.t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	first := do("")
	if first.StatusCode != 401 {
		return first.StatusCode
	}
	ch, ok := digest.FindChallenge(first.Header.Values("Www-Authenticate"), alg)
	if !ok {
		e.t.Fatalf("no %s challenge", alg)
	}
	authz, err := digest.Respond(ch, "GET", "/api/accounts/me", user, password, 1, "")
	if err != nil {
		e.t.Fatal(err)
	}
	return do(authz).StatusCode
}

func TestAccountPage(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		t.Run("an account sees its address, contact, activation and every form", func(t *testing.T) {
			b := e.login(alice, alicePassword)
			res := b.get("/panel/account").want(t, 200)
			res.has(t, "<h1>My account</h1>", alice, "Contact email", "Phone", "Activated", "Yes",
				`for="old_password">Current password`, `for="password">New password`, ">Change password</button>",
				`name="email"`, `name="phone"`, ">Send code</button>", ">Show provisioning QR code</button>",
				`href="/panel/account/delete"`, "No device is registered now.")
			res.lacks(t, "<script>", " style=", "/provisioning/qrcode/")
		})
		t.Run("a logged-out browser is sent to the login page", func(t *testing.T) {
			b := e.browser()
			for _, path := range []string{"/panel/account", "/panel/account/delete", "/panel/account/email/confirm"} {
				res := b.get(path).want(t, http.StatusSeeOther)
				if res.location() != "/panel/login?next="+url.QueryEscape(path) {
					t.Errorf("%s: redirect to %q", path, res.location())
				}
			}
			for _, path := range []string{"/panel/account/password", "/panel/account/email", "/panel/account/provisioning",
				"/panel/account/delete", "/panel/account/devices/remove"} {
				if res := b.post(path, url.Values{"password": {"x"}}).want(t, http.StatusSeeOther); res.location() != "/panel/login" {
					t.Errorf("POST %s: redirect to %q", path, res.location())
				}
			}
		})
		t.Run("tenants and operators have no account pages: 404, and nothing changes", func(t *testing.T) {
			for _, who := range []string{"acme", "root"} {
				b := e.login(who, tenantPassword)
				for _, path := range []string{"/panel/account", "/panel/account/delete", "/panel/account/email/confirm", "/panel/account/phone/confirm"} {
					b.get(path).want(t, 404)
				}
				for _, path := range []string{"/panel/account/password", "/panel/account/email", "/panel/account/phone",
					"/panel/account/email/confirm", "/panel/account/provisioning", "/panel/account/delete", "/panel/account/devices/remove"} {
					b.post(path, url.Values{"old_password": {tenantPassword}, "password": {"new-password-9"}, "confirm": {"yes"}}).want(t, 404)
				}
			}
			if e.loginStatus("acme", tenantPassword) != http.StatusSeeOther {
				t.Fatal("the tenant's password changed")
			}
		})
		t.Run("a cross-site post is refused", func(t *testing.T) {
			b := e.login(alice, alicePassword)
			req, _ := http.NewRequest("POST", e.url+"/panel/account/password",
				strings.NewReader(url.Values{"old_password": {alicePassword}, "password": {"evil-password-1"}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			req.Header.Set("Origin", "https://evil.example")
			b.do(req).want(t, http.StatusForbidden)
			if e.loginStatus(alice, alicePassword) != http.StatusSeeOther {
				t.Fatal("the password changed")
			}
		})
	})
}

func TestAccountPassword(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		t.Run("a wrong current password is refused and changes nothing", func(t *testing.T) {
			b := e.login(alice, alicePassword)
			res := b.post("/panel/account/password", url.Values{"old_password": {"wrong-password"}, "password": {"brand-new-pass-1"}})
			if res.want(t, http.StatusSeeOther).location() != "/panel/account" {
				t.Fatalf("redirect to %q", res.location())
			}
			if got := b.follow(t, res).flash(); got != "The old password is not correct." {
				t.Fatalf("flash %q", got)
			}
			if e.loginStatus(alice, "brand-new-pass-1") != 401 || e.loginStatus(alice, alicePassword) != http.StatusSeeOther {
				t.Fatal("the password changed")
			}
		})
		t.Run("a too short new password is refused", func(t *testing.T) {
			b := e.login(alice, alicePassword)
			res := b.follow(t, b.post("/panel/account/password", url.Values{"old_password": {alicePassword}, "password": {"x"}}))
			if !strings.Contains(res.want(t, 200).body, "flash refused") || res.flash() == "" {
				t.Fatalf("no refusal:\n%s", res.body)
			}
			if e.loginStatus(alice, alicePassword) != http.StatusSeeOther {
				t.Fatal("the password changed")
			}
		})
		t.Run("the change rewrites the hash and the HA1s, keeps this session and ends the others", func(t *testing.T) {
			const newPassword = "brand-new-pass-2"
			b := e.login(alice, alicePassword)
			other := e.login(alice, alicePassword)
			res := b.post("/panel/account/password", url.Values{"old_password": {alicePassword}, "password": {newPassword}})
			if res.want(t, http.StatusSeeOther).location() != "/panel/account" {
				t.Fatalf("redirect to %q", res.location())
			}
			if got := b.follow(t, res).want(t, 200).flash(); got != "Password changed." {
				t.Fatalf("flash %q", got)
			}
			b.get("/panel/account").want(t, 200)
			other.get("/panel/account").want(t, http.StatusSeeOther)
			if e.loginStatus(alice, alicePassword) != 401 || e.loginStatus(alice, newPassword) != http.StatusSeeOther {
				t.Fatal("the panel login does not take the new password only")
			}
			for _, alg := range []string{digest.SHA256, digest.MD5} {
				if got := e.sipStatus("alice", "sip.example.org", alicePassword, alg); got != 401 {
					t.Errorf("SIP API %s with the old password: %d", alg, got)
				}
				if got := e.sipStatus("alice", "sip.example.org", newPassword, alg); got != 200 {
					t.Errorf("SIP API %s with the new password: %d", alg, got)
				}
			}
		})
	})
}

func TestAccountPasswordGuessesShareTheLoginLimit(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		b := e.login(alice, alicePassword)
		limited := false
		for i := 0; i < service.DefaultAttempts.Burst+5 && !limited; i++ {
			res := b.follow(t, b.post("/panel/account/password", url.Values{"old_password": {"guess-" + string(rune('a'+i))}, "password": {"brand-new-pass-3"}}))
			limited = strings.Contains(res.flash(), "oo many")
		}
		if !limited {
			t.Fatal("old-password guesses were never rate-limited")
		}
		// The bucket is the login's: the right password is refused there too.
		if got := e.loginStatus(alice, alicePassword); got != 429 {
			t.Fatalf("login after the guesses: %d, want 429", got)
		}
	})
}

func TestAccountContactChange(t *testing.T) {
	eachDeliveryEnv(t, func(t *testing.T, e *env, out *outbox) {
		b := e.login(alice, alicePassword)
		for _, tc := range []struct{ channel, value, bad, changed string }{
			{"email", "alice.new@example.net", "not-an-address", "Email address changed."},
			{"phone", "+33612345678", "0612", "Phone number changed."},
		} {
			t.Run(tc.channel+": a bad value is refused on the account page", func(t *testing.T) {
				res := b.post("/panel/account/"+tc.channel, url.Values{tc.channel: {tc.bad}})
				if res.want(t, http.StatusSeeOther).location() != "/panel/account" {
					t.Fatalf("redirect to %q", res.location())
				}
				if f := b.follow(t, res).flash(); f == "" {
					t.Fatal("no refusal shown")
				}
			})
			t.Run(tc.channel+": a code is sent, a wrong one refused, the right one changes it", func(t *testing.T) {
				res := b.post("/panel/account/"+tc.channel, url.Values{tc.channel: {tc.value}})
				if res.want(t, http.StatusSeeOther).location() != "/panel/account/"+tc.channel+"/confirm" {
					t.Fatalf("redirect to %q", res.location())
				}
				page := b.follow(t, res).want(t, 200)
				page.has(t, `for="code">Code`, `name="code"`, ">Confirm</button>", `action="/panel/account/`+tc.channel+`/confirm"`)
				if html.UnescapeString(page.flash()) != "A code was sent to "+tc.value+"." {
					t.Fatalf("flash %q", page.flash())
				}
				code := out.code(t, tc.value)

				res = b.post("/panel/account/"+tc.channel+"/confirm", url.Values{"code": {"000000" + "x"}})
				if res.want(t, http.StatusSeeOther).location() != "/panel/account/"+tc.channel+"/confirm" {
					t.Fatalf("wrong code: redirect to %q", res.location())
				}
				if f := b.follow(t, res).flash(); f != "The code is not correct." {
					t.Fatalf("wrong code: flash %q", f)
				}
				a := e.account(alice)
				if a.ContactEmail == tc.value || a.Phone == tc.value {
					t.Fatal("a wrong code changed the contact")
				}

				res = b.post("/panel/account/"+tc.channel+"/confirm", url.Values{"code": {code}})
				if res.want(t, http.StatusSeeOther).location() != "/panel/account" {
					t.Fatalf("redirect to %q", res.location())
				}
				page = b.follow(t, res).want(t, 200)
				if page.flash() != tc.changed {
					t.Fatalf("flash %q", page.flash())
				}
				page.has(t, tc.value)
				a = e.account(alice)
				if got := map[string]string{"email": a.ContactEmail, "phone": a.Phone}[tc.channel]; got != tc.value {
					t.Fatalf("store holds %q", got)
				}
			})
		}
	})
}

func TestAccountContactChangeWithoutDelivery(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		b := e.login(alice, alicePassword)
		for channel, value := range map[string]string{"email": "a@example.net", "phone": "+33612345678"} {
			res := b.follow(t, b.post("/panel/account/"+channel, url.Values{channel: {value}})).want(t, 200)
			if !strings.HasSuffix(res.flash(), "is not configured.") {
				t.Errorf("%s: flash %q", channel, res.flash())
			}
		}
		res := b.follow(t, b.post("/panel/account/email/confirm", url.Values{"code": {"123456"}}))
		if res.flash() == "" || !strings.Contains(res.body, "flash refused") {
			t.Fatalf("a code with none pending: %q", res.flash())
		}
	})
}

func TestAccountDevices(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		const phone, bobs = "urn:uuid:0a1b2c3d-1111-4222-8333-444455556666", "urn:uuid:bob"
		now := e.clock.Now()
		for _, r := range []struct {
			user, domain string
			b            store.Binding
		}{
			{"alice", "sip.example.org", store.Binding{Ruid: "uloc-phone", Contact: "sip:alice@192.0.2.10:40312;transport=tcp",
				Instance: "<" + phone + ">", UserAgent: "LinphoneAndroid/5.2.5", Expires: now.Add(time.Hour), Modified: now.Add(-time.Minute)}},
			{"bob", "other.example", store.Binding{Ruid: "uloc-bob", Contact: "sip:bob@192.0.2.20", Instance: "<" + bobs + ">",
				UserAgent: "bob-phone", Expires: now.Add(time.Hour), Modified: now.Add(-time.Minute)}},
		} {
			if err := e.st.InTx(context.Background(), func(tx *store.Tx) error {
				return tx.WriteKamailioBinding(context.Background(), r.user, r.domain, r.b)
			}); err != nil {
				t.Fatal(err)
			}
		}
		b := e.login(alice, alicePassword)
		t.Run("the account lists its own devices only, each with its Remove button", func(t *testing.T) {
			b.get("/panel/account").want(t, 200).has(t, phone, "LinphoneAndroid/5.2.5", `<th scope="col">Device</th>`,
				`aria-label="Remove device `+phone+`">Remove</button>`).lacks(t, bobs, "bob-phone")
		})
		t.Run("another account's device is not found and stays", func(t *testing.T) {
			res := b.follow(t, b.post("/panel/account/devices/remove", url.Values{"uuid": {bobs}}))
			if res.flash() != "That device is not registered (any more)." {
				t.Fatalf("flash %q", res.flash())
			}
			ds, err := e.svc.ListDevices(context.Background(), sb.SystemActor, sb.AccountRef{Email: "bob@other.example"})
			if err != nil || len(ds) != 1 {
				t.Fatalf("bob's devices %v, %v", ds, err)
			}
		})
		t.Run("Remove removes it", func(t *testing.T) {
			res := b.post("/panel/account/devices/remove", url.Values{"uuid": {phone}})
			if res.want(t, http.StatusSeeOther).location() != "/panel/account" {
				t.Fatalf("redirect to %q", res.location())
			}
			page := b.follow(t, res)
			if page.flash() != "Device removed." {
				t.Fatalf("flash %q", page.flash())
			}
			page.lacks(t, phone).has(t, "No device is registered now.")
		})
	})
}

var qrRE = regexp.MustCompile(`<img class="qr" alt="Provisioning QR code" src="/provisioning/qrcode/([A-Za-z0-9_-]+)"`)

func TestAccountProvisioning(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		b := e.login(alice, alicePassword)
		show := func() string {
			t.Helper()
			res := b.post("/panel/account/provisioning", nil).want(t, 200)
			m := qrRE.FindStringSubmatch(res.body)
			if m == nil {
				t.Fatalf("no QR code:\n%s", res.body)
			}
			res.has(t, `id="provisioning-link">`+e.url+"/provisioning/"+m[1]+"<", `data-copy="provisioning-link"`)
			if c := res.header.Get("Set-Cookie"); strings.Contains(c, m[1]) {
				t.Fatalf("the key went into a cookie: %s", c)
			}
			return m[1]
		}
		fetch := func(path string) (int, string) {
			t.Helper()
			res, err := http.Get(e.url + path)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			data, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(data)
		}
		t.Run("the key shown on the POST provisions one device, once", func(t *testing.T) {
			key := show()
			if status, _ := fetch("/provisioning/qrcode/" + key); status != 200 {
				t.Fatalf("QR code: %d", status)
			}
			status, doc := fetch("/provisioning/" + key)
			if status != 200 || !strings.Contains(doc, "ha1") || !strings.Contains(doc, "alice") {
				t.Fatalf("provisioning: %d %s", status, doc)
			}
			if _, doc := fetch("/provisioning/" + key); strings.Contains(doc, "ha1") {
				t.Fatal("the key provisioned twice")
			}
			b.get("/panel/account").want(t, 200).lacks(t, key)
		})
		t.Run("a new key provisions again and kills the previous one", func(t *testing.T) {
			first, second := show(), show()
			if first == second {
				t.Fatal("the same key twice")
			}
			if _, doc := fetch("/provisioning/" + first); strings.Contains(doc, "ha1") {
				t.Fatal("the replaced key still provisions")
			}
			if _, doc := fetch("/provisioning/" + second); !strings.Contains(doc, "ha1") {
				t.Fatal("the new key does not provision")
			}
		})
		t.Run("the key expires", func(t *testing.T) {
			key := show()
			e.clock.Add(service.ProvisioningKeyTTL + time.Second)
			if _, doc := fetch("/provisioning/" + key); strings.Contains(doc, "ha1") {
				t.Fatal("an expired key provisions")
			}
		})
		t.Run("an account that is not activated is refused", func(t *testing.T) {
			ctx := context.Background()
			if _, err := e.svc.CreateSIPAccount(ctx, sb.Actor{AccountID: e.account("admin@sip.example.org").ID, Email: "admin@sip.example.org"},
				sb.NewSIPAccount{Username: "carol1", Password: alicePassword, Algorithm: digest.SHA256}); err != nil {
				t.Fatal(err)
			}
			if e.account("carol1@sip.example.org").Activated {
				t.Skip("carol is activated")
			}
			c := e.login("carol1@sip.example.org", alicePassword)
			res := c.follow(t, c.post("/panel/account/provisioning", nil))
			if !strings.Contains(res.flash(), "not activated") {
				t.Fatalf("flash %q", res.flash())
			}
			res.has(t, "No: not confirmed yet")
		})
	})
}

func TestDeleteOwnAccount(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		b := e.login(alice, alicePassword)
		t.Run("the confirmation page says what goes and asks for the password and a tick", func(t *testing.T) {
			b.get("/panel/account/delete").want(t, 200).has(t, "<h1>Delete my account</h1>", alice, "cannot be undone",
				`for="password">Current password`, `type="checkbox" value="yes" required`, `for="confirm">`, ">Delete my account</button>")
		})
		for _, tc := range []struct {
			name string
			form url.Values
			says string
		}{
			{"without the tick", url.Values{"password": {alicePassword}}, "Tick the box to confirm that the account is to be deleted."},
			{"with a wrong password", url.Values{"password": {"wrong-password"}, "confirm": {"yes"}}, "The password is not correct."},
		} {
			t.Run("a delete "+tc.name+" is refused and keeps the account", func(t *testing.T) {
				res := b.post("/panel/account/delete", tc.form)
				if res.want(t, http.StatusSeeOther).location() != "/panel/account/delete" {
					t.Fatalf("redirect to %q", res.location())
				}
				if f := b.follow(t, res).flash(); f != tc.says {
					t.Fatalf("flash %q", f)
				}
				if e.account(alice) == nil {
					t.Fatal("a refused delete deleted the account")
				}
			})
		}
		t.Run("the password and the tick delete it, end the session and go to the login page", func(t *testing.T) {
			other := e.login(alice, alicePassword)
			res := b.post("/panel/account/delete", url.Values{"password": {alicePassword}, "confirm": {"yes"}})
			if res.want(t, http.StatusSeeOther).location() != "/panel/login" {
				t.Fatalf("redirect to %q", res.location())
			}
			if f := b.follow(t, res).want(t, 200).flash(); f != "Your account was deleted." {
				t.Fatalf("flash %q", f)
			}
			b.get("/panel/account").want(t, http.StatusSeeOther)
			other.get("/panel/account").want(t, http.StatusSeeOther)
			if _, _, err := e.st.Read().AccountByEmail(context.Background(), alice); sb.ErrorCode(err) != sb.ENOTFOUND {
				t.Fatalf("the account is still there: %v", err)
			}
			if e.loginStatus(alice, alicePassword) != 401 {
				t.Fatal("the deleted account logs in")
			}
		})
	})
}
