// Package digest implements the server side of HTTP Digest access
// authentication (RFC 7616) with qop=auth and the MD5 and SHA-256
// algorithms, checked against stored HA1 values rather than clear passwords.
//
// A server answers an unauthenticated request with 401 and one
// WWW-Authenticate challenge per algorithm (Challenges), then checks the
// client's Authorization header (ParseAuthorization, Nonces.Check, Verify and
// a NonceCounter, or all of it at once with Authenticator). Nonces are
// stateless and HMAC-signed, so instances sharing a key accept each other's
// nonces; only the nonce-count needs shared storage.
//
// Errors map to HTTP statuses as follows: ErrMalformed is 400; ErrNoCredentials,
// ErrUnauthorized, ErrStaleNonce (with stale=true), ErrReplay and ErrUnsupported
// are 401 with a fresh challenge; anything else is an internal error.
package digest

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net/url"
	"strings"
)

// Algorithm names as they appear in the algorithm parameter.
const (
	MD5    = "MD5"
	SHA256 = "SHA-256"
)

// Errors returned by this package; test for them with errors.Is.
var (
	// ErrNoCredentials means the request carries no Digest Authorization header.
	ErrNoCredentials = errors.New("digest: no credentials")
	// ErrMalformed means the Authorization header cannot be used as sent (400).
	ErrMalformed = errors.New("digest: malformed credentials")
	// ErrUnauthorized covers an unknown user, a wrong response, a foreign realm
	// or opaque and a forged nonce alike, so a client cannot tell them apart.
	ErrUnauthorized = errors.New("digest: invalid credentials")
	// ErrStaleNonce means the nonce has expired; the client should retry with
	// the fresh nonce of a stale=true challenge.
	ErrStaleNonce = errors.New("digest: stale nonce")
	// ErrBadNonce means the nonce was not issued with this key.
	ErrBadNonce = errors.New("digest: bad nonce")
	// ErrReplay means the nonce-count did not increase.
	ErrReplay = errors.New("digest: replayed nonce count")
	// ErrUnsupported means an algorithm, qop or userhash the server did not offer.
	ErrUnsupported = errors.New("digest: unsupported algorithm or option")
)

// hashFor returns the hash constructor for a canonical algorithm name.
func hashFor(algorithm string) (func() hash.Hash, error) {
	switch algorithm {
	case MD5:
		return md5.New, nil
	case SHA256:
		return sha256.New, nil
	}
	return nil, fmt.Errorf("%w: algorithm %q", ErrUnsupported, algorithm)
}

// canonicalAlgorithm returns the registered spelling of a known algorithm
// name (matched case-insensitively) or name unchanged.
func canonicalAlgorithm(name string) string {
	for _, a := range [...]string{MD5, SHA256, "MD5-sess", "SHA-256-sess", "SHA-512-256", "SHA-512-256-sess"} {
		if strings.EqualFold(name, a) {
			return a
		}
	}
	return name
}

// hexHash returns the lowercase hex digest of the parts joined by colons.
func hexHash(newHash func() hash.Hash, parts ...string) string {
	h := newHash()
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{':'})
		}
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// HA1 returns H(username:realm:password) in lowercase hex, the value a store
// keeps instead of the password.
func HA1(algorithm, username, realm, password string) (string, error) {
	newHash, err := hashFor(canonicalAlgorithm(algorithm))
	if err != nil {
		return "", err
	}
	return hexHash(newHash, username, realm, password), nil
}

// response computes H(HA1:nonce:nc:cnonce:qop:H(method:uri)).
func response(newHash func() hash.Hash, ha1, method string, c *Credentials) string {
	ha2 := hexHash(newHash, method, c.URI)
	return hexHash(newHash, ha1, c.Nonce, c.NC, c.CNonce, c.QOP, ha2)
}

// Verify checks the credentials' response against the stored HA1 for
// c.Algorithm, the request method and the request URI (r.RequestURI, or
// r.URL.RequestURI()). It does not check the nonce, realm, opaque or
// nonce-count; Authenticator does. A wrong response yields ErrUnauthorized, a
// uri naming another resource ErrMalformed (RFC 7616 §3.4.6).
func Verify(c *Credentials, method, requestURI, ha1 string) error {
	newHash, err := hashFor(canonicalAlgorithm(c.Algorithm))
	if err != nil {
		return err
	}
	if !strings.EqualFold(c.QOP, "auth") {
		return fmt.Errorf("%w: qop %q", ErrUnsupported, c.QOP)
	}
	if !sameResource(c.URI, requestURI) {
		return fmt.Errorf("%w: uri does not match the request", ErrMalformed)
	}
	size := newHash().Size() * 2
	if len(ha1) != size {
		return fmt.Errorf("digest: stored HA1 is not a %s digest", c.Algorithm)
	}
	want := response(newHash, strings.ToLower(ha1), method, c)
	got := strings.ToLower(c.Response)
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return ErrUnauthorized
	}
	return nil
}

// sameResource reports whether the uri parameter designates the request
// target. Absolute-form uris (sent by some clients through proxies) are
// compared by their path and query.
func sameResource(uri, requestURI string) bool {
	if uri == requestURI {
		return true
	}
	u, err := url.ParseRequestURI(uri)
	if err != nil || !u.IsAbs() {
		return false
	}
	return u.RequestURI() == requestURI
}
