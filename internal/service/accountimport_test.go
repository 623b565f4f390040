package service_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
	"github.com/switchboard/switchboard/internal/testenv"
)

// Hashes doveadm pw made of importPassword, one per kept scheme.
const (
	importPassword = "correct horse battery"
	hashBlowfish   = "{BLF-CRYPT}$2y$05$kVQCFv8odaNDM771jP9oD.HV2zbgUNqhzMvXb59/k2HZ47Yt8JZ3a"
	hashSHA512     = "{SHA512-CRYPT}$6$B8FTSOqJn2F0tROz$i.JkqWWSanoUxXXJ.oxWEf6W7nrB/RjiOVnEW4IKSVArXv8tpkojqzBxkO.rlbDYbr3eGqtJ/D5pZqmJL5wkm."
	hashSHA256     = "{SHA256-CRYPT}$5$XA5nPJmGuMu1Bvav$fEygdttVkVlTAtJ/kHDPyGAw3ZaD03gSaqIFBPQtH83"
	hashArgon2ID   = "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$THVHTB2b7bXg/jX6vNPNxQ$p2noou+3lMt/ZHtkgPHtHf+QEd9sVyplmIoaKAeNTjA"
)

// importEnv is a service on a fresh store of each backend with tenant acme
// owning a.test, and tenant other owning b.test.
type importEnv struct {
	s           *service.Service
	st          *store.Store
	acme, other sb.Actor
	domain      *sb.Domain // a.test
}

func eachImportEnv(t *testing.T, tweak func(*service.Config), fn func(t *testing.T, e *importEnv)) {
	t.Helper()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s, _ := testenv.Service(t, st, tweak)
		e := &importEnv{s: s, st: st, acme: newTenantDomain(t, s, "acme", "a.test"), other: newTenantDomain(t, s, "other", "b.test")}
		var err error
		if e.domain, err = s.GetDomain(context.Background(), e.acme, "a.test"); err != nil {
			t.Fatal(err)
		}
		fn(t, e)
	})
}

func (e *importEnv) stored(t *testing.T, email string) (*sb.Account, string) {
	t.Helper()
	a, hash, err := e.st.Read().AccountByEmail(context.Background(), email)
	if err != nil {
		t.Fatalf("account %s: %v", email, err)
	}
	return a, hash
}

