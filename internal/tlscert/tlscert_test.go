package tlscert

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

// leafFor issues a leaf for key under p's intermediate, with dnsNames as
// its subjectAltNames and cn as its common name.
func leafFor(t *testing.T, p *testPKI, now time.Time, key crypto.Signer, cn string, dnsNames []string) (chain, keyPEM []byte) {
	t.Helper()
	lt := &x509.Certificate{SerialNumber: big.NewInt(4), Subject: pkix.Name{CommonName: cn}, DNSNames: dnsNames,
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(90 * 24 * time.Hour)}
	leaf := mkcert(t, lt, p.inter, key.Public(), p.interKey)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pemOf(leaf, p.inter), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func TestParseKeyStrengthAndNames(t *testing.T) {
	now := time.Now()
	p := newPKI(t, now, []string{"mail.example.com"}, now.Add(90*24*time.Hour))
	rsaKey := func(bits int) crypto.Signer {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	ecKey := func(c elliptic.Curve) crypto.Signer {
		k, _ := ecdsa.GenerateKey(c, rand.Reader)
		return k
	}
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	sans := []string{"mail.example.com"}
	tests := []struct {
		name string
		key  crypto.Signer
		cn   string
		sans []string
		msg  string // "" when accepted
	}{
		{"an RSA 2048 key is accepted", rsaKey(2048), "mail.example.com", sans, ""},
		{"an RSA 1024 key is refused", rsaKey(1024), "mail.example.com", sans, "the RSA key has 1024 bits; at least 2048 are required"},
		{"an RSA 2047 key is refused", rsaKey(2047), "mail.example.com", sans, "2047 bits"},
		{"an ECDSA P-256 key is accepted", ecKey(elliptic.P256()), "mail.example.com", sans, ""},
		{"an ECDSA P-384 key is accepted", ecKey(elliptic.P384()), "mail.example.com", sans, ""},
		{"an ECDSA P-224 key is refused", ecKey(elliptic.P224()), "mail.example.com", sans, "curve P-224"},
		{"an Ed25519 key is accepted", edKey, "mail.example.com", sans, ""},
		{"a certificate with only a common name is refused", ecKey(elliptic.P256()), "mail.example.com", nil, "no DNS subjectAltName: modern clients ignore the common name"},
		{"a certificate with no name at all is refused", ecKey(elliptic.P256()), "", nil, "no DNS subjectAltName"},
		{"a subjectAltName without a common name is accepted", ecKey(elliptic.P256()), "", sans, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chain, key := leafFor(t, p, now, tt.key, tt.cn, tt.sans)
			b, err := Parse(chain, key, now)
			if tt.msg == "" {
				if err != nil || strings.Join(b.Names, ",") != "mail.example.com" {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %v, want %q", err, tt.msg)
			}
			if _, ok := err.(*Error); !ok {
				t.Fatalf("err %T is not a validation error", err)
			}
		})
	}
}
