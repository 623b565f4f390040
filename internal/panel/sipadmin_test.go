package panel_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/store"
)

const (
	sipAdmin      = "admin@sip.example.org"
	otherSIPAdmin = "admin@other.example"
)

// accountID is the id of an account, failing the test without one.
func (e *env) accountID(email string) int64 {
	e.t.Helper()
	a, _, err := e.st.Read().AccountByEmail(context.Background(), email)
	if err != nil {
		e.t.Fatalf("account %s: %v", email, err)
	}
	return a.ID
}

func accountPath(id int64, tail string) string {
	return fmt.Sprintf("/panel/sip/accounts/%d%s", id, tail)
}

func TestSIPAdminAccounts(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		b := e.login(sipAdmin, adminPassword)
		t.Run("the list shows the accounts of the admin's domain only", func(t *testing.T) {
			b.get("/panel/sip/accounts").want(t, 200).has(t, "<h1>SIP accounts</h1>", `<label for="q">Search`, `name="q"`,
				`href="/panel/sip/accounts/`+fmt.Sprint(e.accountID("alice@sip.example.org"))+`">alice<`, ">admin<").
				lacks(t, "bob", "other.example")
		})
		var carol int64
		t.Run("an account is created with every field of the SIP API", func(t *testing.T) {
			res := b.post("/panel/sip/accounts", url.Values{"username": {"carol1"}, "password": {"carol-password-1"},
				"algorithm": {"MD5"}, "activated": {"1"}, "phone": {"+33612345678"}, "email": {"carol@example.com"},
				"confirmation_key_expires": {"2099-01-02T03:04"}})
			carol = e.accountID("carol1@sip.example.org")
			if res.want(t, http.StatusSeeOther).location() != accountPath(carol, "") {
				t.Fatalf("redirect to %q", res.location())
			}
			p := b.get(res.location()).want(t, 200)
			if p.flash() != "Account carol1@sip.example.org created." {
				t.Fatalf("flash %q", p.flash())
			}
			p.has(t, "<h1>carol1@sip.example.org</h1>", "carol@example.com", "&#43;33612345678", "MD5", "until 2099-01-02 03:04 UTC",
				`>Deactivate</button>`, `href="`+accountPath(carol, "/delete")+`"`)
			a := e.account("carol1@sip.example.org")
			if !a.Activated || a.Admin || a.Phone != "+33612345678" || a.ContactEmail != "carol@example.com" {
				t.Fatalf("stored %+v", a)
			}
			m := qrRE.FindStringSubmatch(p.body)
			if m == nil {
				t.Fatalf("no QR code:\n%s", p.body)
			}
			qr := b.get("/provisioning/qrcode/"+m[1]).want(t, 200)
			if qr.header.Get("Content-Type") != "image/png" {
				t.Fatalf("QR Content-Type %q", qr.header.Get("Content-Type"))
			}
			key := strings.TrimPrefix(m[1], "/provisioning/qrcode/")
			p.has(t, `<a href="/provisioning/`+key+`"><code id="provisioning-url">`+e.url+"/provisioning/"+key+"</code>",
				`data-copy="provisioning-url"`)
		})
		t.Run("the provisioning link goes once the key has provisioned the device", func(t *testing.T) {
			key := qrRE.FindStringSubmatch(b.get(accountPath(carol, "")).body)[1]
			e.browser().get("/provisioning/"+key).want(t, 200).has(t, "carol1")
			b.get(accountPath(carol, "")).want(t, 200).has(t, "No provisioning link", "(the account is provisioned)").lacks(t, key)
		})
		t.Run("bad input is refused with its message and creates nothing", func(t *testing.T) {
			for _, tc := range []struct {
				form url.Values
				msg  string
			}{
				{url.Values{"username": {"ab"}, "password": {"carol-password-1"}, "algorithm": {"SHA-256"}}, "at least 6"},
				{url.Values{"username": {"dave12"}, "password": {"carol-password-1"}, "algorithm": {"SHA-1"}}, "algorithm"},
				{url.Values{"username": {"dave12"}, "password": {"carol-password-1"}, "algorithm": {"SHA-256"},
					"confirmation_key_expires": {"tomorrow"}}, "expiry"},
				{url.Values{"username": {"dave12"}, "password": {"carol-password-1"}, "algorithm": {"SHA-256"}, "phone": {"0612"}}, "phone"},
				{url.Values{"username": {"carol1"}, "password": {"carol-password-1"}, "algorithm": {"SHA-256"}}, ""},
			} {
				res := b.post("/panel/sip/accounts", tc.form)
				if res.want(t, http.StatusSeeOther).location() != "/panel/sip/accounts" {
					t.Fatalf("%v: redirect to %q", tc.form, res.location())
				}
				p := b.get(res.location())
				if !strings.Contains(p.body, `class="flash refused"`) || !strings.Contains(strings.ToLower(p.flash()), tc.msg) {
					t.Errorf("%v: flash %q, want a refusal about %q", tc.form, p.flash(), tc.msg)
				}
			}
			for _, gone := range []string{"ab@sip.example.org", "dave12@sip.example.org"} {
				if e.account(gone) != nil {
					t.Errorf("%s was created", gone)
				}
			}
		})
		t.Run("deactivate and activate", func(t *testing.T) {
			p := b.follow(t, b.post(accountPath(carol, "/deactivate"), nil)).want(t, 200)
			if p.flash() != "Account carol1@sip.example.org deactivated." || e.account("carol1@sip.example.org").Activated {
				t.Fatalf("flash %q, stored %+v", p.flash(), e.account("carol1@sip.example.org"))
			}
			p.has(t, ">Activate</button>")
			b.follow(t, b.post(accountPath(carol, "/activate"), nil)).want(t, 200).has(t, ">Deactivate</button>")
			if !e.account("carol1@sip.example.org").Activated {
				t.Fatal("not activated")
			}
		})
		t.Run("delete asks first on a page of its own, then deletes", func(t *testing.T) {
			b.get(accountPath(carol, "/delete")).want(t, 200).has(t, "<h1>Delete carol1@sip.example.org?</h1>",
				`<form method="post" action="`+accountPath(carol, "/delete")+`">`, ">Delete account</button>")
			if e.account("carol1@sip.example.org") == nil {
				t.Fatal("the confirmation page deleted")
			}
			p := b.follow(t, b.post(accountPath(carol, "/delete"), nil)).want(t, 200)
			if p.flash() != "Account carol1@sip.example.org deleted." || e.account("carol1@sip.example.org") != nil {
				t.Fatalf("flash %q", p.flash())
			}
			b.get(accountPath(carol, "")).want(t, 404)
		})
		t.Run("another domain's accounts do not exist for the admin", func(t *testing.T) {
			bob := e.accountID("bob@other.example")
			for _, res := range []*page{
				b.get(accountPath(bob, "")), b.get(accountPath(bob, "/delete")),
				b.post(accountPath(bob, "/deactivate"), nil), b.post(accountPath(bob, "/delete"), nil),
				b.post(accountPath(bob, "/devices/remove"), url.Values{"uuid": {"urn:uuid:x"}}),
				b.get(accountPath(999999, "")), b.get("/panel/sip/accounts/nope"),
			} {
				res.want(t, 404).lacks(t, "bob@other.example")
			}
			if a := e.account("bob@other.example"); a == nil || !a.Activated {
				t.Fatalf("bob changed: %+v", a)
			}
		})
		t.Run("tenants, plain accounts and deactivated admins get 404", func(t *testing.T) {
			alice := e.accountID("alice@sip.example.org")
			for _, who := range []*browser{e.login("acme", tenantPassword), e.login("root", tenantPassword), e.login("alice@sip.example.org", alicePassword)} {
				who.get("/panel/sip/accounts").want(t, 404)
				who.get(accountPath(alice, "")).want(t, 404)
				who.post("/panel/sip/accounts", url.Values{"username": {"eve123"}, "password": {"eve-password-1"}, "algorithm": {"MD5"}}).want(t, 404)
				who.post(accountPath(alice, "/deactivate"), nil).want(t, 404)
				who.get("/panel/apikeys").want(t, 404)
				who.post("/panel/apikeys", url.Values{"name": {"x"}}).want(t, 404)
			}
			if e.account("eve123@sip.example.org") != nil || !e.account("alice@sip.example.org").Activated {
				t.Fatal("a refused request changed something")
			}
			// The right dies at once, in a live session.
			other := e.login(otherSIPAdmin, adminPassword)
			other.get("/panel/sip/accounts").want(t, 200)
			if _, err := e.svc.SetSIPActivated(context.Background(), sb.Actor{AccountID: e.accountID(otherSIPAdmin), Email: otherSIPAdmin},
				e.accountID(otherSIPAdmin), false); err != nil {
				t.Fatal(err)
			}
			other.get("/panel/sip/accounts").want(t, http.StatusSeeOther) // deactivating ended its sessions
		})
		t.Run("a logged-out browser is sent to the login page", func(t *testing.T) {
			for _, path := range []string{"/panel/sip/accounts", accountPath(1, ""), "/panel/apikeys"} {
				res := e.browser().get(path).want(t, http.StatusSeeOther)
				if res.location() != "/panel/login?next="+url.QueryEscape(path) {
					t.Errorf("%s: redirect to %q", path, res.location())
				}
			}
			res := e.browser().post("/panel/sip/accounts", url.Values{"username": {"eve123"}, "password": {"eve-password-1"}, "algorithm": {"MD5"}})
			res.want(t, http.StatusSeeOther)
			if e.account("eve123@sip.example.org") != nil {
				t.Fatal("created without a session")
			}
		})
		t.Run("a cross-site post is refused", func(t *testing.T) {
			req, _ := http.NewRequest("POST", e.url+"/panel/sip/accounts", strings.NewReader(url.Values{"username": {"eve123"},
				"password": {"eve-password-1"}, "algorithm": {"MD5"}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			b.do(req).want(t, http.StatusForbidden)
			if e.account("eve123@sip.example.org") != nil {
				t.Fatal("created cross-site")
			}
		})
	})
}

func TestSIPAdminSearchAndPages(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		admin := sb.Actor{AccountID: e.accountID(sipAdmin), Email: sipAdmin}
		for i := range 30 {
			if _, err := e.svc.CreateSIPAccount(ctx, admin, sb.NewSIPAccount{Username: fmt.Sprintf("user%03d", i), Password: "user-password-1",
				Algorithm: "SHA-256", Activated: true, Phone: fmt.Sprintf("+3361234%04d", i), Email: fmt.Sprintf("u%03d@mail.example", i)}); err != nil {
				t.Fatal(err)
			}
		}
		b := e.login(sipAdmin, adminPassword)
		rows := regexp.MustCompile(`<td><a href="/panel/sip/accounts/\d+">([^<]+)</a></td>`)
		names := func(p *page) []string {
			var out []string
			for _, m := range rows.FindAllStringSubmatch(p.body, -1) {
				out = append(out, m[1])
			}
			return out
		}
		link := func(p *page, rel string) string {
			m := regexp.MustCompile(`<a href="([^"]+)" rel="` + rel + `">`).FindStringSubmatch(p.body)
			if m == nil {
				return ""
			}
			return strings.ReplaceAll(m[1], "&amp;", "&")
		}
		t.Run("the list is paged by keyset, forward and back", func(t *testing.T) {
			first := b.get("/panel/sip/accounts").want(t, 200)
			if n := names(first); len(n) != 25 || n[0] != "alice" || link(first, "prev") != "" {
				t.Fatalf("first page %v, prev %q", n, link(first, "prev"))
			}
			second := b.get(link(first, "next")).want(t, 200)
			if n := names(second); len(n) != 7 || n[6] != "user029" || link(second, "next") != "" {
				t.Fatalf("second page %v", n)
			}
			back := b.get(link(second, "prev")).want(t, 200)
			if fmt.Sprint(names(back)) != fmt.Sprint(names(first)) {
				t.Fatalf("back: %v, want %v", names(back), names(first))
			}
		})
		t.Run("a prefix searches usernames, emails with @ and phones with +", func(t *testing.T) {
			for _, tc := range []struct {
				q    string
				want []string
			}{
				{"user01", []string{"user010", "user011", "user012", "user013", "user014", "user015", "user016", "user017", "user018", "user019"}},
				{"USER02", []string{"user020", "user021", "user022", "user023", "user024", "user025", "user026", "user027", "user028", "user029"}},
				{"ali", []string{"alice"}},
				{"u007@", []string{"user007"}},
				{"+3361234000", []string{"user000", "user001", "user002", "user003", "user004", "user005", "user006", "user007", "user008", "user009"}},
				{"+33 6 1234 0029", []string{"user029"}},
				{"bob", nil},
				{"%", nil},
			} {
				p := b.get("/panel/sip/accounts?q="+url.QueryEscape(tc.q)).want(t, 200)
				if fmt.Sprint(names(p)) != fmt.Sprint(tc.want) {
					t.Errorf("q=%q: %v, want %v", tc.q, names(p), tc.want)
				}
				p.has(t, `value="`+strings.NewReplacer("+", "&#43;", "%", "%").Replace(tc.q)+`"`)
			}
		})
		t.Run("a search is paged too, keeping its query", func(t *testing.T) {
			first := b.get("/panel/sip/accounts?q=user").want(t, 200)
			next := link(first, "next")
			if n := names(first); len(n) != 25 || !strings.Contains(next, "q=user") {
				t.Fatalf("first page %v, next %q", n, next)
			}
			second := b.get(next).want(t, 200)
			if n := names(second); fmt.Sprint(n) != "[user025 user026 user027 user028 user029]" {
				t.Fatalf("second page %v", n)
			}
			if fmt.Sprint(names(b.get(link(second, "prev")))) != fmt.Sprint(names(first)) {
				t.Fatal("back is not the first page")
			}
		})
		t.Run("a cursor that is not a number is refused, a foreign one starts over", func(t *testing.T) {
			b.get("/panel/sip/accounts?after=x").want(t, 400)
			p := b.get(fmt.Sprintf("/panel/sip/accounts?after=%d", e.accountID("bob@other.example"))).want(t, 200)
			if n := names(p); len(n) == 0 || n[0] != "alice" {
				t.Fatalf("foreign cursor: %v", n)
			}
		})
	})
}