func TestImportAccountsGoodFile(t *testing.T) {
	eachImportEnv(t, nil, func(t *testing.T, e *importEnv) {
		ctx := context.Background()
		bareSHA512 := hashSHA512[len("{SHA512-CRYPT}"):]
		file := "email,password,password_hash,active,quota,sip\n" +
			"blf@a.test,," + hashBlowfish + ",,1000000,\n" +
			"Bare@A.test,," + bareSHA512 + ",true,,false\n" +
			"sha256@a.test,," + hashSHA256 + ",,0,\n" +
			"argon@a.test,,\"" + hashArgon2ID + "\",,,\n" +
			"plain@a.test,plain password 1,,,,\n" +
			"nosip@a.test,plain password 2,,,,no\n" +
			"off@a.test,," + hashBlowfish + ",false,,\n"
		var phases []sb.ImportProgress
		res, err := e.s.ImportAccounts(ctx, e.acme, sb.DomainRef{ID: e.domain.ID}, strings.NewReader(file),
			func(p sb.ImportProgress) { phases = append(phases, p) })
		if le, ok := errors.AsType[*sb.LineErrors](err); ok {
			t.Fatal(le.Lines)
		}
		if err != nil {
			t.Fatal(err)
		}
		if res.Imported != 7 || res.Kept != 5 || res.SIP != 1 || res.Domain.UsersCount != 7 {
			t.Fatalf("result %+v (domain %+v), want 7 imported, 5 kept, 1 SIP, users_count 7", res, res.Domain)
		}
		if last := phases[len(phases)-1]; last != (sb.ImportProgress{Phase: sb.PhaseWriting, Done: 7, Total: 7}) ||
			phases[0] != (sb.ImportProgress{Phase: sb.PhaseHashing, Done: 1, Total: 2}) {
			t.Fatalf("progress %+v: want hashing 1/2 first and writing 7/7 last", phases)
		}
		d, err := e.s.GetDomain(ctx, e.acme, "a.test")
		if err != nil || d.UsersCount != 7 {
			t.Fatalf("users_count %d, %v; want 7", d.UsersCount, err)
		}
		for _, tc := range []struct {
			email, hash string
			algs        []string
			active      bool
		}{
			{"blf@a.test", hashBlowfish, nil, true},
			{"bare@a.test", "{SHA512-CRYPT}" + bareSHA512, nil, true},
			{"sha256@a.test", hashSHA256, nil, true},
			{"argon@a.test", hashArgon2ID, nil, true},
			{"off@a.test", hashBlowfish, nil, false},
		} {
			t.Run("the hash of "+tc.email+" is kept byte for byte", func(t *testing.T) {
				a, hash := e.stored(t, tc.email)
				if hash != tc.hash || a.Active != tc.active || len(a.Algorithms) != 0 || !a.Activated {
					t.Fatalf("stored %q active %v algorithms %v activated %v; want %q active %v, no HA1",
						hash, a.Active, a.Algorithms, a.Activated, tc.hash, tc.active)
				}
			})
		}
		t.Run("a plaintext password is hashed with argon2id and the SIP HA1s", func(t *testing.T) {
			a, hash := e.stored(t, "plain@a.test")
			if !strings.HasPrefix(hash, "{ARGON2ID}$argon2id$") || !slices.Equal(a.Algorithms, []string{"MD5", "SHA-256"}) {
				t.Fatalf("stored %q, algorithms %v", hash, a.Algorithms)
			}
			if _, err := e.s.CheckAccountPassword(ctx, "plain@a.test", "plain password 1", "192.0.2.1"); err != nil {
				t.Fatalf("login: %v", err)
			}
			if a, _ := e.stored(t, "nosip@a.test"); len(a.Algorithms) != 0 {
				t.Fatalf("sip=no got HA1s %v", a.Algorithms)
			}
		})
		for _, email := range []string{"blf@a.test", "bare@a.test", "sha256@a.test", "argon@a.test"} {
			t.Run("a wrong password fails for "+email+" and leaves the hash", func(t *testing.T) {
				_, before := e.stored(t, email)
				if _, err := e.s.CheckAccountPassword(ctx, email, importPassword+"!", "192.0.2.2"); !errors.Is(err, service.ErrBadLogin) {
					t.Fatalf("login with a wrong password: %v", err)
				}
				if _, after := e.stored(t, email); after != before {
					t.Fatalf("hash changed from %q to %q on a failed login", before, after)
				}
			})
			t.Run("the right password logs "+email+" in through Switchboard and upgrades the hash", func(t *testing.T) {
				if _, err := e.s.CheckAccountPassword(ctx, email, importPassword, "192.0.2.3"); err != nil {
					t.Fatalf("login: %v", err)
				}
				_, hash := e.stored(t, email)
				if !strings.HasPrefix(hash, "{ARGON2ID}$argon2id$v=19$m=64,t=1,p=1$") {
					t.Fatalf("hash after login %q, want the service's argon2id", hash)
				}
				if ok, err := auth.NewHasher(auth.TestParams).Verify(context.Background(), hash, importPassword); !ok || err != nil {
					t.Fatalf("the upgraded hash does not verify: %v %v", ok, err)
				}
				if _, err := e.s.CheckAccountPassword(ctx, email, importPassword, "192.0.2.3"); err != nil {
					t.Fatalf("login after the upgrade: %v", err)
				}
				if _, err := e.s.CheckAccountPassword(ctx, email, importPassword+"!", "192.0.2.4"); !errors.Is(err, service.ErrBadLogin) {
					t.Fatalf("wrong password after the upgrade: %v", err)
				}
			})
		}
		t.Run("an inactive imported account cannot log in", func(t *testing.T) {
			if _, err := e.s.CheckAccountPassword(ctx, "off@a.test", importPassword, "192.0.2.5"); !errors.Is(err, service.ErrBadLogin) {
				t.Fatalf("login: %v", err)
			}
		})
	})
}

