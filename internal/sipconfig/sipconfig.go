// Package sipconfig writes the Kamailio configuration that makes Kamailio
// 5.6 the registrar and proxy of Switchboard's SIP accounts: it
// authenticates against the sip_subscribers views and keeps its bindings in
// the location table, both in Switchboard's own database.
package sipconfig

import (
	"bytes"
	"embed"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"

	"github.com/switchboard/switchboard/internal/configfile"
)

//go:embed templates/*.tmpl
var templates embed.FS

// The digest algorithms a configuration can challenge with; Kamailio 5.6
// offers one per server.
const (
	MD5    = "MD5"
	SHA256 = "SHA-256"
)

// Options say where the database is and how Kamailio listens.
type Options struct {
	// DatabaseURL is the store's URL as given to serve: "" (the embedded
	// SQLite at <DataDir>/switchboard.db), sqlite:PATH or postgres://...
	DatabaseURL string
	// DataDir is serve's --data.
	DataDir string
	// Dir is where kamailio.cfg is written.
	Dir string
	// Algorithm is MD5 (the default) or SHA-256.
	Algorithm string
	// Listen is the host:port Kamailio listens on (default 127.0.0.1:5060).
	Listen string
	// Transports are udp and/or tcp (default both).
	Transports []string
}

// File is one generated file.
type File = configfile.File

// PG is what the template says about a PostgreSQL URL: the part Kamailio
// cannot take (search_path) and the user it would be set for.
type PG struct{ User, Password, Schema string }

// params is what the template sees.
type params struct {
	DBURL, DBModule string
	SQLitePath      string
	Algorithm       string
	Listen          []string
	TCP             bool
	PG              PG
}

// SHA256 reports whether the configuration challenges with SHA-256.
func (p params) SHA256() bool { return p.Algorithm == SHA256 }

// AlgorithmName names the HA1 the view holds.
func (p params) AlgorithmName() string { return p.Algorithm }

// Table is the view auth_db reads for the algorithm.
func (p params) Table() string { return Table(p.Algorithm) }

// Table is the view of the accounts that have the HA1 of algorithm.
func Table(algorithm string) string {
	if algorithm == SHA256 {
		return "sip_subscribers_sha256"
	}
	return "sip_subscribers"
}

// Algorithm canonicalises a --algorithm value ("" is MD5).
func Algorithm(s string) (string, error) {
	switch strings.ToUpper(s) {
	case "", "MD5":
		return MD5, nil
	case "SHA-256", "SHA256":
		return SHA256, nil
	}
	return "", fmt.Errorf("algorithm %q: want MD5 or SHA-256", s)
}

// Render returns the files for o without writing them.
func Render(o Options) ([]File, error) {
	p, err := resolve(o)
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, err
	}
	t, err := template.New("").ParseFS(templates, "templates/*.tmpl")
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "kamailio.cfg.tmpl", p); err != nil {
		return nil, fmt.Errorf("render kamailio.cfg: %w", err)
	}
	return []File{{Path: filepath.Join(dir, "kamailio.cfg"), Data: b.Bytes(), Secret: p.PG.Password != ""}}, nil
}

// Write renders the files and writes them, readable by their owner and
// group only when they hold a database password.
func Write(o Options) ([]File, error) {
	files, err := Render(o)
	if err != nil {
		return nil, err
	}
	if err := configfile.Write(files); err != nil {
		return nil, err
	}
	return files, nil
}