func TestSIPAdminDevices(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		alice := e.accountID("alice@sip.example.org")
		for _, inst := range []string{"<urn:uuid:11111111-1111-1111-1111-111111111111>", "<urn:uuid:22222222-2222-2222-2222-222222222222>"} {
			if err := e.st.InTx(ctx, func(tx *store.Tx) error {
				return tx.WriteKamailioBinding(ctx, "alice", "sip.example.org", store.Binding{Ruid: "r" + inst[10:18],
					Contact: "sip:alice@192.0.2.1:5060", Instance: inst, UserAgent: "Linphone/5.2",
					Expires: e.clock.Now().Add(time.Hour), Modified: e.clock.Now().Add(-time.Minute)})
			}); err != nil {
				t.Fatal(err)
			}
		}
		b := e.login(sipAdmin, adminPassword)
		p := b.get(accountPath(alice, "")).want(t, 200)
		p.has(t, "urn:uuid:11111111-1111-1111-1111-111111111111", "urn:uuid:22222222-2222-2222-2222-222222222222", "Linphone/5.2",
			`aria-label="Remove device urn:uuid:11111111-1111-1111-1111-111111111111">Remove</button>`)
		res := b.post(accountPath(alice, "/devices/remove"), url.Values{"uuid": {"urn:uuid:11111111-1111-1111-1111-111111111111"}})
		p = b.follow(t, res).want(t, 200)
		if p.flash() != "Device removed." {
			t.Fatalf("flash %q", p.flash())
		}
		p.lacks(t, "urn:uuid:11111111").has(t, "urn:uuid:22222222")
		// A device that is gone already: said on the page, nothing else changes.
		p = b.follow(t, b.post(accountPath(alice, "/devices/remove"), url.Values{"uuid": {"urn:uuid:11111111-1111-1111-1111-111111111111"}}))
		if p.flash() != "That device is not registered any more." {
			t.Fatalf("flash %q", p.flash())
		}
		p.has(t, "urn:uuid:22222222")
		// Another domain's admin cannot see or remove them.
		other := e.login(otherSIPAdmin, adminPassword)
		other.post(accountPath(alice, "/devices/remove"), url.Values{"uuid": {"urn:uuid:22222222-2222-2222-2222-222222222222"}}).want(t, 404)
		b.get(accountPath(alice, "")).has(t, "urn:uuid:22222222")
	})
}

