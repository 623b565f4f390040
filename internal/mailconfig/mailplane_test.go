package mailconfig_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	msgdkim "github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-smtp"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/dkimmilter"
	"github.com/switchboard/switchboard/internal/httpapi"
	"github.com/switchboard/switchboard/internal/jsonrpc"
	"github.com/switchboard/switchboard/internal/mailconfig"
	"github.com/switchboard/switchboard/internal/maildir"
	"github.com/switchboard/switchboard/internal/notify/smtptest"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
	"github.com/switchboard/switchboard/internal/testenv"
)

// TestMailPlane starts real Dovecot and Postfix on loopback with the files
// mailconfig generates and checks that they obey what the mail admin API
// provisions, without being restarted, on every database backend.
func TestMailPlane(t *testing.T) {
	needMailServers(t)
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			root := sharedTempDir(t)
			dbURL := b.URL(t)
			if b.Name == "sqlite" {
				dbURL = sqliteForMailServers(t, root)
			}
			st, err := store.Open(context.Background(), dbURL, "")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			mailRoot := filepath.Join(root, "mail")
			if err := os.Mkdir(mailRoot, 0o750); err != nil {
				t.Fatal(err)
			}
			chownTo(t, mailRoot, "dovecot")

			api, svc := startAPI(t, st, mailRoot)
			milterAddr := startMilter(t, svc)
			lmtp := freeAddr(t)
			replies := smtptest.Start(t, smtptest.Options{}) // where Pigeonhole's vacation replies go
			o := mailconfig.Options{DatabaseURL: dbURL, MailRoot: mailRoot, LMTP: lmtp, Milter: milterAddr,
				DovecotDir: filepath.Join(root, "dovecot"), PostfixDir: filepath.Join(root, "postfix"),
				SASLSocket: filepath.Join(root, "run", "auth-postfix"), Submission: replies.Addr,
				QuotaStatus: freeAddr(t)}
			if _, err := mailconfig.Write(o); err != nil {
				t.Fatal(err)
			}
			imapAddr := startDovecot(t, root, o)
			smtpAddr := startPostfix(t, root, o)
			checkMailPlane(t, api, imapAddr, smtpAddr, mailRoot)
			t.Run("vacation replies", func(t *testing.T) { checkVacation(t, api, imapAddr, smtpAddr, replies) })
			t.Run("quotas", func(t *testing.T) { checkQuota(t, api, imapAddr, smtpAddr, mailRoot, o) })
		})
	}
}

