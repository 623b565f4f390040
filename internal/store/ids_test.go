package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
)

// idTable creates rows in one table with an integer id, through the store.
type idTable struct {
	table  string
	create func(ctx context.Context, tx *store.Tx, fx fixture, n int) (int64, error)
}

// createAccountByHand inserts an account with the columns it had at 0012,
// for the tests that run on the schema before 0020 added the quota ones.
func createAccountByHand(ctx context.Context, tx *store.Tx, a *sb.Account) error {
	return tx.QueryRowSQL(ctx, `INSERT INTO accounts (domain_id, local, email, password_hash, active, activated, created_at, updated_at)
		VALUES (?, ?, ?, 'h', ?, ?, ?, ?) RETURNING id`, a.DomainID, a.Local, a.Email, a.Active, a.Activated, unixOf(when), unixOf(when)).Scan(&a.ID)
}

func unixOf(t time.Time) int64 { return t.Unix() }

// idTables lists every table with an integer id.
var idTables = []idTable{
	{"tenants", func(ctx context.Context, tx *store.Tx, fx fixture, n int) (int64, error) {
		ten := &sb.Tenant{Name: fmt.Sprintf("tenant%d", n), Role: sb.RoleTenant, CreatedAt: when}
		err := tx.CreateTenant(ctx, ten, "h")
		return ten.ID, err
	}},
	{"domains", func(ctx context.Context, tx *store.Tx, fx fixture, n int) (int64, error) {
		d := &sb.Domain{Name: fmt.Sprintf("d%d.example", n), TenantID: fx.tenant.ID, CreatedAt: when}
		err := tx.CreateDomain(ctx, d)
		return d.ID, err
	}},
	{"accounts", func(ctx context.Context, tx *store.Tx, fx fixture, n int) (int64, error) {
		a := &sb.Account{DomainID: fx.domain.ID, Local: fmt.Sprintf("u%d", n), Email: fmt.Sprintf("u%d@example.com", n), Active: true}
		err := createAccountByHand(ctx, tx, a)
		return a.ID, err
	}},
	{"audit_log", func(ctx context.Context, tx *store.Tx, fx fixture, n int) (int64, error) {
		if err := tx.Audit(ctx, when, "test", "test.create", fmt.Sprintf("row:%d", n)); err != nil {
			return 0, err
		}
		var id int64
		err := tx.QueryRowSQL(ctx, `SELECT id FROM audit_log WHERE object = ?`, fmt.Sprintf("row:%d", n)).Scan(&id)
		return id, err
	}},
	{"oauth_clients", func(ctx context.Context, tx *store.Tx, fx fixture, n int) (int64, error) {
		c := &sb.OAuthClient{ClientID: fmt.Sprintf("client%d", n), TenantID: fx.tenant.ID, CreatedAt: when}
		err := tx.CreateOAuthClient(ctx, c, "h")
		return c.ID, err
	}},
	{"dkim_keys", func(ctx context.Context, tx *store.Tx, fx fixture, n int) (int64, error) {
		k := &sb.DKIMKey{DomainID: fx.domain.ID, Selector: fmt.Sprintf("s%d", n), Algorithm: "ed25519", Public: "p", CreatedAt: when}
		err := tx.CreateDKIMKey(ctx, k, "sealed")
		return k.ID, err
	}},
	{"certificates", func(ctx context.Context, tx *store.Tx, fx fixture, n int) (int64, error) {
		c := &sb.Certificate{Hostname: fmt.Sprintf("h%d.example.com", n), DomainID: fx.domain.ID, Source: "upload",
			Names: []string{"x"}, ChainPEM: "pem", Issuer: "ca", NotBefore: when, NotAfter: when.Add(time.Hour)}
		err := tx.PutCertificate(ctx, c, "sealed", when)
		return c.ID, err
	}},
	{"api_keys", func(ctx context.Context, tx *store.Tx, fx fixture, n int) (int64, error) {
		// The schema before 0019 has no name: the row is written by hand.
		var id int64
		err := tx.QueryRowSQL(ctx, `INSERT INTO api_keys (key_hash, account_id, created_at) VALUES (?, ?, ?) RETURNING id`,
			fmt.Sprintf("key%d", n), fx.account.ID, when.Unix()).Scan(&id)
		return id, err
	}},
	{"account_creation_tokens", func(ctx context.Context, tx *store.Tx, fx fixture, n int) (int64, error) {
		hash := fmt.Sprintf("token%d", n)
		if err := tx.CreateDeviceToken(ctx, hash, "fcm", "param", "prid", when, when.Add(time.Hour)); err != nil {
			return 0, err
		}
		var id int64
		err := tx.QueryRowSQL(ctx, `SELECT id FROM account_creation_tokens WHERE token_hash = ?`, hash).Scan(&id)
		return id, err
	}},
	{"aliases", func(ctx context.Context, tx *store.Tx, fx fixture, n int) (int64, error) {
		a := &sb.Alias{DomainID: fx.domain.ID, Local: fmt.Sprintf("al%d", n), Email: fmt.Sprintf("al%d@example.com", n),
			Destinations: []string{"owner@example.com"}, CreatedAt: when}
		err := tx.CreateAlias(ctx, a)
		return a.ID, err
	}},
}

