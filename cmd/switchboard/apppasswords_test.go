package main

import (
	"context"
	"io"
	"strings"
	"testing"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/store/storetest"
)

func TestAppPasswordCommands(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			dir := t.TempDir()
			db := []string{"--database", b.URL(t), "--data", dir}
			sf := storeFlags{database: db[1], data: dir, minPassword: 8}
			st, err := sf.open(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if err := st.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			svc, err := cliService(st, sf, "", io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			ten, err := svc.CreateTenant(ctx, sb.SystemActor, "acme", "acme-password", sb.RoleTenant)
			if err != nil {
				t.Fatal(err)
			}
			acme := sb.Actor{TenantID: ten.ID, TenantName: "acme", Role: ten.Role}
			if _, _, err := svc.CreateDomain(ctx, acme, sb.NewDomain{Name: "cli.example", First: &sb.FirstAccount{Address: "ann@cli.example", Password: "ann-password"}}); err != nil {
				t.Fatal(err)
			}
			st.Close()

			out, err := runCmd(t, "", append([]string{"app-password", "create", "--mail", "ann@cli.example", "--name", "phone", "--protocols", "imap,smtp"}, db...)...)
			if err != nil || !strings.Contains(out, "for ann@cli.example, imap,smtp (shown once)") {
				t.Fatalf("create: %v %s", err, out)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if secret := lines[len(lines)-1]; len(secret) != 32 {
				t.Fatalf("create printed %q, want the 32-character password last", out)
			}
			out, err = runCmd(t, "", append([]string{"app-password", "list", "--mail", "ann@cli.example"}, db...)...)
			if err != nil || !strings.Contains(out, "phone") || !strings.Contains(out, "imap,smtp") || strings.Contains(out, lines[len(lines)-1]) {
				t.Fatalf("list: %v %s", err, out)
			}
			for _, bad := range [][]string{
				{"app-password", "create"},
				{"app-password", "create", "--mail", "ann@cli.example", "--protocols", "imap,gopher"},
				{"app-password", "create", "--mail", "nobody@cli.example"},
				{"app-password", "list"},
				{"app-password", "revoke"},
				{"app-password", "revoke", "x"},
				{"app-password", "revoke", "999999"},
			} {
				if out, err := runCmd(t, "", append(bad, db...)...); err == nil {
					t.Errorf("%q succeeded: %s", bad, out)
				}
			}
			if out, err := runCmd(t, "", append([]string{"app-password", "revoke", "1"}, db...)...); err != nil || !strings.Contains(out, "revoked") {
				t.Fatalf("revoke: %v %s", err, out)
			}
			if _, err := runCmd(t, "", append([]string{"app-password", "revoke", "1"}, db...)...); err == nil {
				t.Fatal("revoking twice succeeded")
			}
		})
	}
}