func checkMailPlane(t *testing.T, api *apiClient, imapAddr, smtpAddr, mailRoot string) {
	const addr = "alice@example.org"
	api.Call("POST", "/domains", url.Values{"domain": {"example.org"}, "username": {addr}, "password": {"first-password-1"}})
	users := api.Call("GET", "/users/1", nil)
	id := int(users["users"].([]any)[0].(map[string]any)["id"].(float64))

	t.Run("the API's password logs in over IMAP and a wrong one does not", func(t *testing.T) {
		wantLogin(t, imapAddr, addr, "first-password-1", true)
		wantLogin(t, imapAddr, addr, "first-password-2", false)
		wantLogin(t, imapAddr, "nobody@example.org", "first-password-1", false)
	})
	t.Run("mail sent to Postfix lands in the INBOX over LMTP", func(t *testing.T) {
		if err := sendMail(smtpAddr, addr, "Hello Alice"); err != nil {
			t.Fatal(err)
		}
		waitForSubject(t, imapAddr, addr, "first-password-1", "Hello Alice")
		if _, err := os.Stat(filepath.Join(mailRoot, "example.org", "alice", "cur")); err != nil {
			t.Errorf("Maildir not at <mail-root>/<domain>/<local>: %v", err)
		}
	})
	t.Run("outgoing mail is DKIM-signed with the domain's active key", func(t *testing.T) {
		key := api.Call("POST", "/dkim/add-new-domain", url.Values{"domain": {"example.org"}, "selector": {"mail1"}})
		record := key["dns_value"].(string)
		if err := sendMailFrom(smtpAddr, addr, addr, "Signed by Switchboard"); err != nil {
			t.Fatal(err)
		}
		raw := waitForMessage(t, imapAddr, addr, "first-password-1", "Signed by Switchboard")
		verifications, err := msgdkim.VerifyWithOptions(bytes.NewReader(raw), &msgdkim.VerifyOptions{
			LookupTXT: func(name string) ([]string, error) {
				if name != "mail1._domainkey.example.org" {
					return nil, fmt.Errorf("no TXT record %s", name)
				}
				return []string{record}, nil
			}})
		if err != nil || len(verifications) != 1 || verifications[0].Err != nil || verifications[0].Domain != "example.org" {
			t.Fatalf("DKIM verification: %v %+v\n%s", err, verifications, raw)
		}
	})
	t.Run("mail to an alias reaches its mailbox", func(t *testing.T) {
		api.Call("POST", "/alias/1", url.Values{"address": {"info@example.org"}, "goto": {addr}})
		if err := sendMail(smtpAddr, "info@example.org", "For the alias"); err != nil {
			t.Fatal(err)
		}
		waitForSubject(t, imapAddr, addr, "first-password-1", "For the alias")
		wantLogin(t, imapAddr, "info@example.org", "first-password-1", false)
	})
	var export []byte
	t.Run("a domain export carries the Maildirs", func(t *testing.T) {
		export = api.raw("GET", "/export/domain?domain=example.org", "", nil, 200)
	})
	t.Run("Postfix refuses unknown mailboxes and foreign domains", func(t *testing.T) {
		wantRejected(t, smtpAddr, "nobody@example.org")
		wantRejected(t, smtpAddr, "someone@not-hosted.example")
	})
	t.Run("a password change takes effect at once", func(t *testing.T) {
		api.Call("POST", "/user-change-password", url.Values{"id": {strconv.Itoa(id)}, "domain_id": {"1"}, "password": {"second-password-2"}})
		wantLogin(t, imapAddr, addr, "first-password-1", false)
		wantLogin(t, imapAddr, addr, "second-password-2", true)
	})
	t.Run("a deactivated mailbox neither logs in nor receives", func(t *testing.T) {
		api.RPC("mail.set", map[string]any{"mail": addr, "active": false})
		wantLogin(t, imapAddr, addr, "second-password-2", false)
		wantRejected(t, smtpAddr, addr)
		api.RPC("mail.set", map[string]any{"mail": addr, "active": true})
		wantLogin(t, imapAddr, addr, "second-password-2", true)
	})
	t.Run("a deleted mailbox neither logs in nor receives", func(t *testing.T) {
		api.Call("DELETE", "/users", url.Values{"email": {addr}})
		wantLogin(t, imapAddr, addr, "second-password-2", false)
		wantRejected(t, smtpAddr, addr)
		// Its only alias went with it, rather than accepting mail to bounce.
		wantRejected(t, smtpAddr, "info@example.org")
		if _, err := os.Stat(filepath.Join(mailRoot, "example.org", "alice")); !os.IsNotExist(err) {
			t.Errorf("the deleted mailbox's Maildir is still in place: %v", err)
		}
		trashed, _ := filepath.Glob(filepath.Join(mailRoot, ".trash", "example.org", "alice.*", "cur"))
		if len(trashed) != 1 {
			t.Errorf("the deleted mailbox's Maildir is not in the trash: %v", trashed)
		}
	})
	t.Run("a deleted domain is no longer hosted", func(t *testing.T) {
		api.Call("POST", "/user/1", url.Values{"email": {"bob@example.org"}, "password": {"bobs-password-1"}})
		wantLogin(t, imapAddr, "bob@example.org", "bobs-password-1", true)
		api.Call("DELETE", "/domain", url.Values{"domain": {"example.org"}})
		wantLogin(t, imapAddr, "bob@example.org", "bobs-password-1", false)
		wantRejected(t, smtpAddr, "bob@example.org")
	})
	t.Run("an imported domain's mail is Dovecot's to read again", func(t *testing.T) {
		if export == nil {
			t.Skip("no export")
		}
		api.raw("POST", "/import/domain", "application/gzip", export, 201)
		subjects, _, err := inbox(imapAddr, addr, "first-password-1")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(subjects, "Hello Alice") || !slices.Contains(subjects, "Signed by Switchboard") {
			t.Fatalf("INBOX after import holds %q", subjects)
		}
		if err := sendMail(smtpAddr, addr, "After the move"); err != nil {
			t.Fatal(err)
		}
		waitForSubject(t, imapAddr, addr, "first-password-1", "After the move")
		if err := sendMail(smtpAddr, "info@example.org", "Alias after the move"); err != nil {
			t.Fatal(err)
		}
		waitForSubject(t, imapAddr, addr, "first-password-1", "Alias after the move")
	})
	checkCompat(t, api, imapAddr, smtpAddr)
	t.Run("app passwords", func(t *testing.T) { checkAppPasswords(t, api, imapAddr, smtpAddr) })
}

