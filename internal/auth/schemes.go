package auth

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"

	xcrypt "github.com/go-crypt/x/crypt"
	"golang.org/x/crypto/bcrypt"
)

// The password hash schemes Switchboard keeps when it imports accounts from
// another system (PostfixAdmin, mailcow): each is one Dovecot verifies
// itself, by the {SCHEME} prefix of the stored value. Switchboard verifies
// them too, and replaces them with its own argon2id at the next successful
// login (Hasher.NeedsRehash).
const (
	SchemeArgon2ID    = "ARGON2ID"
	SchemeBlowfish    = "BLF-CRYPT"    // bcrypt, $2y$ / $2b$ / $2a$
	SchemeSHA512Crypt = "SHA512-CRYPT" // $6$
	SchemeSHA256Crypt = "SHA256-CRYPT" // $5$
	// SchemeCrypt is Dovecot's crypt(3) scheme; only the bodies of the three
	// crypt schemes above are accepted under it (never DES or MD5-crypt).
	SchemeCrypt = "CRYPT"
)

// Bounds on the cost of a kept hash, so that an imported hash cannot make
// each login (or the import itself) arbitrarily slow or large: a bcrypt
// cost of 13 takes about half a second here, 100,000 SHA-crypt rounds
// about 50 ms, and 256 MiB is the most an argon2id verification allocates.
const (
	MaxBcryptCost       = 13
	MaxSHACryptRounds   = 100_000
	MaxArgon2Memory     = 256 * 1024 // KiB
	MaxArgon2Time       = 10
	MaxArgon2Threads    = 16
	shaCryptRoundsFirst = 1000 // the least rounds= crypt(3) writes
	shaCryptRoundsDef   = 5000 // rounds when the hash names none
)

// HashError says why a password hash cannot be kept. Its message is safe
// to show: it never holds the hash.
type HashError struct{ Reason string }

func (e *HashError) Error() string { return e.Reason }

func hashErr(format string, a ...any) error {
	if len(a) == 0 {
		return &HashError{Reason: format}
	}
	return &HashError{Reason: fmt.Sprintf(format, a...)}
}

// ImportHash checks a password hash from another system and returns the
// value to store: the hash as given when it carries one of the accepted
// {SCHEME} prefixes (in any case), or the bare crypt string ($6$, $5$,
// $2y$/$2b$/$2a$, $argon2id$) with the prefix of its scheme put in front,
// since Dovecot, whose default scheme is ARGON2ID, needs it. Everything
// else is refused with a *HashError: MD5-crypt, DES, {PLAIN}, salted SHA
// and unknown schemes, malformed strings, and costs over the bounds.
func ImportHash(h string) (stored string, err error) {
	if h == "" {
		return "", hashErr("the hash is empty")
	}
	if len(h) > 512 {
		return "", hashErr("the hash is longer than 512 bytes")
	}
	for i := 0; i < len(h); i++ {
		if h[i] <= ' ' || h[i] > '~' {
			return "", hashErr("the hash holds a character that is not printable ASCII")
		}
	}
	scheme, body, prefixed := splitScheme(h)
	if !prefixed {
		scheme = inferScheme(body)
		if scheme == "" {
			return "", unknownBody(body)
		}
	}
	if err := checkScheme(scheme, body); err != nil {
		return "", err
	}
	if prefixed {
		return h, nil
	}
	return "{" + scheme + "}" + body, nil
}

// KeptSchemes lists the schemes ImportHash accepts, for messages.
const KeptSchemes = "{ARGON2ID}, {BLF-CRYPT} ($2y$, $2b$, $2a$), {SHA512-CRYPT} ($6$) and {SHA256-CRYPT} ($5$)"

func unknownBody(body string) error {
	switch {
	case strings.HasPrefix(body, "$1$"):
		return hashErr("MD5-crypt ($1$) hashes are too weak to keep; accepted: %s", KeptSchemes)
	case strings.HasPrefix(body, "$"):
		return hashErr("the hash's crypt scheme is not accepted; accepted: %s", KeptSchemes)
	}
	return hashErr("the hash has no scheme: give it as {SCHEME}hash or as a crypt string; accepted: %s", KeptSchemes)
}

// splitScheme splits "{SCHEME}body" into the upper-cased scheme and the
// body; prefixed is false when there is no {...} prefix.
func splitScheme(h string) (scheme, body string, prefixed bool) {
	if !strings.HasPrefix(h, "{") {
		return "", h, false
	}
	end := strings.IndexByte(h, '}')
	if end < 0 {
		return "", h, false
	}
	return strings.ToUpper(h[1:end]), h[end+1:], true
}

// inferScheme names the scheme of a bare crypt string, "" for none
// accepted.
func inferScheme(body string) string {
	switch {
	case strings.HasPrefix(body, "$argon2id$"):
		return SchemeArgon2ID
	case strings.HasPrefix(body, "$2y$"), strings.HasPrefix(body, "$2b$"), strings.HasPrefix(body, "$2a$"):
		return SchemeBlowfish
	case strings.HasPrefix(body, "$6$"):
		return SchemeSHA512Crypt
	case strings.HasPrefix(body, "$5$"):
		return SchemeSHA256Crypt
	}
	return ""
}

