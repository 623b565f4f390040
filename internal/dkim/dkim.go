// Package dkim makes DKIM keys (RSA 2048 and Ed25519, RFC 8463) and the DNS
// records that publish them, and signs messages with them.
package dkim

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strings"

	msgdkim "github.com/emersion/go-msgauth/dkim"
)

// Algorithms.
const (
	RSA     = "rsa"
	Ed25519 = "ed25519"
)

// RSABits is the size of new RSA keys.
const RSABits = 2048

// Key is a generated DKIM key.
type Key struct {
	Algorithm  string
	PrivatePEM []byte // PKCS#8
	Public     string // the base64 p= value of the DNS record
}

// Generate makes a new key of the algorithm.
func Generate(algorithm string) (*Key, error) {
	var priv crypto.Signer
	var pub string
	switch algorithm {
	case RSA:
		k, err := rsa.GenerateKey(rand.Reader, RSABits)
		if err != nil {
			return nil, err
		}
		der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
		if err != nil {
			return nil, err
		}
		priv, pub = k, base64.StdEncoding.EncodeToString(der)
	case Ed25519:
		p, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		// RFC 8463: p= is the raw 32-byte public key.
		priv, pub = k, base64.StdEncoding.EncodeToString(p)
	default:
		return nil, fmt.Errorf("unknown DKIM algorithm %q", algorithm)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	return &Key{Algorithm: algorithm, Public: pub,
		PrivatePEM: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})}, nil
}

// DNSName is the name of the TXT record of a selector.
func DNSName(selector, domain string) string { return selector + "._domainkey." + domain }

// DNSValue is the TXT record that publishes a public key.
func DNSValue(algorithm, public string) string {
	return "v=DKIM1; k=" + algorithm + "; p=" + public
}

// MaxTXTString is the most bytes one character-string of a TXT record
// holds (RFC 1035 3.3); an RSA 2048 record is longer, so zone files split
// it into several strings, which resolvers join.
const MaxTXTString = 255

// ZoneStrings is a TXT value as a zone file writes it: quoted strings of at
// most MaxTXTString bytes, separated by spaces. DKIM values hold no quotes
// or backslashes, so nothing needs escaping.
func ZoneStrings(value string) string {
	var b strings.Builder
	for len(value) > 0 {
		n := min(len(value), MaxTXTString)
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(`"` + value[:n] + `"`)
		value = value[n:]
	}
	return b.String()
}

// ZoneLine is the zone-file line that publishes a TXT value at name, as the
// README's jq line writes it.
func ZoneLine(name, value string) string {
	return name + ". IN TXT ( " + ZoneStrings(value) + " )"
}

// ParsePrivate reads a PKCS#8 PEM private key of either algorithm.
func ParsePrivate(pemBytes []byte) (crypto.Signer, error) {
	b, _ := pem.Decode(pemBytes)
	if b == nil {
		return nil, errors.New("no PEM block in DKIM private key")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, err
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, errors.New("DKIM private key cannot sign")
	}
	return s, nil
}

// Sign writes the DKIM-Signature header for the message in r to w, followed
// by the message.
func Sign(w io.Writer, r io.Reader, domain, selector string, privatePEM []byte) error {
	signer, err := ParsePrivate(privatePEM)
	if err != nil {
		return err
	}
	return msgdkim.Sign(w, r, &msgdkim.SignOptions{
		Domain:                 domain,
		Selector:               selector,
		Signer:                 signer,
		HeaderCanonicalization: msgdkim.CanonicalizationRelaxed,
		BodyCanonicalization:   msgdkim.CanonicalizationRelaxed,
	})
}
