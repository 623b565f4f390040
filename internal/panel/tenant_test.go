package panel_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/store"
)

const dom = "/panel/domains/sip.example.org"

// wantFlash fails unless the page after the redirect shows msg.
func (b *browser) wantFlash(t *testing.T, res *page, msg string) *page {
	t.Helper()
	next := b.follow(t, res).want(t, 200)
	if !strings.Contains(next.flash(), msg) {
		t.Fatalf("flash %q, want %q", next.flash(), msg)
	}
	return next
}

func (e *env) domainExists(name string) bool {
	_, err := e.svc.GetDomain(context.Background(), sb.SystemActor, name)
	return err == nil
}

func (e *env) mailboxExists(email string) bool {
	_, err := e.svc.GetMailbox(context.Background(), sb.SystemActor, email)
	return err == nil
}

func TestTenantPagesAreTenantsOnly(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		paths := []string{"/panel/domains", dom, dom + "/delete", dom + "/export", "/panel/oauth-clients", "/panel/config-links", "/panel/tenants"}
		t.Run("a logged-out browser is sent to the login page", func(t *testing.T) {
			b := e.browser()
			for _, p := range paths {
				if res := b.get(p).want(t, http.StatusSeeOther); !strings.HasPrefix(res.location(), "/panel/login?next=") {
					t.Errorf("%s: redirect to %q", p, res.location())
				}
			}
			if res := b.post("/panel/domains", url.Values{"domain": {"x.example"}}).want(t, http.StatusSeeOther); res.location() != "/panel/login" {
				t.Errorf("POST: redirect to %q", res.location())
			}
		})
		t.Run("an account session, even a SIP admin's, gets 404", func(t *testing.T) {
			for _, user := range [][2]string{{"alice@sip.example.org", alicePassword}, {"admin@sip.example.org", adminPassword}} {
				b := e.login(user[0], user[1])
				for _, p := range paths {
					b.get(p).want(t, 404)
				}
				b.post("/panel/domains", url.Values{"domain": {"x.example"}, "username": {"a"}, "password": {"password-123"}}).want(t, 404)
				b.post(dom+"/delete", url.Values{"confirm": {"yes"}}).want(t, 404)
			}
			if e.domainExists("x.example") || !e.domainExists("sip.example.org") {
				t.Fatal("an account changed domains")
			}
		})
		t.Run("a cross-site form post is refused with 403", func(t *testing.T) {
			b := e.login("acme", tenantPassword)
			req, _ := http.NewRequest("POST", e.url+dom+"/delete", strings.NewReader("confirm=yes"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			req.Header.Set("Origin", "https://evil.example")
			b.do(req).want(t, http.StatusForbidden)
			if !e.domainExists("sip.example.org") {
				t.Fatal("deleted by a cross-site post")
			}
		})
	})
}

