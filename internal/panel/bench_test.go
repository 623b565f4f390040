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

// BenchmarkDomainMailboxesPage: a tenant's domain page (mailboxes, aliases,
// DKIM, certificates) for a domain holding one million accounts, seeded in
// bulk with one precomputed hash: the first page, a prefix search, a deep
// page and a search that finds nothing. The goal is < 50 ms each;
// the loopback round trip is counted too.
func BenchmarkDomainMailboxesPage(b *testing.B) {
	const accounts = 1_000_000
	for _, backend := range storetest.Backends() {
		b.Run(backend.Name, func(b *testing.B) {
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
			hash, _ := auth.NewHasher(auth.TestParams).Hash("bench-password")
			const chunk = 50_000
			for start := 0; start < accounts; start += chunk {
				rows := make([]store.BulkAccount, 0, chunk)
				for i := start; i < min(start+chunk, accounts); i++ {
					l := fmt.Sprintf("user%07d", i)
					rows = append(rows, store.BulkAccount{Local: l, Email: l + "@big.example"})
				}
				if err := st.InTx(ctx, func(tx *store.Tx) error {
					return tx.BulkInsertAccounts(ctx, d.ID, hash, time.Now(), rows)
				}); err != nil {
					b.Fatal(err)
				}
			}
			c := benchLogin(b, base)
			for _, tc := range []struct{ name, query, want string }{
				{"first page", "", "user0000049@"},
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

func benchLogin(b *testing.B, base string) *http.Client {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("POST", base+"/panel/login", strings.NewReader(url.Values{"user": {"acme"}, "password": {tenantPassword}}.Encode()))
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
