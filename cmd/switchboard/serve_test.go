package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"io"
	"math/big"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/store/storetest"
)

// selfSigned is a certificate and key for host, in PEM, and the pool that
// trusts it.
func selfSigned(t *testing.T, host string) (chainPEM, keyPEM string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(30 * 24 * time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	k, _ := x509.MarshalPKCS8PrivateKey(key)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: k})), pool
}

func TestMetricsStayOffThePublicListener(t *testing.T) {
	for _, b := range storetest.Backends() {
		for _, tc := range []struct {
			name           string
			metricsListen  bool
			onMain, onOwn  int // status of GET /metrics on --listen and on --metrics-listen
			healthzOnOwn   int
			tlsMetricsWant int
		}{
			{"without --metrics-listen the metrics are on --listen only", false, 200, 0, 0, 404},
			{"with --metrics-listen the metrics are there only", true, 404, 200, 404, 404},
		} {
			t.Run(b.Name+"/"+tc.name, func(t *testing.T) {
				any := "127.0.0.1:0"
				args := []string{"--database", b.URL(t), "--data", t.TempDir(), "--log-level", "error",
					"--listen", any, "--tls-listen", any}
				if tc.metricsListen {
					args = append(args, "--metrics-listen", any)
				}
				fs := flag.NewFlagSet("serve", flag.ContinueOnError)
				var f serveFlags
				f.register(fs)
				if err := parse(fs, args); err != nil {
					t.Fatal(err)
				}
				cfg, err := f.config()
				if err != nil {
					t.Fatal(err)
				}
				a := &app{cfg: cfg, stderr: io.Discard}
				if err := a.Open(context.Background()); err != nil {
					t.Fatal(errors.Join(err, a.Close()))
				}
				closed := false
				t.Cleanup(func() {
					if !closed {
						a.Close()
					}
				})
				// A stored certificate, so that the TLS listener shakes hands.
				ctx := context.Background()
				if _, err := a.svc.CreateTenant(ctx, sb.SystemActor, "acme", "acme-password", sb.RoleTenant); err != nil {
					t.Fatal(err)
				}
				if _, _, err := a.svc.CreateDomain(ctx, sb.SystemActor, sb.NewDomain{Name: "example.com", Owner: "acme"}); err != nil {
					t.Fatal(err)
				}
				chain, key, pool := selfSigned(t, "mail.example.com")
				if _, err := a.svc.UploadCertificate(ctx, sb.SystemActor, chain, key); err != nil {
					t.Fatal(err)
				}
				done := make(chan error, 1)
				go func() { done <- a.Run(context.Background()) }()

				get := func(c *http.Client, u string) (int, string) {
					t.Helper()
					res, err := c.Get(u)
					if err != nil {
						t.Fatalf("GET %s: %v", u, err)
					}
					defer res.Body.Close()
					body, _ := io.ReadAll(res.Body)
					return res.StatusCode, string(body)
				}
				plain := &http.Client{Timeout: 10 * time.Second}
				mainURL := "http://" + a.ln.Addr().String()
				if st, body := get(plain, mainURL+"/metrics"); st != tc.onMain {
					t.Errorf("GET /metrics on --listen: %d, want %d\n%.200s", st, tc.onMain, body)
				}
				if st, _ := get(plain, mainURL+"/healthz"); st != 200 {
					t.Errorf("GET /healthz on --listen: %d, want 200", st)
				}

				// The TLS listener serves the API but not the metrics, under
				// any method or spelling of the path.
				tlsAddr := a.tlsLn.Addr().String()
				d := &net.Dialer{Timeout: 5 * time.Second}
				secure := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
					TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "mail.example.com"},
					DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
						return d.DialContext(ctx, network, tlsAddr)
					}}}
				if st, _ := get(secure, "https://mail.example.com/healthz"); st != 200 {
					t.Errorf("GET /healthz on --tls-listen: %d, want 200", st)
				}
				for _, p := range []string{"/metrics", "/metrics/", "/%6detrics"} {
					if st, body := get(secure, "https://mail.example.com"+p); st != tc.tlsMetricsWant || strings.Contains(body, "switchboard_http_requests_total") {
						t.Errorf("GET %s on --tls-listen: %d, want %d\n%.200s", p, st, tc.tlsMetricsWant, body)
					}
				}
				res, err := secure.Post("https://mail.example.com/metrics", "text/plain", nil)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != 404 || res.Header.Get("Allow") != "" {
					t.Errorf("POST /metrics on --tls-listen: %d Allow %q; want a plain 404", res.StatusCode, res.Header.Get("Allow"))
				}

				if tc.metricsListen {
					own := "http://" + a.metricsLn.Addr().String()
					st, body := get(plain, own+"/metrics")
					if st != tc.onOwn || !strings.Contains(body, "switchboard_http_requests_total") {
						t.Errorf("GET /metrics on --metrics-listen: %d, want %d with the request counter\n%.200s", st, tc.onOwn, body)
					}
					if st, _ := get(plain, own+"/healthz"); st != tc.healthzOnOwn {
						t.Errorf("GET /healthz on --metrics-listen: %d, want %d", st, tc.healthzOnOwn)
					}
				}

				closed = true
				if err := a.Close(); err != nil {
					t.Fatalf("Close: %v", err)
				}
				select {
				case err := <-done:
					if err != nil {
						t.Fatalf("Run returned %v after Close", err)
					}
				case <-time.After(5 * time.Second):
					t.Fatal("Run did not return after Close")
				}
				if tc.metricsListen {
					if c, err := net.Dial("tcp", a.metricsLn.Addr().String()); err == nil {
						c.Close()
						t.Error("the metrics listener still accepts connections after Close")
					} else if !errors.Is(err, syscall.ECONNREFUSED) {
						t.Errorf("metrics listener: dial after Close: %v, want connection refused", err)
					}
				}
			})
		}
	}
}

