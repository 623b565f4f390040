package httpapi_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
	"github.com/switchboard/switchboard/internal/testenv"
)

type testCert struct {
	chainPEM, keyPEM string
	root             *x509.Certificate
}

// issueTestCert makes a root, an intermediate and a leaf for names valid
// until notAfter; the chain is leaf first.
func issueTestCert(t *testing.T, names []string, notAfter time.Time) testCert {
	t.Helper()
	now := time.Now()
	rootKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	interKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	mk := func(tmpl, parent *x509.Certificate, pub, key any) *x509.Certificate {
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := x509.ParseCertificate(der)
		return c
	}
	ca := func(n int64, cn string) *x509.Certificate {
		return &x509.Certificate{SerialNumber: big.NewInt(n), Subject: pkix.Name{CommonName: cn}, NotBefore: now.Add(-time.Hour),
			NotAfter: now.Add(24 * 365 * time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	}
	rt := ca(1, "Upload Root")
	root := mk(rt, rt, &rootKey.PublicKey, rootKey)
	inter := mk(ca(2, "Upload CA"), root, &interKey.PublicKey, rootKey)
	leaf := mk(&x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: now.Add(-time.Hour), NotAfter: notAfter, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, inter, &leafKey.PublicKey, interKey)
	der, _ := x509.MarshalPKCS8PrivateKey(leafKey)
	chain := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw})) +
		string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: inter.Raw}))
	return testCert{chainPEM: chain, keyPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), root: root}
}

func TestCertificateUpload(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		certDir := t.TempDir()
		e := newEnvWith(t, st, 0, func(c *service.Config) { c.CertDir = certDir })
		tok := e.tenant("acme", sb.RoleTenant)
		other := e.tenant("other", sb.RoleTenant)
		e.do("POST", "/domains", tok, form{"domain": "example.com", "username": "a@example.com", "password": "password123"}).want(201)
		e.do("POST", "/domains", other, form{"domain": "other.example", "username": "a@other.example", "password": "password123"}).want(201)

		good := issueTestCert(t, []string{"mail.example.com", "example.com"}, time.Now().Add(90*24*time.Hour))
		t.Run("a valid chain for one's own names is stored and written for the mail servers", func(t *testing.T) {
			res := e.do("POST", "/ssl/upload", tok, form{"ssl_certificate": good.chainPEM, "ssl_certificate_key": good.keyPEM}).want(200)
			if res.json["hostname"] != "mail.example.com" || res.json["issuer"] != "Upload CA" {
				t.Fatalf("answer %s", res.body)
			}
			if d := res.json["days_left"].(float64); d < 88 || d > 90 {
				t.Fatalf("days_left %v", d)
			}
			chain, err := os.ReadFile(filepath.Join(certDir, "mail.example.com", "fullchain.pem"))
			if err != nil || string(chain) != good.chainPEM {
				t.Fatalf("fullchain.pem: %v", err)
			}
			st, err := os.Stat(filepath.Join(certDir, "mail.example.com", "privkey.pem"))
			if err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("privkey.pem: %v %v", st, err)
			}
			_, sealed, _ := e.store.Read().CertificateByHostname(t.Context(), "mail.example.com")
			if len(sealed) < 10 || sealed[:10] != "sealed:v1:" {
				t.Fatal("the key is not sealed in the database")
			}
		})
		t.Run("get-left-days reports the stored certificate", func(t *testing.T) {
			res := e.do("POST", "/ssl/get-left-days", tok, form{"hostname": "mail.example.com"}).want(200)
			if res.json["result"] != true || res.json["days_left"].(float64) < 88 || res.json["issuer"] != "Upload CA" || res.json["not_after"] == "" {
				t.Fatalf("answer %s", res.body)
			}
		})
		t.Run("the TLS listener serves the stored certificate by SNI", func(t *testing.T) {
			ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{GetCertificate: e.api.GetCertificate(time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					c.(*tls.Conn).Handshake()
					c.Close()
				}
			}()
			pool := x509.NewCertPool()
			pool.AddCert(good.root)
			conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{ServerName: "mail.example.com", RootCAs: pool})
			if err != nil {
				t.Fatalf("TLS handshake with the stored certificate: %v", err)
			}
			conn.Close()
			if _, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{ServerName: "unknown.example.net", RootCAs: pool}); err == nil {
				t.Fatal("a handshake for an unknown name succeeded")
			}
		})

		foreign := issueTestCert(t, []string{"mail.other.example"}, time.Now().Add(90*24*time.Hour))
		mixed := issueTestCert(t, []string{"www.example.com", "www.other.example"}, time.Now().Add(90*24*time.Hour))
		expired := issueTestCert(t, []string{"old.example.com"}, time.Now().Add(-time.Hour))
		refusals := []struct {
			name   string
			path   string
			token  string
			f      form
			status int
			msg    string
		}{
			{"another tenant's name is refused", "/ssl/upload", tok, form{"ssl_certificate": foreign.chainPEM, "ssl_certificate_key": foreign.keyPEM}, 403, "not under one of your domains"},
			{"a certificate naming one foreign host is refused whole", "/ssl/upload", tok, form{"ssl_certificate": mixed.chainPEM, "ssl_certificate_key": mixed.keyPEM}, 403, "www.other.example"},
			{"a mismatched key is refused", "/ssl/upload", tok, form{"ssl_certificate": good.chainPEM, "ssl_certificate_key": foreign.keyPEM}, 422, "does not match"},
			{"an expired certificate is refused", "/ssl/upload", tok, form{"ssl_certificate": expired.chainPEM, "ssl_certificate_key": expired.keyPEM}, 422, "expired"},
			{"garbage PEM is refused", "/ssl/upload", tok, form{"ssl_certificate": "garbage", "ssl_certificate_key": good.keyPEM}, 422, "no PEM certificate"},
			{"a missing key is refused", "/ssl/upload", tok, form{"ssl_certificate": good.chainPEM}, 422, "ssl_certificate_key is required"},
			{"another tenant cannot replace one's certificate", "/ssl/upload", other, form{"ssl_certificate": good.chainPEM, "ssl_certificate_key": good.keyPEM}, 403, "not under one of your domains"},
			{"another tenant cannot read one's certificate", "/ssl/get-left-days", other, form{"hostname": "mail.example.com"}, 404, "certificate not found"},
			{"an unknown host has no days left", "/ssl/get-left-days", tok, form{"hostname": "nope.example.com"}, 404, "certificate not found"},
			{"a foreign hostname gets no ACME certificate", "/ssl/letsencrypt/install", tok, form{"hostname": "mail.other.example"}, 403, "not under one of your domains"},
			{"an unheld hostname gets no ACME certificate", "/ssl/letsencrypt/install", tok, form{"hostname": "example.net"}, 403, "not under one of your domains"},
			{"a wildcard gets no ACME certificate", "/ssl/letsencrypt/install", tok, form{"hostname": "*.example.com"}, 422, "DNS-01"},
			{"without a configured CA issuance is unavailable", "/ssl/letsencrypt/install", tok, form{"hostname": "www.example.com"}, 503, "no ACME CA"},
		}
		for _, tt := range refusals {
			t.Run(tt.name, func(t *testing.T) {
				before := e.snapshot()
				files, _ := os.ReadDir(certDir)
				e.do("POST", tt.path, tt.token, tt.f).wantError(tt.status, tt.msg)
				e.unchanged(before)
				if after, _ := os.ReadDir(certDir); len(after) != len(files) {
					t.Fatal("a refused upload wrote files")
				}
			})
		}
		t.Run("certificate files are kept when the upload is refused", func(t *testing.T) {
			chain, _ := os.ReadFile(filepath.Join(certDir, "mail.example.com", "fullchain.pem"))
			if string(chain) != good.chainPEM {
				t.Fatal("a refused upload replaced the files")
			}
		})
	})
}