func TestImportAccountsRefusesBadFiles(t *testing.T) {
	const header = "email,password,password_hash,sip\n"
	good := "good@a.test,," + hashBlowfish + ",\n"
	tests := []struct {
		name string
		file string
		want []sb.LineError // Reason: a part of the reason
	}{
		{"an invalid address", header + good + "not an address,," + hashSHA256 + ",\n", []sb.LineError{{Line: 3, Field: "email", Reason: "not a valid address"}}},
		{"an address of another domain", header + good + "x@b.test,," + hashSHA256 + ",\n",
			[]sb.LineError{{Line: 3, Field: "email", Reason: "the address is not in a.test"}}},
		{"an address twice in the file, in any case", header + good + "GOOD@a.test,," + hashSHA256 + ",\n",
			[]sb.LineError{{Line: 3, Field: "email", Reason: "the address is on line 2 already"}}},
		{"an address that is an account", header + good + "taken@a.test,," + hashSHA256 + ",\n",
			[]sb.LineError{{Line: 3, Field: "email", Reason: "the address is already an account"}}},
		{"an address that is an alias", header + good + "alias@a.test,," + hashSHA256 + ",\n",
			[]sb.LineError{{Line: 3, Field: "email", Reason: "the address is already an alias"}}},
		{"a password under the policy", header + good + "short@a.test,short,,\n",
			[]sb.LineError{{Line: 3, Field: "password", Reason: "password must be at least 8 characters"}}},
		{"a hash in the password column", header + good + "h@a.test," + hashSHA512 + ",,\n",
			[]sb.LineError{{Line: 3, Field: "password", Reason: "give it in the password_hash column"}}},
		{"an MD5-crypt hash", header + good + "md5@a.test,,$1$abcdefgh$E2IUOVGWn4QIROUcRm1wO/,\n",
			[]sb.LineError{{Line: 3, Field: "password_hash", Reason: "MD5-crypt"}}},
		{"a {PLAIN} password", header + good + "plain@a.test,,{PLAIN}secret-secret,\n",
			[]sb.LineError{{Line: 3, Field: "password_hash", Reason: "{PLAIN} scheme is not accepted"}}},
		{"sip with a hash", header + good + "sip@a.test,," + hashSHA512 + ",true\n",
			[]sb.LineError{{Line: 3, Field: "sip", Reason: "needs a plaintext password"}}},
		{"a line with a field missing", header + good + "x@a.test,,\n", []sb.LineError{{Line: 3, Reason: "the line has 3 fields, the header 4"}}},
		{"an unknown column", "email,password,quota_mb\n", []sb.LineError{{Line: 1, Field: "quota_mb", Reason: "unknown column"}}},
		{"many faults at once, in line order", header + "a@b.test,,x,\n" + good + "short@a.test,short,,\nb@a.test,,{PLAIN}x,yes\n",
			[]sb.LineError{{Line: 2, Field: "email", Reason: "not in a.test"}, {Line: 2, Field: "password_hash", Reason: "no scheme"},
				{Line: 4, Field: "password", Reason: "at least 8"},
				{Line: 5, Field: "password_hash", Reason: "{PLAIN}"}, {Line: 5, Field: "sip", Reason: "plaintext"}}},
	}
	eachImportEnv(t, nil, func(t *testing.T, e *importEnv) {
		ctx := context.Background()
		if _, err := e.s.CreateMailbox(ctx, e.acme, sb.NewMailbox{Address: "taken@a.test", Password: "taken-password", Active: true, InboxSave: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.CreateAlias(ctx, e.acme, sb.DomainRef{}, "alias@a.test", []string{"taken@a.test"}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range tests {
			t.Run("refuses "+tc.name+" and writes nothing", func(t *testing.T) {
				_, err := e.s.ImportAccounts(ctx, e.acme, sb.DomainRef{Name: "a.test"}, strings.NewReader(tc.file), nil)
				le, ok := errors.AsType[*sb.LineErrors](err)
				if sb.ErrorCode(err) != sb.EINVALID || !ok {
					t.Fatalf("ImportAccounts = %v; want EINVALID with line errors", err)
				}
				if le.Total != len(tc.want) || len(le.Lines) != len(tc.want) {
					t.Fatalf("faults %v (total %d), want %v", le.Lines, le.Total, tc.want)
				}
				for i, w := range tc.want {
					g := le.Lines[i]
					if g.Line != w.Line || g.Field != w.Field || !strings.Contains(g.Reason, w.Reason) {
						t.Errorf("fault %d = %v, want %v", i, g, w)
					}
					if strings.Contains(g.Reason, "secret") || strings.Contains(g.Reason, "kVQCFv8") {
						t.Errorf("fault %v repeats a secret", g)
					}
				}
				if !strings.Contains(sb.ErrorMessage(err), "nothing was imported") {
					t.Errorf("message %q", sb.ErrorMessage(err))
				}
				if _, _, err := e.st.Read().AccountByEmail(ctx, "good@a.test"); sb.ErrorCode(err) != sb.ENOTFOUND {
					t.Fatalf("the good line was written: %v", err)
				}
				if d, _ := e.s.GetDomain(ctx, e.acme, "a.test"); d.UsersCount != 1 {
					t.Fatalf("users_count %d, want 1", d.UsersCount)
				}
			})
		}
		t.Run("the report lists at most MaxLineErrors faults and counts them all", func(t *testing.T) {
			var b strings.Builder
			b.WriteString(header)
			for i := range sb.MaxLineErrors + 5 {
				fmt.Fprintf(&b, "u%d@b.test,,%s,\n", i, hashBlowfish)
			}
			_, err := e.s.ImportAccounts(ctx, e.acme, sb.DomainRef{Name: "a.test"}, strings.NewReader(b.String()), nil)
			le, ok := errors.AsType[*sb.LineErrors](err)
			if !ok || le.Total != sb.MaxLineErrors+5 || len(le.Lines) != sb.MaxLineErrors || le.Lines[0].Line != 2 {
				t.Fatalf("ImportAccounts = %v", err)
			}
		})
	})
}

func TestImportAccountsAuthorisation(t *testing.T) {
	file := "email,password_hash\nx@a.test," + hashBlowfish + "\n"
	eachImportEnv(t, nil, func(t *testing.T, e *importEnv) {
		ctx := context.Background()
		op, err := e.s.CreateTenant(ctx, sb.SystemActor, "op", "op-password", sb.RoleOperator)
		if err != nil {
			t.Fatal(err)
		}
		operator := sb.Actor{TenantID: op.ID, TenantName: op.Name, Role: op.Role}
		acc, err := e.s.CreateMailbox(ctx, e.acme, sb.NewMailbox{Address: "box@a.test", Password: "box-password", Active: true, InboxSave: true})
		if err != nil {
			t.Fatal(err)
		}
		mailbox := sb.Actor{TenantID: e.acme.TenantID, TenantName: "acme", AccountID: acc.ID, Email: acc.Email}
		for _, tc := range []struct {
			name  string
			actor sb.Actor
			ref   sb.DomainRef
			code  string
		}{
			{"another tenant's domain by id is not found", e.other, sb.DomainRef{ID: e.domain.ID}, sb.ENOTFOUND},
			{"another tenant's domain by name is not found", e.other, sb.DomainRef{Name: "a.test"}, sb.ENOTFOUND},
			{"a domain that does not exist is not found", e.acme, sb.DomainRef{Name: "c.test"}, sb.ENOTFOUND},
			{"a mailbox may not import", mailbox, sb.DomainRef{ID: e.domain.ID}, sb.EFORBIDDEN},
			{"an operator imports into any tenant's domain", operator, sb.DomainRef{ID: e.domain.ID}, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res, err := e.s.ImportAccounts(ctx, tc.actor, tc.ref, strings.NewReader(file), nil)
				if sb.ErrorCode(err) != tc.code {
					t.Fatalf("ImportAccounts = %+v, %v; want %q", res, err, tc.code)
				}
				_, _, err = e.st.Read().AccountByEmail(ctx, "x@a.test")
				if tc.code != "" && sb.ErrorCode(err) != sb.ENOTFOUND || tc.code == "" && err != nil {
					t.Fatalf("x@a.test after the import: %v", err)
				}
			})
		}
	})
}

func TestImportAccountsBounds(t *testing.T) {
	row := "x%d@a.test," + hashBlowfish + "\n"
	file := func(n int) string {
		var b strings.Builder
		b.WriteString("email,password_hash\n")
		for i := range n {
			fmt.Fprintf(&b, row, i)
		}
		return b.String()
	}
	three := file(3)
	eachImportEnv(t, func(c *service.Config) {
		c.Import = service.ImportLimits{AccountMaxBytes: int64(len(three)), AccountMaxRows: 3}
	}, func(t *testing.T, e *importEnv) {
		ctx := context.Background()
		for _, tc := range []struct {
			name, file, code, msg string
		}{
			{"a file over the byte bound is too large", file(3) + "\n", sb.ETOOLARGE, fmt.Sprintf("larger than %d bytes", len(three))},
			{"a file over the account bound is too large", "email,password_hash\n" + strings.Repeat("a@a.test,h\n", 4), sb.ETOOLARGE, "more than 3 accounts"},
			{"a file at both bounds is imported", three, "", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.s.ImportAccounts(ctx, e.acme, sb.DomainRef{ID: e.domain.ID}, strings.NewReader(tc.file), nil)
				if sb.ErrorCode(err) != tc.code || !strings.Contains(sb.ErrorMessage(err), tc.msg) {
					t.Fatalf("ImportAccounts = %v; want %q saying %q", err, tc.code, tc.msg)
				}
			})
		}
		if d, _ := e.s.GetDomain(ctx, e.acme, "a.test"); d.UsersCount != 3 {
			t.Fatalf("users_count %d, want the 3 of the good file", d.UsersCount)
		}
	})
}

// BenchmarkImportAccounts imports 100,000 accounts with kept bcrypt hashes
// into a fresh domain per round, on each backend, and reports accounts/s.
func BenchmarkImportAccounts(b *testing.B) {
	const n = 100_000
	var file strings.Builder
	file.WriteString("email,password_hash\n")
	for i := range n {
		fmt.Fprintf(&file, "user%06d@DOMAIN,%s\n", i, hashBlowfish)
	}
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			st := storetest.Open(b, be)
			s, _ := testenv.Service(b, st, nil)
			ctx := context.Background()
			ten, err := s.CreateTenant(ctx, sb.SystemActor, "bench", "bench-password", sb.RoleTenant)
			if err != nil {
				b.Fatal(err)
			}
			actor := sb.Actor{TenantID: ten.ID, TenantName: ten.Name, Role: ten.Role}
			round := 0
			for b.Loop() {
				b.StopTimer()
				round++
				name := fmt.Sprintf("d%d.test", round)
				if _, _, err := s.CreateDomain(ctx, actor, sb.NewDomain{Name: name}); err != nil {
					b.Fatal(err)
				}
				body := strings.ReplaceAll(file.String(), "DOMAIN", name)
				b.StartTimer()
				res, err := s.ImportAccounts(ctx, actor, sb.DomainRef{Name: name}, strings.NewReader(body), nil)
				if err != nil || res.Imported != n {
					b.Fatalf("import: %+v, %v", res, err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "accounts/s")
		})
	}
}

