package auth

import (
	"crypto/rand"
)

// App password shape: AppPasswordHandleLen characters of public handle,
// then appPasswordSecretLen of secret, all from a 32-letter alphabet
// without look-alikes (no 0/o, 1/l), lower case so that it survives being
// typed on a phone. The secret carries 24 × 5 = 120 random bits; the handle
// (40 bits) only names the row Dovecot verifies against, so Dovecot's query
// carries the handle and never the secret.
const (
	AppPasswordHandleLen = 8
	appPasswordSecretLen = 24
	// AppPasswordLen is the length of a whole app password.
	AppPasswordLen = AppPasswordHandleLen + appPasswordSecretLen
)

const appPasswordAlphabet = "abcdefghijkmnpqrstuvwxyz23456789"

// NewAppPassword returns a new random app password and its handle (its
// first AppPasswordHandleLen characters).
func NewAppPassword() (password, handle string) {
	var b [AppPasswordLen]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error()) // never happens on Linux
	}
	for i := range b {
		// 256 is a multiple of 32: taking the low 5 bits is uniform.
		b[i] = appPasswordAlphabet[b[i]&31]
	}
	p := string(b[:])
	return p, p[:AppPasswordHandleLen]
}
