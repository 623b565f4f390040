// Package auth holds the credential primitives: argon2id password hashes in
// the PHC form Dovecot verifies, opaque tokens stored as digests, and rate
// limits on every credential check.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/crypto/argon2"
)

// DovecotPrefix is the scheme prefix Dovecot needs to verify the hash
// straight from the database.
const DovecotPrefix = "{ARGON2ID}"

// Params are argon2id cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
	SaltLen int
	KeyLen  uint32
}

// DefaultParams take about 15 ms per hash on this project's 2-core machines
// (BenchmarkHash; 2 passes would take 30 ms, over the 10–20 ms budget):
// 19 MiB, 1 pass, 1 lane. RFC 9106 prefers memory over passes; one lane
// keeps concurrent logins from starving each other. Hashes made with other
// parameters still verify (the parameters travel in the PHC string).
var DefaultParams = Params{Memory: 19 * 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// TestParams are cheap parameters for tests that hash many passwords.
var TestParams = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// Hasher hashes and verifies passwords.
type Hasher struct {
	params Params
	dummy  string // verified against when the user is unknown, to even out timing
	// slots bounds the argon2id computations running at once (see idKey).
	slots chan struct{}
}

// NewHasher returns a Hasher that makes new hashes with p.
func NewHasher(p Params) *Hasher {
	h := &Hasher{params: p, slots: make(chan struct{}, runtime.GOMAXPROCS(0))}
	h.dummy, _ = h.Hash(context.Background(), "switchboard-dummy-password")
	return h
}

var b64 = base64.RawStdEncoding

// Hash returns the Dovecot-prefixed PHC string of password. It returns
// ctx's error, having computed nothing, when ctx ends while the hash waits
// for a slot (see idKey).
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, h.params.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("read salt: %w", err)
	}
	p := h.params
	key, err := h.idKey(ctx, []byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", DovecotPrefix, argon2.Version,
		p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// idKey is argon2.IDKey run in one of GOMAXPROCS slots. Each computation
// holds its memory (19 MiB with DefaultParams) and keeps a core busy: more
// at once than there are cores finish no sooner in total, but hold more
// memory, make the garbage collector run more often and thrash the caches.
// So a burst of logins or account creations queues here, and the process
// holds at most GOMAXPROCS argon2 buffers whatever the number of clients.
//
// A computation whose ctx ends while it waits (its client gone, or its
// request past the server's timeout) leaves the queue with ctx's error and
// computes nothing: the hashes of clients who gave up would otherwise keep
// both cores busy for the ones still waiting, 15 ms each, and a burst of
// abandoned logins would outlast its clients. One that has its slot runs
// to the end: argon2 cannot be interrupted.
func (h *Hasher) idKey(ctx context.Context, password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) ([]byte, error) {
	if h.slots != nil {
		if err := ctx.Err(); err != nil {
			return nil, err // select picks at random among ready cases: a free slot must not win
		}
		select {
		case h.slots <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		defer func() { <-h.slots }()
	}
	return argon2.IDKey(password, salt, time, memory, threads, keyLen), nil
}

// ErrMalformedHash is returned for a stored hash that cannot be parsed.
var ErrMalformedHash = errors.New("malformed password hash")

// Verify reports whether password matches the stored hash, in constant time
// for a given hash. Besides its own argon2id it verifies the schemes of
// hashes kept from an import (ImportHash): {BLF-CRYPT}, {SHA512-CRYPT},
// {SHA256-CRYPT} and {CRYPT} over those; NeedsRehash is true for them.
// It fails for a stored hash it cannot read, and with ctx's error when ctx
// ends while the argon2id computation waits for a slot (see idKey).
func (h *Hasher) Verify(ctx context.Context, stored, password string) (bool, error) {
	if scheme, _, prefixed := splitScheme(stored); prefixed && scheme != SchemeArgon2ID {
		return verifyKept(stored, password)
	}
	p, salt, key, err := parsePHC(stored)
	if err != nil {
		return false, err
	}
	got, err := h.idKey(ctx, []byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// VerifyDummy spends the time of one verification; call it when the user is
// unknown so that timing does not tell unknown users from wrong passwords.
// Its error is ctx's, when ctx ends while it waits for a slot.
func (h *Hasher) VerifyDummy(ctx context.Context, password string) error {
	_, err := h.Verify(ctx, h.dummy, password)
	return err
}

// NeedsRehash reports whether stored should be replaced by a new hash of
// the same password at the next successful login: it is not the hasher's
// argon2id (a kept bcrypt or SHA-crypt hash) or was made with other
// parameters than the hasher's current ones.
func (h *Hasher) NeedsRehash(stored string) bool {
	p, salt, key, err := parsePHC(stored)
	return err != nil || p.Memory != h.params.Memory || p.Time != h.params.Time ||
		p.Threads != h.params.Threads || len(salt) != h.params.SaltLen || len(key) != int(h.params.KeyLen)
}

func parsePHC(s string) (Params, []byte, []byte, error) {
	var p Params
	if scheme, body, prefixed := splitScheme(s); prefixed {
		if scheme != SchemeArgon2ID {
			return p, nil, nil, ErrMalformedHash
		}
		s = body
	}
	parts := strings.Split(s, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, ErrMalformedHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, ErrMalformedHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil ||
		p.Memory == 0 || p.Time == 0 || p.Threads == 0 || p.Memory > 4*1024*1024 || p.Time > 100 {
		return p, nil, nil, ErrMalformedHash
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return p, nil, nil, ErrMalformedHash
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 128 {
		return p, nil, nil, ErrMalformedHash
	}
	p.SaltLen, p.KeyLen = len(salt), uint32(len(key))
	return p, salt, key, nil
}