func TestImportAccountsOneAtATimePerTenant(t *testing.T) {
	eachImportEnv(t, nil, func(t *testing.T, e *importEnv) {
		ctx := context.Background()
		pr, pw := io.Pipe()
		done := make(chan error, 1)
		go func() {
			_, err := e.s.ImportAccounts(ctx, e.acme, sb.DomainRef{ID: e.domain.ID}, pr, nil)
			done <- err
		}()
		// The first import holds the tenant's lease while it reads its file.
		if _, err := io.WriteString(pw, "email,password_hash\nfirst@a.test,"+hashBlowfish+"\n"); err != nil {
			t.Fatal(err)
		}
		file := "email,password_hash\nsecond@a.test," + hashBlowfish + "\n"
		_, err := e.s.ImportAccounts(ctx, e.acme, sb.DomainRef{ID: e.domain.ID}, strings.NewReader(file), nil)
		if sb.ErrorCode(err) != sb.ECONFLICT || !strings.Contains(sb.ErrorMessage(err), "already running") {
			t.Fatalf("a second import of the tenant meanwhile: %v; want ECONFLICT", err)
		}
		if _, err := e.s.ImportAccounts(ctx, e.other, sb.DomainRef{Name: "b.test"},
			strings.NewReader("email,password_hash\nx@b.test,"+hashBlowfish+"\n"), nil); err != nil {
			t.Fatalf("another tenant's import meanwhile: %v", err)
		}
		pw.Close()
		if err := <-done; err != nil {
			t.Fatalf("the first import: %v", err)
		}
		if _, err := e.s.ImportAccounts(ctx, e.acme, sb.DomainRef{ID: e.domain.ID}, strings.NewReader(file), nil); err != nil {
			t.Fatalf("an import after the first ended: %v", err)
		}
	})
}

