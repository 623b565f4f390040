package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/internal/store/storetest"
)

func TestImportAccountsCommand(t *testing.T) {
	const blf = "{BLF-CRYPT}$2y$05$kVQCFv8odaNDM771jP9oD.HV2zbgUNqhzMvXb59/k2HZ47Yt8JZ3a"
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			dir := t.TempDir()
			db := []string{"--database", b.URL(t), "--data", dir}
			run := func(args ...string) (int, string, string) {
				t.Helper()
				return cliRun(t, "", append(args, db...)...)
			}
			file := func(name, body string) string {
				p := filepath.Join(dir, name)
				if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
					t.Fatal(err)
				}
				return p
			}
			if code, _, errOut := run("tenant", "create", "acme", "--password", "password-123"); code != 0 {
				t.Fatal(errOut)
			}
			if code, _, errOut := run("domain", "create", "a.example", "--tenant", "acme"); code != 0 {
				t.Fatal(errOut)
			}
			accounts := func() string {
				t.Helper()
				_, out, _ := run("account", "list", "a.example")
				return out
			}

			t.Run("a good file is imported, with a progress line per phase on stderr", func(t *testing.T) {
				good := file("good.csv", "email,password,password_hash,sip\n"+
					"one@a.example,,"+blf+",\ntwo@a.example,,"+blf+",false\nthree@a.example,a plain password,,\n")
				code, out, errOut := run("import", "accounts", good, "--domain", "a.example")
				if code != 0 {
					t.Fatalf("exit %d: %s", code, errOut)
				}
				if !regexp.MustCompile(`^imported 3 accounts into a\.example in [0-9.]+s \([0-9]+ accounts/s\): 2 kept hashes, 1 SIP identities; the domain has 3 accounts\n$`).MatchString(out) {
					t.Fatalf("stdout %q", out)
				}
				for _, want := range []string{`import: hashing 1/1 accounts \([0-9]+ accounts/s\)`, `import: writing 3/3 accounts \([0-9]+ accounts/s\)`} {
					if !regexp.MustCompile(`(?m)^` + want + `$`).MatchString(errOut) {
						t.Fatalf("stderr %q has no line %s", errOut, want)
					}
				}
				list := accounts()
				for _, a := range []string{"one@a.example", "two@a.example", "three@a.example"} {
					if !strings.Contains(list, a) {
						t.Fatalf("account list lacks %s:\n%s", a, list)
					}
				}
			})
			before := accounts()
			for _, tc := range []struct {
				name   string
				args   []string
				code   int
				stderr []string
			}{
				{"a bad file prints each fault and imports nothing",
					[]string{"import", "accounts", file("bad.csv", "email,password_hash\nnew@a.example,"+blf+"\none@a.example,"+blf+"\nx@a.example,$1$abcdefgh$E2IUOVGWn4QIROUcRm1wO/\n"),
						"--domain", "a.example"}, 1,
					[]string{"line 3: email: the address is already an account\n", "line 4: password_hash: MD5-crypt ($1$) hashes are too weak to keep",
						"switchboard: the file has 2 faults; nothing was imported\n"}},
				{"an unknown domain is not found", []string{"import", "accounts", file("x.csv", "email,password_hash\nz@b.example,"+blf+"\n"), "--domain", "b.example"},
					1, []string{"switchboard: domain not found\n"}},
				{"a missing --domain is a usage error", []string{"import", "accounts", file("y.csv", "email\n")}, 2,
					[]string{"want FILE.csv and --domain DOMAIN"}},
				{"a missing file is an error", []string{"import", "accounts", filepath.Join(dir, "none.csv"), "--domain", "a.example"}, 2,
					[]string{"no such file"}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					code, out, errOut := run(tc.args...)
					if code != tc.code || out != "" {
						t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d", code, out, errOut, tc.code)
					}
					for _, w := range tc.stderr {
						if !strings.Contains(errOut, w) {
							t.Fatalf("stderr %q lacks %q", errOut, w)
						}
					}
					if after := accounts(); after != before {
						t.Fatalf("accounts changed:\n%s\nwas\n%s", after, before)
					}
				})
			}
		})
	}
}
