package digest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Nonce layout before base64url encoding: issue time (Unix nanoseconds, big
// endian), random bytes so that two nonces issued at once differ, and a
// truncated HMAC-SHA256 over both.
const (
	nonceTimeLen = 8
	nonceRandLen = 12
	nonceMACLen  = 16
	nonceRawLen  = nonceTimeLen + nonceRandLen + nonceMACLen
	// maxClockSkew tolerates instances whose clocks disagree slightly.
	maxClockSkew = time.Minute
	// MinKeyLength is the shortest key NewNonces accepts.
	MinKeyLength = 16
)

// Domain separation for the two uses of the key.
const (
	nonceLabel  = "switchboard digest nonce v1\x00"
	opaqueLabel = "switchboard digest opaque v1\x00"
)

var nonceEncoding = base64.RawURLEncoding

// Nonces issues and checks stateless nonces: each carries its issue time and
// an HMAC under a server key, so every instance holding the key accepts the
// nonces of the others without shared storage.
type Nonces struct {
	key []byte
	ttl time.Duration
	now func() time.Time
}

// NewNonces returns a Nonces signing with key (at least MinKeyLength bytes)
// whose nonces go stale ttl after they are issued, reading time from now.
func NewNonces(key []byte, ttl time.Duration, now func() time.Time) (*Nonces, error) {
	if len(key) < MinKeyLength {
		return nil, fmt.Errorf("digest: nonce key shorter than %d bytes", MinKeyLength)
	}
	if ttl <= 0 {
		return nil, errors.New("digest: nonce lifetime must be positive")
	}
	if now == nil {
		return nil, errors.New("digest: no clock")
	}
	return &Nonces{key: append([]byte(nil), key...), ttl: ttl, now: now}, nil
}

// TTL returns how long a nonce stays fresh.
func (n *Nonces) TTL() time.Duration { return n.ttl }

// New returns a fresh nonce made of base64url characters.
func (n *Nonces) New() string {
	var raw [nonceRawLen]byte
	binary.BigEndian.PutUint64(raw[:nonceTimeLen], uint64(n.now().UnixNano()))
	rand.Read(raw[nonceTimeLen : nonceTimeLen+nonceRandLen]) // never fails since Go 1.24
	copy(raw[nonceTimeLen+nonceRandLen:], n.mac(raw[:nonceTimeLen+nonceRandLen]))
	return nonceEncoding.EncodeToString(raw[:])
}

// Check verifies a nonce and returns when it was issued. A nonce not made
// with this key, or issued in the future, yields ErrBadNonce; an expired one
// yields ErrStaleNonce along with its issue time.
func (n *Nonces) Check(nonce string) (issued time.Time, err error) {
	if len(nonce) != nonceEncoding.EncodedLen(nonceRawLen) {
		return time.Time{}, ErrBadNonce
	}
	raw, err := nonceEncoding.DecodeString(nonce)
	if err != nil || len(raw) != nonceRawLen {
		return time.Time{}, ErrBadNonce
	}
	body, sum := raw[:nonceTimeLen+nonceRandLen], raw[nonceTimeLen+nonceRandLen:]
	if !hmac.Equal(sum, n.mac(body)) {
		return time.Time{}, ErrBadNonce
	}
	issued = time.Unix(0, int64(binary.BigEndian.Uint64(body[:nonceTimeLen])))
	now := n.now()
	if issued.After(now.Add(maxClockSkew)) {
		return time.Time{}, ErrBadNonce
	}
	if now.Sub(issued) > n.ttl {
		return issued, ErrStaleNonce
	}
	return issued, nil
}

// Opaque returns the opaque value for a realm: derived from the key, so all
// instances send and expect the same one.
func (n *Nonces) Opaque(realm string) string {
	m := hmac.New(sha256.New, n.key)
	m.Write([]byte(opaqueLabel))
	m.Write([]byte(realm))
	return nonceEncoding.EncodeToString(m.Sum(nil)[:nonceMACLen])
}

// mac returns the truncated HMAC of a nonce body.
func (n *Nonces) mac(body []byte) []byte {
	m := hmac.New(sha256.New, n.key)
	m.Write([]byte(nonceLabel))
	m.Write(body)
	return m.Sum(nil)[:nonceMACLen]
}