func resolve(o Options) (params, error) {
	var p params
	var err error
	if o.Dir == "" {
		return p, fmt.Errorf("no directory given for kamailio.cfg")
	}
	for _, v := range []string{o.Dir, o.DatabaseURL, o.DataDir, o.Listen} {
		if strings.ContainsAny(v, "\n\r\"") {
			return p, fmt.Errorf("a path, address or URL holds a line break or a double quote")
		}
	}
	if p.Algorithm, err = Algorithm(o.Algorithm); err != nil {
		return p, err
	}
	listen := o.Listen
	if listen == "" {
		listen = "127.0.0.1:5060"
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil || host == "" {
		return p, fmt.Errorf("listen address %q: want host:port", listen)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return p, fmt.Errorf("listen address %q: the port is not a number from 1 to 65535", listen)
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	transports := o.Transports
	if len(transports) == 0 {
		transports = []string{"udp", "tcp"}
	}
	seen := map[string]bool{}
	for _, tr := range transports {
		tr = strings.ToLower(strings.TrimSpace(tr))
		if tr != "udp" && tr != "tcp" {
			return p, fmt.Errorf("transport %q: want udp or tcp", tr)
		}
		if seen[tr] {
			continue
		}
		seen[tr] = true
		p.TCP = p.TCP || tr == "tcp"
		p.Listen = append(p.Listen, tr+":"+host+":"+port)
	}
	u := o.DatabaseURL
	switch {
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		p.DBModule = "db_postgres"
		p.DBURL, p.PG, err = kamailioPG(u)
		return p, err
	case u == "" || strings.HasPrefix(u, "sqlite:") || strings.HasPrefix(u, "file:"):
		path := strings.TrimPrefix(strings.TrimPrefix(u, "sqlite:"), "file:")
		path = strings.TrimPrefix(path, "//")
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
		if path == "" {
			dir := o.DataDir
			if dir == "" {
				dir = "."
			}
			path = filepath.Join(dir, "switchboard.db")
		}
		if path, err = filepath.Abs(path); err != nil {
			return p, err
		}
		p.DBModule, p.SQLitePath = "db_sqlite", path
		// Kamailio's URL is scheme://[user:pass@]host/database with an
		// empty host; the database is the absolute path.
		p.DBURL = "sqlite:///" + path
		return p, nil
	default:
		return p, fmt.Errorf("unsupported database URL scheme (want postgres://, sqlite: or empty)")
	}
}

// kamailioPG turns a PostgreSQL URL into Kamailio's postgres://user:pass@
// host:port/db, which takes no options: sslmode and the rest are left to
// libpq's defaults and environment (PGSSLMODE, PGOPTIONS).
func kamailioPG(raw string) (string, PG, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", PG{}, fmt.Errorf("database URL is not a valid URL")
	}
	q := u.Query()
	host, port := u.Hostname(), u.Port()
	if h := q.Get("host"); h != "" {
		host = h
	}
	if host == "" || strings.HasPrefix(host, "/") {
		return "", PG{}, fmt.Errorf("database URL: Kamailio connects over TCP; give host:port, not a socket directory")
	}
	if port == "" {
		port = "5432"
	}
	if _, err := strconv.Atoi(port); err != nil {
		return "", PG{}, fmt.Errorf("database URL port %q is not a number", port)
	}
	user := u.User.Username()
	pass, _ := u.User.Password()
	db := strings.TrimPrefix(u.Path, "/")
	if db == "" {
		db = user
	}
	// Kamailio splits its URL at ':', '@' and '/' without unescaping.
	for _, v := range []string{user, pass, db} {
		if strings.ContainsAny(v, ":@/ \t\"\n\r") {
			return "", PG{}, fmt.Errorf("database URL: Kamailio cannot take a user, password or database name holding ':', '@', '/', a space or a quote")
		}
	}
	pg := PG{User: user, Password: pass}
	if sp := q.Get("search_path"); sp != "" {
		pg.Schema = strings.TrimSpace(strings.Split(sp, ",")[0])
		if !validIdent(pg.Schema) {
			return "", PG{}, fmt.Errorf("search_path %q: want a plain schema name", pg.Schema)
		}
	}
	cred := user
	if pass != "" {
		cred += ":" + pass
	}
	if cred != "" {
		cred += "@"
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return "postgres://" + cred + host + ":" + port + "/" + db, pg, nil
}

func validIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