// needMailServers skips where Dovecot or Postfix is not installed or the
// test cannot start them as root; in CI it fails instead.
func needMailServers(t *testing.T) {
	t.Helper()
	var missing []string
	for _, bin := range []string{"dovecot", "postfix"} {
		if _, err := exec.LookPath(bin); err != nil {
			if _, err := os.Stat("/usr/sbin/" + bin); err != nil {
				missing = append(missing, bin)
			}
		}
	}
	for _, mod := range []string{"/usr/lib/dovecot/modules/auth/libdriver_sqlite.so", "/usr/lib/dovecot/modules/auth/libdriver_pgsql.so",
		"/usr/lib/dovecot/lmtp", "/usr/lib/dovecot/imap", "/usr/lib/dovecot/modules/lib90_sieve_plugin.so"} {
		if _, err := os.Stat(mod); err != nil {
			missing = append(missing, mod)
		}
	}
	// postconf needs a main.cf; a Postfix installed with "No configuration"
	// has none, so ask about an empty one.
	emptyConf, err := os.MkdirTemp("", "postconf")
	if err == nil {
		defer os.RemoveAll(emptyConf)
		err = os.WriteFile(filepath.Join(emptyConf, "main.cf"), nil, 0o644)
	}
	for _, m := range []string{"sqlite", "pgsql"} {
		if out, err2 := exec.Command("/usr/sbin/postconf", "-c", emptyConf, "-m").Output(); err != nil || err2 != nil || !strings.Contains(string(out), m) {
			missing = append(missing, "postfix-"+m)
		}
	}
	why := ""
	switch {
	case len(missing) > 0:
		why = "not installed: " + strings.Join(missing, ", ") + " (apt-get install dovecot-imapd dovecot-lmtpd dovecot-sieve dovecot-sqlite dovecot-pgsql postfix postfix-sqlite postfix-pgsql)"
	case os.Geteuid() != 0:
		why = "Dovecot and Postfix drop privileges to their own users, which needs root"
	}
	if why == "" {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("mail servers unavailable in CI: %s", why)
	}
	t.Skip("skipping the Dovecot/Postfix integration test: " + why)
}

