package digest

import "strings"

// Challenges returns one WWW-Authenticate value per algorithm, in the order
// given (MD5 then SHA-256 when none is), each offering qop=auth with the
// nonce and, when not empty, the opaque value; stale marks a retry after an
// expired nonce (RFC 7616 §3.3). Clients such as curl answer the first
// challenge they understand, so put the preferred algorithm first.
func Challenges(realm, nonce, opaque string, stale bool, algorithms ...string) []string {
	if len(algorithms) == 0 {
		algorithms = []string{MD5, SHA256}
	}
	out := make([]string, 0, len(algorithms))
	for _, alg := range algorithms {
		var b strings.Builder
		b.WriteString("Digest realm=")
		b.WriteString(quote(realm))
		b.WriteString(`, qop="auth", algorithm=`)
		b.WriteString(alg)
		b.WriteString(", nonce=")
		b.WriteString(quote(nonce))
		if opaque != "" {
			b.WriteString(", opaque=")
			b.WriteString(quote(opaque))
		}
		if stale {
			b.WriteString(", stale=true")
		}
		out = append(out, b.String())
	}
	return out
}
