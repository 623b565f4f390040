// Package profiletest makes a throw-away PKI for tests that sign profiles.
package profiletest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// PKI is a test CA, an intermediate and a signing certificate it issued.
type PKI struct {
	CAFile    string // the CA certificate alone, for openssl -CAfile
	ChainFile string // the signing certificate, then the intermediate
	KeyFile   string // the signing key, PKCS #8
}

// New writes a fresh PKI into a temporary directory of t.
func New(t testing.TB) PKI {
	t.Helper()
	dir := t.TempDir()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	issue := func(tmpl, parent *x509.Certificate, pub, priv any) *x509.Certificate {
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, priv)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	now := time.Now()
	caKey, midKey, leafKey := newKey(), newKey(), newKey()
	caT := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test CA"}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	ca := issue(caT, caT, &caKey.PublicKey, caKey)
	midT := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Test Intermediate"}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	mid := issue(midT, ca, &midKey.PublicKey, caKey)
	leafT := &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "config.example.net"}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection, x509.ExtKeyUsageCodeSigning}}
	leaf := issue(leafT, mid, &leafKey.PublicKey, midKey)

	pemOf := func(typ string, der ...[]byte) []byte {
		var b bytes.Buffer
		for _, d := range der {
			pem.Encode(&b, &pem.Block{Type: typ, Bytes: d})
		}
		return b.Bytes()
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(leafKey)
	if err != nil {
		t.Fatal(err)
	}
	p := PKI{CAFile: filepath.Join(dir, "testca.pem"), ChainFile: filepath.Join(dir, "chain.pem"), KeyFile: filepath.Join(dir, "key.pem")}
	for file, data := range map[string][]byte{
		p.CAFile: pemOf("CERTIFICATE", ca.Raw), p.ChainFile: pemOf("CERTIFICATE", leaf.Raw, mid.Raw), p.KeyFile: pemOf("PRIVATE KEY", keyDER),
	} {
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// Verify checks a signed profile with openssl against the CA (the
// intermediate must come from the profile) and returns the content; it
// skips the test when openssl is not installed.
func (p PKI) Verify(t testing.TB, signed []byte) []byte {
	t.Helper()
	if OpenSSL() == "" {
		t.Skip("openssl not installed")
	}
	out, err := p.verify(signed)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