var newKeyRE = regexp.MustCompile(`<output id="new-key" class="secret">([^<]+)</output>\s*<button type="button" data-copy="new-key" hidden>Copy</button>`)

// sipAPI sends GET /api/accounts with an API key, as curl does.
func (e *env) sipAPI(t *testing.T, key string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", e.url+"/api/accounts", nil)
	req.Header.Set("x-api-key", key)
	req.Header.Set("Accept", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func TestAPIKeys(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		b := e.login(sipAdmin, adminPassword)
		t.Run("the page has the form of the contract", func(t *testing.T) {
			b.get("/panel/apikeys").want(t, 200).has(t, "<h1>API keys</h1>", `<form class="card" method="post" action="/panel/apikeys">`,
				`<label for="name">Key name</label>`, `<input id="name" name="name"`, `<button type="submit">Generate a key</button>`,
				"You have no API key.").lacks(t, `id="new-key"`)
		})
		var key string
		t.Run("a key is shown once, in the answer to the post, and works on the SIP API", func(t *testing.T) {
			res := b.post("/panel/apikeys", url.Values{"name": {"ci script"}}).want(t, 200)
			m := newKeyRE.FindStringSubmatch(res.body)
			if m == nil {
				t.Fatalf("no key:\n%s", res.body)
			}
			key = m[1]
			res.has(t, "<th scope=\"col\">Name</th><th scope=\"col\">Created</th><th scope=\"col\">Last used</th>", "<td>ci script</td>", "never")
			if strings.Contains(res.header.Get("Set-Cookie"), key) || res.header.Get("Location") != "" || !strings.Contains(res.header.Get("Cache-Control"), "no-store") {
				t.Fatalf("the key left the page: %v", res.header)
			}
			b.get("/panel/apikeys").want(t, 200).has(t, "ci script").lacks(t, key, `id="new-key"`)
			if s := e.sipAPI(t, key); s != 200 {
				t.Fatalf("GET /api/accounts with the key: %d", s)
			}
			b.get("/panel/apikeys").lacks(t, "never")
		})
		keyID := func(name string) int64 {
			keys, err := e.svc.ListAPIKeys(context.Background(), sb.SystemActor)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range keys {
				if k.Name == name {
					return k.ID
				}
			}
			t.Fatalf("no key %q", name)
			return 0
		}
		t.Run("another admin cannot revoke it", func(t *testing.T) {
			other := e.login(otherSIPAdmin, adminPassword)
			other.get("/panel/apikeys").want(t, 200).lacks(t, "ci script")
			other.post(fmt.Sprintf("/panel/apikeys/%d/revoke", keyID("ci script")), nil).want(t, 404)
			if s := e.sipAPI(t, key); s != 200 {
				t.Fatalf("after a foreign revoke: %d", s)
			}
		})
		t.Run("revoking it makes the SIP API answer 401 at once", func(t *testing.T) {
			id := keyID("ci script")
			p := b.get("/panel/apikeys").has(t, fmt.Sprintf(`<form class="inline" method="post" action="/panel/apikeys/%d/revoke">`, id),
				`aria-label="Revoke key ci script">Revoke</button>`)
			_ = p
			p = b.follow(t, b.post(fmt.Sprintf("/panel/apikeys/%d/revoke", id), nil)).want(t, 200)
			if p.flash() != "API key revoked." {
				t.Fatalf("flash %q", p.flash())
			}
			p.lacks(t, "ci script")
			if s := e.sipAPI(t, key); s != 401 {
				t.Fatalf("GET /api/accounts with the revoked key: %d", s)
			}
			b.post(fmt.Sprintf("/panel/apikeys/%d/revoke", id), nil).want(t, 404)
		})
		t.Run("a bad name is refused and makes no key", func(t *testing.T) {
			p := b.follow(t, b.post("/panel/apikeys", url.Values{"name": {strings.Repeat("n", 65)}}))
			if !strings.Contains(p.flash(), "at most 64") {
				t.Fatalf("flash %q", p.flash())
			}
			if keys, _ := e.svc.ListAPIKeys(context.Background(), sb.SystemActor); len(keys) != 0 {
				t.Fatalf("keys %v", keys)
			}
		})
		t.Run("an empty name is named by the time", func(t *testing.T) {
			b.post("/panel/apikeys", url.Values{"name": {""}}).want(t, 200).has(t, "Key of ")
		})
	})
}
