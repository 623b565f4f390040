package panel_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard/switchboard/internal/service"
)

func TestLogin(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		t.Run("every kind of principal logs in with the one form", func(t *testing.T) {
			for _, tc := range []struct{ user, password, shows string }{
				{"acme", tenantPassword, "Domains"},
				{"root", tenantPassword, "Tenants"},
				{"alice@sip.example.org", alicePassword, "My account"},
				{"admin@sip.example.org", adminPassword, "API keys"},
			} {
				b := e.login(tc.user, tc.password)
				b.get("/panel/").want(t, 200).has(t, tc.shows)
			}
		})
		t.Run("a logged-out browser is sent to the login page, and back after it", func(t *testing.T) {
			b := e.browser()
			res := b.get("/panel/?tab=x").want(t, http.StatusSeeOther)
			if res.location() != "/panel/login?next="+url.QueryEscape("/panel/?tab=x") {
				t.Fatalf("redirect to %q", res.location())
			}
			res = b.post("/panel/login", url.Values{"user": {"acme"}, "password": {tenantPassword}, "next": {"/panel/?tab=x"}})
			if res.want(t, http.StatusSeeOther).location() != "/panel/?tab=x" {
				t.Fatalf("after login to %q", res.location())
			}
		})
		t.Run("a next outside the panel goes to the start page", func(t *testing.T) {
			for _, next := range []string{"https://evil.example/", "//evil.example/panel/", "/api/accounts", "/panel/\\evil"} {
				b := e.browser()
				res := b.post("/panel/login", url.Values{"user": {"acme"}, "password": {tenantPassword}, "next": {next}})
				if res.location() != "/panel/" {
					t.Errorf("next %q: redirect to %q", next, res.location())
				}
			}
		})
		t.Run("wrong credentials are refused with the same words and set no cookie", func(t *testing.T) {
			for _, tc := range []struct{ user, password string }{
				{"acme", "wrong-password"}, {"nobody", "whatever-1"}, {"alice@sip.example.org", "wrong-password"}, {"ghost@sip.example.org", "x"},
			} {
				b := e.browser()
				res := b.post("/panel/login", url.Values{"user": {tc.user}, "password": {tc.password}}).want(t, 401)
				res.has(t, "Wrong user name or password.")
				if c := res.header.Get("Set-Cookie"); strings.Contains(c, "sb_panel=") && !strings.Contains(c, "sb_panel=;") {
					t.Errorf("%s: a refused login set %s", tc.user, c)
				}
			}
		})
		t.Run("the session cookie is HttpOnly and SameSite=Lax", func(t *testing.T) {
			res := e.browser().post("/panel/login", url.Values{"user": {"acme"}, "password": {tenantPassword}})
			c := res.header.Get("Set-Cookie")
			if !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Lax") || !strings.Contains(c, "Path=/panel/") {
				t.Fatalf("Set-Cookie %q", c)
			}
		})
		t.Run("logout ends the session in the store at once", func(t *testing.T) {
			b := e.login("acme", tenantPassword)
			u, _ := url.Parse(e.url + "/panel/")
			stolen := b.client.Jar.Cookies(u)
			b.post("/panel/logout", nil).want(t, http.StatusSeeOther)
			b.get("/panel/").want(t, http.StatusSeeOther)
			// The old cookie, replayed, is dead too.
			again := e.browser()
			again.client.Jar.SetCookies(u, stolen)
			again.get("/panel/").want(t, http.StatusSeeOther)
		})
		t.Run("the session idles out", func(t *testing.T) {
			b := e.login("acme", tenantPassword)
			e.clock.Add(31 * 60 * 1e9)
			b.get("/panel/").want(t, http.StatusSeeOther)
		})
	})
}

func TestLoginIsRateLimitedWithTheAPIs(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		var wg sync.WaitGroup
		statuses := make([]int, service.DefaultAttempts.Burst+10)
		for i := range statuses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res := e.browser().post("/panel/login", url.Values{"user": {"acme"}, "password": {fmt.Sprint("guess-", i)}})
				statuses[i] = res.status
				if res.status == 429 && res.header.Get("Retry-After") == "" {
					t.Errorf("a 429 without Retry-After")
				}
			}()
		}
		wg.Wait()
		limited := 0
		for _, s := range statuses {
			if s == 429 {
				limited++
			}
		}
		if limited < 10 {
			t.Fatalf("statuses %v: want at least 10 rate-limited", statuses)
		}
		// The same bucket as the APIs: the right password is refused now, on /auth too.
		e.browser().post("/panel/login", url.Values{"user": {"acme"}, "password": {tenantPassword}}).want(t, 429)
		res, err := http.PostForm(e.url+"/auth", url.Values{"username": {"acme"}, "password": {tenantPassword}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 429 {
			t.Fatalf("/auth after panel guesses: %d, want 429", res.StatusCode)
		}
	})
}

func TestSecurityHeadersAndCrossOrigin(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		b := e.login("acme", tenantPassword)
		t.Run("every page carries the security headers", func(t *testing.T) {
			for _, path := range []string{"/panel/login", "/panel/", "/panel/nope"} {
				res := b.get(path)
				for h, want := range map[string]string{
					"Content-Security-Policy": "script-src 'self'", "X-Frame-Options": "DENY",
					"Referrer-Policy": "same-origin", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
				} {
					if !strings.Contains(res.header.Get(h), want) {
						t.Errorf("%s: %s = %q, want %q", path, h, res.header.Get(h), want)
					}
				}
				if strings.Contains(res.header.Get("Content-Security-Policy"), "unsafe-inline") {
					t.Errorf("%s: CSP allows unsafe-inline", path)
				}
				if strings.Contains(res.body, "<script>") || strings.Contains(res.body, " style=") {
					t.Errorf("%s: inline script or style", path)
				}
			}
		})
		t.Run("a cross-site form post is refused and changes nothing", func(t *testing.T) {
			req, _ := http.NewRequest("POST", e.url+"/panel/logout", nil)
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			req.Header.Set("Origin", "https://evil.example")
			b.do(req).want(t, http.StatusForbidden)
			b.get("/panel/").want(t, 200) // still logged in
		})
		t.Run("an unknown page is 404 in HTML", func(t *testing.T) {
			res := b.get("/panel/nope").want(t, 404)
			if !strings.HasPrefix(res.header.Get("Content-Type"), "text/html") {
				t.Fatalf("Content-Type %q", res.header.Get("Content-Type"))
			}
		})
		t.Run("the stylesheet and script are served", func(t *testing.T) {
			b.get("/panel/static/panel.css").want(t, 200)
			b.get("/panel/static/panel.js").want(t, 200)
		})
	})
}
