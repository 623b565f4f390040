package sipconfig

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite contrib/kamailio from the templates")

// TestContribMatchesTemplates keeps the ready-made files in contrib/kamailio
// equal to what `switchboard sipconfig` writes for a typical install.
func TestContribMatchesTemplates(t *testing.T) {
	for _, tc := range []struct{ name, url, algorithm string }{
		{"sqlite", "", MD5},
		{"sqlite-sha256", "", SHA256},
		{"pgsql", "postgres://switchboard:CHANGE-ME@127.0.0.1:5432/switchboard?sslmode=disable", MD5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files, err := Render(Options{DatabaseURL: tc.url, DataDir: "/var/lib/switchboard", Dir: "/etc/kamailio",
				Algorithm: tc.algorithm, Listen: "127.0.0.1:5060"})
			if err != nil {
				t.Fatal(err)
			}
			if len(files) != 1 || files[0].Path != "/etc/kamailio/kamailio.cfg" {
				t.Fatalf("files %v, want /etc/kamailio/kamailio.cfg", files)
			}
			golden := filepath.Join("..", "..", "contrib", "kamailio", tc.name, "kamailio.cfg")
			if *update {
				os.MkdirAll(filepath.Dir(golden), 0o755)
				if err := os.WriteFile(golden, files[0].Data, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/sipconfig -update)", err)
			}
			if !bytes.Equal(files[0].Data, want) {
				t.Errorf("%s differs from what sipconfig writes (run go test ./internal/sipconfig -update):\n%s", golden, files[0].Data)
			}
		})
	}
}

func TestSettings(t *testing.T) {
	for _, tc := range []struct {
		name   string
		o      Options
		secret bool
		want   []string
		not    []string
	}{
		{"the embedded SQLite is the data directory's file, one MD5 view",
			Options{DataDir: "/srv/sb", Dir: "/k"}, false,
			[]string{`modparam("usrloc", "db_url", "sqlite:////srv/sb/switchboard.db")`, `auth_check("$var(realm)", "sip_subscribers", "1")`,
				`loadmodule "db_sqlite.so"`, "listen=udp:127.0.0.1:5060", "listen=tcp:127.0.0.1:5060", `modparam("usrloc", "db_mode", 3)`},
			[]string{`"algorithm"`, "disable_tcp"}},
		{"SHA-256 challenges with SHA-256 against its own view",
			Options{DatabaseURL: "sqlite:/db/x.db", Dir: "/k", Algorithm: "sha-256"}, false,
			[]string{`modparam("auth", "algorithm", "SHA-256")`, `auth_check("$var(realm)", "sip_subscribers_sha256", "1")`,
				"FROM sip_subscribers_sha256 WHERE", `"sqlite:////db/x.db"`},
			nil},
		{"PostgreSQL becomes Kamailio's URL without options, and a search_path is explained",
			Options{DatabaseURL: "postgres://sb:s3cret@db.example:6543/mail?sslmode=require&search_path=tenant_a", Dir: "/k",
				Listen: "192.0.2.1:5080", Transports: []string{"udp"}}, true,
			[]string{`"postgres://sb:s3cret@db.example:6543/mail"`, `loadmodule "db_postgres.so"`, "PGOPTIONS=\"-c search_path=tenant_a\"",
				"listen=udp:192.0.2.1:5080", "disable_tcp=yes"},
			[]string{"listen=tcp", "sslmode"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files, err := Render(tc.o)
			if err != nil {
				t.Fatal(err)
			}
			cfg := string(files[0].Data)
			if files[0].Secret != tc.secret {
				t.Errorf("secret %v, want %v", files[0].Secret, tc.secret)
			}
			for _, w := range tc.want {
				if !strings.Contains(cfg, w) {
					t.Errorf("kamailio.cfg lacks %q", w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(cfg, n) {
					t.Errorf("kamailio.cfg holds %q", n)
				}
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"an unknown database scheme", Options{DatabaseURL: "mysql://x/y", Dir: "/k"}, "unsupported database URL"},
		{"an unknown algorithm", Options{Dir: "/k", Algorithm: "SHA-512-256"}, "want MD5 or SHA-256"},
		{"an unknown transport", Options{Dir: "/k", Transports: []string{"tls"}}, "want udp or tcp"},
		{"a listen address without a port", Options{Dir: "/k", Listen: "127.0.0.1"}, "want host:port"},
		{"a listen port out of range", Options{Dir: "/k", Listen: "127.0.0.1:70000"}, "1 to 65535"},
		{"a PostgreSQL socket directory", Options{Dir: "/k", DatabaseURL: "postgres://u@/db?host=/run/postgresql"}, "over TCP"},
		{"a password Kamailio would split", Options{Dir: "/k", DatabaseURL: "postgres://u:a%40b@h/db"}, "cannot take"},
		{"a search_path that is not a plain name", Options{Dir: "/k", DatabaseURL: "postgres://u@h/db?search_path=a%22b"}, "plain schema name"},
		{"a path with a line break", Options{Dir: "/k", DatabaseURL: "sqlite:/a\nlisten=udp:0.0.0.0:5060"}, "line break"},
		{"no directory", Options{}, "no directory"},
	} {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			_, err := Render(tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one saying %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "a@b") {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
}