func TestDomainsPage(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		b := e.login("acme", tenantPassword)
		t.Run("lists the tenant's own domains with their mailbox counts", func(t *testing.T) {
			res := b.get("/panel/domains").want(t, 200)
			res.has(t, "<h1>Domains</h1>", `<a href="/panel/domains/sip.example.org">sip.example.org</a></td><td>2</td>`,
				`<label for="domain">Domain</label>`, `<label for="username">First mailbox</label>`, `<label for="password">Password</label>`,
				`>Create domain</button>`)
			res.lacks(t, "other.example", `name="owner"`)
		})
		t.Run("creates a domain with its first mailbox and goes to its page", func(t *testing.T) {
			res := b.post("/panel/domains", url.Values{"domain": {"New.Example"}, "username": {"postmaster"}, "password": {"first-password-1"}})
			if res.want(t, http.StatusSeeOther).location() != "/panel/domains/new.example" {
				t.Fatalf("redirect to %q", res.location())
			}
			next := b.wantFlash(t, res, "Domain new.example created.")
			next.has(t, "<h1>new.example</h1>", "postmaster@new.example")
			e.login("postmaster@new.example", "first-password-1")
		})
		t.Run("a bad domain comes back with the refusal and creates nothing", func(t *testing.T) {
			for _, form := range []url.Values{
				{"domain": {"not a domain"}, "username": {"a"}, "password": {"first-password-1"}},
				{"domain": {"short.example"}, "username": {"a"}, "password": {"x"}},
				{"domain": {"other.example"}, "username": {"a"}, "password": {"first-password-1"}},
			} {
				res := b.post("/panel/domains", form)
				if res.want(t, http.StatusSeeOther).location() != "/panel/domains" {
					t.Fatalf("redirect to %q", res.location())
				}
				if next := b.follow(t, res).want(t, 200); !strings.Contains(next.body, `class="flash refused"`) || next.flash() == "" {
					t.Fatalf("%v: no refusal shown:\n%s", form, next.body)
				}
			}
			if e.domainExists("short.example") {
				t.Fatal("a refused domain was created")
			}
		})
		t.Run("pages by keyset", func(t *testing.T) {
			for i := range 52 {
				if _, _, err := e.svc.CreateDomain(context.Background(), sb.SystemActor, sb.NewDomain{Name: fmt.Sprintf("d%02d.example", i), Owner: "acme"}); err != nil {
					t.Fatal(err)
				}
			}
			first := b.get("/panel/domains").want(t, 200)
			next := regexp.MustCompile(`href="(/panel/domains\?after=\d+)" rel="next"`).FindStringSubmatch(first.body)
			if next == nil {
				t.Fatalf("no next page:\n%s", first.body)
			}
			second := b.get(strings.ReplaceAll(next[1], "&amp;", "&")).want(t, 200)
			second.has(t, "First page", "d51.example").lacks(t, "sip.example.org")
			first.lacks(t, "d51.example")
		})
	})
}

func TestDomainPage(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		b := e.login("acme", tenantPassword)
		t.Run("shows every section", func(t *testing.T) {
			b.get(dom).want(t, 200).has(t, "<h1>sip.example.org</h1>", ">Mailboxes</h2>", ">Aliases</h2>", ">DKIM</h2>",
				">Certificates</h2>", ">Export</h2>", `<label for="q">Search mailboxes</label>`, "alice@sip.example.org",
				`<a href="/panel/domains/sip.example.org/export" download>Download export</a>`, ">Create mailbox</button>",
				">Create alias</button>", ">New DKIM key</button>", ">Get a Let's Encrypt certificate</button>",
				`aria-label="Set password of alice@sip.example.org">Set password</button>`)
		})
		t.Run("a foreign or unknown domain is the same 404", func(t *testing.T) {
			foreign := b.get("/panel/domains/other.example").want(t, 404)
			foreign.lacks(t, "bob@")
			unknown := b.get("/panel/domains/nowhere.example").want(t, 404)
			if foreign.flash() != unknown.flash() {
				t.Fatalf("foreign %q, unknown %q", foreign.flash(), unknown.flash())
			}
			for _, p := range []string{"/delete", "/export", "/mailboxes/bob@other.example/delete", "/aliases/x@other.example/delete"} {
				b.get("/panel/domains/other.example"+p).want(t, 404)
			}
		})
		t.Run("an operator opens any tenant's domain", func(t *testing.T) {
			e.login("root", tenantPassword).get("/panel/domains/other.example").want(t, 200).has(t, "bob@other.example")
		})
	})
}

