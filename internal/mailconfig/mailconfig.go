// Package mailconfig writes the Dovecot and Postfix configuration that lets
// the mail servers read Switchboard's accounts straight from its database,
// through the mail_users, mail_domains, mail_aliases and mail_app_passwords
// views, and Postfix's SMTP AUTH through Dovecot's auth socket.
package mailconfig

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

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/configfile"
)

//go:embed templates/*.tmpl
var templates embed.FS

// Options say where the database, the mail and the configuration live.
type Options struct {
	// DatabaseURL is the store's URL as given to serve: "" (the embedded
	// SQLite at <DataDir>/switchboard.db), sqlite:PATH or postgres://...
	DatabaseURL string
	// DataDir is serve's --data.
	DataDir string
	// MailRoot holds one Maildir per account at <MailRoot>/<domain>/<local>/.
	MailRoot string
	// DovecotDir and PostfixDir are where the files are written and where
	// the servers will read them from ("" skips that server).
	DovecotDir, PostfixDir string
	// LMTP is the host:port Dovecot's LMTP listens on and Postfix delivers to.
	LMTP string
	// Milter is the host:port of serve's DKIM signing milter
	// (--milter-listen); "" leaves Postfix's milters alone.
	Milter string
	// SASLSocket is the Dovecot auth socket Postfix's smtpd asks for SMTP
	// AUTH (default DefaultSASLSocket). Under Postfix's queue directory
	// /var/spool/postfix/ it is given to Postfix relative to it, which a
	// chrooted smtpd finds too.
	SASLSocket string
	// Submission is the host:port of the SMTP server that Pigeonhole hands
	// vacation replies to (Dovecot's submission_host), normally Postfix's
	// smtpd; "" leaves them to sendmail_path, Postfix's sendmail.
	Submission string
	// QuotaStatus is the host:port of Dovecot's quota-status policy
	// service, which Postfix asks at RCPT TO; "" runs none (LMTP still
	// refuses mail to a full mailbox, and Postfix bounces it).
	QuotaStatus string
}

// DefaultSASLSocket is where Dovecot listens for Postfix's SMTP AUTH.
const DefaultSASLSocket = "/var/spool/postfix/private/auth"

// postfixQueueDir is Debian's queue_directory, where a chrooted smtpd lives.
const postfixQueueDir = "/var/spool/postfix/"

// PG is a PostgreSQL connection split into the parts both servers take.
type PG struct {
	Host, Port, DBName, User, Password, SSLMode, Schema string
}

// params is what the templates see.
type params struct {
	Options
	SQLitePath         string
	PG                 PG
	LMTPHost, LMTPPort string
	// QuotaStatusHost and QuotaStatusPort split QuotaStatus.
	QuotaStatusHost, QuotaStatusPort string
}

func (p params) postgres() bool { return p.SQLitePath == "" }

// AppPasswordHandleLen is how many leading characters of an app password
// name its row (its handle).
func (p params) AppPasswordHandleLen() int { return auth.AppPasswordHandleLen }

// PostfixSASLPath is smtpd_sasl_path: the socket relative to the queue
// directory when it is inside it, else the absolute path.
func (p params) PostfixSASLPath() string {
	if rel, ok := strings.CutPrefix(p.SASLSocket, postfixQueueDir); ok && rel != "" {
		return rel
	}
	return p.SASLSocket
}

// View names a view, schema-qualified when the database URL sets a
// search_path, since neither Dovecot nor Postfix can set one.
func (p params) View(name string) string {
	if p.PG.Schema != "" {
		return `"` + p.PG.Schema + `".` + name
	}
	return name
}

// DovecotDriver is Dovecot's SQL driver name.
func (p params) DovecotDriver() string {
	if p.postgres() {
		return "pgsql"
	}
	return "sqlite"
}

// PostfixDriver is Postfix's lookup table type.
func (p params) PostfixDriver() string { return p.DovecotDriver() }

