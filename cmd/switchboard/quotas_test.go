package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/internal/store/storetest"
)

func TestQuotaCommands(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			dir := t.TempDir()
			db := []string{"--database", b.URL(t), "--data", dir}
			cmd := func(args ...string) (string, error) {
				t.Helper()
				return runCmd(t, "", append(args, db...)...)
			}
			must := func(want string, args ...string) string {
				t.Helper()
				out, err := cmd(args...)
				if err != nil || !strings.Contains(out, want) {
					t.Fatalf("%v: %v\n%s", args, err, out)
				}
				return out
			}
			refused := func(want string, args ...string) {
				t.Helper()
				if out, err := cmd(args...); err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("%v: error %v, want %q\n%s", args, err, want, out)
				}
			}
			must("created tenant acme", "tenant", "create", "acme", "--password", "password-123")
			must("created tenant other", "tenant", "create", "other", "--password", "password-123")
			out := must("mailboxes  0 of 2", "tenant", "limits", "acme", "--plan", "basic", "--max-mailboxes", "2")
			if !strings.Contains(out, `plan "basic"`) || !strings.Contains(out, "domains    0 of 1") || !strings.Contains(out, "default    2147483648 bytes") {
				t.Fatalf("tenant limits:\n%s", out)
			}
			refused("max-quota must be a size", "tenant", "limits", "acme", "--max-quota", "1.5G")
			refused("plan must be one of", "tenant", "limits", "acme", "--plan", "gold")
			refused("tenant not found", "tenant", "limits", "nobody", "--max-domains", "1")

			must("created domain a.test", "domain", "create", "a.test", "--tenant", "acme")
			refused("limit of 1 domains (max_domains)", "domain", "create", "b.test", "--tenant", "acme")
			must("created account one@a.test", "account", "create", "one@a.test", "--password", "password-123")
			must("created account two@a.test", "account", "create", "two@a.test", "--password", "password-123")
			refused("tenant acme has reached its limit of 2 mailboxes (max_mailboxes)", "account", "create", "three@a.test", "--password", "password-123")
			must("mailboxes  2 of 2", "tenant", "limits", "acme")

			// account quota sets a size or a plan.
			must("quota of one@a.test: 102400 bytes, 10 messages", "account", "quota", "one@a.test", "100K", "--messages", "10")
			must(`quota of one@a.test: 10737418240 bytes, 10 messages (0: unlimited), plan "standard"`, "account", "quota", "one@a.test", "--plan", "standard")
			refused("total quota limit of 26843545600 bytes (max_quota)", "account", "quota", "two@a.test", "20G")
			refused("SIZE must be a size", "account", "quota", "two@a.test", "lots")
			refused("give SIZE, --plan or --messages", "account", "quota", "two@a.test")
			refused("mail not found", "account", "quota", "nobody@a.test", "1M")
			// An import beyond the limit is refused.
			must("created domain c.test", "domain", "create", "c.test", "--tenant", "other")
			must("created account x@c.test", "account", "create", "x@c.test", "--password", "password-123")
			archive := filepath.Join(t.TempDir(), "c.tar.gz")
			if _, err := cmd("export", "domain", "c.test", "-o", archive, "--mail-root", "none"); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(archive); err != nil {
				t.Fatal(err)
			}
			must("deleted domain c.test", "domain", "delete", "c.test", "--mail-root", "none")
			must("domains    1 of 2", "tenant", "limits", "acme", "--max-domains", "2")
			refused("limit of 2 mailboxes (max_mailboxes)", "import", "domain", archive, "--tenant", "acme", "--mail-root", "none")
			must("domains    1 of 2", "tenant", "limits", "acme")
		})
	}
}
