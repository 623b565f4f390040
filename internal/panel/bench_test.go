package panel_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/httpapi"
	"github.com/switchboard/switchboard/internal/panel"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
	"github.com/switchboard/switchboard/internal/testenv"
)

// bigDomain serves a panel over a store whose domain big.example (tenant
// acme) holds admin@ (a SIP admin) and one million accounts seeded in bulk
// with one precomputed hash, each with a contact email and a phone.
func bigDomain(b *testing.B, backend storetest.Backend) string {
	const accounts = 1_000_000
	st := storetest.Open(b, backend)
	svc, _ := testenv.Service(b, st, nil)
	base := testenv.Serve(b, httpapi.New(httpapi.Config{Services: svc, Panel: panel.New(panel.Config{Services: svc})}))
	ctx := context.Background()
	if _, err := svc.CreateTenant(ctx, sb.SystemActor, "acme", tenantPassword, sb.RoleTenant); err != nil {
		b.Fatal(err)
	}
	d, _, err := svc.CreateDomain(ctx, sb.SystemActor, sb.NewDomain{Name: "big.example", Owner: "acme"})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.CreateAccountCLI(ctx, sb.SystemActor, "admin@big.example", adminPassword, "", true); err != nil {
		b.Fatal(err)
	}
	hash, _ := auth.NewHasher(auth.TestParams).Hash(context.Background(), "bench-password")
	now := time.Now()
	const chunk = 50_000
	for start := 0; start < accounts; start += chunk {
		rows := make([]store.ImportAccount, 0, chunk)
		for i := start; i < min(start+chunk, accounts); i++ {
			l := fmt.Sprintf("user%07d", i)
			rows = append(rows, store.ImportAccount{Local: l, Email: l + "@big.example", Credentials: store.Credentials{Hash: hash},
				Active: true, Activated: true, ContactEmail: fmt.Sprintf("u%07d@mail.example", i),
				Phone: fmt.Sprintf("+336%08d", i), CreatedAt: now, UpdatedAt: now})
		}
		if err := st.InTx(ctx, func(tx *store.Tx) error { return tx.InsertImportedAccounts(ctx, d.ID, rows) }); err != nil {
			b.Fatal(err)
		}
	}
	return base
}

// BenchmarkDomainMailboxesPage: a tenant's domain page (mailboxes, aliases,
// DKIM, certificates) for a domain holding one million accounts: the first
// page, a prefix search, a deep page and a search that finds nothing. The
// issue's goal is < 50 ms each; the loopback round trip is counted too.
func BenchmarkDomainMailboxesPage(b *testing.B) {
	for _, backend := range storetest.Backends() {
		b.Run(backend.Name, func(b *testing.B) {
			base := bigDomain(b, backend)
			c := benchLogin(b, base, "acme", tenantPassword)
			for _, tc := range []struct{ name, query, want string }{
				{"first page", "", "user0000048@"}, // after admin@
				{"prefix search", "?q=user05000", "user0500049@"},
				{"deep page", "?after=user0900000", "user0900050@"},
				{"no match", "?q=nobody", "No mailbox starts with"},
			} {
				b.Run(tc.name, func(b *testing.B) {
					for b.Loop() {
						benchGet(b, c, base+"/panel/domains/big.example"+tc.query, tc.want)
					}
				})
			}
		})
	}
}

// BenchmarkSIPAccountsPage: a SIP admin's GET /panel/sip/accounts (the
// first page, 25 rows, rendered) in a domain of one million accounts, and
// prefix searches by username, contact email and phone, on each database.
// The goal is < 50 ms a page: every variant is one index range cut at the
// page's size.
func BenchmarkSIPAccountsPage(b *testing.B) {
	for _, backend := range storetest.Backends() {
		b.Run(backend.Name, func(b *testing.B) {
			base := bigDomain(b, backend)
			c := benchLogin(b, base, "admin@big.example", adminPassword)
			for _, tc := range []struct{ name, query, want string }{
				{"first page", "", "user0000000"},
				{"username prefix", "?q=user05", "user0500000"},
				{"email prefix", "?q=" + url.QueryEscape("u0500000@mail"), "u0500000@mail.example"}, // a query with @ searches emails
				{"phone prefix", "?q=" + url.QueryEscape("+3360099"), "600990000"},                  // html/template writes + as &#43;
				{"username prefix, page after", "?q=user05&after=500000", "user05"},
			} {
				b.Run(tc.name, func(b *testing.B) {
					for b.Loop() {
						benchGet(b, c, base+"/panel/sip/accounts"+tc.query, tc.want)
					}
				})
			}
		})
	}
}

// benchLogin logs in through the panel's form and returns a client that
// carries the session.
func benchLogin(b *testing.B, base, user, password string) *http.Client {
	b.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("POST", base+"/panel/login", strings.NewReader(url.Values{"user": {user}, "password": {password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		b.Fatalf("login: %d", res.StatusCode)
	}
	return c
}

func benchGet(b *testing.B, c *http.Client, url, want string) {
	res, err := c.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), want) {
		b.Fatalf("status %d, lacks %q", res.StatusCode, want)
	}
}