// checkScheme checks that body is a well-formed hash of scheme within the
// cost bounds.
func checkScheme(scheme, body string) error {
	switch scheme {
	case SchemeArgon2ID:
		p, _, _, err := parsePHC(body)
		if err != nil {
			return hashErr("the {ARGON2ID} hash is malformed")
		}
		if p.Memory > MaxArgon2Memory || p.Time > MaxArgon2Time || p.Threads > MaxArgon2Threads {
			return hashErr("the {ARGON2ID} hash's cost is over the bounds (m=%d, t=%d, p=%d at most)",
				MaxArgon2Memory, MaxArgon2Time, MaxArgon2Threads)
		}
		return nil
	case SchemeBlowfish:
		_, err := parseBcrypt(body)
		return err
	case SchemeSHA512Crypt, SchemeSHA256Crypt:
		_, err := parseSHACrypt(body, scheme)
		return err
	case SchemeCrypt:
		switch inner := inferScheme(body); inner {
		case SchemeBlowfish, SchemeSHA512Crypt, SchemeSHA256Crypt:
			return checkScheme(inner, body)
		}
		return hashErr("a {CRYPT} hash is kept only as bcrypt ($2y$), SHA512-crypt ($6$) or SHA256-crypt ($5$)")
	case "":
		return hashErr("the hash's {} scheme is empty")
	}
	return hashErr("the {%s} scheme is not accepted; accepted: %s", sanitizeScheme(scheme), KeptSchemes)
}

// sanitizeScheme bounds the scheme name repeated in a message.
func sanitizeScheme(s string) string {
	if len(s) > 24 {
		return s[:24] + "..."
	}
	return s
}

// bcryptAlphabet is bcrypt's base64 alphabet.
const bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// cryptAlphabet is crypt(3)'s base64 alphabet.
const cryptAlphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func inAlphabet(s, alphabet string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(alphabet, s[i]) < 0 {
			return false
		}
	}
	return true
}

// parseBcrypt checks "$2y$NN$" + 22 salt + 31 hash characters and returns
// the cost.
func parseBcrypt(body string) (int, error) {
	if len(body) != 60 || body[0] != '$' || body[1] != '2' || strings.IndexByte("aby", body[2]) < 0 ||
		body[3] != '$' || body[6] != '$' || !inAlphabet(body[7:], bcryptAlphabet) {
		return 0, hashErr("the bcrypt hash is malformed (want $2y$NN$ and 53 characters)")
	}
	cost, err := strconv.Atoi(body[4:6])
	if err != nil || cost < bcrypt.MinCost {
		return 0, hashErr("the bcrypt hash's cost is malformed")
	}
	if cost > MaxBcryptCost {
		return 0, hashErr("the bcrypt hash's cost %d is over the bound of %d", cost, MaxBcryptCost)
	}
	return cost, nil
}

// shaCrypt is a parsed SHA-crypt string.
type shaCrypt struct {
	hash   func() hash.Hash
	rounds int
	salt   string
	key    string // crypt(3) base64, as stored
}

// parseSHACrypt checks "$6$[rounds=N$]salt$key" (or $5$) as crypt(3)
// writes it: at most 16 salt characters, rounds from 1000 (written only
// when given) up to MaxSHACryptRounds, and a key of 86 (43) characters.
func parseSHACrypt(body, scheme string) (shaCrypt, error) {
	c := shaCrypt{hash: sha512.New, rounds: shaCryptRoundsDef}
	magic, keyLen := "$6$", 86
	if scheme == SchemeSHA256Crypt {
		c.hash, magic, keyLen = sha256.New, "$5$", 43
	}
	name := strings.ToLower(scheme[:6]) + "-crypt"
	if !strings.HasPrefix(body, magic) {
		return c, hashErr("the {%s} hash does not start with %s", scheme, magic)
	}
	parts := strings.Split(body[3:], "$")
	if len(parts) == 3 {
		r, ok := strings.CutPrefix(parts[0], "rounds=")
		n, err := strconv.Atoi(r)
		if !ok || err != nil || strconv.Itoa(n) != r || n < shaCryptRoundsFirst {
			return c, hashErr("the %s hash's rounds are malformed", name)
		}
		if n > MaxSHACryptRounds {
			return c, hashErr("the %s hash's %d rounds are over the bound of %d", name, n, MaxSHACryptRounds)
		}
		c.rounds, parts = n, parts[1:]
	}
	if len(parts) != 2 {
		return c, hashErr("the %s hash is malformed (want %s[rounds=N$]salt$key)", name, magic)
	}
	c.salt, c.key = parts[0], parts[1]
	if len(c.salt) == 0 || len(c.salt) > 16 || strings.ContainsAny(c.salt, ":") {
		return c, hashErr("the %s hash's salt is malformed (1 to 16 characters)", name)
	}
	if len(c.key) != keyLen || !inAlphabet(c.key, cryptAlphabet) {
		return c, hashErr("the %s hash's key is malformed (want %d characters)", name, keyLen)
	}
	return c, nil
}

// verifyKept verifies password against a kept hash of another scheme than
// argon2id; ok is false for a wrong password, err set for a hash that is
// not one ImportHash accepts.
func verifyKept(stored, password string) (bool, error) {
	scheme, body, prefixed := splitScheme(stored)
	if !prefixed || checkScheme(scheme, body) != nil {
		return false, ErrMalformedHash
	}
	if scheme == SchemeCrypt {
		scheme = inferScheme(body)
	}
	switch scheme {
	case SchemeBlowfish:
		err := bcrypt.CompareHashAndPassword([]byte(body), []byte(password))
		if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
			return false, nil
		}
		return err == nil, err
	case SchemeSHA512Crypt, SchemeSHA256Crypt:
		c, _ := parseSHACrypt(body, scheme)
		got := xcrypt.KeySHACrypt(c.hash, []byte(password), []byte(c.salt), c.rounds)
		return subtle.ConstantTimeCompare(got, []byte(c.key)) == 1, nil
	}
	return false, ErrMalformedHash
}