// TestServeSIPRegistrar: --sip-registrar reaches the service's
// configuration, and a URI that is not sip: stops serve at start with a
// usage error naming the flag, before anything is opened.
func TestServeSIPRegistrar(t *testing.T) {
	cases := []struct {
		name, value string
		ok          bool
	}{
		{"a sip: URI with a transport is taken", "sip:sip.example.org;transport=tcp", true},
		{"no registrar is the default", "", true},
		{"an http URL is refused", "https://sip.example.org", false},
		{"a bare host is refused", "sip.example.org", false},
		{"a bracketed URI is refused", "<sip:sip.example.org>", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := t.TempDir()
			args := []string{"--database", "sqlite://" + data + "/sb.db", "--data", data, "--sip-registrar", c.value}
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			var f serveFlags
			f.register(fs)
			if err := parse(fs, args); err != nil {
				t.Fatal(err)
			}
			cfg, err := f.config()
			if c.ok {
				if err != nil || cfg.sipRegistrar != c.value {
					t.Fatalf("config: %v, registrar %q", err, cfg.sipRegistrar)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "--sip-registrar") {
				t.Fatalf("config: %v", err)
			}
			var stderr strings.Builder
			if code := cli(context.Background(), append([]string{"serve"}, args...), strings.NewReader(""), io.Discard, &stderr); code != 2 ||
				!strings.Contains(stderr.String(), "--sip-registrar") || !strings.Contains(stderr.String(), "sip:") {
				t.Fatalf("exit %d, stderr %q", code, stderr.String())
			}
		})
	}
}

// The access log is written in batches of at most --log-flush, a failure
// at once, and what is left at shutdown; --log-flush 0 writes each line
// alone.
func TestServeLogFlush(t *testing.T) {
	for _, tc := range []struct {
		flush       string
		batched     bool // 20 requests' lines in fewer writes than lines
		wantWritten time.Duration
	}{
		{"50ms", true, 10 * time.Second},
		{"1h", true, 0}, // nothing before the error line or Close
		{"0", false, 10 * time.Second},
	} {
		t.Run("log-flush="+tc.flush, func(t *testing.T) {
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			var f serveFlags
			f.register(fs)
			if err := parse(fs, []string{"--data", t.TempDir(), "--listen", "127.0.0.1:0", "--log-flush", tc.flush}); err != nil {
				t.Fatal(err)
			}
			cfg, err := f.config()
			if err != nil {
				t.Fatal(err)
			}
			var stderr syncBuffer
			a := &app{cfg: cfg, stderr: &stderr}
			if err := a.Open(context.Background()); err != nil {
				t.Fatal(errors.Join(err, a.Close()))
			}
			done := make(chan error, 1)
			go func() { done <- a.Run(context.Background()) }()
			_, before := stderr.read()
			c := &http.Client{Timeout: 10 * time.Second}
			const requests = 20
			for range requests {
				res, err := c.Get("http://" + a.ln.Addr().String() + "/healthz")
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}
			accessLines := func(s string) int { return strings.Count(s, `"path":"/healthz"`) }
			if tc.wantWritten > 0 {
				deadline := time.Now().Add(tc.wantWritten)
				for {
					if s, _ := stderr.read(); accessLines(s) == requests {
						break
					}
					if time.Now().After(deadline) {
						s, _ := stderr.read()
						t.Fatalf("%d of %d access lines written after %v:\n%s", accessLines(s), requests, tc.wantWritten, s)
					}
					time.Sleep(10 * time.Millisecond)
				}
				_, after := stderr.read()
				if got := after - before; tc.batched && got >= requests || !tc.batched && got < requests {
					t.Fatalf("%d writes for %d access lines (batched: %v)", got, requests, tc.batched)
				}
			} else {
				if s, _ := stderr.read(); accessLines(s) != 0 {
					t.Fatalf("access lines written before their time:\n%s", s)
				}
				// An error goes out at once, with the lines kept before it.
				a.logger.Error("test failure", "component", "test")
				if s, _ := stderr.read(); accessLines(s) != requests || !strings.Contains(s, `"msg":"test failure"`) {
					t.Fatalf("after an error line, stderr holds %d access lines:\n%s", accessLines(s), s)
				}
				a.logger.Info("after the error", "component", "test")
			}
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			s, _ := stderr.read()
			if !strings.Contains(s, `"msg":"shutting down"`) {
				t.Fatalf("the shutdown line was not written by Close:\n%s", s)
			}
			if tc.wantWritten == 0 && !strings.Contains(s, `"msg":"after the error"`) {
				t.Fatalf("a kept line was lost at Close:\n%s", s)
			}
		})
	}
}

func TestServeRefusesANegativeLogFlush(t *testing.T) {
	var stderr strings.Builder
	code := cli(context.Background(), []string{"serve", "--data", t.TempDir(), "--log-flush", "-1s"}, strings.NewReader(""), io.Discard, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "--log-flush must not be negative") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}
