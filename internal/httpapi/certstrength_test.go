package httpapi_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
)

// selfSigned issues a one-certificate chain for key, with cn as its common
// name and dnsNames as its subjectAltNames.
func selfSigned(t *testing.T, key crypto.Signer, cn string, dnsNames []string) (chainPEM, keyPEM string) {
	t.Helper()
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: cn}, DNSNames: dnsNames,
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(90 * 24 * time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	k, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: k}))
}

func TestCertificateUploadRefusesWeakKeysAndMissingNames(t *testing.T) {
	rsaKey := func(bits int) crypto.Signer {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	rsa1024, rsa2048 := rsaKey(1024), rsaKey(2048)
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		certDir := t.TempDir()
		e := newEnvWith(t, st, 0, func(c *service.Config) { c.CertDir = certDir })
		tok := e.tenant("acme", sb.RoleTenant)
		e.do("POST", "/domains", tok, form{"domain": "example.com", "username": "a@example.com", "password": "password123"}).want(201)

		refusals := []struct {
			name string
			key  crypto.Signer
			cn   string
			sans []string
			msg  string
		}{
			{"a 1024-bit RSA key is refused", rsa1024, "mail.example.com", []string{"mail.example.com"}, "the RSA key has 1024 bits; at least 2048 are required"},
			{"a certificate with only a common name is refused", p256, "mail.example.com", nil, "no DNS subjectAltName: modern clients ignore the common name"},
		}
		for _, tt := range refusals {
			t.Run(tt.name, func(t *testing.T) {
				chain, key := selfSigned(t, tt.key, tt.cn, tt.sans)
				before := e.snapshot()
				e.do("POST", "/ssl/upload", tok, form{"ssl_certificate": chain, "ssl_certificate_key": key}).wantError(422, tt.msg)
				e.unchanged(before)
				if files, _ := os.ReadDir(certDir); len(files) != 0 {
					t.Fatal("a refused upload wrote files")
				}
			})
		}

		accepted := []struct {
			name string
			key  crypto.Signer
			host string
		}{
			{"a 2048-bit RSA key is accepted", rsa2048, "rsa.example.com"},
			{"an ECDSA P-256 key is accepted", p256, "p256.example.com"},
			{"an ECDSA P-384 key is accepted", p384, "p384.example.com"},
			{"an Ed25519 key is accepted", ed, "ed.example.com"},
		}
		for _, tt := range accepted {
			t.Run(tt.name, func(t *testing.T) {
				chain, key := selfSigned(t, tt.key, tt.host, []string{tt.host})
				res := e.do("POST", "/ssl/upload", tok, form{"ssl_certificate": chain, "ssl_certificate_key": key}).want(200)
				if res.json["hostname"] != tt.host {
					t.Fatalf("answer %s", res.body)
				}
			})
		}
	})
}