// laterIDTables are the tables with an integer id created after 0013
// (which TestUpgradeTo0013 cannot fill): TestIDsAreNeverReused checks them
// too.
var laterIDTables = []idTable{
	{"app_passwords", func(ctx context.Context, tx *store.Tx, fx fixture, n int) (int64, error) {
		return tx.CreateAppPassword(ctx, store.NewAppPassword{AccountID: fx.account.ID, Handle: fmt.Sprintf("handle%02d", n), Name: "n", Hash: "h"}, when)
	}},
}

func TestIDsAreNeverReused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		fx := newFixture(t, s)
		// Kamailio's own tables (location, version...) are written by
		// Kamailio in its schema, identified by ruid and table name: their
		// ids name nothing outside them.
		kamailioTables := map[string]bool{"location": true, "location_attrs": true, "version": true}
		t.Run("every table with an integer id is tested", func(t *testing.T) {
			q := `SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
				WHERE m.type = 'table' AND p.name = 'id' AND p.type = 'INTEGER' AND p.pk = 1 ORDER BY m.name`
			if s.Dialect() == store.Postgres {
				q = `SELECT table_name FROM information_schema.columns
					WHERE table_schema = current_schema() AND column_name = 'id' AND data_type = 'bigint' ORDER BY table_name`
			}
			rows, err := s.DB().Query(q)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var have, tested []string
			for rows.Next() {
				var name string
				if err := rows.Scan(&name); err != nil {
					t.Fatal(err)
				}
				if !kamailioTables[name] {
					have = append(have, name)
				}
			}
			for _, tc := range slices.Concat(idTables, laterIDTables) {
				tested = append(tested, tc.table)
			}
			slices.Sort(tested)
			if !slices.Equal(have, tested) {
				t.Fatalf("tables with an integer id %v, tested %v", have, tested)
			}
		})
		for _, tc := range slices.Concat(idTables, laterIDTables) {
			t.Run("a new row of "+tc.table+" never gets the id of a deleted one", func(t *testing.T) {
				n := 0
				create := func() int64 {
					t.Helper()
					n++
					var id int64
					if err := s.InTx(ctx, func(tx *store.Tx) error {
						var err error
						id, err = tc.create(ctx, tx, fx, n)
						return err
					}); err != nil {
						t.Fatalf("create %s row: %v", tc.table, err)
					}
					return id
				}
				remove := func(id int64) {
					t.Helper()
					if err := s.ExecSQL(ctx, `DELETE FROM `+tc.table+` WHERE id = ?`, id); err != nil {
						t.Fatalf("delete %s %d: %v", tc.table, id, err)
					}
				}
				var ever []int64
				for range 3 {
					ever = append(ever, create())
				}
				// Delete the newest rows, the highest id last: SQLite without
				// AUTOINCREMENT hands the highest free id out again.
				remove(ever[1])
				remove(ever[2])
				for range 3 {
					id := create()
					if top := slices.Max(ever); id <= top {
						t.Fatalf("new id %d, but %d was handed out before (ids so far %v)", id, top, ever)
					}
					ever = append(ever, id)
					remove(id)
				}
			})
		}
	})
}

