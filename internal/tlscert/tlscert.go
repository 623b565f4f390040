// Package tlscert validates TLS certificate bundles (an uploaded chain and
// key, or one fresh from ACME) and writes them where Dovecot and Postfix
// read them.
package tlscert

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Bundle is a validated certificate chain with its private key.
type Bundle struct {
	Chain    []*x509.Certificate // leaf first
	ChainPEM []byte
	KeyPEM   []byte // PKCS#8
	Names    []string
}

// Leaf is the end-entity certificate.
func (b *Bundle) Leaf() *x509.Certificate { return b.Chain[0] }

// Issuer names the leaf's issuer for display.
func (b *Bundle) Issuer() string {
	if cn := b.Leaf().Issuer.CommonName; cn != "" {
		return cn
	}
	return b.Leaf().Issuer.String()
}

// Error is a validation failure with a message safe to show the uploader.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func fail(format string, args ...any) error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// MaxPEM bounds the size of one uploaded PEM document.
const MaxPEM = 256 << 10

// Parse validates a chain and key: parseable PEM, the key matches the leaf,
// each certificate is signed by the next one, and the leaf is valid at now
// (a zero now skips that check, for certificates moved between servers).
func Parse(chainPEM, keyPEM []byte, now time.Time) (*Bundle, error) {
	if len(chainPEM) > MaxPEM || len(keyPEM) > MaxPEM {
		return nil, fail("certificate or key is larger than %d bytes", MaxPEM)
	}
	var chain []*x509.Certificate
	rest := chainPEM
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, fail("ssl_certificate holds a %q PEM block; want only CERTIFICATE blocks", block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fail("certificate %d cannot be parsed: %v", len(chain)+1, err)
		}
		chain = append(chain, c)
	}
	if len(chain) == 0 {
		return nil, fail("ssl_certificate holds no PEM certificate")
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, fail("ssl_certificate has data after its last certificate")
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, err
	}
	if !publicKeyEqual(chain[0].PublicKey, key.Public()) {
		return nil, fail("ssl_certificate_key does not match the certificate")
	}
	if err := checkKeyStrength(key.Public()); err != nil {
		return nil, err
	}
	for i := 0; i+1 < len(chain); i++ {
		if err := chain[i].CheckSignatureFrom(chain[i+1]); err != nil {
			return nil, fail("certificate %d is not signed by certificate %d: put the chain in order, leaf first", i+1, i+2)
		}
	}
	leaf := chain[0]
	if now.IsZero() {
		// no validity window check
	} else if now.Before(leaf.NotBefore) {
		return nil, fail("the certificate is not valid before %s", leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	if !now.Before(leaf.NotAfter) {
		return nil, fail("the certificate expired on %s", leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	// Clients have ignored the common name since RFC 6125 (Chrome 58, Go
	// 1.15): a certificate without a DNS subjectAltName matches no host.
	if len(leaf.DNSNames) == 0 {
		return nil, fail("the certificate has no DNS subjectAltName: modern clients ignore the common name, so it matches no host; reissue it with the host names as DNS subjectAltNames")
	}
	names := slices.Clone(leaf.DNSNames)
	for i, n := range names {
		names[i] = strings.ToLower(strings.TrimSuffix(n, "."))
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fail("ssl_certificate_key cannot be stored: %v", err)
	}
	var out bytes.Buffer
	for _, c := range chain {
		pem.Encode(&out, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return &Bundle{Chain: chain, ChainPEM: out.Bytes(), Names: names,
		KeyPEM: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})}, nil
}

func parseKey(keyPEM []byte) (crypto.Signer, error) {
	block, rest := pem.Decode(keyPEM)
	if block == nil {
		return nil, fail("ssl_certificate_key holds no PEM key")
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, fail("ssl_certificate_key holds more than one PEM block")
	}
	var k any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		k, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fail("ssl_certificate_key holds a %q PEM block; want a private key", block.Type)
	}
	if err != nil {
		return nil, fail("ssl_certificate_key cannot be parsed: %v", err)
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fail("ssl_certificate_key is not a signing key")
	}
	return s, nil
}

// MinRSABits is the smallest RSA key accepted: shorter keys are refused by
// current clients and CAs (NIST SP 800-131A, CA/Browser Forum).
const MinRSABits = 2048

// checkKeyStrength refuses keys too weak for TLS: RSA below MinRSABits and
// ECDSA on a curve other than P-256, P-384 or P-521. Ed25519 is accepted.
func checkKeyStrength(pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if bits := k.N.BitLen(); bits < MinRSABits {
			return fail("the RSA key has %d bits; at least %d are required", bits, MinRSABits)
		}
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
		default:
			return fail("the ECDSA key is on curve %s; use P-256, P-384 or P-521", k.Curve.Params().Name)
		}
	case ed25519.PublicKey:
	default:
		return fail("ssl_certificate_key is of an unsupported type %T", pub)
	}
	return nil
}

func publicKeyEqual(a, b crypto.PublicKey) bool {
	switch a := a.(type) {
	case *rsa.PublicKey:
		return a.Equal(b)
	case *ecdsa.PublicKey:
		return a.Equal(b)
	case ed25519.PublicKey:
		return a.Equal(b)
	}
	return false
}

// Covered reports whether a certificate name lies within domain: the domain
// itself, a name under it, or a wildcard under it.
func Covered(name, domain string) bool {
	name = strings.TrimPrefix(name, "*.")
	return name == domain || strings.HasSuffix(name, "."+domain)
}

// TLSCertificate turns stored PEM into a certificate for a TLS listener.
func TLSCertificate(chainPEM, keyPEM []byte) (*tls.Certificate, error) {
	c, err := tls.X509KeyPair(chainPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// FileName is the directory name of a host under the cert directory; a
// wildcard's '*' becomes '_'.
func FileName(hostname string) string { return strings.ReplaceAll(hostname, "*", "_") }

// WriteFiles writes <dir>/<hostname>/fullchain.pem and privkey.pem (0600),
// each replaced atomically so a reading server never sees half a file.
func WriteFiles(dir, hostname string, chainPEM, keyPEM []byte) error {
	name := FileName(hostname)
	if name == "" || strings.ContainsAny(name, "/\\") || name == "." || name == ".." {
		return errors.New("unsafe host name for a file")
	}
	d := filepath.Join(dir, name)
	if err := os.MkdirAll(d, 0o700); err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join(d, "fullchain.pem"), chainPEM, 0o644); err != nil {
		return err
	}
	return writeAtomic(filepath.Join(d, "privkey.pem"), keyPEM, 0o600)
}

// RemoveFiles deletes a host's files.
func RemoveFiles(dir, hostname string) error {
	name := FileName(hostname)
	if name == "" || strings.ContainsAny(name, "/\\") || name == "." || name == ".." {
		return errors.New("unsafe host name for a file")
	}
	return os.RemoveAll(filepath.Join(dir, name))
}

func writeAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