// DovecotConnect is Dovecot's connect setting: a path for SQLite, a libpq
// keyword string for PostgreSQL.
func (p params) DovecotConnect() string {
	if !p.postgres() {
		return p.SQLitePath
	}
	var b strings.Builder
	kv := func(k, v string) {
		if v == "" {
			return
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		if strings.ContainsAny(v, ` '\`) {
			v = "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
		}
		b.WriteString(k + "=" + v)
	}
	kv("host", p.PG.Host)
	kv("port", p.PG.Port)
	kv("dbname", p.PG.DBName)
	kv("user", p.PG.User)
	kv("password", p.PG.Password)
	kv("sslmode", p.PG.SSLMode)
	return b.String()
}

// PostfixHosts is the hosts setting of a pgsql: table.
func (p params) PostfixHosts() string {
	if strings.HasPrefix(p.PG.Host, "/") {
		return "unix:" + p.PG.Host + "/.s.PGSQL." + p.PG.Port
	}
	return "inet:" + net.JoinHostPort(p.PG.Host, p.PG.Port)
}

// File is one generated file.
type File = configfile.File

// Render returns the files for o without writing them.
func Render(o Options) ([]File, error) {
	p, err := resolve(o)
	if err != nil {
		return nil, err
	}
	t, err := template.New("").ParseFS(templates, "templates/*.tmpl")
	if err != nil {
		return nil, err
	}
	secret := p.PG.Password != ""
	var files []File
	add := func(dir, name, tmpl string, data any, secret bool) error {
		var b bytes.Buffer
		if err := t.ExecuteTemplate(&b, tmpl, data); err != nil {
			return fmt.Errorf("render %s: %w", name, err)
		}
		files = append(files, File{Path: filepath.Join(dir, name), Data: b.Bytes(), Secret: secret})
		return nil
	}
	if o.DovecotDir != "" {
		if err := add(o.DovecotDir, "dovecot-switchboard.conf", "dovecot-switchboard.conf.tmpl", p, false); err != nil {
			return nil, err
		}
		if err := add(o.DovecotDir, "dovecot-switchboard-sql.conf.ext", "dovecot-switchboard-sql.conf.ext.tmpl", p, secret); err != nil {
			return nil, err
		}
		if err := add(o.DovecotDir, "dovecot-switchboard-apppw-sql.conf.ext", "dovecot-switchboard-apppw-sql.conf.ext.tmpl", p, secret); err != nil {
			return nil, err
		}
		if err := add(o.DovecotDir, "dovecot-switchboard-dict-sieve.conf.ext", "dovecot-switchboard-dict-sieve.conf.ext.tmpl", p, secret); err != nil {
			return nil, err
		}
		if err := add(o.DovecotDir, "dovecot-switchboard-dict-sql.conf.ext", "dovecot-switchboard-dict-sql.conf.ext.tmpl", p, secret); err != nil {
			return nil, err
		}
	}
	if o.PostfixDir != "" {
		if err := add(o.PostfixDir, "main.cf.switchboard", "main.cf.switchboard.tmpl", p, false); err != nil {
			return nil, err
		}
		maps := []struct{ name, comment, query string }{
			{"virtual-mailbox-domains", "virtual_mailbox_domains: the domains Switchboard hosts.",
				"SELECT domain FROM " + p.View("mail_domains") + " WHERE domain = '%s'"},
			{"virtual-mailbox-maps", "virtual_mailbox_maps: active mailboxes (the value is unused with LMTP delivery).",
				"SELECT domain || '/' || local || '/' FROM " + p.View("mail_users") + " WHERE email = '%s'"},
			{"virtual-alias-maps", "virtual_alias_maps: address -> destination address.",
				"SELECT destination FROM " + p.View("mail_aliases") + " WHERE source = '%s'"},
		}
		for _, m := range maps {
			data := struct {
				params
				Comment, Query string
			}{p, m.comment, m.query}
			if err := add(o.PostfixDir, p.PostfixDriver()+"-"+m.name+".cf", "map.cf.tmpl", data, secret); err != nil {
				return nil, err
			}
		}
	}
	return files, nil
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
	p := params{Options: o}
	var err error
	for _, dir := range []*string{&p.MailRoot, &p.DovecotDir, &p.PostfixDir} {
		if *dir == "" {
			continue
		}
		if *dir, err = filepath.Abs(*dir); err != nil {
			return p, err
		}
	}
	for _, v := range []string{p.MailRoot, p.DovecotDir, p.PostfixDir, p.LMTP, p.Milter, p.SASLSocket, p.Submission, p.QuotaStatus, o.DatabaseURL, o.DataDir} {
		if strings.ContainsAny(v, "\n\r") {
			return p, fmt.Errorf("a path or URL holds a line break")
		}
	}
	if p.MailRoot == "" {
		return p, fmt.Errorf("no mail root given")
	}
	if p.SASLSocket == "" {
		p.SASLSocket = DefaultSASLSocket
	}
	if !filepath.IsAbs(p.SASLSocket) {
		return p, fmt.Errorf("--sasl-socket %q: want an absolute path", p.SASLSocket)
	}
	p.SASLSocket = filepath.Clean(p.SASLSocket)
	if p.LMTP == "" {
		p.LMTP = "127.0.0.1:24"
	}
	if p.LMTPHost, p.LMTPPort, err = net.SplitHostPort(p.LMTP); err != nil {
		return p, fmt.Errorf("--lmtp %q: want host:port", p.LMTP)
	}
	if p.Milter != "" {
		if _, _, err := net.SplitHostPort(p.Milter); err != nil {
			return p, fmt.Errorf("--milter %q: want host:port", p.Milter)
		}
	}
	if p.Submission != "" {
		if _, _, err := net.SplitHostPort(p.Submission); err != nil {
			return p, fmt.Errorf("--submission %q: want host:port", p.Submission)
		}
	}
	if p.QuotaStatus != "" {
		if p.QuotaStatusHost, p.QuotaStatusPort, err = net.SplitHostPort(p.QuotaStatus); err != nil {
			return p, fmt.Errorf("--quota-status %q: want host:port", p.QuotaStatus)
		}
	}
	u := o.DatabaseURL
	switch {
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		p.PG, err = parsePG(u)
		return p, err
	case u == "" || strings.HasPrefix(u, "sqlite:") || strings.HasPrefix(u, "file:"):
		path := strings.TrimPrefix(strings.TrimPrefix(u, "sqlite:"), "file:")
		path = strings.TrimPrefix(path, "//")
		if path == "" {
			dir := o.DataDir
			if dir == "" {
				dir = "."
			}
			path = filepath.Join(dir, "switchboard.db")
		}
		p.SQLitePath, err = filepath.Abs(path)
		return p, err
	default:
		return p, fmt.Errorf("unsupported database URL scheme (want postgres://, sqlite: or empty)")
	}
}

func parsePG(raw string) (PG, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return PG{}, fmt.Errorf("database URL is not a valid URL")
	}
	q := u.Query()
	pg := PG{Host: u.Hostname(), Port: u.Port(), DBName: strings.TrimPrefix(u.Path, "/"),
		User: u.User.Username(), SSLMode: q.Get("sslmode")}
	pg.Password, _ = u.User.Password()
	if h := q.Get("host"); h != "" {
		pg.Host = h
	}
	if pg.Host == "" {
		pg.Host = "/var/run/postgresql"
	}
	if pg.Port == "" {
		pg.Port = "5432"
	}
	if _, err := strconv.Atoi(pg.Port); err != nil {
		return PG{}, fmt.Errorf("database URL port %q is not a number", pg.Port)
	}
	if pg.DBName == "" {
		pg.DBName = pg.User
	}
	if sp := q.Get("search_path"); sp != "" {
		pg.Schema = strings.TrimSpace(strings.Split(sp, ",")[0])
		if !validIdent(pg.Schema) {
			return PG{}, fmt.Errorf("search_path %q: want a plain schema name", pg.Schema)
		}
	}
	for _, v := range []string{pg.Host, pg.DBName, pg.User} {
		if strings.ContainsAny(v, "\n\r") {
			return PG{}, fmt.Errorf("database URL holds a line break")
		}
	}
	if strings.ContainsAny(pg.Password, "\n\r") {
		return PG{}, fmt.Errorf("database password holds a line break")
	}
	return pg, nil
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
