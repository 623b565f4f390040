package sipconfig_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // reads the location table Kamailio writes
	_ "modernc.org/sqlite"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/digest"
	"github.com/switchboard/switchboard/internal/httpapi"
	"github.com/switchboard/switchboard/internal/jsonrpc"
	"github.com/switchboard/switchboard/internal/sipconfig"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
	"github.com/switchboard/switchboard/internal/testenv"
)

const sipDomain = "sip.example.org"

// TestSIPPlane starts a private Kamailio on loopback with the configuration
// sipconfig generates and checks, with sipp as the phones, that it
// registers and routes the accounts the API provisions, on every database
// backend and for both digest algorithms.
func TestSIPPlane(t *testing.T) {
	needKamailio(t)
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			bt := t // the Kamailio of the later subtests outlives the one that restarts it
			root := t.TempDir()
			dbURL := b.URL(t)
			st, err := store.Open(context.Background(), dbURL, "")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			db := openRaw(t, dbURL)
			api := startAPI(t, st)
			api.Call("POST", "/domains", url.Values{"domain": {sipDomain}, "username": {"alice@" + sipDomain}, "password": {"alice-password-1"}})
			api.Call("POST", "/user/1", url.Values{"email": {"bob@" + sipDomain}, "password": {"bobs-password-1"}})
			api.Call("POST", "/user/1", url.Values{"email": {"carol@" + sipDomain}, "password": {"carols-password-1"}})

			t.Run("SHA-256", func(t *testing.T) {
				k := startKamailio(t, root, "sha256", dbURL, sipconfig.SHA256)
				port := freeUDPPort(t)
				t.Run("a wrong password is challenged, then refused", func(t *testing.T) {
					if code := goRegister(t, k.addr, port, "alice", "not-her-password", 3600); code != 401 && code != 403 {
						t.Fatalf("REGISTER with a wrong password: %d, want 401 or 403", code)
					}
				})
				t.Run("the right password registers", func(t *testing.T) {
					if code := goRegister(t, k.addr, port, "alice", "alice-password-1", 3600); code != 200 {
						t.Fatalf("REGISTER: %d, want 200", code)
					}
					if n := len(bindings(t, db, "alice")); n != 1 {
						t.Fatalf("%d bindings after REGISTER, want 1", n)
					}
					if code := goRegister(t, k.addr, port, "alice", "alice-password-1", 0); code != 200 {
						t.Fatalf("REGISTER with Expires 0: %d, want 200", code)
					}
					if n := len(bindings(t, db, "alice")); n != 0 {
						t.Fatalf("%d bindings after Expires 0, want 0", n)
					}
				})
				k.stop(t)
			})

			k := startKamailio(t, root, "md5", dbURL, sipconfig.MD5)
			alice1 := device{user: "alice", password: "alice-password-1", port: freeUDPPort(t),
				instance: "urn:uuid:0a1b2c3d-0000-4000-8000-00000000a11c", ua: "Linphone-Android/5.2.5 (Pixel 7) LinphoneSDK/5.3.47",
				uriParams: ";pn-provider=fcm;pn-param=switchboard-test;pn-prid=fcm-token-123"}
			alice2 := device{user: "alice", password: "alice-password-1", port: freeUDPPort(t),
				instance: "urn:uuid:0a1b2c3d-0000-4000-8000-00000000a11d", ua: "Linphone-Desktop/5.2.6 (Debian) LinphoneSDK/5.3.47",
				uriParams: ";transport=udp"}
			bob := device{user: "bob", password: "bobs-password-1", port: freeUDPPort(t),
				instance: "urn:uuid:0a1b2c3d-0000-4000-8000-000000000b0b", ua: "sipp UAS", uriParams: ";transport=udp"}

			t.Run("a wrong password is challenged, then refused", func(t *testing.T) {
				wrong := alice1
				wrong.password = "not-her-password"
				k.sipp(t, "register_refused.xml", wrong.port, wrong.registerArgs(3600)...)
				if n := len(bindings(t, db, "alice")); n != 0 {
					t.Errorf("%d bindings after a refused REGISTER, want 0", n)
				}
			})
			t.Run("two devices of one account register with their instance, push parameters and User-Agent", func(t *testing.T) {
				k.sipp(t, "register.xml", alice1.port, alice1.registerArgs(3600)...)
				k.sipp(t, "register.xml", alice2.port, alice2.registerArgs(3600)...)
				got := bindings(t, db, "alice")
				if len(got) != 2 {
					t.Fatalf("bindings %+v, want 2", got)
				}
				for _, d := range []device{alice1, alice2} {
					b, ok := got["<"+d.instance+">"]
					if !ok {
						t.Fatalf("no binding with +sip.instance %s in %+v", d.instance, got)
					}
					if b.userAgent != d.ua || !strings.Contains(b.contact, d.uriParams) || !strings.Contains(b.contact, ":"+strconv.Itoa(d.port)) {
						t.Errorf("binding %+v, want contact with port %d and %q, User-Agent %q", b, d.port, d.uriParams, d.ua)
					}
					if b.domain != sipDomain {
						t.Errorf("binding domain %q, want %s", b.domain, sipDomain)
					}
				}
				// The phone user sees them through the SIP API, as curl --digest does.
				status, body := api.curlDigest(t, "GET", "/api/accounts/me/devices", alice1)
				var devices map[string]struct {
					UUID      string `json:"uuid"`
					Contact   string `json:"contact"`
					UserAgent string `json:"user_agent"`
					ExpiresAt string `json:"expires_at"`
					Push      *struct{ Provider, Param, Prid string }
				}
				if status != 200 || json.Unmarshal(body, &devices) != nil || len(devices) != 2 {
					t.Fatalf("GET /api/accounts/me/devices: %d %s, want both devices", status, body)
				}
				for _, d := range []device{alice1, alice2} {
					got, ok := devices[d.instance]
					if !ok || got.UUID != d.instance || got.UserAgent != d.ua || !strings.Contains(got.Contact, ":"+strconv.Itoa(d.port)) || got.ExpiresAt == "" {
						t.Errorf("device %s: %+v (in %s)", d.instance, got, body)
					}
				}
				if p := devices[alice1.instance].Push; p == nil || p.Provider != "fcm" || p.Param != "switchboard-test" || p.Prid != "fcm-token-123" {
					t.Errorf("push of %s: %+v, want fcm switchboard-test fcm-token-123", alice1.instance, p)
				}
				if p := devices[alice2.instance].Push; p != nil {
					t.Errorf("push of %s: %+v, want none", alice2.instance, p)
				}
			})
			t.Run("Expires 0 un-registers one device and leaves the other", func(t *testing.T) {
				k.sipp(t, "register.xml", alice2.port, alice2.registerArgs(0)...)
				got := bindings(t, db, "alice")
				if _, ok := got["<"+alice2.instance+">"]; ok || len(got) != 1 {
					t.Fatalf("bindings %+v, want only %s", got, alice1.instance)
				}
			})
			t.Run("an INVITE between two registered accounts reaches the callee's phone", func(t *testing.T) {
				k.sipp(t, "register.xml", bob.port, bob.registerArgs(3600)...)
				k.call(t, alice1, "bob", bob.port)
			})
			t.Run("an INVITE to an account that has no binding is 480, to no account 404", func(t *testing.T) {
				k.sipp(t, "invite_unavailable.xml", alice1.port, alice1.inviteArgs("carol")...)
				k.sipp(t, "invite_unknown.xml", alice1.port, alice1.inviteArgs("nobody")...)
			})
			t.Run("Kamailio restarted still routes the bindings it had", func(t *testing.T) {
				k.stop(t)
				k = startKamailio(bt, root, "md5-again", dbURL, sipconfig.MD5)
				if n := len(bindings(t, db, "bob")); n != 1 {
					t.Fatalf("bob has %d bindings after the restart, want 1", n)
				}
				k.call(t, alice1, "bob", bob.port)
			})
			t.Run("a device removed through the SIP API is no longer routed", func(t *testing.T) {
				if status, body := api.curlDigest(t, "DELETE", "/api/accounts/me/devices/"+url.PathEscape(bob.instance), bob); status != 200 {
					t.Fatalf("DELETE bob's device: %d %s", status, body)
				}
				if n := len(bindings(t, db, "bob")); n != 0 {
					t.Fatalf("bob has %d bindings after the delete, want 0", n)
				}
				k.sipp(t, "invite_unavailable.xml", alice1.port, alice1.inviteArgs("bob")...)
				if status, _ := api.curlDigest(t, "DELETE", "/api/accounts/me/devices/"+url.PathEscape(bob.instance), bob); status != 404 {
					t.Errorf("deleting the same device again: %d, want 404", status)
				}
			})
			if b.Name == "sqlite" {
				t.Run("a REGISTER that meets one of Switchboard's write transactions waits for it", func(t *testing.T) {
					// Kamailio's db_sqlite has no busy timeout; the config retries.
					tx, err := db.BeginTx(context.Background(), nil)
					if err != nil {
						t.Fatal(err)
					}
					if _, err := tx.Exec(`UPDATE version SET table_version = table_version WHERE table_name = 'version'`); err != nil {
						tx.Rollback()
						t.Fatal(err)
					}
					// Hold the lock until Kamailio has met it once.
					go func() {
						for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && !k.out.contains("database is locked"); {
							time.Sleep(5 * time.Millisecond)
						}
						tx.Rollback()
					}()
					k.sipp(t, "register.xml", bob.port, bob.registerArgs(3600)...)
					if n := len(bindings(t, db, "bob")); n != 1 {
						t.Fatalf("bob has %d bindings, want 1", n)
					}
				})
			}
			t.Run("a deactivated account can no longer register or call", func(t *testing.T) {
				if n := len(bindings(t, db, "alice")); n == 0 {
					t.Fatal("alice has no binding before the test")
				}
				api.RPC("mail.set", map[string]any{"mail": "alice@" + sipDomain, "active": false})
				if n := len(bindings(t, db, "alice")); n != 0 {
					t.Errorf("a deactivated account keeps %d bindings, want 0", n)
				}
				k.sipp(t, "register_refused.xml", alice2.port, alice2.registerArgs(3600)...)
				if _, ok := bindings(t, db, "alice")["<"+alice2.instance+">"]; ok {
					t.Errorf("a deactivated account's REGISTER made a binding")
				}
				// Bob, registered again, is not reachable from her either.
				k.sipp(t, "register.xml", bob.port, bob.registerArgs(3600)...)
				k.sipp(t, "invite_forbidden.xml", alice1.port, alice1.inviteArgs("bob")...)
				api.RPC("mail.set", map[string]any{"mail": "alice@" + sipDomain, "active": true})
				k.sipp(t, "register.xml", alice2.port, alice2.registerArgs(3600)...)
			})
		})
	}
}

