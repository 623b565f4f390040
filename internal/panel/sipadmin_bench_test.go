package panel_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
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

// BenchmarkSIPAccountsPage: a SIP admin's GET /panel/sip/accounts (the
// first page, 25 rows, rendered) in a domain of one million accounts, and
// prefix searches by username, contact email and phone, on each database.
// The goal is < 50 ms a page: every variant is one index range cut at the
// page's size.
func BenchmarkSIPAccountsPage(b *testing.B) {
	const accounts = 1_000_000
	for _, backend := range storetest.Backends() {
		b.Run(backend.Name, func(b *testing.B) {
			st := storetest.Open(b, backend)
			svc, _ := testenv.Service(b, st, nil)
			base := testenv.Serve(b, httpapi.New(httpapi.Config{Services: svc, Panel: panel.New(panel.Config{Services: svc})}))
			ctx := context.Background()
			if _, err := svc.CreateTenant(ctx, sb.SystemActor, "acme", "bench-password", sb.RoleTenant); err != nil {
				b.Fatal(err)
			}
			d, _, err := svc.CreateDomain(ctx, sb.SystemActor, sb.NewDomain{Name: "big.example", Owner: "acme"})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := svc.CreateAccountCLI(ctx, sb.SystemActor, "admin@big.example", "bench-password", "", true); err != nil {
				b.Fatal(err)
			}
			hash, _ := auth.NewHasher(auth.TestParams).Hash("bench-password")
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
			c := loginBench(b, base, "admin@big.example", "bench-password")
			for _, tc := range []struct{ name, query string }{
				{"first page", ""},
				{"username prefix", "?q=user05"},
				{"email prefix", "?q=" + url.QueryEscape("u0777@")},
				{"phone prefix", "?q=" + url.QueryEscape("+3360099")},
				{"username prefix, page after", "?q=user05&after=500000"},
			} {
				b.Run(tc.name, func(b *testing.B) {
					for b.Loop() {
						res, err := c.Get(base + "/panel/sip/accounts" + tc.query)
						if err != nil {
							b.Fatal(err)
						}
						res.Body.Close()
						if res.StatusCode != 200 {
							b.Fatalf("status %d", res.StatusCode)
						}
					}
				})
			}
		})
	}
}

// loginBench logs in through the panel's form and returns a client that
// carries the session.
func loginBench(b *testing.B, base, user, password string) *http.Client {
	b.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.PostForm(base+"/panel/login", url.Values{"user": {user}, "password": {password}})
	if err != nil {
		b.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		b.Fatalf("login: %d", res.StatusCode)
	}
	return c
}
