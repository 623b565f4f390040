package tlscert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testCA makes a CA, an intermediate and a leaf for names.
type testPKI struct {
	root, inter, leaf          *x509.Certificate
	rootKey, interKey, leafKey *ecdsa.PrivateKey
}

func mkcert(t *testing.T, tmpl, parent *x509.Certificate, pub, signer any) *x509.Certificate {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c
}

func newPKI(t *testing.T, now time.Time, names []string, notAfter time.Time) *testPKI {
	t.Helper()
	p := &testPKI{}
	p.rootKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p.interKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p.leafKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := func(n int64, cn string) *x509.Certificate {
		return &x509.Certificate{SerialNumber: big.NewInt(n), Subject: pkix.Name{CommonName: cn}, NotBefore: now.Add(-time.Hour),
			NotAfter: now.Add(10 * 365 * 24 * time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	}
	rt := ca(1, "Test Root")
	p.root = mkcert(t, rt, rt, &p.rootKey.PublicKey, p.rootKey)
	p.inter = mkcert(t, ca(2, "Test Intermediate"), p.root, &p.interKey.PublicKey, p.rootKey)
	lt := &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: now.Add(-time.Hour), NotAfter: notAfter}
	p.leaf = mkcert(t, lt, p.inter, &p.leafKey.PublicKey, p.interKey)
	return p
}

func pemOf(certs ...*x509.Certificate) []byte {
	var b []byte
	for _, c := range certs {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return b
}

func keyPEM(t *testing.T, k *ecdsa.PrivateKey, pkcs8 bool) []byte {
	if pkcs8 {
		der, _ := x509.MarshalPKCS8PrivateKey(k)
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	der, _ := x509.MarshalECPrivateKey(k)
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
}

func TestParse(t *testing.T) {
	now := time.Now()
	p := newPKI(t, now, []string{"mail.example.com", "example.com"}, now.Add(90*24*time.Hour))
	expired := newPKI(t, now, []string{"mail.example.com"}, now.Add(-time.Minute))
	good := pemOf(p.leaf, p.inter)
	t.Run("a leaf with its intermediate and a matching key is accepted", func(t *testing.T) {
		for _, pkcs8 := range []bool{true, false} {
			b, err := Parse(good, keyPEM(t, p.leafKey, pkcs8), now)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(b.Names, ",") != "mail.example.com,example.com" || b.Issuer() != "Test Intermediate" || len(b.Chain) != 2 {
				t.Fatalf("bundle %v %q", b.Names, b.Issuer())
			}
			if _, err := TLSCertificate(b.ChainPEM, b.KeyPEM); err != nil {
				t.Fatalf("stored form is not a TLS key pair: %v", err)
			}
		}
	})
	refusals := []struct {
		name  string
		chain []byte
		key   []byte
		msg   string
	}{
		{"garbage PEM is refused", []byte("not a certificate"), keyPEM(t, p.leafKey, true), "no PEM certificate"},
		{"a corrupt certificate is refused", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1, 2, 3}}), keyPEM(t, p.leafKey, true), "cannot be parsed"},
		{"a key in the certificate field is refused", keyPEM(t, p.leafKey, true), keyPEM(t, p.leafKey, true), "want only CERTIFICATE"},
		{"a missing key is refused", good, nil, "no PEM key"},
		{"a mismatched key is refused", good, keyPEM(t, p.interKey, true), "does not match"},
		{"a chain out of order is refused", pemOf(p.leaf, p.root, p.inter), keyPEM(t, p.leafKey, true), "put the chain in order"},
		{"an expired certificate is refused", pemOf(expired.leaf, expired.inter), keyPEM(t, expired.leafKey, true), "expired"},
		{"trailing junk is refused", append(append([]byte{}, good...), "junk"...), keyPEM(t, p.leafKey, true), "after its last certificate"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.chain, tt.key, now)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %v, want %q", err, tt.msg)
			}
			if _, ok := err.(*Error); !ok {
				t.Fatalf("err %T is not a validation error", err)
			}
		})
	}
}

func TestCovered(t *testing.T) {
	for _, tt := range []struct {
		name, domain string
		want         bool
	}{
		{"example.com", "example.com", true},
		{"mail.example.com", "example.com", true},
		{"*.example.com", "example.com", true},
		{"badexample.com", "example.com", false},
		{"example.org", "example.com", false},
		{"com", "example.com", false},
	} {
		if got := Covered(tt.name, tt.domain); got != tt.want {
			t.Errorf("Covered(%q, %q) = %v", tt.name, tt.domain, got)
		}
	}
}

func TestWriteFiles(t *testing.T) {
	dir := t.TempDir()
	if err := WriteFiles(dir, "*.example.com", []byte("chain"), []byte("key")); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "_.example.com", "privkey.pem"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("privkey.pem: %v %v", st, err)
	}
	for _, bad := range []string{"../etc", "a/b", ".."} {
		if err := WriteFiles(dir, bad, nil, nil); err == nil {
			t.Errorf("WriteFiles(%q) accepted", bad)
		}
	}
}

// FuzzParse: arbitrary PEM uploads never panic and fail only with a
// validation error.
func FuzzParse(f *testing.F) {
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), []byte("-----BEGIN PRIVATE KEY-----\nMC4=\n-----END PRIVATE KEY-----\n"))
	f.Add([]byte(""), []byte(""))
	f.Fuzz(func(t *testing.T, chain, key []byte) {
		if _, err := Parse(chain, key, time.Now()); err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("non-validation error %T: %v", err, err)
			}
		}
	})
}
