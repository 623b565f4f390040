package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/internal/store/storetest"
)

func TestVacationCommands(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			dir := t.TempDir()
			db := []string{"--database", b.URL(t), "--data", dir}
			must := func(stdin string, args ...string) string {
				t.Helper()
				out, err := runCmd(t, stdin, append(args, db...)...)
				if err != nil {
					t.Fatalf("%v: %v\n%s", args, err, out)
				}
				return out
			}
			refused := func(want string, args ...string) {
				t.Helper()
				if out, err := runCmd(t, "", append(args, db...)...); err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("%v: error %v, want %q\n%s", args, err, want, out)
				}
			}
			must("", "tenant", "create", "acme", "--password", "password-123")
			must("", "domain", "create", "v.example", "--tenant", "acme")
			must("", "account", "create", "ana@v.example", "--password", "ana-password")

			if out := must("", "vacation", "show", "ana@v.example"); !strings.Contains(out, "vacation of ana@v.example: off") {
				t.Errorf("show before any:\n%s", out)
			}
			bodyFile := filepath.Join(dir, "body.txt")
			if err := os.WriteFile(bodyFile, []byte("Away.\n.\nAna\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			out := must("", "vacation", "set", "ana@v.example", "--subject", "Urlaub", "--body-file", bodyFile,
				"--start", "2026-12-01", "--end", "2026-12-24", "--days", "3", "--addresses", "info@v.example")
			for _, want := range []string{"vacation of ana@v.example: on", "subject: Urlaub", "from: 2026-12-01", "until: 2026-12-24",
				"days: 3", "addresses: info@v.example", "Away.\n.\nAna\n"} {
				if !strings.Contains(out, want) {
					t.Errorf("set printed no %q:\n%s", want, out)
				}
			}
			out = must("Gone fishing.\n", "vacation", "set", "ana@v.example", "--body-file", "-", "--off")
			if !strings.Contains(out, ": off") || !strings.Contains(out, "subject: Urlaub") || !strings.Contains(out, "Gone fishing.") {
				t.Errorf("--off with a new body:\n%s", out)
			}
			refused("one line", "vacation", "set", "ana@v.example", "--subject", "a\nb")
			refused("before start_date", "vacation", "set", "ana@v.example", "--end", "2026-11-01")
			refused("not found", "vacation", "show", "nobody@v.example")
			if out := must("", "vacation", "show", "ana@v.example"); !strings.Contains(out, ": off") || !strings.Contains(out, "until: 2026-12-24") {
				t.Errorf("a refusal changed it:\n%s", out)
			}
		})
	}
}
