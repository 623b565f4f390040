package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/store/storetest"
)

func runCmd(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return out.String() + errOut.String(), err
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestTenantCommandsAndServe(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			db := []string{"--database", b.URL(t), "--data", t.TempDir()}
			out, err := runCmd(t, "first-password\n", append([]string{"tenant", "create", "acme", "--password-stdin", "--operator"}, db...)...)
			if err != nil || !strings.Contains(out, "created tenant acme") || !strings.Contains(out, "operator") {
				t.Fatalf("tenant create: %v\n%s", err, out)
			}
			if out, err := runCmd(t, "x\n", append([]string{"tenant", "create", "acme", "--password", "other-password"}, db...)...); err == nil {
				t.Fatalf("a duplicate tenant was accepted:\n%s", out)
			}
			if out, err := runCmd(t, "", append([]string{"tenant", "create", "bob", "--password", "short"}, db...)...); err == nil || !strings.Contains(err.Error(), "at least 8") {
				t.Fatalf("a short password was accepted: %v\n%s", err, out)
			}
			out, err = runCmd(t, "", append([]string{"tenant", "list"}, db...)...)
			if err != nil || !strings.Contains(out, "acme") || strings.Contains(out, "bob") {
				t.Fatalf("tenant list: %v\n%s", err, out)
			}
			if out, err := runCmd(t, "second-password\n", append([]string{"tenant", "passwd", "acme"}, db...)...); err != nil {
				t.Fatalf("tenant passwd: %v\n%s", err, out)
			}
			if out, err := runCmd(t, "", append([]string{"migrate"}, db...)...); err != nil || !strings.Contains(out, "schema up to date") {
				t.Fatalf("migrate: %v\n%s", err, out)
			}

			// serve takes its listen address from the environment here.
			addr := freeAddr(t)
			t.Setenv("SWITCHBOARD_LISTEN", addr)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				done <- run(ctx, append([]string{"serve", "--log-level", "error"}, db...), nil, io.Discard, io.Discard)
			}()
			var res *http.Response
			for i := 0; i < 100; i++ {
				res, err = http.PostForm("http://"+addr+"/auth", url.Values{"username": {"acme"}, "password": {"second-password"}})
				if err == nil {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if err != nil {
				t.Fatalf("server did not start: %v", err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || !strings.Contains(string(body), `"token"`) {
				t.Fatalf("login with the changed password: %d %s", res.StatusCode, body)
			}
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("serve returned %v after shutdown", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("serve did not shut down")
			}
		})
	}
}

func TestUnknownCommands(t *testing.T) {
	for _, args := range [][]string{{"frobnicate"}, {"tenant"}, {"tenant", "eat"}, {"tenant", "create"}} {
		if _, err := runCmd(t, "", args...); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
	if out, err := runCmd(t, "", "--help"); err != nil || !strings.Contains(out, "SWITCHBOARD_") {
		t.Fatalf("--help: %v\n%s", err, out)
	}
}

func TestExportImportCommands(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	runCmd(t, "", "tenant", "create", "acme", "--password", "password-123", "--data", src)
	runCmd(t, "", "tenant", "create", "acme2", "--password", "password-123", "--data", dst)
	ctx := context.Background()
	st, err := (&storeFlags{data: src}).open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := cliService(st, storeFlags{data: src}, "", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	actor, _ := svc.GetTenant(ctx, sb.SystemActor, "acme")
	if _, _, err := svc.CreateDomain(ctx, sb.Actor{TenantID: actor.ID, TenantName: "acme", Role: actor.Role}, sb.NewDomain{Name: "cli.example", First: &sb.FirstAccount{Address: "a@cli.example", Password: "password-123"}}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	msg := filepath.Join("cli.example", "a", "cur", "1700000000.M1P1.host,S=5:2,S")
	os.MkdirAll(filepath.Join(src, "mail", filepath.Dir(msg)), 0o700) // the default --mail-root
	os.WriteFile(filepath.Join(src, "mail", msg), []byte("hello"), 0o600)
	dstMail := t.TempDir()
	file := filepath.Join(t.TempDir(), "cli.tar.gz")
	if out, err := runCmd(t, "", "export", "domain", "cli.example", "-o", file, "--data", src); err != nil {
		t.Fatalf("export: %v %s", err, out)
	}
	t.Setenv("SWITCHBOARD_MAIL_ROOT", dstMail)
	out, err := runCmd(t, "", "import", "domain", file, "--tenant", "acme2", "--data", dst)
	if err != nil || !strings.Contains(out, "imported cli.example for acme2: 1 accounts") {
		t.Fatalf("import: %v %s", err, out)
	}
	if data, err := os.ReadFile(filepath.Join(dstMail, msg)); string(data) != "hello" {
		t.Fatalf("the Maildir did not move to SWITCHBOARD_MAIL_ROOT: %q %v", data, err)
	}
	if out, err := runCmd(t, "", "import", "domain", file, "--tenant", "acme2", "--data", dst); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("second import: %v %s", err, out)
	}
	if _, err := runCmd(t, "", "import", "domain", file, "--data", dst); err == nil {
		t.Fatal("import without --tenant accepted")
	}
}

func TestAccountAndAPIKeyCommands(t *testing.T) {
	dir := t.TempDir()
	db := []string{"--data", dir}
	runCmd(t, "", append([]string{"tenant", "create", "acme", "--password", "password-123"}, db...)...)
	if out, err := runCmd(t, "admin-password\n", append([]string{"account", "create", "admin@sip.example.org", "--password-stdin", "--admin"}, db...)...); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("account in a missing domain: %v %s", err, out)
	}
	st, _ := (&storeFlags{data: dir}).open(context.Background())
	svc, err := cliService(st, storeFlags{data: dir, minPassword: 8}, "", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ten, _ := svc.GetTenant(context.Background(), sb.SystemActor, "acme")
	svc.CreateDomain(context.Background(), sb.Actor{TenantID: ten.ID, TenantName: "acme", Role: ten.Role}, sb.NewDomain{Name: "sip.example.org"})
	st.Close()
	out, err := runCmd(t, "admin-password\n", append([]string{"account", "create", "admin@sip.example.org", "--password-stdin", "--admin", "--algorithm", "SHA-256"}, db...)...)
	if err != nil || !strings.Contains(out, "admin true") {
		t.Fatalf("account create: %v %s", err, out)
	}
	runCmd(t, "user-password\n", append([]string{"account", "create", "user@sip.example.org", "--password-stdin"}, db...)...)
	if _, err := runCmd(t, "", append([]string{"apikey", "create", "--account", "user@sip.example.org"}, db...)...); err == nil {
		t.Fatal("an API key for a non-admin was made")
	}
	if out, err := runCmd(t, "", append([]string{"account", "set-admin", "user@sip.example.org"}, db...)...); err != nil {
		t.Fatalf("set-admin: %v %s", err, out)
	}
	out, err = runCmd(t, "", append([]string{"apikey", "create", "--account", "user@sip.example.org"}, db...)...)
	if err != nil || !strings.Contains(out, "x-api-key") {
		t.Fatalf("apikey create: %v %s", err, out)
	}
	out, _ = runCmd(t, "", append([]string{"apikey", "list"}, db...)...)
	if !strings.Contains(out, "user@sip.example.org") {
		t.Fatalf("apikey list: %s", out)
	}
	if out, err := runCmd(t, "", append([]string{"apikey", "revoke", "1"}, db...)...); err != nil {
		t.Fatalf("revoke: %v %s", err, out)
	}
	if _, err := runCmd(t, "", append([]string{"apikey", "revoke", "1"}, db...)...); err == nil {
		t.Fatal("revoking twice succeeded")
	}
}

func TestAppClosesEveryListener(t *testing.T) {
	for _, b := range storetest.Backends() {
		for _, tc := range []struct {
			name string
			run  bool
		}{
			{"close after run stops every listener, the milter's too", true},
			{"close without run still frees every listener", false},
		} {
			t.Run(b.Name+"/"+tc.name, func(t *testing.T) {
				dir := t.TempDir()
				fs := flag.NewFlagSet("serve", flag.ContinueOnError)
				var f serveFlags
				f.register(fs)
				any := "127.0.0.1:0"
				args := []string{"--database", b.URL(t), "--data", dir, "--log-level", "error",
					"--listen", any, "--tls-listen", any, "--acme-http-listen", any, "--milter-listen", any, "--cert-dir", filepath.Join(dir, "certs")}
				if err := parse(fs, args); err != nil {
					t.Fatal(err)
				}
				cfg, err := f.config()
				if err != nil {
					t.Fatal(err)
				}
				a := &app{cfg: cfg, stderr: io.Discard}
				if err := a.Open(context.Background()); err != nil {
					t.Fatal(errors.Join(err, a.Close()))
				}
				listeners := map[string]net.Listener{"http": a.ln, "tls": a.tlsLn, "acme": a.acmeLn, "milter": a.milterLn}
				done := make(chan error, 1)
				if tc.run {
					go func() { done <- a.Run(context.Background()) }()
					res, err := http.Get("http://" + a.ln.Addr().String() + "/openapi.json")
					if err != nil {
						t.Fatalf("the API does not answer: %v", err)
					}
					res.Body.Close()
				}
				for name, ln := range listeners {
					c, err := net.Dial("tcp", ln.Addr().String())
					if err != nil {
						t.Fatalf("%s listener refused a connection before Close: %v", name, err)
					}
					c.Close()
				}
				if err := a.Close(); err != nil {
					t.Fatalf("Close: %v", err)
				}
				if tc.run {
					select {
					case err := <-done:
						if err != nil {
							t.Fatalf("Run returned %v after Close", err)
						}
					case <-time.After(5 * time.Second):
						t.Fatal("Run did not return after Close")
					}
				}
				for name, ln := range listeners {
					if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
						c.Close()
						t.Errorf("%s listener still accepts connections after Close", name)
					} else if !errors.Is(err, syscall.ECONNREFUSED) {
						t.Errorf("%s listener: dial after Close: %v, want connection refused", name, err)
					}
				}
			})
		}
	}
}

func TestCommandErrors(t *testing.T) {
	broken := t.TempDir()
	if out, err := runCmd(t, "", "migrate", "--data", broken); err != nil {
		t.Fatalf("migrate: %v %s", err, out)
	}
	db, err := sql.Open("sqlite", filepath.Join(broken, "switchboard.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("DROP TABLE oauth_clients"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	ok := t.TempDir()
	runCmd(t, "", "tenant", "create", "acme", "--password", "password-123", "--data", ok)

	for _, tc := range []struct {
		name string
		args []string
		want string // the whole error
		has  string // or a part of it
	}{
		{name: "an internal error of the service prints its cause",
			args: []string{"oauth-client", "list", "--data", broken}, has: "internal error: "},
		{name: "an internal error names the missing table",
			args: []string{"oauth-client", "list", "--data", broken}, has: "oauth_clients"},
		{name: "an unreachable database says why",
			args: []string{"tenant", "list", "--database", "postgres://u@" + freeAddr(t) + "/db?connect_timeout=2"}, has: "refused"},
		{name: "other service errors keep their user-safe message",
			args: []string{"tenant", "create", "acme", "--password", "password-123", "--data", ok}, want: `tenant "acme" already exists`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runCmd(t, "", tc.args...)
			switch {
			case err == nil:
				t.Fatalf("no error:\n%s", out)
			case tc.has != "" && !strings.Contains(err.Error(), tc.has):
				t.Fatalf("error %q does not contain %q", err, tc.has)
			case tc.want != "" && err.Error() != tc.want:
				t.Fatalf("error %q, want %q", err, tc.want)
			}
		})
	}
}
