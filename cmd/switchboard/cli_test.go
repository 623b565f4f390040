package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/store/storetest"
)

// cliRun runs a command line as main does and returns its exit status and
// what it wrote to stdout and stderr.
func cliRun(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = cli(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestHelpGoesToStdout(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want []string // on stdout
	}{
		{"no arguments print the usage", nil, []string{"Usage:", "switchboard serve", "SWITCHBOARD_"}},
		{"--help prints the usage", []string{"--help"}, []string{"Usage:", "switchboard domain create DOMAIN --tenant NAME"}},
		{"-h prints the usage", []string{"-h"}, []string{"Usage:"}},
		{"help prints the usage", []string{"help"}, []string{"switchboard account passwd EMAIL"}},
		{"serve --help lists serve's flags", []string{"serve", "--help"}, []string{"switchboard serve", "--listen (env SWITCHBOARD_LISTEN", "--push-log"}},
		{"serve -h lists serve's flags", []string{"serve", "-h"}, []string{"--sms-log"}},
		{"migrate --help", []string{"migrate", "--help"}, []string{"--database"}},
		{"mailconfig --help", []string{"mailconfig", "--help"}, []string{"--dovecot"}},
		{"sipconfig --help", []string{"sipconfig", "--help"}, []string{"--kamailio", "--algorithm", "--transport"}},
		{"tenant create --help", []string{"tenant", "create", "--help"}, []string{"switchboard tenant create NAME", "--operator"}},
		{"a flag after the positional argument, then --help", []string{"tenant", "create", "acme", "-h"}, []string{"--operator"}},
		{"domain create --help", []string{"domain", "create", "--help"}, []string{"switchboard domain create", "--tenant"}},
		{"domain list --help", []string{"domain", "list", "--help"}, []string{"--tenant"}},
		{"domain delete --help", []string{"domain", "delete", "-h"}, []string{"--mail-root"}},
		{"account list --help", []string{"account", "list", "--help"}, []string{"switchboard account list DOMAIN"}},
		{"account passwd --help", []string{"account", "passwd", "--help"}, []string{"--password-stdin", "--algorithm"}},
		{"account set-admin --help", []string{"account", "set-admin", "--help"}, []string{"--admin (env SWITCHBOARD_ADMIN, default \"true\")"}},
		{"account delete --help", []string{"account", "delete", "--help"}, []string{"--mail-root"}},
		{"apikey create --help", []string{"apikey", "create", "--help"}, []string{"--account"}},
		{"export domain --help", []string{"export", "domain", "--help"}, []string{"-o (env"}},
		{"import domain --help", []string{"import", "domain", "--help"}, []string{"--tenant"}},
		{"oauth-client revoke --help", []string{"oauth-client", "revoke", "--help"}, []string{"switchboard oauth-client revoke CLIENT_ID"}},
		{"a group's --help lists its commands", []string{"domain", "--help"}, []string{"switchboard domain create", "switchboard domain list", "switchboard domain delete"}},
		{"a group's help lists its commands", []string{"account", "help"}, []string{"switchboard account set-admin", "switchboard account delete"}},
		{"tenant -h lists its commands", []string{"tenant", "-h"}, []string{"switchboard tenant passwd"}},
		{"apikey --help lists its commands", []string{"apikey", "--help"}, []string{"switchboard apikey revoke"}},
		{"app-password --help lists its commands", []string{"app-password", "--help"}, []string{"switchboard app-password create", "switchboard app-password revoke"}},
		{"app-password create --help", []string{"app-password", "create", "--help"}, []string{"--mail", "--protocols"}},
		{"oauth-client --help lists its commands", []string{"oauth-client", "--help"}, []string{"switchboard oauth-client list"}},
		{"export --help lists its command", []string{"export", "--help"}, []string{"switchboard export domain"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := cliRun(t, "", tc.args...)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestBadCommandLinesPrintOneLineAndAHint(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name       string
		args       []string
		env        map[string]string
		line, hint string
	}{
		{"an unknown flag of serve", []string{"serve", "--nope"},
			nil, "switchboard: flag provided but not defined: -nope", `run "switchboard serve --help" for the flags`},
		{"a bad flag value of serve", []string{"serve", "--token-ttl", "soon"},
			nil, `switchboard: invalid value "soon" for flag -token-ttl: parse error`, `run "switchboard serve --help" for the flags`},
		{"a bad value serve checks itself", []string{"serve", "--log-level", "loud"},
			nil, "switchboard: --log-level: ", `run "switchboard serve --help" for the flags`},
		{"a bad value in the environment", []string{"serve"}, map[string]string{"SWITCHBOARD_MAX_BODY": "big"},
			"switchboard: SWITCHBOARD_MAX_BODY: ", `run "switchboard serve --help" for the flags`},
		{"an unknown flag of a sub-command", []string{"domain", "create", "x.example", "--owner", "acme"},
			nil, "switchboard: flag provided but not defined: -owner", `run "switchboard domain create --help" for the flags`},
		{"a missing argument", []string{"account", "passwd", "--password", "long-password", "--data", dir},
			nil, "switchboard: account passwd: want exactly one EMAIL", `run "switchboard account passwd --help" for the flags`},
		{"a missing flag", []string{"domain", "create", "x.example", "--data", dir},
			nil, "switchboard: domain create: want exactly one DOMAIN and --tenant NAME", `run "switchboard domain create --help" for the flags`},
		{"a bad boolean", []string{"account", "set-admin", "a@x.example", "--admin=maybe"},
			nil, `switchboard: invalid boolean value "maybe" for -admin: parse error`, `run "switchboard account set-admin --help" for the flags`},
		{"an unknown command", []string{"frobnicate"},
			nil, `switchboard: unknown command "frobnicate"`, `run "switchboard --help" for the commands`},
		{"an unknown sub-command", []string{"domain", "eat"},
			nil, `switchboard: domain: unknown command "eat" (want create, delete or list)`, `run "switchboard domain --help" for the commands`},
		{"a group without a sub-command", []string{"account"},
			nil, "switchboard: account: want create, delete, list, passwd, quota or set-admin", `run "switchboard account --help" for the commands`},
		{"mailconfig without a directory", []string{"mailconfig", "--data", dir},
			nil, "switchboard: mailconfig: give --dovecot DIR, --postfix DIR or both", `run "switchboard mailconfig --help" for the flags`},
		{"sipconfig without a directory", []string{"sipconfig", "--data", dir},
			nil, "switchboard: sipconfig: give --kamailio DIR", `run "switchboard sipconfig --help" for the flags`},
		{"sipconfig with an unknown algorithm", []string{"sipconfig", "--kamailio", dir, "--algorithm", "SHA-1", "--data", dir},
			nil, `switchboard: sipconfig: --algorithm "SHA-1": want MD5 or SHA-256`, `run "switchboard sipconfig --help" for the flags`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			code, out, errOut := cliRun(t, "", tc.args...)
			lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
			switch {
			case code != 2:
				t.Fatalf("exit %d, want 2; stderr:\n%s", code, errOut)
			case out != "":
				t.Fatalf("stdout %q, want nothing", out)
			case len(lines) != 2:
				t.Fatalf("stderr has %d lines, want the error and a hint:\n%s", len(lines), errOut)
			case !strings.HasPrefix(lines[0], tc.line):
				t.Fatalf("error line %q, want %q", lines[0], tc.line)
			case lines[1] != tc.hint:
				t.Fatalf("hint %q, want %q", lines[1], tc.hint)
			}
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a refused command line opened the store: %v", entries)
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, out, errOut := cliRun(t, "", args...)
		if code != 0 || errOut != "" || !strings.HasPrefix(out, "switchboard ") || !strings.Contains(out, "go1.") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	vcs := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	for _, tc := range []struct {
		name string
		bi   *debug.BuildInfo
		ok   bool
		want string
	}{
		{"a tagged build from a clean tree", &debug.BuildInfo{GoVersion: "go1.24.1", Main: debug.Module{Version: "v1.2.3"},
			Settings: vcs("vcs.revision", "815307e", "vcs.time", "2026-12-01T22:00:00Z", "vcs.modified", "false")},
			true, "switchboard v1.2.3, revision 815307e of 2026-12-01T22:00:00Z, go1.24.1"},
		{"a build from a modified tree says so", &debug.BuildInfo{GoVersion: "go1.24.1", Main: debug.Module{Version: "(devel)"},
			Settings: vcs("vcs.revision", "815307e", "vcs.modified", "true")},
			true, "switchboard (devel), revision 815307e (modified), go1.24.1"},
		{"go run and go test binaries carry no VCS information", &debug.BuildInfo{GoVersion: "go1.24.1"},
			true, "switchboard (devel), unknown revision, go1.24.1"},
		{"a binary without build information", nil, false, "switchboard (devel), unknown revision, unknown Go version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := versionLine(tc.bi, tc.ok); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// checkPassword reports whether the store at db takes password for email.
func checkPassword(t *testing.T, db []string, email, password string) bool {
	t.Helper()
	sf := storeFlags{database: db[1], data: db[3]}
	st, err := sf.open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc, err := cliService(st, sf, "", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.CheckAccountPassword(context.Background(), email, password, "127.0.0.1")
	return err == nil
}

func TestDomainAndAccountCommands(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			dir := t.TempDir()
			db := []string{"--database", b.URL(t), "--data", dir}
			cmd := func(stdin string, args ...string) (string, error) {
				t.Helper()
				return runCmd(t, stdin, append(args, db...)...)
			}
			must := func(want string, stdin string, args ...string) string {
				t.Helper()
				out, err := cmd(stdin, args...)
				if err != nil || !strings.Contains(out, want) {
					t.Fatalf("%v: %v\n%s", args, err, out)
				}
				return out
			}
			refused := func(want string, stdin string, args ...string) {
				t.Helper()
				if out, err := cmd(stdin, args...); err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("%v: error %v, want %q\n%s", args, err, want, out)
				}
			}
			must("created tenant acme", "", "tenant", "create", "acme", "--password", "password-123")
			must("created tenant other", "", "tenant", "create", "other", "--password", "password-123")

			t.Run("domain create makes a bare domain owned by the tenant", func(t *testing.T) {
				must("created domain sip.example.org for tenant acme", "", "domain", "create", "SIP.example.org", "--tenant", "acme")
				must("created domain b.example for tenant other", "", "domain", "create", "b.example", "--tenant", "other")
				out := must("sip.example.org", "", "domain", "list")
				if !regexpLine(out, `sip\.example\.org\s+acme\s+0\s+sip\.example\.org`) || !strings.Contains(out, "b.example") {
					t.Fatalf("domain list:\n%s", out)
				}
				if out := must("b.example", "", "domain", "list", "--tenant", "other"); strings.Contains(out, "sip.example.org") {
					t.Fatalf("domain list --tenant other shows acme's domain:\n%s", out)
				}
			})
			t.Run("domain create refuses and creates nothing", func(t *testing.T) {
				refused("already exists", "", "domain", "create", "sip.example.org", "--tenant", "other")
				refused("tenant not found", "", "domain", "create", "c.example", "--tenant", "nobody")
				refused("domain", "", "domain", "create", "not a domain", "--tenant", "acme")
				out := must("sip.example.org", "", "domain", "list")
				if strings.Contains(out, "c.example") || strings.Contains(out, "not a domain") || strings.Count(out, "\n") != 3 {
					t.Fatalf("a refused domain create changed the domains:\n%s", out)
				}
				refused("tenant", "", "domain", "list", "--tenant", "nobody")
			})

			must("admin true", "admin-password\n", "account", "create", "admin@sip.example.org", "--password-stdin", "--admin")
			must("admin false", "", "account", "create", "bob@sip.example.org", "--password", "bob-password", "--algorithm", "MD5")
			t.Run("account list prints one line per account", func(t *testing.T) {
				out := must("admin@sip.example.org", "", "account", "list", "sip.example.org")
				if !regexpLine(out, `admin@sip\.example\.org\s+true\s+true\s+true\s+MD5,SHA-256`) ||
					!regexpLine(out, `bob@sip\.example\.org\s+true\s+true\s+false\s+MD5\s`) || strings.Count(out, "\n") != 3 {
					t.Fatalf("account list:\n%s", out)
				}
				refused("not found", "", "account", "list", "nowhere.example")
			})
			t.Run("set-admin --admin=false takes the admin right away and says so", func(t *testing.T) {
				must("admin@sip.example.org is no longer an admin", "", "account", "set-admin", "admin@sip.example.org", "--admin=false")
				if out := must("admin@", "", "account", "list", "sip.example.org"); !regexpLine(out, `admin@sip\.example\.org\s+true\s+true\s+false`) {
					t.Fatalf("still an admin:\n%s", out)
				}
				refused("admin", "", "apikey", "create", "--account", "admin@sip.example.org")
				must("admin@sip.example.org is now an admin", "", "account", "set-admin", "admin@sip.example.org")
				must("x-api-key", "", "apikey", "create", "--account", "admin@sip.example.org")
				refused("not found", "", "account", "set-admin", "nobody@sip.example.org", "--admin=false")
			})
			t.Run("account passwd sets the password for the chosen algorithm", func(t *testing.T) {
				must("password of bob@sip.example.org changed (SHA-256)", "new-bob-password\n",
					"account", "passwd", "bob@sip.example.org", "--password-stdin", "--algorithm", "SHA-256")
				if !checkPassword(t, db, "bob@sip.example.org", "new-bob-password") || checkPassword(t, db, "bob@sip.example.org", "bob-password") {
					t.Fatal("the new password does not work, or the old one still does")
				}
				if out := must("bob@", "", "account", "list", "sip.example.org"); !regexpLine(out, `bob@sip\.example\.org\s+true\s+true\s+false\s+SHA-256\s`) {
					t.Fatalf("algorithms after passwd:\n%s", out)
				}
				must("(MD5, SHA-256)", "", "account", "passwd", "bob@sip.example.org", "--password", "third-bob-password")
			})
			t.Run("account passwd refuses and changes nothing", func(t *testing.T) {
				refused("at least 8", "", "account", "passwd", "bob@sip.example.org", "--password", "short")
				refused("algorithm", "", "account", "passwd", "bob@sip.example.org", "--password", "fourth-bob-password", "--algorithm", "SHA-512")
				refused("not found", "", "account", "passwd", "nobody@sip.example.org", "--password", "fourth-bob-password")
				refused("--password-stdin or --password", "", "account", "passwd", "bob@sip.example.org")
				if !checkPassword(t, db, "bob@sip.example.org", "third-bob-password") {
					t.Fatal("a refused passwd changed the password")
				}
			})
			t.Run("account delete", func(t *testing.T) {
				refused("not found", "", "account", "delete", "nobody@sip.example.org")
				must("deleted account bob@sip.example.org", "", "account", "delete", "bob@sip.example.org")
				if out := must("admin@", "", "account", "list", "sip.example.org"); strings.Contains(out, "bob@") {
					t.Fatalf("bob is still listed:\n%s", out)
				}
				refused("not found", "", "account", "delete", "bob@sip.example.org")
			})
			t.Run("domain delete takes the domain with its accounts", func(t *testing.T) {
				refused("not found", "", "domain", "delete", "nowhere.example")
				must("deleted domain sip.example.org", "", "domain", "delete", "sip.example.org")
				if out := must("b.example", "", "domain", "list"); strings.Contains(out, "sip.example.org") {
					t.Fatalf("the domain is still listed:\n%s", out)
				}
				refused("not found", "", "account", "list", "sip.example.org")
				if checkPassword(t, db, "admin@sip.example.org", "admin-password") {
					t.Fatal("the domain's account survived its domain")
				}
			})
		})
	}
}

// regexpLine reports whether a line of out matches the pattern.
func regexpLine(out, pattern string) bool {
	re := regexp.MustCompile(pattern)
	for _, l := range strings.Split(out, "\n") {
		if re.MatchString(l) {
			return true
		}
	}
	return false
}

func TestEveryCommandPrintsTheCause(t *testing.T) {
	broken := t.TempDir()
	if out, err := runCmd(t, "", "tenant", "create", "acme", "--password", "password-123", "--data", broken); err != nil {
		t.Fatalf("tenant create: %v %s", err, out)
	}
	db, err := sql.Open("sqlite", filepath.Join(broken, "switchboard.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("DROP TABLE domains"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	down := "postgres://u@" + freeAddr(t) + "/db?connect_timeout=2"
	for _, tc := range []struct {
		name string
		args []string
		has  string
	}{
		{"domain create", []string{"domain", "create", "x.example", "--tenant", "acme", "--data", broken}, "domains"},
		{"domain list", []string{"domain", "list", "--data", broken}, "domains"},
		{"domain list --tenant", []string{"domain", "list", "--tenant", "acme", "--data", broken}, "domains"},
		{"domain delete", []string{"domain", "delete", "x.example", "--data", broken}, "domains"},
		{"account list", []string{"account", "list", "x.example", "--data", broken}, "domains"},
		{"account create", []string{"account", "create", "a@x.example", "--password", "password-123", "--data", broken}, "domains"},
		{"migrate with the database down", []string{"migrate", "--database", down}, "refused"},
		{"mailconfig with the database down", []string{"mailconfig", "--dovecot", t.TempDir(), "--database", down}, "refused"},
		{"sipconfig with the database down", []string{"sipconfig", "--kamailio", t.TempDir(), "--database", down}, "refused"},
		{"serve with the database down", []string{"serve", "--listen", "127.0.0.1:0", "--data", t.TempDir(), "--database", down}, "refused"},
	} {
		t.Run(tc.name+" prints the cause", func(t *testing.T) {
			code, out, errOut := cliRun(t, "", tc.args...)
			if code != 1 || !strings.Contains(errOut, tc.has) || strings.Contains(errOut, "--help") {
				t.Fatalf("exit %d, stderr %q (want exit 1 and %q, no usage hint); stdout %q", code, errOut, tc.has, out)
			}
		})
	}
}

// syncBuffer is a log sink the server writes while the test reads.
type syncBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	return s.b.Write(p)
}

// read is what was written, and in how many writes.
func (s *syncBuffer) read() (string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String(), s.writes
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServe runs serve with args on a free address until the test ends.
func startServe(t *testing.T, log io.Writer, args ...string) string {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"serve", "--listen", addr}, args...), nil, io.Discard, log) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("serve did not shut down")
		}
	})
	for i := 0; i < 100; i++ {
		if res, err := http.Get("http://" + addr + "/openapi.json"); err == nil {
			res.Body.Close()
			return addr
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatal("serve did not start")
	return ""
}

func postJSON(t *testing.T, url string, body any) (int, map[string]any) {
	t.Helper()
	data, _ := json.Marshal(body)
	res, err := http.Post(url, "application/json", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func TestServePushLog(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			db := []string{"--database", b.URL(t), "--data", t.TempDir()}
			for _, args := range [][]string{
				{"tenant", "create", "acme", "--password", "password-123"},
				{"domain", "create", "sip.example.org", "--tenant", "acme"},
			} {
				if out, err := runCmd(t, "", append(args, db...)...); err != nil {
					t.Fatalf("%v: %v %s", args, err, out)
				}
			}
			t.Run("--push-log cannot be combined with a real provider", func(t *testing.T) {
				key := filepath.Join(t.TempDir(), "apns.p8")
				os.WriteFile(key, []byte("not used"), 0o600)
				code, _, errOut := cliRun(t, "", append([]string{"serve", "--listen", "127.0.0.1:0", "--push-log", "--apns-key-file", key}, db...)...)
				if code == 0 || !strings.Contains(errOut, "--push-log") {
					t.Fatalf("exit %d, stderr %s", code, errOut)
				}
			})
			t.Run("without --push-log or a provider, /api/tokens is 503", func(t *testing.T) {
				addr := startServe(t, io.Discard, append([]string{"--log-level", "error"}, db...)...)
				if code, _ := postJSON(t, "http://"+addr+"/api/tokens", map[string]string{"pn_provider": "fcm", "pn_param": "p", "pn_prid": "dev-0"}); code != 503 {
					t.Fatalf("/api/tokens: %d", code)
				}
			})

			log := &syncBuffer{}
			addr := startServe(t, log, append([]string{"--push-log", "--log-level", "warn"}, db...)...)
			for _, p := range []string{"apns", "apns.dev", "fcm"} {
				code, body := postJSON(t, "http://"+addr+"/api/tokens", map[string]string{"pn_provider": p, "pn_param": "ABCD.org.linphone.phone", "pn_prid": "device-" + p})
				if code != 201 {
					t.Fatalf("/api/tokens %s: %d %v", p, code, body)
				}
			}
			var token string
			sc := bufio.NewScanner(strings.NewReader(log.String()))
			for sc.Scan() {
				var line struct {
					Msg, Provider, Param, PRID string
					Data                       map[string]string
				}
				if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "push not sent (development pusher)" && line.PRID == "device-fcm" {
					if line.Provider != "fcm" || line.Param != "ABCD.org.linphone.phone" {
						t.Fatalf("log line %s", sc.Text())
					}
					token = line.Data["token"]
				}
			}
			if len(token) < 20 {
				t.Fatalf("no push with a token in the log:\n%s", log)
			}
			code, body := postJSON(t, "http://"+addr+"/api/accounts/with-token", map[string]string{"username": "alice1",
				"password": "alice-password", "algorithm": "SHA-256", "domain": "sip.example.org", "token": token})
			if code != 201 || body["username"] != "alice1" || body["activated"] != true {
				t.Fatalf("with-token with the logged token: %d %v", code, body)
			}
			if strings.Contains(log.String(), "alice-password") {
				t.Fatal("the log holds the account's password")
			}
			out, err := runCmd(t, "", append([]string{"account", "list", "sip.example.org"}, db...)...)
			if err != nil || !strings.Contains(out, "alice1@sip.example.org") {
				t.Fatalf("account list: %v %s", err, out)
			}
		})
	}
}

func TestSipconfigWritesKamailioCfg(t *testing.T) {
	data, dir := t.TempDir(), filepath.Join(t.TempDir(), "kamailio")
	// An account with an MD5 HA1 only, made before the plane asks for SHA-256.
	for _, c := range [][]string{
		{"tenant", "create", "acme", "--password", "acme-password"},
		{"domain", "create", "sip.example.org", "--tenant", "acme"},
		{"account", "create", "alice@sip.example.org", "--password-stdin", "--algorithm", "MD5"},
	} {
		if code, out, errOut := cliRun(t, "alice-password\n", append(c, "--data", data)...); code != 0 {
			t.Fatalf("%v: exit %d, %s %s", c, code, out, errOut)
		}
	}
	sipconfigArgs := []string{"sipconfig", "--data", data, "--kamailio", dir, "--algorithm", "sha-256", "--listen", "127.0.0.1:5070", "--transport", "udp"}
	code, out, errOut := cliRun(t, "", sipconfigArgs...)
	want := "wrote " + filepath.Join(dir, "kamailio.cfg") + "\n" +
		"the SIP plane's algorithm is SHA-256: passwords set from now on keep its HA1\n" +
		"1 activated accounts have no SHA-256 HA1 and cannot register until their password is set again\n"
	if code != 0 || out != want {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	t.Run("a password set for MD5 keeps the plane's SHA-256 HA1 too", func(t *testing.T) {
		if code, out, errOut := cliRun(t, "", "account", "passwd", "alice@sip.example.org", "--password", "alice-password-2",
			"--algorithm", "MD5", "--data", data); code != 0 {
			t.Fatalf("passwd: exit %d, %s %s", code, out, errOut)
		}
		code, out, errOut := cliRun(t, "", sipconfigArgs...)
		if code != 0 || strings.Contains(out, "cannot register") {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	})
	cfg, err := os.ReadFile(filepath.Join(dir, "kamailio.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"sqlite:///` + filepath.Join(data, "switchboard.db") + `"`, `modparam("auth", "algorithm", "SHA-256")`,
		"sip_subscribers_sha256", "listen=udp:127.0.0.1:5070", "disable_tcp=yes"} {
		if !strings.Contains(string(cfg), want) {
			t.Errorf("kamailio.cfg lacks %q", want)
		}
	}
	// The store it points at exists and is migrated.
	if _, err := os.Stat(filepath.Join(data, "switchboard.db")); err != nil {
		t.Error(err)
	}
	t.Run("a bad transport writes nothing", func(t *testing.T) {
		other := filepath.Join(t.TempDir(), "k")
		code, _, errOut := cliRun(t, "", "sipconfig", "--data", data, "--kamailio", other, "--transport", "udp,tls")
		if code != 1 || !strings.Contains(errOut, `transport "tls": want udp or tcp`) {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
		if _, err := os.Stat(other); !os.IsNotExist(err) {
			t.Errorf("%s exists after a refusal: %v", other, err)
		}
	})
}