func TestMailboxes(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		b := e.login("acme", tenantPassword)
		t.Run("creates a mailbox from a bare local part", func(t *testing.T) {
			res := b.post(dom+"/mailboxes", url.Values{"email": {"carol"}, "password": {"carol-password-1"}})
			b.wantFlash(t, res, "Mailbox carol@sip.example.org created.").has(t, "carol@sip.example.org")
			e.login("carol@sip.example.org", "carol-password-1")
		})
		t.Run("a bad mailbox comes back with the refusal", func(t *testing.T) {
			for _, form := range []url.Values{
				{"email": {"dave"}, "password": {"x"}},
				{"email": {"alice"}, "password": {"alice-password-2"}},
				{"email": {"eve@other.example"}, "password": {"eve-password-1"}},
			} {
				res := b.post(dom+"/mailboxes", form)
				if res.status == 404 {
					continue // another tenant's domain: not found
				}
				if next := b.follow(t, res); !strings.Contains(next.body, `class="flash refused"`) {
					t.Fatalf("%v: no refusal:\n%s", form, next.body)
				}
			}
			if e.mailboxExists("dave@sip.example.org") || e.mailboxExists("eve@other.example") {
				t.Fatal("a refused mailbox was created")
			}
		})
		t.Run("searches by prefix", func(t *testing.T) {
			b.get(dom+"?q=car").want(t, 200).has(t, "<td>carol@sip.example.org</td>").lacks(t, "<td>alice@sip.example.org</td>")
			b.get(dom+"?q=CAROL%40sip.example.org").want(t, 200).has(t, "carol@sip.example.org")
			b.get(dom+"?q=zz").want(t, 200).has(t, "No mailbox starts with").lacks(t, "carol@sip.example.org")
		})
		t.Run("pages in address order", func(t *testing.T) {
			d, _ := e.svc.GetDomain(context.Background(), sb.SystemActor, "sip.example.org")
			var rows []store.BulkAccount
			for i := range 60 {
				l := fmt.Sprintf("user%03d", i)
				rows = append(rows, store.BulkAccount{Local: l, Email: l + "@sip.example.org"})
			}
			if err := e.st.InTx(context.Background(), func(tx *store.Tx) error {
				return tx.BulkInsertAccounts(context.Background(), d.ID, "x", time.Now(), rows)
			}); err != nil {
				t.Fatal(err)
			}
			first := b.get(dom+"?q=user").want(t, 200).has(t, "user000@", "user049@").lacks(t, "user050@")
			next := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(first.body)
			if next == nil {
				t.Fatal("no next page")
			}
			b.get(strings.ReplaceAll(next[1], "&amp;", "&")).want(t, 200).has(t, "user050@", "user059@", "First page of mailboxes").lacks(t, "user049@", "<td>alice@")
		})
		t.Run("sets a mailbox's password", func(t *testing.T) {
			res := b.post(dom+"/mailboxes/alice@sip.example.org/password", url.Values{"password": {"alice-password-9"}})
			b.wantFlash(t, res, "Password of alice@sip.example.org changed.")
			e.login("alice@sip.example.org", "alice-password-9")
			res = b.post(dom+"/mailboxes/alice@sip.example.org/password", url.Values{"password": {"x"}})
			if next := b.follow(t, res); !strings.Contains(next.body, `class="flash refused"`) {
				t.Fatalf("a short password was not refused:\n%s", next.body)
			}
			e.login("alice@sip.example.org", "alice-password-9")
		})
		t.Run("another tenant's mailbox is 404 and keeps its password", func(t *testing.T) {
			b.post(dom+"/mailboxes/bob@other.example/password", url.Values{"password": {"stolen-password-1"}}).want(t, 404)
			b.post("/panel/domains/other.example/mailboxes/bob@other.example/password", url.Values{"password": {"stolen-password-1"}}).want(t, 404)
			b.post("/panel/domains/other.example/mailboxes/bob@other.example/delete", nil).want(t, 404)
			e.login("bob@other.example", alicePassword)
		})
		t.Run("deletes a mailbox after a confirmation page", func(t *testing.T) {
			b.get(dom+"/mailboxes/carol@sip.example.org/delete").want(t, 200).
				has(t, "Delete the mailbox carol@sip.example.org?", `action="/panel/domains/sip.example.org/mailboxes/carol@sip.example.org/delete"`)
			b.get(dom+"/mailboxes/nobody@sip.example.org/delete").want(t, 404)
			res := b.post(dom+"/mailboxes/carol@sip.example.org/delete", nil)
			b.wantFlash(t, res, "Mailbox carol@sip.example.org deleted.")
			if e.mailboxExists("carol@sip.example.org") {
				t.Fatal("still there")
			}
		})
	})
}

