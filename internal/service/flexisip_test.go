package service_test

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"os"
	"slices"
	"strings"
	"testing"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
	"github.com/switchboard/switchboard/internal/testenv"
)

// flexisipRequest is contrib/flexisip/soci-password-request.sql, the
// soci-password-request of Flexisip's [module::Authentication] that the
// README quotes.
func flexisipRequest(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../../contrib/flexisip/soci-password-request.sql")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

// TestFlexisipPasswordRequestIsInTheREADME: the README shows the request
// as it is tested, one line, as flexisip.conf wants it.
func TestFlexisipPasswordRequestIsInTheREADME(t *testing.T) {
	q := flexisipRequest(t)
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(q, "\n") || !strings.Contains(string(readme), "\nsoci-password-request="+q+"\n") {
		t.Fatalf("README.md lacks the line soci-password-request=%s", q)
	}
}

// TestFlexisipPasswordRequest runs the documented soci-password-request
// on both databases, binding :id and :domain the way soci does (named
// parameters turned into the driver's placeholders): Flexisip gets one
// (password, algorithm) row per HA1 the account has, with the algorithm
// names it knows, and nothing for a switched-off account or another
// domain's.
func TestFlexisipPasswordRequest(t *testing.T) {
	q := flexisipRequest(t)
	if strings.Count(q, ":") != 2 || strings.Count(q, ":id") != 1 || strings.Count(q, ":domain") != 1 {
		t.Fatalf("the request should bind :id and :domain once each and hold no other colon: %s", q)
	}
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			url := b.URL(t)
			st, err := store.Open(context.Background(), url, "")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			// Flexisip's own connection, beside Switchboard's.
			driver, dsn, query := "pgx", url, strings.NewReplacer(":id", "$1", ":domain", "$2").Replace(q)
			if st.Dialect() == store.SQLite {
				driver, dsn, query = "sqlite", "file:"+strings.TrimPrefix(url, "sqlite:")+"?_pragma=busy_timeout(5000)",
					strings.NewReplacer(":id", "?1", ":domain", "?2").Replace(q)
			}
			db, err := sql.Open(driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })

			ctx := context.Background()
			s, _ := testenv.Service(t, st, nil)
			acme := newTenantDomain(t, s, "acme", "a.test")
			newTenantDomain(t, s, "other", "b.test")
			for _, a := range []struct{ email, algorithm string }{
				{"both@a.test", ""}, {"sha@a.test", "SHA-256"}, {"off@a.test", ""}, {"carol@b.test", ""},
			} {
				if _, err := s.CreateAccountCLI(ctx, sb.SystemActor, a.email, a.email+"-pw", a.algorithm, false); err != nil {
					t.Fatal(err)
				}
			}
			// An account with the SHA-256 HA1 only, whatever the policy
			// for new accounts is.
			clear := strings.NewReplacer("?", "$1").Replace
			if st.Dialect() == store.SQLite {
				clear = func(s string) string { return s }
			}
			if _, err := db.ExecContext(ctx, clear("UPDATE accounts SET ha1_md5 = NULL WHERE email = ?"), "sha@a.test"); err != nil {
				t.Fatal(err)
			}
			off := false
			if _, err := s.UpdateMailbox(ctx, acme, "off@a.test", sb.MailboxChange{Active: &off}); err != nil {
				t.Fatal(err)
			}

			type row struct{ password, algorithm string }
			ha1 := func(user, domain string) []row {
				in := user + ":" + domain + ":" + user + "@" + domain + "-pw"
				m, s := md5.Sum([]byte(in)), sha256.Sum256([]byte(in))
				return []row{{hex.EncodeToString(m[:]), "MD5"}, {hex.EncodeToString(s[:]), "SHA-256"}}
			}
			cases := []struct {
				name, id, domain string
				want             []row
			}{
				{"an account with both HA1s gets an MD5 and a SHA-256 row", "both", "a.test", ha1("both", "a.test")},
				{"an account with the SHA-256 HA1 only gets that row", "sha", "a.test", ha1("sha", "a.test")[1:]},
				{"a deactivated account gets none", "off", "a.test", nil},
				{"another domain's account asked in this domain gets none", "carol", "a.test", nil},
				{"this domain's account asked in another domain gets none", "both", "b.test", nil},
				{"an unknown user gets none", "nobody", "a.test", nil},
				{"the other domain's account in its own domain gets its rows", "carol", "b.test", ha1("carol", "b.test")},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					rows, err := db.QueryContext(ctx, query, c.id, c.domain)
					if err != nil {
						t.Fatal(err)
					}
					defer rows.Close()
					var got []row
					for rows.Next() {
						var r row
						if err := rows.Scan(&r.password, &r.algorithm); err != nil {
							t.Fatal(err)
						}
						got = append(got, r)
					}
					if err := rows.Err(); err != nil {
						t.Fatal(err)
					}
					slices.SortFunc(got, func(a, b row) int { return strings.Compare(a.algorithm, b.algorithm) })
					if !slices.Equal(got, c.want) {
						t.Fatalf("rows %v, want %v", got, c.want)
					}
				})
			}
		})
	}
}

// newTenantDomain makes a tenant owning one domain and returns the
// tenant's actor.
func newTenantDomain(t *testing.T, s interface {
	CreateTenant(context.Context, sb.Actor, string, string, string) (*sb.Tenant, error)
	CreateDomain(context.Context, sb.Actor, sb.NewDomain) (*sb.Domain, *sb.Account, error)
}, tenant, domain string) sb.Actor {
	t.Helper()
	ctx := context.Background()
	ten, err := s.CreateTenant(ctx, sb.SystemActor, tenant, tenant+"-password", sb.RoleTenant)
	if err != nil {
		t.Fatal(err)
	}
	actor := sb.Actor{TenantID: ten.ID, TenantName: ten.Name, Role: ten.Role}
	if _, _, err := s.CreateDomain(ctx, actor, sb.NewDomain{Name: domain}); err != nil {
		t.Fatal(err)
	}
	return actor
}