// TestImportAccountsQuotasAndLimits checks that a CSV file's quota column
// is stored (absent: the tenant's default_quota) and that a file taking
// the tenant past its limits is refused whole.
func TestImportAccountsQuotasAndLimits(t *testing.T) {
	eachImportEnv(t, nil, func(t *testing.T, e *importEnv) {
		ctx := context.Background()
		if _, err := e.s.SetTenantLimits(ctx, sb.SystemActor, "acme", sb.TenantLimitsChange{
			MaxMailboxes: ptr(int64(3)), DefaultQuotaBytes: ptr(int64(5000))}); err != nil {
			t.Fatal(err)
		}
		t.Run("a file past max_mailboxes is refused and writes nothing", func(t *testing.T) {
			file := "email,password_hash\n" +
				"q1@a.test," + hashBlowfish + "\nq2@a.test," + hashBlowfish + "\n" +
				"q3@a.test," + hashBlowfish + "\nq4@a.test," + hashBlowfish + "\n"
			_, err := e.s.ImportAccounts(ctx, e.acme, sb.DomainRef{ID: e.domain.ID}, strings.NewReader(file), nil)
			if sb.ErrorCode(err) != sb.EINVALID || !strings.Contains(sb.ErrorMessage(err), "max_mailboxes") {
				t.Fatalf("err = %v, want a refusal naming max_mailboxes", err)
			}
			if d, err := e.s.GetDomain(ctx, e.acme, "a.test"); err != nil || d.UsersCount != 0 {
				t.Fatalf("users_count %d, %v; want 0", d.UsersCount, err)
			}
		})
		t.Run("the quota column is stored and an absent one is the tenant's default", func(t *testing.T) {
			file := "email,password_hash,quota\n" +
				"big@a.test," + hashBlowfish + ",1000000\n" +
				"dflt@a.test," + hashBlowfish + ",\n" +
				"free@a.test," + hashBlowfish + ",0\n"
			if _, err := e.s.ImportAccounts(ctx, e.acme, sb.DomainRef{ID: e.domain.ID}, strings.NewReader(file), nil); err != nil {
				t.Fatal(err)
			}
			for email, want := range map[string]int64{"big@a.test": 1000000, "dflt@a.test": 5000, "free@a.test": 0} {
				if a, _ := e.stored(t, email); a.Quota.Bytes != want {
					t.Errorf("%s quota %d, want %d", email, a.Quota.Bytes, want)
				}
			}
		})
	})
}