func TestAliases(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		b := e.login("acme", tenantPassword)
		res := b.post(dom+"/aliases", url.Values{"address": {"info"}, "goto": {"alice@sip.example.org, x@elsewhere.example"}})
		b.wantFlash(t, res, "Alias info@sip.example.org created.").has(t, "info@sip.example.org", "alice@sip.example.org, x@elsewhere.example")

		res = b.post(dom+"/aliases", url.Values{"address": {"alice"}, "goto": {"x@elsewhere.example"}})
		if next := b.follow(t, res); !strings.Contains(next.body, `class="flash refused"`) {
			t.Fatalf("an alias over a mailbox was not refused:\n%s", next.body)
		}
		b.post("/panel/domains/other.example/aliases", url.Values{"address": {"steal"}, "goto": {"x@elsewhere.example"}}).want(t, 404)

		b.get(dom+"/aliases/info@sip.example.org/delete").want(t, 200).has(t, "Delete the alias info@sip.example.org?")
		res = b.post(dom+"/aliases/info@sip.example.org/delete", nil)
		b.wantFlash(t, res, "Alias info@sip.example.org deleted.").lacks(t, "<td>info@sip.example.org</td>")
	})
}

func TestDKIM(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		b := e.login("acme", tenantPassword)
		sel := "s" + e.clock.Now().UTC().Format("20060102")
		res := b.post(dom+"/dkim", nil)
		next := b.wantFlash(t, res, "DKIM key "+sel+" created")
		next.has(t, "<code>"+sel+"._domainkey.sip.example.org</code>", `<pre class="dkim-record" id="dkim-`+sel+`">`,
			`<button type="button" data-copy="dkim-`+sel+`" hidden>Copy</button>`)
		rec := html.UnescapeString(regexp.MustCompile(`(?s)id="dkim-` + sel + `">(.*?)</pre>`).FindStringSubmatch(next.body)[1])
		parts := regexp.MustCompile(`"([^"]*)"`).FindAllStringSubmatch(rec, -1)
		if len(parts) < 2 || !strings.HasPrefix(parts[0][1], "v=DKIM1; k=rsa; p=") {
			t.Fatalf("an RSA record in %d strings: %s", len(parts), rec)
		}
		for _, p := range parts {
			if len(p[1]) > 255 {
				t.Fatalf("a string of %d bytes", len(p[1]))
			}
		}

		res = b.post(dom+"/dkim", url.Values{"selector": {"s2"}, "algorithm": {"ed25519"}})
		b.wantFlash(t, res, "then activate it").has(t, `id="dkim-s2"`, "ed25519", `aria-label="Activate DKIM key s2">Activate</button>`)
		res = b.post(dom+"/dkim", url.Values{"selector": {"s2"}})
		if next := b.follow(t, res); !strings.Contains(next.body, `class="flash refused"`) {
			t.Fatalf("a taken selector was not refused:\n%s", next.body)
		}
		res = b.post(dom+"/dkim/s2/activate", nil)
		b.wantFlash(t, res, "DKIM key s2 now signs").has(t, `aria-label="Delete DKIM key `+sel+`"`)

		b.get(dom+"/dkim/"+sel+"/delete").want(t, 200).has(t, "Delete the DKIM key "+sel)
		b.get(dom+"/dkim/nope/delete").want(t, 404)
		res = b.post(dom+"/dkim/"+sel+"/delete", nil)
		b.wantFlash(t, res, "DKIM key "+sel+" deleted.").lacks(t, `id="dkim-`+sel+`"`)
		b.post("/panel/domains/other.example/dkim", nil).want(t, 404)
	})
}