// sharedTempDir is a temporary directory the mail servers' own users can
// traverse.
func sharedTempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// sqliteForMailServers creates the database file with a mode that lets
// Dovecot's and Postfix's users read it (SQLite gives its -wal and -shm
// files the database file's mode).
func sqliteForMailServers(t *testing.T, root string) string {
	t.Helper()
	dir := filepath.Join(root, "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "switchboard.db")
	if err := os.WriteFile(path, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	return "sqlite:" + path
}

func chownTo(t *testing.T, path, name string) {
	t.Helper()
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(path, uid, gid); err != nil {
		t.Fatal(err)
	}
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

func startDovecot(t *testing.T, root string, o mailconfig.Options) string {
	t.Helper()
	imapAddr := freeAddr(t)
	_, port, _ := net.SplitHostPort(imapAddr)
	for _, d := range []string{"run", "state"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(root, "dovecot.conf")
	logPath := filepath.Join(root, "dovecot.log")
	writeFile(t, conf, fmt.Sprintf(`# A private Dovecot for the test; the Switchboard part is included.
protocols = imap lmtp
listen = 127.0.0.1
base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[2]s
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# Refusals are what the test checks: answer them at once.
auth_failure_delay = 0
hostname = mx.switchboard.test
mail_uid = dovecot
mail_gid = dovecot
first_valid_uid = 1
default_login_user = dovenull
default_internal_user = dovecot
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[3]s
  }
  inet_listener imaps {
    port = 0
  }
}
# The test fails logins on purpose from one IP: no growing auth penalty.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
!include %[4]s/dovecot-switchboard.conf
`, root, logPath, port, o.DovecotDir))
	cmd := exec.Command("dovecot", "-F", "-c", conf)
	cmd.Path = lookBin(t, "dovecot")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		if t.Failed() {
			log, _ := os.ReadFile(logPath)
			t.Logf("dovecot output:\n%s\ndovecot.log:\n%s", out.String(), log)
		}
	})
	waitListening(t, imapAddr, "dovecot IMAP")
	waitListening(t, o.LMTP, "dovecot LMTP")
	return imapAddr
}

func startPostfix(t *testing.T, root string, o mailconfig.Options) string {
	t.Helper()
	smtpAddr := freeAddr(t)
	dir := filepath.Join(root, "postfix-instance")
	queue := filepath.Join(root, "postfix-queue")
	data := filepath.Join(root, "postfix-data")
	for _, d := range []string{dir, queue, data} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	chownTo(t, data, "postfix")
	generated, err := os.ReadFile(filepath.Join(o.PostfixDir, "main.cf.switchboard"))
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(root, "postfix.log")
	writeFile(t, filepath.Join(dir, "main.cf"), fmt.Sprintf(`# A private Postfix for the test; the Switchboard part is appended.
compatibility_level = 3.6
queue_directory = %s
data_directory = %s
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.switchboard.test
mydomain = switchboard.test
myorigin = $myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = reject_unauth_destination
default_transport = error:this test sends no mail out
maillog_file_prefixes = /tmp, %s
maillog_file = %s
biff = no
smtpd_error_sleep_time = 0
%s`, queue, data, root, logPath, generated))
	// Every service runs unchrooted so that it can reach the test's files.
	// SMTP AUTH (plaintext, on loopback) for the app password checks.
	writeFile(t, filepath.Join(dir, "master.cf"), smtpAddr+` inet n - n - - smtpd -o smtpd_sasl_auth_enable=yes
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`)
	postfix := lookBin(t, "postfix")
	if out, err := exec.Command(postfix, "-c", dir, "start").CombinedOutput(); err != nil {
		log, _ := os.ReadFile(logPath)
		t.Fatalf("postfix start: %v\n%s\n%s", err, out, log)
	}
	t.Cleanup(func() {
		exec.Command(postfix, "-c", dir, "stop").Run()
		if t.Failed() {
			log, _ := os.ReadFile(logPath)
			t.Logf("postfix.log:\n%s", log)
		}
	})
	waitListening(t, smtpAddr, "postfix smtpd")
	return smtpAddr
}

func lookBin(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return "/usr/sbin/" + name
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func waitListening(t *testing.T, addr, what string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not listen on %s: %v", what, addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// apiClient talks to a real Switchboard over HTTP as an operator.
type apiClient struct {
	t *testing.T
	*testenv.API
}

func startAPI(t *testing.T, st *store.Store, mailRoot string) (*apiClient, *service.Service) {
	t.Helper()
	svc, _ := testenv.Service(t, st, func(cfg *service.Config) { cfg.Mailboxes = maildir.New(maildir.Config{Root: mailRoot}) })
	srvURL := testenv.Serve(t, httpapi.New(httpapi.Config{Services: svc, JSONRPC: jsonrpc.NewAPI(svc, nil)}))
	if _, err := svc.CreateTenant(context.Background(), sb.SystemActor, "acme", "acme-password-1", sb.RoleTenant); err != nil {
		t.Fatal(err)
	}
	c := &apiClient{t: t, API: testenv.LoginAPI(t, srvURL, "acme", "acme-password-1")}
	return c, svc
}

// startMilter runs the DKIM signing milter as serve does.
func startMilter(t *testing.T, svc *service.Service) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- dkimmilter.Serve(ctx, ln, dkimmilter.Config{Keys: svc, Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("milter: %v", err)
		}
	})
	return ln.Addr().String()
}

// raw sends a body of type ctype (none if "") and returns the answer's body,
// which must have the status want.
func (c *apiClient) raw(method, path, ctype string, body []byte, want int) []byte {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.URL+path, bytes.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Auth-token", c.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		c.t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, data)
	}
	return data
}

func wantLogin(t *testing.T, imapAddr, user, pass string, ok bool) {
	t.Helper()
	c, err := imapclient.DialInsecure(imapAddr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.Login(user, pass).Wait()
	if ok && err != nil {
		t.Errorf("IMAP LOGIN %s: %v, want success", user, err)
	}
	if !ok && err == nil {
		t.Errorf("IMAP LOGIN %s succeeded, want refusal", user)
	}
}

func sendMail(smtpAddr, to, subject string) error {
	return sendMailFrom(smtpAddr, "carol@sender.example", to, subject)
}

func sendMailFrom(smtpAddr, from, to, subject string) error {
	msg := "From: " + from + "\r\nTo: " + to + "\r\nSubject: " + subject + "\r\n\r\nSent through Postfix,\r\nwith two lines.\r\n"
	c, err := smtp.Dial(smtpAddr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	if err := c.Rcpt(to, nil); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

func wantRejected(t *testing.T, smtpAddr, rcpt string) {
	t.Helper()
	c, err := smtp.Dial(smtpAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail("carol@sender.example", nil); err != nil {
		t.Fatal(err)
	}
	err = c.Rcpt(rcpt, nil)
	if err == nil {
		t.Errorf("Postfix accepted RCPT TO:<%s>, want a refusal", rcpt)
		return
	}
	if se, ok := err.(*smtp.SMTPError); !ok || se.Code < 500 {
		t.Errorf("RCPT TO:<%s>: %v, want a permanent 5xx refusal", rcpt, err)
	}
}

func waitForSubject(t *testing.T, imapAddr, user, pass, subject string) {
	t.Helper()
	waitForMessage(t, imapAddr, user, pass, subject)
}

// waitForMessage returns the raw message with subject once it is in INBOX.
func waitForMessage(t *testing.T, imapAddr, user, pass, subject string) []byte {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		subjects, raws, err := inbox(imapAddr, user, pass)
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range subjects {
			if s == subject {
				return raws[i]
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q not in INBOX after 20 s; INBOX holds %q", subject, subjects)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// inbox returns the subjects and raw messages in INBOX.
func inbox(imapAddr, user, pass string) ([]string, [][]byte, error) {
	c, err := imapclient.DialInsecure(imapAddr, nil)
	if err != nil {
		return nil, nil, err
	}
	defer c.Close()
	if err := c.Login(user, pass).Wait(); err != nil {
		return nil, nil, fmt.Errorf("login: %w", err)
	}
	box, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		return nil, nil, err
	}
	if box.NumMessages == 0 {
		return nil, nil, nil
	}
	whole := &imap.FetchItemBodySection{Peek: true}
	var all imap.SeqSet
	all.AddRange(1, box.NumMessages)
	msgs, err := c.Fetch(all, &imap.FetchOptions{Envelope: true,
		BodySection: []*imap.FetchItemBodySection{whole}}).Collect()
	if err != nil {
		return nil, nil, err
	}
	var subjects []string
	var raws [][]byte
	for _, m := range msgs {
		subjects = append(subjects, m.Envelope.Subject)
		raws = append(raws, m.FindBodySection(whole))
	}
	return subjects, raws, c.Logout().Wait()
}
