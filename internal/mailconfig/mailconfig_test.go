package mailconfig

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite contrib/ from the templates")

// TestContribMatchesTemplates keeps the ready-made files in contrib/ equal
// to what `switchboard mailconfig` writes for a typical install.
func TestContribMatchesTemplates(t *testing.T) {
	for _, tc := range []struct{ driver, url string }{
		{"sqlite", ""},
		{"pgsql", "postgres://switchboard:CHANGE-ME@127.0.0.1:5432/switchboard?sslmode=disable"},
	} {
		t.Run(tc.driver, func(t *testing.T) {
			files, err := Render(Options{DatabaseURL: tc.url, DataDir: "/var/lib/switchboard",
				MailRoot: "/var/vmail", DovecotDir: "/etc/dovecot/switchboard",
				PostfixDir: "/etc/postfix/switchboard", LMTP: "127.0.0.1:24", Milter: "127.0.0.1:8891",
				QuotaStatus: "127.0.0.1:12340"})
			if err != nil {
				t.Fatal(err)
			}
			if len(files) != 9 {
				t.Fatalf("%d files, want 9", len(files))
			}
			for _, f := range files {
				server := "postfix"
				if strings.HasPrefix(f.Path, "/etc/dovecot/") {
					server = "dovecot"
				}
				golden := filepath.Join("..", "..", "contrib", server, tc.driver, filepath.Base(f.Path))
				if *update {
					os.MkdirAll(filepath.Dir(golden), 0o755)
					if err := os.WriteFile(golden, f.Data, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test ./internal/mailconfig -update)", err)
				}
				if !bytes.Equal(f.Data, want) {
					t.Errorf("%s differs from what mailconfig writes (run go test ./internal/mailconfig -update):\n%s", golden, f.Data)
				}
			}
		})
	}
}

func TestPostgresSettings(t *testing.T) {
	files, err := Render(Options{DatabaseURL: "postgres://sb:it's%20secret@db.example:6543/mail?search_path=tenant_a&sslmode=require",
		MailRoot: "/m", DovecotDir: "/d", PostfixDir: "/p"})
	if err != nil {
		t.Fatal(err)
	}
	all := map[string]string{}
	for _, f := range files {
		all[filepath.Base(f.Path)] = string(f.Data)
		if !f.Secret {
			if strings.Contains(string(f.Data), "secret") {
				t.Errorf("%s holds the password but is not marked secret", f.Path)
			}
		}
	}
	for file, want := range map[string]string{
		"dovecot-switchboard-sql.conf.ext":        `connect = host=db.example port=6543 dbname=mail user=sb password='it\'s secret' sslmode=require`,
		"pgsql-virtual-mailbox-maps.cf":           `FROM "tenant_a".mail_users WHERE email = '%s'`,
		"pgsql-virtual-alias-maps.cf":             "hosts = inet:db.example:6543\nuser = sb\npassword = it's secret\ndbname = mail",
		"main.cf.switchboard":                     "virtual_transport = lmtp:inet:127.0.0.1:24",
		"dovecot-switchboard-apppw-sql.conf.ext":  `FROM "tenant_a".mail_app_passwords WHERE email = '%u' AND handle = '%8w' AND protocol = '%s'`,
		"dovecot-switchboard-dict-sieve.conf.ext": "connect = host=db.example port=6543 dbname=mail user=sb password='it\\'s secret' sslmode=require\n\nmap {\n  pattern = priv/sieve/name/$name\n  table = \"tenant_a\".mail_sieve_scripts",
		"dovecot-switchboard-dict-sql.conf.ext":   "connect = host=db.example port=6543 dbname=mail user=sb password='it\\'s secret' sslmode=require\n\nmap {\n  pattern = priv/quota/storage\n  table = \"tenant_a\".quota_usage",
	} {
		if !strings.Contains(all[file], want) {
			t.Errorf("%s lacks %q:\n%s", file, want, all[file])
		}
	}
}

func TestRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"an unknown database scheme", Options{DatabaseURL: "mysql://x/y", MailRoot: "/m", DovecotDir: "/d"}, "unsupported database URL"},
		{"a search_path that is not a plain name", Options{DatabaseURL: "postgres://u@h/db?search_path=a%22b", MailRoot: "/m", DovecotDir: "/d"}, "plain schema name"},
		{"an LMTP address without a port", Options{MailRoot: "/m", DovecotDir: "/d", LMTP: "localhost"}, "want host:port"},
		{"a mail root with a line break", Options{MailRoot: "/m\nmail_location = x", DovecotDir: "/d"}, "line break"},
		{"a password with a line break", Options{DatabaseURL: "postgres://u:a%0Ab@h/db", MailRoot: "/m", DovecotDir: "/d"}, "line break"},
		{"no mail root", Options{DovecotDir: "/d"}, "no mail root"},
	} {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			_, err := Render(tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

// The SASL socket is given to Postfix relative to its queue directory when
// it lies inside it (a chrooted smtpd sees only that tree), else as it is.
func TestSASLSocketPath(t *testing.T) {
	for _, tc := range []struct{ socket, dovecot, postfix string }{
		{"", "unix_listener /var/spool/postfix/private/auth {", "smtpd_sasl_path = private/auth\n"},
		{"/var/spool/postfix/private/dovecot-auth", "unix_listener /var/spool/postfix/private/dovecot-auth {", "smtpd_sasl_path = private/dovecot-auth\n"},
		{"/run/dovecot/auth-postfix", "unix_listener /run/dovecot/auth-postfix {", "smtpd_sasl_path = /run/dovecot/auth-postfix\n"},
	} {
		t.Run("socket "+tc.socket, func(t *testing.T) {
			files, err := Render(Options{MailRoot: "/m", DovecotDir: "/d", PostfixDir: "/p", SASLSocket: tc.socket})
			if err != nil {
				t.Fatal(err)
			}
			all := map[string]string{}
			for _, f := range files {
				all[filepath.Base(f.Path)] = string(f.Data)
			}
			if !strings.Contains(all["dovecot-switchboard.conf"], tc.dovecot) {
				t.Errorf("dovecot-switchboard.conf lacks %q:\n%s", tc.dovecot, all["dovecot-switchboard.conf"])
			}
			if !strings.Contains(all["main.cf.switchboard"], "smtpd_sasl_type = dovecot\n") || !strings.Contains(all["main.cf.switchboard"], tc.postfix) {
				t.Errorf("main.cf.switchboard lacks %q:\n%s", tc.postfix, all["main.cf.switchboard"])
			}
		})
	}
	for _, bad := range []string{"private/auth", "/run/auth\nsmtpd_sasl_auth_enable = yes"} {
		if _, err := Render(Options{MailRoot: "/m", DovecotDir: "/d", PostfixDir: "/p", SASLSocket: bad}); err == nil {
			t.Errorf("SASL socket %q accepted", bad)
		}
	}
}