// needKamailio skips where Kamailio, its database modules or sipp are not
// installed; in CI it fails instead.
func needKamailio(t *testing.T) {
	t.Helper()
	var missing []string
	for _, p := range []string{kamailioBin, "/usr/lib/x86_64-linux-gnu/kamailio/modules/db_sqlite.so",
		"/usr/lib/x86_64-linux-gnu/kamailio/modules/db_postgres.so"} {
		if _, err := os.Stat(p); err != nil {
			missing = append(missing, p)
		}
	}
	if _, err := exec.LookPath("sipp"); err != nil {
		missing = append(missing, "sipp")
	}
	if len(missing) == 0 {
		return
	}
	why := "not installed: " + strings.Join(missing, ", ") + " (apt-get install kamailio kamailio-sqlite-modules kamailio-postgres-modules sip-tester)"
	if os.Getenv("CI") != "" {
		t.Fatalf("Kamailio unavailable in CI: %s", why)
	}
	t.Skip("skipping the Kamailio integration test: " + why)
}

const kamailioBin = "/usr/sbin/kamailio"

// kamailio is a private Kamailio listening on addr (UDP, loopback).
type kamailio struct {
	addr string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
}

func startKamailio(t *testing.T, root, name, dbURL, algorithm string) *kamailio {
	t.Helper()
	dir := filepath.Join(root, name)
	run := filepath.Join(dir, "run")
	if err := os.MkdirAll(run, 0o755); err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(freeUDPPort(t))
	files, err := sipconfig.Write(sipconfig.Options{DatabaseURL: dbURL, Dir: dir, Algorithm: algorithm,
		Listen: addr, Transports: []string{"udp"}})
	if err != nil {
		t.Fatal(err)
	}
	k := &kamailio{addr: addr, out: &syncBuffer{}, done: make(chan struct{})}
	// Foreground, logging to stderr, two workers, its own runtime directory.
	k.cmd = exec.Command(kamailioBin, "-f", files[0].Path, "-Y", run, "-DD", "-E", "-n", "2", "-m", "64", "-M", "8")
	k.cmd.Env = os.Environ()
	if u, err := url.Parse(dbURL); err == nil {
		if sp := u.Query().Get("search_path"); sp != "" {
			// Kamailio cannot set it; libpq takes it from the environment.
			k.cmd.Env = append(k.cmd.Env, "PGOPTIONS=-c search_path="+sp)
		}
	}
	k.cmd.Stdout, k.cmd.Stderr = k.out, k.out
	if err := k.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { k.cmd.Wait(); close(k.done) }()
	t.Cleanup(func() {
		k.stop(t)
		if t.Failed() {
			t.Logf("kamailio %s output:\n%s", name, k.out.String())
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		if code, err := options(addr); err == nil && code == 200 {
			return k
		}
		select {
		case <-k.done:
			t.Fatalf("kamailio exited:\n%s", k.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("kamailio does not answer OPTIONS on %s:\n%s", addr, k.out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (k *kamailio) stop(t *testing.T) {
	t.Helper()
	select {
	case <-k.done:
		return
	default:
	}
	k.cmd.Process.Signal(os.Interrupt)
	select {
	case <-k.done:
	case <-time.After(10 * time.Second):
		k.cmd.Process.Kill()
		<-k.done
	}
}

// syncBuffer is Kamailio's output, read while it writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) contains(sub string) bool { return strings.Contains(s.String(), sub) }

// sipp runs one call of scenario from localPort against Kamailio; it must
// end as the scenario expects.
func (k *kamailio) sipp(t *testing.T, scenario string, localPort int, args ...string) {
	t.Helper()
	if err := k.sippErr(scenario, localPort, args...); err != nil {
		t.Fatal(err)
	}
}

func (k *kamailio) sippErr(scenario string, localPort int, args ...string) error {
	cmd := k.sippCmd(scenario, localPort, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("sipp %s %s: %v\n%s", scenario, strings.Join(args, " "), err, lastLines(out, 30))
	}
	return nil
}

func (k *kamailio) sippCmd(scenario string, localPort int, args ...string) *exec.Cmd {
	all := append([]string{k.addr, "-sf", filepath.Join("testdata", scenario), "-m", "1", "-i", "127.0.0.1",
		"-p", strconv.Itoa(localPort), "-t", "u1", "-nostdin", "-recv_timeout", "5000", "-timeout", "20", "-timeout_error",
		"-key", "domain", sipDomain}, args...)
	return exec.Command("sipp", all...)
}

// call has caller call callee, whose phone (a sipp UAS on calleePort,
// registered there) must answer.
func (k *kamailio) call(t *testing.T, caller device, callee string, calleePort int) {
	t.Helper()
	uas := k.sippCmd("uas.xml", calleePort)
	var out bytes.Buffer
	uas.Stdout, uas.Stderr = &out, &out
	if err := uas.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // let it bind its port
	uacErr := k.sippErr("invite.xml", caller.port, caller.inviteArgs(callee)...)
	uasErr := uas.Wait()
	if uacErr != nil || uasErr != nil {
		t.Fatalf("call %s -> %s: caller: %v\ncallee: %v\n%s", caller.user, callee, uacErr, uasErr, lastLines(out.Bytes(), 30))
	}
}

// device is one phone of an account.
type device struct {
	user, password string
	port           int
	instance, ua   string
	uriParams      string
}

func (d device) registerArgs(expires int) []string {
	return []string{"-key", "user", d.user, "-au", d.user, "-ap", d.password, "-key", "expires", strconv.Itoa(expires),
		"-key", "uri_params", d.uriParams, "-key", "contact_params", `;+sip.instance="<` + d.instance + `>"`, "-key", "ua", d.ua}
}

func (d device) inviteArgs(callee string) []string {
	return []string{"-key", "user", d.user, "-au", d.user, "-ap", d.password, "-key", "callee", callee}
}

// binding is a row of Kamailio's location table.
type binding struct{ contact, domain, userAgent string }

// bindings returns user's rows of the location table by +sip.instance.
func bindings(t *testing.T, db *sql.DB, user string) map[string]binding {
	t.Helper()
	rows, err := db.Query(`SELECT COALESCE(instance, ''), contact, COALESCE(domain, ''), user_agent FROM location WHERE username = '` + user + `'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]binding{}
	for rows.Next() {
		var inst string
		var b binding
		if err := rows.Scan(&inst, &b.contact, &b.domain, &b.userAgent); err != nil {
			t.Fatal(err)
		}
		out[inst] = b
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// openRaw opens the store's database beside the store, to read what
// Kamailio writes.
func openRaw(t *testing.T, dbURL string) *sql.DB {
	t.Helper()
	driver, dsn := "pgx", dbURL
	if strings.HasPrefix(dbURL, "sqlite:") {
		driver, dsn = "sqlite", strings.TrimPrefix(dbURL, "sqlite:")+"?_pragma=busy_timeout(5000)"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// options sends an OPTIONS to the server itself and returns the status.
func options(addr string) (int, error) {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	local := c.LocalAddr().String()
	msg := "OPTIONS sip:" + addr + " SIP/2.0\r\nVia: SIP/2.0/UDP " + local + ";branch=z9hG4bK-opt" + strconv.FormatInt(time.Now().UnixNano(), 36) + ";rport\r\n" +
		"Max-Forwards: 70\r\nFrom: <sip:probe@" + sipDomain + ">;tag=p1\r\nTo: <sip:" + addr + ">\r\nCall-ID: opt-" + local + "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
	code, _, err := roundTrip(c, msg)
	return code, err
}

// goRegister registers user@sip.example.org from a Go UDP client,
// answering the challenge with internal/digest: sipp 3.6 answers MD5
// challenges only, so this is the SHA-256 phone.
func goRegister(t *testing.T, addr string, localPort int, user, password string, expires int) int {
	t.Helper()
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.DialUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: localPort}, raddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	local := c.LocalAddr().String()
	callID := fmt.Sprintf("go-%d@%s", time.Now().UnixNano(), local)
	request := func(cseq int, authz string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "REGISTER sip:%s SIP/2.0\r\n", sipDomain)
		fmt.Fprintf(&b, "Via: SIP/2.0/UDP %s;branch=z9hG4bK-%d-%d;rport\r\n", local, time.Now().UnixNano(), cseq)
		fmt.Fprintf(&b, "Max-Forwards: 70\r\nFrom: <sip:%s@%s>;tag=go%d\r\nTo: <sip:%s@%s>\r\n", user, sipDomain, cseq, user, sipDomain)
		fmt.Fprintf(&b, "Call-ID: %s\r\nCSeq: %d REGISTER\r\nContact: <sip:%s@%s>\r\nExpires: %d\r\n", callID, cseq, user, local, expires)
		b.WriteString("User-Agent: switchboard-test\r\n")
		if authz != "" {
			b.WriteString("Authorization: " + authz + "\r\n")
		}
		b.WriteString("Content-Length: 0\r\n\r\n")
		return b.String()
	}
	code, hdr, err := roundTrip(c, request(1, ""))
	if err != nil {
		t.Fatal(err)
	}
	if code != 401 {
		t.Fatalf("REGISTER without credentials: %d, want a 401 challenge", code)
	}
	ch, ok := digest.FindChallenge(hdr["www-authenticate"], "SHA-256")
	if !ok {
		t.Fatalf("no SHA-256 challenge in %q", hdr["www-authenticate"])
	}
	authz, err := digest.Respond(ch, "REGISTER", "sip:"+sipDomain, user, password, 1, "")
	if err != nil {
		t.Fatal(err)
	}
	code, _, err = roundTrip(c, request(2, authz))
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// roundTrip sends msg and returns the final response's status and headers
// (lowercase names), skipping provisional ones.
func roundTrip(c net.Conn, msg string) (int, map[string][]string, error) {
	if _, err := io.WriteString(c, msg); err != nil {
		return 0, nil, err
	}
	buf := make([]byte, 65535)
	for {
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, err := c.Read(buf)
		if err != nil {
			return 0, nil, err
		}
		lines := strings.Split(string(buf[:n]), "\r\n")
		f := strings.Fields(lines[0])
		if len(f) < 2 || f[0] != "SIP/2.0" {
			return 0, nil, fmt.Errorf("not a response: %q", lines[0])
		}
		code, err := strconv.Atoi(f[1])
		if err != nil {
			return 0, nil, err
		}
		if code < 200 {
			continue
		}
		hdr := map[string][]string{}
		for _, l := range lines[1:] {
			if l == "" {
				break
			}
			if name, v, ok := strings.Cut(l, ":"); ok {
				k := strings.ToLower(strings.TrimSpace(name))
				hdr[k] = append(hdr[k], strings.TrimSpace(v))
			}
		}
		return code, hdr, nil
	}
}

// apiClient talks to a real Switchboard over HTTP as a tenant.
type apiClient struct {
	t *testing.T
	*testenv.API
}

func startAPI(t *testing.T, st *store.Store) *apiClient {
	t.Helper()
	svc, _ := testenv.Service(t, st, nil)
	srvURL := testenv.Serve(t, httpapi.New(httpapi.Config{Services: svc, JSONRPC: jsonrpc.NewAPI(svc, nil)}))
	if _, err := svc.CreateTenant(context.Background(), sb.SystemActor, "acme", "acme-password-1", sb.RoleTenant); err != nil {
		t.Fatal(err)
	}
	c := &apiClient{t: t, API: testenv.LoginAPI(t, srvURL, "acme", "acme-password-1")}
	return c
}

// curlDigest sends a request to the SIP API as the phone d would, with
// curl's own Digest.
func (c *apiClient) curlDigest(t *testing.T, method, path string, d device) (int, []byte) {
	t.Helper()
	out, err := exec.Command("curl", "-s", "--digest", "-u", d.user+":"+d.password, "-X", method,
		"-H", "From: sip:"+d.user+"@"+sipDomain, "-H", "Accept: application/json",
		"-w", "\n%{http_code}", c.URL+path).Output()
	if err != nil {
		t.Fatalf("curl %s %s: %v", method, path, err)
	}
	i := bytes.LastIndexByte(out, '\n')
	status, err := strconv.Atoi(string(out[i+1:]))
	if err != nil {
		t.Fatalf("curl %s %s: no status in %q", method, path, out)
	}
	return status, out[:i]
}