func TestLetsEncryptWithoutCA(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		b := e.login("acme", tenantPassword)
		for _, host := range []string{"mail.sip.example.org", "mail.other.example"} {
			res := b.post(dom+"/letsencrypt", url.Values{"hostname": {host}})
			if res.want(t, http.StatusSeeOther).location() != dom+"#certificates" {
				t.Fatalf("redirect to %q", res.location())
			}
			next := b.follow(t, res).want(t, 200)
			if !strings.Contains(next.body, `class="flash refused"`) || next.flash() == "" {
				t.Fatalf("%s: no refusal shown:\n%s", host, next.body)
			}
		}
		b.get(dom).want(t, 200).has(t, "No certificate under sip.example.org")
	})
}

func TestExportDownload(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		b := e.login("acme", tenantPassword)
		res := b.get(dom+"/export").want(t, 200)
		if cd := res.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, "sip.example.org") {
			t.Fatalf("Content-Disposition %q", cd)
		}
		if !strings.HasPrefix(res.body, "\x1f\x8b") {
			t.Fatal("not a gzip archive")
		}
		b.get("/panel/domains/other.example/export").want(t, 404)
	})
}

func TestDeleteDomain(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		b := e.login("acme", tenantPassword)
		b.get(dom+"/delete").want(t, 200).has(t, "Delete sip.example.org?", "its 2 mailboxes", `name="confirm" type="checkbox" value="yes" required`)
		res := b.post(dom+"/delete", nil)
		b.wantFlash(t, res, "tick the box")
		if !e.domainExists("sip.example.org") {
			t.Fatal("deleted without the box ticked")
		}
		b.post("/panel/domains/other.example/delete", url.Values{"confirm": {"yes"}}).want(t, 404)
		res = b.post(dom+"/delete", url.Values{"confirm": {"yes"}})
		if res.want(t, http.StatusSeeOther).location() != "/panel/domains" {
			t.Fatalf("redirect to %q", res.location())
		}
		b.wantFlash(t, res, "Domain sip.example.org deleted")
		if e.domainExists("sip.example.org") || !e.domainExists("other.example") {
			t.Fatal("wrong domains deleted")
		}
	})
}

func TestOAuthClients(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		b := e.login("acme", tenantPassword)
		b.get("/panel/oauth-clients").want(t, 200).has(t, "<h1>OAuth clients</h1>", "No OAuth clients.")
		res := b.post("/panel/oauth-clients", nil).want(t, 200)
		id := regexp.MustCompile(`id="client-id">([^<]+)<`).FindStringSubmatch(res.body)[1]
		secret := regexp.MustCompile(`id="client-secret">([^<]+)<`).FindStringSubmatch(res.body)[1]
		if strings.Contains(res.header.Get("Set-Cookie"), secret) {
			t.Fatal("the secret is in a cookie")
		}
		if _, _, err := e.svc.IssueOAuthToken(context.Background(), "client_credentials", id, secret, "127.0.0.1"); err != nil {
			t.Fatalf("the shown secret does not work: %v", err)
		}
		b.get("/panel/oauth-clients").want(t, 200).has(t, id).lacks(t, secret)

		other, _, err := e.svc.CreateOAuthClient(context.Background(), sb.SystemActor, "other")
		if err != nil {
			t.Fatal(err)
		}
		b.get("/panel/oauth-clients").lacks(t, other.ClientID)
		b.get("/panel/oauth-clients/"+other.ClientID+"/revoke").want(t, 404)
		b.post("/panel/oauth-clients/"+other.ClientID+"/revoke", nil).want(t, 404)

		b.get("/panel/oauth-clients/"+id+"/revoke").want(t, 200).has(t, "Revoke the OAuth client "+id+"?")
		b.wantFlash(t, b.post("/panel/oauth-clients/"+id+"/revoke", nil), "revoked").lacks(t, "<code>"+id+"</code>")
		if _, _, err := e.svc.IssueOAuthToken(context.Background(), "client_credentials", id, secret, "127.0.0.1"); err == nil {
			t.Fatal("a revoked client still gets tokens")
		}
		e.login("root", tenantPassword).get("/panel/oauth-clients").want(t, 200).has(t, other.ClientID, `<label for="tenant">For tenant</label>`)
	})
}

