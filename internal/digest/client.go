package digest

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
)

// FindChallenge returns the first Digest challenge among WWW-Authenticate
// values that uses algorithm (MD5 when a challenge names none).
func FindChallenge(challenges []string, algorithm string) (string, bool) {
	for _, ch := range challenges {
		p, err := parseChallenge(ch)
		if err == nil && p["algorithm"] == canonicalAlgorithm(algorithm) {
			return ch, true
		}
	}
	return "", false
}

// Respond answers a Digest challenge (one WWW-Authenticate value) as a client
// would, returning the Authorization header value for a request with the
// given method and uri. nc is the count of requests made with this nonce,
// starting at 1; an empty cnonce is replaced by a random one.
func Respond(challenge, method, uri, username, password string, nc uint64, cnonce string) (string, error) {
	p, err := parseChallenge(challenge)
	if err != nil {
		return "", err
	}
	if p["realm"] == "" || p["nonce"] == "" {
		return "", errors.New("digest: challenge lacks realm or nonce")
	}
	if !qopOffers(p["qop"], "auth") {
		return "", fmt.Errorf("%w: challenge does not offer qop=auth", ErrUnsupported)
	}
	if nc == 0 || nc > 0xffffffff {
		return "", fmt.Errorf("digest: nonce count %d out of range", nc)
	}
	if cnonce == "" {
		cnonce = rand.Text()
	}
	newHash, err := hashFor(p["algorithm"])
	if err != nil {
		return "", err
	}
	c := &Credentials{
		Username:  username,
		Realm:     p["realm"],
		Nonce:     p["nonce"],
		URI:       uri,
		Algorithm: p["algorithm"],
		QOP:       "auth",
		NC:        fmt.Sprintf("%08x", nc),
		CNonce:    cnonce,
		Opaque:    p["opaque"],
	}
	c.Response = response(newHash, hexHash(newHash, username, c.Realm, password), method, c)
	return c.String(), nil
}

// parseChallenge returns the parameters of a Digest challenge by lowercase
// name, with the algorithm canonicalised and defaulting to MD5.
func parseChallenge(challenge string) (map[string]string, error) {
	if len(challenge) > MaxHeaderLength {
		return nil, fmt.Errorf("%w: challenge longer than %d bytes", ErrMalformed, MaxHeaderLength)
	}
	rest, ok, err := cutScheme(challenge)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: not a Digest challenge", ErrMalformed)
	}
	params, err := parseParams(rest)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(params))
	for _, p := range params {
		if _, dup := m[p.name]; dup {
			return nil, fmt.Errorf("%w: duplicate parameter %q", ErrMalformed, p.name)
		}
		m[p.name] = p.value
	}
	if a, ok := m["algorithm"]; ok {
		m["algorithm"] = canonicalAlgorithm(a)
	} else {
		m["algorithm"] = MD5
	}
	return m, nil
}

// qopOffers reports whether a challenge's qop list ("auth, auth-int") has want.
func qopOffers(list, want string) bool {
	for q := range strings.SplitSeq(list, ",") {
		if strings.EqualFold(strings.TrimSpace(q), want) {
			return true
		}
	}
	return false
}