func TestDaysLeftFollowTheServiceClock(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		c := testenv.NewClock(time.Now())
		e := newEnvWith(t, st, 0, func(cfg *service.Config) { cfg.Now = c.Now })
		tok := e.tenant("acme", sb.RoleTenant)
		e.do("POST", "/domains", tok, form{"domain": "example.com", "username": "a@example.com", "password": "password123"}).want(201)
		cert := issueTestCert(t, []string{"mail.example.com"}, time.Now().Add(90*24*time.Hour+time.Hour))
		e.do("POST", "/ssl/upload", tok, form{"ssl_certificate": cert.chainPEM, "ssl_certificate_key": cert.keyPEM}).want(200)
		for _, tc := range []struct {
			name  string
			ahead time.Duration
			want  float64
		}{
			{"today it has 90 days left", 0, 90},
			{"30 days on it has 60", 30 * 24 * time.Hour, 60},
			{"past its end it has none", 60*24*time.Hour + 2*time.Hour, 0},
		} {
			// (The harness reports to the outer test; auth tokens last a
			// day by the same clock, so each step logs in again.)
			c.Add(tc.ahead)
			tok := e.login("acme", "pw-acme-secret")
			res := e.do("POST", "/ssl/get-left-days", tok, form{"hostname": "mail.example.com"}).want(200)
			if got := res.json["days_left"].(float64); got != tc.want {
				t.Fatalf("%s: days_left %v, want %v", tc.name, got, tc.want)
			}
		}
	})
}