// On PostgreSQL, an import of analyzeAfter (5000) accounts or more has the
// planner's statistics refreshed before it answers: with the old ones a
// page of the new domain's list was planned for a handful of rows (a scan
// of the whole domain and a sort). A small import leaves them to
// autovacuum. last_analyze is set by ANALYZE only, not by autovacuum.
func TestLargeImportRefreshesPlannerStatistics(t *testing.T) {
	var pg *storetest.Backend
	for _, b := range storetest.Backends() {
		if b.Name == "postgres" {
			pg = &b
		}
	}
	if pg == nil {
		t.Skip("PostgreSQL only: " + storetest.EnvPostgres + " is not set")
	}
	for _, tc := range []struct {
		rows     int
		analyzed bool
	}{{10, false}, {4999, false}, {5000, true}} {
		t.Run(fmt.Sprint(tc.rows), func(t *testing.T) {
			url := pg.URL(t)
			st, err := store.Open(context.Background(), url, "")
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			db, err := sql.Open("pgx", url)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			s, _ := testenv.Service(t, st, nil)
			actor := newTenantDomain(t, s, "acme", "a.test")
			var file strings.Builder
			file.WriteString("email,password_hash\n")
			for i := range tc.rows {
				fmt.Fprintf(&file, "user%05d@a.test,%s\n", i, hashBlowfish)
			}
			ctx := context.Background()
			res, err := s.ImportAccounts(ctx, actor, sb.DomainRef{Name: "a.test"}, strings.NewReader(file.String()), nil)
			if err != nil || res.Imported != int64(tc.rows) {
				t.Fatalf("import: %+v, %v", res, err)
			}
			var analyzed bool
			if err := db.QueryRowContext(ctx, `SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables
				WHERE relname = 'accounts' AND schemaname = current_schema()`).Scan(&analyzed); err != nil {
				t.Fatal(err)
			}
			if analyzed != tc.analyzed {
				t.Errorf("after importing %d accounts: analyzed %v, want %v", tc.rows, analyzed, tc.analyzed)
			}
		})
	}
}
