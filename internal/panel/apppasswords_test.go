package panel_test

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	sb "github.com/switchboard/switchboard"
)

var newAppPasswordRE = regexp.MustCompile(`<output id="new-app-password" class="secret">([a-z0-9]{32})</output>`)

func TestAppPasswordsPage(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		alice := e.login("alice@sip.example.org", alicePassword)
		ids := func() []sb.AppPassword {
			t.Helper()
			list, err := e.svc.ListAppPasswords(context.Background(), sb.SystemActor, sb.AccountRef{Email: "alice@sip.example.org"})
			if err != nil {
				t.Fatal(err)
			}
			return list
		}
		t.Run("the page has its form, and the menu links it", func(t *testing.T) {
			alice.get("/panel/account/app-passwords").want(t, 200).has(t, "<h1>App passwords</h1>",
				`<form class="card" method="post" action="/panel/account/app-passwords">`,
				`<input type="checkbox" name="protocol" value="imap">`, `<input type="checkbox" name="protocol" value="sieve">`,
				"You have no app password.", `<a href="/panel/account/app-passwords">App passwords</a>`).lacks(t, `id="new-app-password"`)
		})
		var secret string
		t.Run("a new app password is shown once, in the answer to the post", func(t *testing.T) {
			res := alice.post("/panel/account/app-passwords", url.Values{"name": {"phone"}, "protocol": {"imap", "smtp"}}).want(t, 200)
			m := newAppPasswordRE.FindStringSubmatch(res.body)
			if m == nil {
				t.Fatalf("no app password:\n%s", res.body)
			}
			secret = m[1]
			res.has(t, "<td>phone</td>", "<td>imap, smtp</td>")
			if strings.Contains(res.header.Get("Set-Cookie"), secret) || res.header.Get("Location") != "" || !strings.Contains(res.header.Get("Cache-Control"), "no-store") {
				t.Fatalf("the app password left the page: %v", res.header)
			}
			alice.get("/panel/account/app-passwords").want(t, 200).has(t, "<td>phone</td>").lacks(t, secret, `id="new-app-password"`)
			if list := ids(); len(list) != 1 || list[0].Name != "phone" {
				t.Fatalf("stored %+v", list)
			}
		})
		t.Run("an unknown protocol is told on the form and creates nothing", func(t *testing.T) {
			p := alice.follow(t, alice.post("/panel/account/app-passwords", url.Values{"protocol": {"gopher"}}))
			if !strings.Contains(p.flash(), "Unknown protocol") {
				t.Fatalf("flash %q", p.flash())
			}
			if len(ids()) != 1 {
				t.Fatal("a refused post created an app password")
			}
		})
		t.Run("others cannot see or revoke it", func(t *testing.T) {
			id := ids()[0].ID
			bob := e.login("bob@other.example", alicePassword)
			bob.get("/panel/account/app-passwords").want(t, 200).lacks(t, "<td>phone</td>")
			bob.post(fmt.Sprintf("/panel/account/app-passwords/%d/revoke", id), nil).want(t, 404)
			tenant := e.login("acme", tenantPassword)
			tenant.get("/panel/account/app-passwords").want(t, 404)
			tenant.post(fmt.Sprintf("/panel/account/app-passwords/%d/revoke", id), nil).want(t, 404)
			if len(ids()) != 1 {
				t.Fatal("a foreign revoke removed it")
			}
		})
		t.Run("revoking it removes it", func(t *testing.T) {
			id := ids()[0].ID
			alice.get("/panel/account/app-passwords").has(t, fmt.Sprintf(`<form class="inline" method="post" action="/panel/account/app-passwords/%d/revoke">`, id),
				`aria-label="Revoke app password phone">Revoke</button>`)
			p := alice.follow(t, alice.post(fmt.Sprintf("/panel/account/app-passwords/%d/revoke", id), nil)).want(t, 200)
			if p.flash() != "App password revoked." {
				t.Fatalf("flash %q", p.flash())
			}
			p.lacks(t, "<td>phone</td>")
			if len(ids()) != 0 {
				t.Fatal("still stored")
			}
			alice.post(fmt.Sprintf("/panel/account/app-passwords/%d/revoke", id), nil).want(t, 404)
			alice.post("/panel/account/app-passwords/x/revoke", nil).want(t, 404)
		})
	})
}