// dumpTables lists every row of every table and view, in a stable order.
func dumpTables(t *testing.T, s *store.Store) map[string][]string {
	t.Helper()
	sources := map[string]string{
		"tenants": "id", "domains": "id", "accounts": "id", "audit_log": "id", "oauth_clients": "id",
		"dkim_keys": "id", "certificates": "id", "api_keys": "id", "account_creation_tokens": "id", "aliases": "id",
		"auth_tokens": "token_hash", "rpc_sessions": "token_hash", "oauth_tokens": "token_hash",
		"client_configs": "id", "acme_challenges": "token", "acme_accounts": "directory", "digest_nonces": "nonce",
		"account_codes": "account_id, purpose",
		"mail_domains":  "domain", "mail_users": "email", "mail_aliases": "source, destination",
	}
	out := map[string][]string{}
	for name, order := range sources {
		rows, err := s.DB().Query(`SELECT * FROM ` + name + ` ORDER BY ` + order)
		if err != nil {
			t.Fatalf("dump %s: %v", name, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for i, c := range cols {
				fmt.Fprintf(&b, "%s=%v ", c, vals[i])
			}
			out[name] = append(out[name], b.String())
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestUpgradeTo0013KeepsEveryRowAndID(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			url := b.URL(t)
			old, err := store.OpenAt(ctx, url, "0012_aliases.sql")
			if err != nil {
				t.Fatal(err)
			}
			fx := newFixture(t, old)
			ids := map[string][]int64{}
			for _, tc := range idTables {
				// Five rows, then ids with a gap (the second) and a deleted
				// maximum (the fifth).
				for n := range 5 {
					var id int64
					if err := old.InTx(ctx, func(tx *store.Tx) error {
						id, err = tc.create(ctx, tx, fx, n)
						return err
					}); err != nil {
						t.Fatalf("create %s: %v", tc.table, err)
					}
					ids[tc.table] = append(ids[tc.table], id)
				}
				for _, i := range []int{1, 4} {
					if err := old.ExecSQL(ctx, `DELETE FROM `+tc.table+` WHERE id = ?`, ids[tc.table][i]); err != nil {
						t.Fatal(err)
					}
				}
			}
			// Rows that only point at others, to see their references survive.
			err = old.InTx(ctx, func(tx *store.Tx) error {
				if err := tx.CreateToken(ctx, "auth", fx.tenant.ID, when, when.Add(time.Hour)); err != nil {
					return err
				}
				if err := tx.CreateSession(ctx, "session", store.Session{AccountID: fx.account.ID, Level: "mail", Expires: when.Add(time.Hour)}, when); err != nil {
					return err
				}
				if err := tx.CreateOAuthToken(ctx, "oauth", ids["oauth_clients"][0], when, when.Add(time.Hour)); err != nil {
					return err
				}
				return tx.PutCode(ctx, store.Code{AccountID: fx.account.ID, Purpose: "email_change", CodeHash: "c", Target: "new@example.org", ExpiresAt: when.Add(time.Hour)}, when)
			})
			if err != nil {
				t.Fatal(err)
			}
			before := dumpTables(t, old)
			old.Close()

			// Up to 0018: 0019 adds api_keys.name, which the dump would show.
			s, err := store.OpenAt(ctx, url, "0018_sip_plane_rules.sql")
			if err != nil {
				t.Fatalf("upgrade: %v", err)
			}
			t.Cleanup(func() { s.Close() })
			t.Run("every row, id, reference and view row is still there", func(t *testing.T) {
				after := dumpTables(t, s)
				for name, rows := range before {
					if !slices.Equal(rows, after[name]) {
						t.Errorf("%s before the upgrade:\n%s\nafter:\n%s", name, strings.Join(rows, "\n"), strings.Join(after[name], "\n"))
					}
				}
				if len(before["accounts"]) == 0 || len(before["mail_aliases"]) == 0 || len(before["account_codes"]) == 0 {
					t.Fatalf("the test wrote too little: %v", before)
				}
			})
			// The rest of the upgrade, for the store's queries below, which
			// read the columns of later migrations (0023: domains.memo); a
			// new pool, since PostgreSQL connections cache the old plans.
			s.Close()
			if s, err = store.Open(ctx, url, ""); err != nil {
				t.Fatalf("the later migrations: %v", err)
			}
			t.Run("no table hands out an id it holds or has handed out since", func(t *testing.T) {
				for _, tc := range idTables {
					var id int64
					if err := s.InTx(ctx, func(tx *store.Tx) error {
						id, err = tc.create(ctx, tx, fx, 100)
						return err
					}); err != nil {
						t.Fatalf("create %s: %v", tc.table, err)
					}
					if top := ids[tc.table][3]; id <= top {
						t.Errorf("%s: new id %d, but %d is taken", tc.table, id, top)
					}
					if err := s.ExecSQL(ctx, `DELETE FROM `+tc.table+` WHERE id = ?`, id); err != nil {
						t.Fatal(err)
					}
					var again int64
					if err := s.InTx(ctx, func(tx *store.Tx) error {
						again, err = tc.create(ctx, tx, fx, 101)
						return err
					}); err != nil {
						t.Fatalf("create %s: %v", tc.table, err)
					}
					if again <= id {
						t.Errorf("%s: id %d after deleting %d", tc.table, again, id)
					}
				}
			})
			t.Run("the account count triggers still count", func(t *testing.T) {
				d, err := s.Read().DomainByID(ctx, fx.domain.ID)
				if err != nil {
					t.Fatal(err)
				}
				a := &sb.Account{DomainID: fx.domain.ID, Local: "late", Email: "late@example.com", Active: true}
				if err := s.InTx(ctx, func(tx *store.Tx) error { return createAccountByHand(ctx, tx, a) }); err != nil {
					t.Fatal(err)
				}
				if got, _ := s.Read().DomainByID(ctx, fx.domain.ID); got.UsersCount != d.UsersCount+1 {
					t.Fatalf("users_count %d after an insert, was %d", got.UsersCount, d.UsersCount)
				}
				if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteAccount(ctx, a.ID) }); err != nil {
					t.Fatal(err)
				}
				if got, _ := s.Read().DomainByID(ctx, fx.domain.ID); got.UsersCount != d.UsersCount {
					t.Fatalf("users_count %d after a delete, want %d", got.UsersCount, d.UsersCount)
				}
			})
			t.Run("foreign keys are enforced again and cascade", func(t *testing.T) {
				orphan := &sb.Account{DomainID: 999_999, Local: "o", Email: "o@nowhere.example", Active: true}
				if err := s.InTx(ctx, func(tx *store.Tx) error { return createAccountByHand(ctx, tx, orphan) }); err == nil {
					t.Fatal("an account of a domain that does not exist was stored")
				}
				if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteDomain(ctx, fx.domain.ID) }); err != nil {
					t.Fatal(err)
				}
				after := dumpTables(t, s)
				for _, name := range []string{"accounts", "aliases", "dkim_keys", "certificates", "api_keys", "account_codes", "mail_users"} {
					if len(after[name]) != 0 {
						t.Errorf("%s outlived their domain: %v", name, after[name])
					}
				}
			})
		})
	}
}