func TestConfigLinks(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		b := e.login("acme", tenantPassword)
		b.get("/panel/config-links").want(t, 200).has(t, "<h1>Configuration links</h1>", "No live links.")
		form := url.Values{"email": {"alice@sip.example.org"}, "name": {"Alice"}, "imap_host": {"imap.sip.example.org"}, "imap_port": {"993"},
			"smtp_host": {"smtp.sip.example.org"}, "smtp_port": {"465"}}
		res := b.post("/panel/config-links", form).want(t, 200)
		link := regexp.MustCompile(`id="link-url">([^<]+)<`).FindStringSubmatch(res.body)[1]
		password := regexp.MustCompile(`id="link-password">([^<]+)<`).FindStringSubmatch(res.body)[1]
		id := link[strings.LastIndex(link, "/")+1:]
		if _, err := e.svc.OpenClientConfig(context.Background(), id, password, "127.0.0.1"); err != nil {
			t.Fatalf("the shown link and password do not open: %v", err)
		}
		b.get("/panel/config-links").want(t, 200).has(t, link).lacks(t, password)
		e.login("other", tenantPassword).get("/panel/config-links").want(t, 200).lacks(t, id)

		bad := url.Values{"email": {"not an address"}, "imap_host": {"x"}, "imap_port": {"993"}, "smtp_host": {"y"}, "smtp_port": {"nope"}}
		if next := b.follow(t, b.post("/panel/config-links", bad)); !strings.Contains(next.body, `class="flash refused"`) {
			t.Fatalf("bad input not refused:\n%s", next.body)
		}
		e.login("other", tenantPassword).post("/panel/config-links/delete", url.Values{"id": {id}, "confirm": {"yes"}}).want(t, 404)
		b.wantFlash(t, b.post("/panel/config-links/delete", url.Values{"id": {id}}), "tick the box")
		if e.svc.CheckClientConfig(context.Background(), id) != nil {
			t.Fatal("deleted without the box ticked, or by another tenant")
		}
		b.wantFlash(t, b.post("/panel/config-links/delete", url.Values{"id": {id}, "confirm": {"yes"}}), "deleted").lacks(t, id)
		if e.svc.CheckClientConfig(context.Background(), id) == nil {
			t.Fatal("still there")
		}
	})
}

func TestTenantsPage(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		root := e.login("root", tenantPassword)
		root.get("/panel/tenants").want(t, 200).has(t, "<h1>Tenants</h1>",
			`<a href="/panel/domains?tenant=acme">acme</a></td><td>tenant</td><td>1</td>`,
			`<a href="/panel/domains?tenant=root">root</a></td><td>operator</td><td>0</td>`)
		root.get("/panel/domains?tenant=other").want(t, 200).has(t, "other.example").lacks(t, "sip.example.org")
		root.get("/panel/domains").want(t, 200).has(t, "other.example", "sip.example.org", `<label for="owner">Owner tenant</label>`)
		res := root.post("/panel/domains", url.Values{"domain": {"given.example"}, "username": {"pm"}, "password": {"first-password-1"}, "owner": {"other"}})
		root.wantFlash(t, res, "Domain given.example created.").has(t, "tenant other")
		e.login("acme", tenantPassword).get("/panel/tenants").want(t, 404)
	})
}
