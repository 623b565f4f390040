package digest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// LookupFunc returns the stored HA1 (lowercase hex) of a user for a realm and
// algorithm, with found=false when there is none.
type LookupFunc func(ctx context.Context, username, realm, algorithm string) (ha1 string, found bool, err error)

// Authenticator checks Digest credentials for one realm: parsing, nonce,
// opaque, response and nonce-count, in one call.
type Authenticator struct {
	realm      string
	algorithms []string
	nonces     *Nonces
	counter    NonceCounter
	lookup     LookupFunc
	opaque     string
}

// NewAuthenticator returns an Authenticator for realm that offers the given
// algorithms in order (MD5 then SHA-256 when none are given).
func NewAuthenticator(realm string, nonces *Nonces, counter NonceCounter, lookup LookupFunc, algorithms ...string) (*Authenticator, error) {
	if realm == "" || !utf8.ValidString(realm) || !validUsername(realm) {
		return nil, fmt.Errorf("digest: realm %q is empty or not printable", realm)
	}
	if nonces == nil || counter == nil || lookup == nil {
		return nil, errors.New("digest: authenticator needs nonces, a counter and a lookup")
	}
	if len(algorithms) == 0 {
		algorithms = []string{MD5, SHA256}
	}
	algs := make([]string, 0, len(algorithms))
	for _, a := range algorithms {
		a = canonicalAlgorithm(a)
		if _, err := hashFor(a); err != nil {
			return nil, err
		}
		if slices.Contains(algs, a) {
			return nil, fmt.Errorf("digest: algorithm %s listed twice", a)
		}
		algs = append(algs, a)
	}
	return &Authenticator{
		realm:      realm,
		algorithms: algs,
		nonces:     nonces,
		counter:    counter,
		lookup:     lookup,
		opaque:     nonces.Opaque(realm),
	}, nil
}

// Challenges returns the WWW-Authenticate values for a 401 answer, with a
// fresh nonce.
func (a *Authenticator) Challenges(stale bool) []string {
	return Challenges(a.realm, a.nonces.New(), a.opaque, stale, a.algorithms...)
}

// SetChallenge adds the WWW-Authenticate values for a 401 answer to h; pass
// stale=true when Authenticate returned ErrStaleNonce.
func (a *Authenticator) SetChallenge(h http.Header, stale bool) {
	for _, c := range a.Challenges(stale) {
		h.Add("WWW-Authenticate", c)
	}
}

// Authenticate checks the Authorization header of a request with the given
// method and request target, and returns the authenticated username. Errors
// wrap ErrNoCredentials, ErrMalformed, ErrUnauthorized, ErrStaleNonce,
// ErrReplay or ErrUnsupported; any other error is a failure of the lookup or
// the counter. An unknown user and a wrong password both give ErrUnauthorized
// after the same amount of hashing.
func (a *Authenticator) Authenticate(ctx context.Context, header, method, requestURI string) (string, error) {
	c, err := ParseAuthorization(header)
	if err != nil {
		return "", err
	}
	if !slices.Contains(a.algorithms, c.Algorithm) {
		return "", fmt.Errorf("%w: algorithm %q", ErrUnsupported, c.Algorithm)
	}
	if !strings.EqualFold(c.QOP, "auth") {
		return "", fmt.Errorf("%w: qop %q", ErrUnsupported, c.QOP)
	}
	if c.UserHash {
		return "", fmt.Errorf("%w: userhash", ErrUnsupported)
	}
	if c.Realm != a.realm || c.Opaque != a.opaque {
		return "", ErrUnauthorized
	}
	issued, nonceErr := a.nonces.Check(c.Nonce)
	if errors.Is(nonceErr, ErrBadNonce) {
		return "", fmt.Errorf("%w: %w", ErrUnauthorized, ErrBadNonce)
	}
	ha1, found, err := a.lookup(ctx, c.Username, c.Realm, c.Algorithm)
	if err != nil {
		return "", fmt.Errorf("digest: look up user: %w", err)
	}
	if !found {
		// Hash as much as for a known user, so timing does not tell.
		newHash, _ := hashFor(c.Algorithm)
		ha1 = strings.Repeat("0", newHash().Size()*2)
	}
	if err := Verify(c, method, requestURI, ha1); err != nil {
		return "", err
	}
	if !found {
		return "", ErrUnauthorized
	}
	// RFC 7616 §3.3: stale only when the response itself was right.
	if nonceErr != nil {
		return "", nonceErr
	}
	nc, _ := strconv.ParseUint(c.NC, 16, 64) // ParseAuthorization checked the digits
	ok, err := a.counter.Advance(ctx, c.Nonce, nc, issued.Add(a.nonces.TTL()))
	if err != nil {
		return "", fmt.Errorf("digest: advance nonce count: %w", err)
	}
	if !ok {
		return "", ErrReplay
	}
	return c.Username, nil
}
