package httpapi_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/acme"
	"github.com/switchboard/switchboard/internal/httpapi"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
	"github.com/switchboard/switchboard/internal/testenv"
)

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// pebble is a running Pebble ACME test CA with its fake DNS resolving every
// name to 127.0.0.1.
type pebble struct {
	directory string
	mgmt      string
	client    *http.Client // trusts Pebble's API certificate
	roots     *x509.CertPool
}

// startPebble runs pebble-challtestsrv and pebble as processes on loopback;
// Pebble validates HTTP-01 challenges on httpPort.
func startPebble(t *testing.T, httpPort int) *pebble {
	t.Helper()
	bin, err := exec.LookPath("pebble")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pebble is missing in CI: .ci/run installs it")
		}
		t.Skip("pebble not installed (apt-get install pebble)")
	}
	dir := t.TempDir()
	// Pebble's own API certificate, for 127.0.0.1.
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "pebble test API"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	os.WriteFile(filepath.Join(dir, "cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
	apiCert, _ := x509.ParseCertificate(der)
	roots := x509.NewCertPool()
	roots.AddCert(apiCert)

	dnsPort, apiPort, mgmtPort, challMgmt := freePort(t), freePort(t), freePort(t), freePort(t)
	start := func(name string, args []string, env ...string) {
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), env...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatalf("start %s: %v", name, err)
		}
		t.Cleanup(func() {
			cmd.Process.Kill()
			cmd.Wait()
			if t.Failed() {
				t.Logf("%s output:\n%s", name, out.String())
			}
		})
	}
	start("pebble-challtestsrv", []string{"-defaultIPv4", "127.0.0.1", "-defaultIPv6", "",
		"-dns01", fmt.Sprintf("127.0.0.1:%d", dnsPort), "-http01", "", "-https01", "", "-tlsalpn01", "",
		"-management", fmt.Sprintf("127.0.0.1:%d", challMgmt)})
	cfg, _ := json.Marshal(map[string]any{"pebble": map[string]any{
		"listenAddress":                  fmt.Sprintf("127.0.0.1:%d", apiPort),
		"managementListenAddress":        fmt.Sprintf("127.0.0.1:%d", mgmtPort),
		"certificate":                    filepath.Join(dir, "cert.pem"),
		"privateKey":                     filepath.Join(dir, "key.pem"),
		"httpPort":                       httpPort,
		"tlsPort":                        freePort(t),
		"ocspResponderURL":               "",
		"externalAccountBindingRequired": false,
	}})
	os.WriteFile(filepath.Join(dir, "pebble.json"), cfg, 0o600)
	start(bin, []string{"-config", filepath.Join(dir, "pebble.json"), "-dnsserver", fmt.Sprintf("127.0.0.1:%d", dnsPort)},
		"PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_AUTHZREUSE=0")

	p := &pebble{directory: fmt.Sprintf("https://127.0.0.1:%d/dir", apiPort), mgmt: fmt.Sprintf("https://127.0.0.1:%d", mgmtPort),
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}, roots: roots}
	for i := 0; ; i++ {
		res, err := p.client.Get(p.directory)
		if err == nil {
			res.Body.Close()
			break
		}
		if i > 100 {
			t.Fatalf("pebble did not come up: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return p
}

// issuingRoot fetches the root Pebble signs certificates under.
func (p *pebble) issuingRoot(t *testing.T) *x509.CertPool {
	t.Helper()
	res, err := p.client.Get(p.mgmt + "/roots/0")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		t.Fatalf("no root from pebble: %s", data)
	}
	return pool
}

func TestLetsEncryptAgainstPebble(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		// The HTTP-01 listener (--acme-http-listen) must exist before Pebble
		// learns its port.
		chLn, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := startPebble(t, chLn.Addr().(*net.TCPAddr).Port)
		box := testenv.Seal(t)
		clock := time.Now
		var now func() time.Time = func() time.Time { return clock() }
		issuer := acme.New(acme.Config{Directory: p.directory, Email: "ops@acme-test.example", Roots: p.roots,
			State: &service.ACMEState{Store: st, Seal: box, Now: now}})
		certDir := t.TempDir()
		svc, _ := testenv.Service(t, st, func(cfg *service.Config) { cfg.Issuer, cfg.CertDir, cfg.Now = issuer, certDir, now })
		e := serveEnv(t, st, svc, httpapi.Config{})
		chSrv := &http.Server{Handler: e.api.ChallengeHandler()}
		go chSrv.Serve(chLn)
		defer chSrv.Close()

		tok := e.tenant("acme", sb.RoleTenant)
		e.do("POST", "/domains", tok, form{"domain": "acme-test.example", "username": "a@acme-test.example", "password": "password123"}).want(201)

		res := e.do("POST", "/ssl/letsencrypt/install", tok, form{"hostname": "mail.acme-test.example"}).want(200)
		if res.json["hostname"] != "mail.acme-test.example" || res.json["days_left"].(float64) < 30 {
			t.Fatalf("answer %s", res.body)
		}
		c, _, err := st.Read().CertificateByHostname(context.Background(), "mail.acme-test.example")
		if err != nil {
			t.Fatal(err)
		}
		var chain []*x509.Certificate
		rest := []byte(c.ChainPEM)
		for {
			var b *pem.Block
			if b, rest = pem.Decode(rest); b == nil {
				break
			}
			cert, _ := x509.ParseCertificate(b.Bytes)
			chain = append(chain, cert)
		}
		inter := x509.NewCertPool()
		for _, ic := range chain[1:] {
			inter.AddCert(ic)
		}
		if _, err := chain[0].Verify(x509.VerifyOptions{DNSName: "mail.acme-test.example", Roots: p.issuingRoot(t), Intermediates: inter}); err != nil {
			t.Fatalf("the issued certificate does not chain to Pebble's root: %v", err)
		}
		if _, err := os.Stat(filepath.Join(certDir, "mail.acme-test.example", "privkey.pem")); err != nil {
			t.Fatalf("no key file for the mail servers: %v", err)
		}
		e.do("POST", "/ssl/get-left-days", tok, form{"hostname": "mail.acme-test.example"}).want(200)

		t.Run("renewal: one instance holds the lease and renews a certificate near expiry", func(t *testing.T) {
			clock = func() time.Time { return c.NotAfter.Add(-10 * 24 * time.Hour) }
			defer func() { clock = time.Now }()
			// Another instance holds the lease: nothing is renewed here.
			st.InTx(context.Background(), func(tx *store.Tx) error {
				_, err := tx.LeaseCertificate(context.Background(), c.ID, "other-instance", now(), now().Add(time.Hour))
				return err
			})
			if n, err := svc.RenewDue(context.Background(), "this-instance"); err != nil || n != 0 {
				t.Fatalf("renewed %d (%v) while another instance held the lease", n, err)
			}
			// The lease lapses; this instance renews.
			clock = func() time.Time { return c.NotAfter.Add(-10*24*time.Hour + 2*time.Hour) }
			if n, err := svc.RenewDue(context.Background(), "this-instance"); err != nil || n != 1 {
				t.Fatalf("renewed %d, %v; want 1", n, err)
			}
			c2, _, _ := st.Read().CertificateByHostname(context.Background(), "mail.acme-test.example")
			if c2.ChainPEM == c.ChainPEM {
				t.Fatal("the certificate was not replaced")
			}
		})
	})
}
