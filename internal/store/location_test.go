package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
)

// kamailioSQL is a DB1_DATETIME as Kamailio 5.6's driver writes it, spelt
// out here apart from the store's writer: db_sqlite binds the REAL
// ((t - 0.5) / 86400) + 2440587.5, db_postgres prints local time.
func kamailioSQL(s *store.Store, sec int64) any {
	if s.Dialect() == store.Postgres {
		return time.Unix(sec, 0).Local().Format("2006-01-02 15:04:05")
	}
	return ((float64(sec) - 0.5) / 86400.0) + 2440587.5
}

func TestBindingsReadWhatKamailioWrites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		const expires, modified = 1_900_000_123, 1_899_996_523
		rows := []struct {
			ruid, instance   string
			expires, touched any // nil: the column's default
		}{
			{"uloc-1", `<urn:uuid:11111111-1111-4111-8111-111111111111>`, kamailioSQL(s, expires), kamailioSQL(s, modified)},
			{"uloc-2", "", kamailioSQL(s, 0), kamailioSQL(s, modified)}, // permanent
			{"uloc-3", `"<urn:uuid:3>"`, nil, nil},                      // the schema's text defaults
		}
		for _, r := range rows {
			cols, vals := "ruid, username, domain, contact, user_agent, instance", "?, 'alice', 'example.com', ?, 'Linphone/5.2', ?"
			args := []any{r.ruid, "sip:alice@10.0.0.1;" + r.ruid, r.instance}
			if r.expires != nil {
				cols, vals = cols+", expires, last_modified", vals+", ?, ?"
				args = append(args, r.expires, r.touched)
			}
			if r.instance == "" {
				args[2] = nil
			}
			if err := s.ExecSQL(ctx, "INSERT INTO location ("+cols+") VALUES ("+vals+")", args...); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Read().Bindings(ctx, "alice", "example.com")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 {
			t.Fatalf("%d bindings, want 3", len(got))
		}
		want := []struct {
			instance          string
			expires, modified time.Time
		}{
			{`<urn:uuid:11111111-1111-4111-8111-111111111111>`, time.Unix(expires, 0).UTC(), time.Unix(modified, 0).UTC()},
			{"", time.Time{}, time.Unix(modified, 0).UTC()},
			{`"<urn:uuid:3>"`, defaultTime(s, "2030-05-28 21:32:15"), defaultTime(s, "2000-01-01 00:00:01")},
		}
		for i, w := range want {
			b := got[i]
			if b.Instance != w.instance || !b.Expires.Equal(w.expires) || !b.Modified.Equal(w.modified) ||
				b.UserAgent != "Linphone/5.2" || b.Ruid != rows[i].ruid {
				t.Errorf("binding %d = %+v, want instance %q expires %v modified %v", i, b, w.instance, w.expires, w.modified)
			}
		}
		if other, err := s.Read().Bindings(ctx, "alice", "other.example"); err != nil || len(other) != 0 {
			t.Fatalf("another domain's bindings: %v %v", other, err)
		}

		t.Run("the store's stand-in for Kamailio writes the same", func(t *testing.T) {
			b := store.Binding{Ruid: "uloc-9", Contact: "sip:bob@10.0.0.2", Instance: "<urn:uuid:9>", UserAgent: "sipp",
				Expires: time.Unix(expires, 0), Modified: time.Unix(modified, 0)}
			if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.WriteKamailioBinding(ctx, "bob", "example.com", b) }); err != nil {
				t.Fatal(err)
			}
			var same int
			if err := s.Read().QueryRowSQL(ctx, "SELECT count(*) FROM location WHERE ruid = 'uloc-9' AND expires = ? AND last_modified = ?",
				kamailioSQL(s, expires), kamailioSQL(s, modified)).Scan(&same); err != nil || same != 1 {
				t.Fatalf("the stand-in's row differs from Kamailio's: %d %v", same, err)
			}
			got, err := s.Read().Bindings(ctx, "bob", "example.com")
			if err != nil || len(got) != 1 || !got[0].Expires.Equal(b.Expires) || !got[0].Modified.Equal(b.Modified) {
				t.Fatalf("read back %+v %v", got, err)
			}
			if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteBindings(ctx, []int64{got[0].ID}) }); err != nil {
				t.Fatal(err)
			}
			if got, _ := s.Read().Bindings(ctx, "bob", "example.com"); len(got) != 0 {
				t.Fatalf("deleted binding still there: %+v", got)
			}
		})
	})
}

// defaultTime is a schema default as the store reads it: UTC text on
// SQLite, local wall time on PostgreSQL.
func defaultTime(s *store.Store, v string) time.Time {
	loc := time.UTC
	if s.Dialect() == store.Postgres {
		loc = time.Local
	}
	t, _ := time.ParseInLocation("2006-01-02 15:04:05", v, loc)
	return t.UTC()
}

func TestBindingsDieWithTheirAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		ten, d := seed(t, s)
		now := time.Now()
		accounts := map[string]*sb.Account{}
		err := s.InTx(ctx, func(tx *store.Tx) error {
			d2 := &sb.Domain{Name: "second.example", TenantID: ten.ID, CreatedAt: now}
			if err := tx.CreateDomain(ctx, d2); err != nil {
				return err
			}
			for _, addr := range []string{"alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com", "erin@second.example", "frank@second.example"} {
				a := &sb.Account{Email: addr, Active: true, Activated: true, CreatedAt: now, UpdatedAt: now}
				a.Local, a.DomainID = addr[:len(addr)-len("@example.com")], d.ID
				if addr[len(addr)-len("second.example"):] == "second.example" {
					a.Local, a.DomainID = addr[:len(addr)-len("@second.example")], d2.ID
				}
				if err := tx.CreateAccount(ctx, a, store.Credentials{Hash: "h"}); err != nil {
					return err
				}
				accounts[a.Local] = a
				for i := range 2 {
					if err := tx.WriteKamailioBinding(ctx, a.Local, addr[len(a.Local)+1:], store.Binding{Ruid: fmt.Sprintf("%s-%d", a.Local, i),
						Contact: fmt.Sprintf("sip:%s@10.0.0.%d", a.Local, i), Expires: now.Add(time.Hour), Modified: now}); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		left := func() []string {
			var users []string
			for _, n := range []string{"alice", "bob", "carol", "dave"} {
				if bs, _ := s.Read().Bindings(ctx, n, "example.com"); len(bs) == 2 {
					users = append(users, n)
				}
			}
			for _, n := range []string{"erin", "frank"} {
				if bs, _ := s.Read().Bindings(ctx, n, "second.example"); len(bs) == 2 {
					users = append(users, n)
				}
			}
			return users
		}
		steps := []struct {
			name string
			do   func(tx *store.Tx) error
			want []string
		}{
			{"switching an account's mail off removes its bindings", func(tx *store.Tx) error {
				return tx.SetAccountActive(ctx, accounts["alice"].ID, false, now)
			}, []string{"bob", "carol", "dave", "erin", "frank"}},
			{"an update that leaves an account on keeps them", func(tx *store.Tx) error {
				return tx.SetAccountFlags(ctx, accounts["bob"].ID, true, true, now)
			}, []string{"bob", "carol", "dave", "erin", "frank"}},
			{"deactivating its SIP identity removes them", func(tx *store.Tx) error {
				return tx.SetAccountFlags(ctx, accounts["bob"].ID, false, false, now)
			}, []string{"carol", "dave", "erin", "frank"}},
			{"deleting the account removes them", func(tx *store.Tx) error {
				return tx.DeleteAccount(ctx, accounts["carol"].ID)
			}, []string{"dave", "erin", "frank"}},
			{"deleting a domain removes its accounts' bindings only", func(tx *store.Tx) error {
				return tx.DeleteDomain(ctx, accounts["erin"].DomainID)
			}, []string{"dave"}},
		}
		for _, st := range steps {
			if err := s.InTx(ctx, st.do); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if got := left(); !slices.Equal(got, st.want) {
				t.Fatalf("%s: bindings left for %v, want %v", st.name, got, st.want)
			}
		}
		var attrs int
		if err := s.Read().QueryRowSQL(ctx, "SELECT count(*) FROM location_attrs").Scan(&attrs); err != nil || attrs != 0 {
			t.Fatalf("location_attrs: %d %v", attrs, err)
		}
	})
}

func TestSIPPlaneAlgorithm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		ten, d := seed(t, s)
		// The paths that create accounts read it with the tenant's row.
		withTenant := func() (string, error) {
			var alg string
			err := s.InTx(ctx, func(tx *store.Tx) error {
				got, a, err := tx.ShareTenantAndPlane(ctx, ten.ID)
				if err == nil && (got.Name != ten.Name || got.ID != ten.ID) {
					err = fmt.Errorf("tenant %+v, want %+v", got, ten)
				}
				alg = a
				return err
			})
			return alg, err
		}
		if alg, err := s.Read().SIPPlaneAlgorithm(ctx); err != nil || alg != "" {
			t.Fatalf("a fresh store's plane algorithm = %q %v, want none", alg, err)
		}
		if alg, err := withTenant(); err != nil || alg != "" {
			t.Fatalf("a fresh store's plane algorithm beside the tenant = %q %v, want none", alg, err)
		}
		now := time.Now()
		err := s.InTx(ctx, func(tx *store.Tx) error {
			for i, c := range []struct {
				creds             store.Credentials
				active, activated bool
			}{
				{store.Credentials{Hash: "h", HA1MD5: "m"}, true, true},
				{store.Credentials{Hash: "h", HA1SHA256: "s"}, true, true},
				{store.Credentials{Hash: "h"}, true, true},
				{store.Credentials{Hash: "h"}, false, true}, // cannot register anyway
				{store.Credentials{Hash: "h"}, true, false},
			} {
				a := &sb.Account{Local: fmt.Sprintf("u%d", i), Email: fmt.Sprintf("u%d@example.com", i), DomainID: d.ID,
					Active: c.active, Activated: c.activated, CreatedAt: now, UpdatedAt: now}
				if err := tx.CreateAccount(ctx, a, c.creds); err != nil {
					return err
				}
			}
			return tx.SetSIPPlaneAlgorithm(ctx, "SHA-256")
		})
		if err != nil {
			t.Fatal(err)
		}
		if alg, err := s.Read().SIPPlaneAlgorithm(ctx); err != nil || alg != "SHA-256" {
			t.Fatalf("plane algorithm = %q %v", alg, err)
		}
		if alg, err := withTenant(); err != nil || alg != "SHA-256" {
			t.Fatalf("plane algorithm beside the tenant = %q %v", alg, err)
		}
		for alg, want := range map[string]int{"MD5": 2, "SHA-256": 2} {
			if n, err := s.Read().CountSIPAccountsWithoutHA1(ctx, alg); err != nil || n != want {
				t.Errorf("%s: %d accounts without the HA1 (%v), want %d", alg, n, err, want)
			}
		}
		if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.SetSIPPlaneAlgorithm(ctx, "SHA-1") }); err == nil {
			t.Fatal("the table took an unknown algorithm")
		}
	})
}
