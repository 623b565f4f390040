package auth

import (
	"context"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// Known answers: the SHA-crypt vectors of Drepper's specification (as
// openssl passwd -5/-6 also writes them), and hashes doveadm pw made.
const (
	vecSHA512       = "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"
	vecSHA256       = "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5"
	vecSHA512Rounds = "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."
	vecPassword     = "Hello world!"

	doveBlowfish = "{BLF-CRYPT}$2y$05$kVQCFv8odaNDM771jP9oD.HV2zbgUNqhzMvXb59/k2HZ47Yt8JZ3a"
	doveSHA512   = "{SHA512-CRYPT}$6$B8FTSOqJn2F0tROz$i.JkqWWSanoUxXXJ.oxWEf6W7nrB/RjiOVnEW4IKSVArXv8tpkojqzBxkO.rlbDYbr3eGqtJ/D5pZqmJL5wkm."
	doveSHA256   = "{SHA256-CRYPT}$5$XA5nPJmGuMu1Bvav$fEygdttVkVlTAtJ/kHDPyGAw3ZaD03gSaqIFBPQtH83"
	doveArgon2ID = "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$THVHTB2b7bXg/jX6vNPNxQ$p2noou+3lMt/ZHtkgPHtHf+QEd9sVyplmIoaKAeNTjA"
	doveRounds   = "{SHA512-CRYPT}$6$rounds=6000$9TURXd4AK4KZ9TA2$j2KOeedx2ArRDaosmiji7snNXhHSGr9d4sEutt/hyle7CYPvF8GLAqv3N8lngrF3tMP9jhCMPg6MWJkz5AXeF1"
	dovePassword = "correct horse battery"
)

func TestImportHashKeepsAcceptedSchemes(t *testing.T) {
	bare := func(s string) string { return s[strings.IndexByte(s, '}')+1:] }
	tests := []struct {
		name, in, want string
	}{
		{"a prefixed bcrypt hash is kept byte for byte", doveBlowfish, doveBlowfish},
		{"a prefixed SHA512-crypt hash is kept byte for byte", doveSHA512, doveSHA512},
		{"a prefixed SHA256-crypt hash is kept byte for byte", doveSHA256, doveSHA256},
		{"a prefixed argon2id hash is kept byte for byte", doveArgon2ID, doveArgon2ID},
		{"explicit rounds are kept", doveRounds, doveRounds},
		{"a lower-case scheme is kept as given", "{sha512-crypt}" + bare(doveSHA512), "{sha512-crypt}" + bare(doveSHA512)},
		{"{CRYPT} over SHA512-crypt is kept", "{CRYPT}" + vecSHA512, "{CRYPT}" + vecSHA512},
		{"a bare $6$ gets its scheme", vecSHA512, "{SHA512-CRYPT}" + vecSHA512},
		{"a bare $5$ gets its scheme", vecSHA256, "{SHA256-CRYPT}" + vecSHA256},
		{"a bare $2y$ gets its scheme", bare(doveBlowfish), doveBlowfish},
		{"a bare $2b$ gets its scheme", "$2b$" + bare(doveBlowfish)[4:], "{BLF-CRYPT}$2b$" + bare(doveBlowfish)[4:]},
		{"a bare $argon2id$ gets its scheme", bare(doveArgon2ID), doveArgon2ID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ImportHash(tt.in)
			if err != nil || got != tt.want {
				t.Fatalf("ImportHash(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestImportHashRefuses(t *testing.T) {
	tooCostly, _ := bcrypt.GenerateFromPassword([]byte("x"), bcrypt.MinCost)
	costly := "$2a$14$" + string(tooCostly[7:])
	tests := []struct {
		name, in, reason string
	}{
		{"an empty hash", "", "empty"},
		{"MD5-crypt", "$1$abcdefgh$E2IUOVGWn4QIROUcRm1wO/", "MD5-crypt"},
		{"{MD5-CRYPT}", "{MD5-CRYPT}$1$abcdefgh$E2IUOVGWn4QIROUcRm1wO/", "{MD5-CRYPT} scheme is not accepted"},
		{"{PLAIN}", "{PLAIN}secret", "{PLAIN} scheme is not accepted"},
		{"{SSHA512}", "{SSHA512}c2FsdHNhbHQ=", "{SSHA512} scheme is not accepted"},
		{"{CRYPT} over MD5-crypt", "{CRYPT}$1$abcdefgh$E2IUOVGWn4QIROUcRm1wO/", "{CRYPT} hash is kept only"},
		{"{CRYPT} over DES", "{CRYPT}abJnggxhB/yWI", "{CRYPT} hash is kept only"},
		{"a plaintext password", "correct horse battery", "not printable"},
		{"a word without scheme", "hunter2hunter2", "no scheme"},
		{"an unknown crypt scheme", "$y$j9T$salt$hash", "crypt scheme is not accepted"},
		{"a truncated bcrypt hash", doveBlowfish[:40], "bcrypt hash is malformed"},
		{"a bcrypt hash with a bad character", doveBlowfish[:50] + "!" + doveBlowfish[51:], "bcrypt hash is malformed"},
		{"a bcrypt hash over the cost bound", costly, "over the bound"},
		{"$2x$ bcrypt", "$2x$" + vecSHA512[4:60], "crypt scheme is not accepted"},
		{"a SHA512-crypt hash with a short key", vecSHA512[:len(vecSHA512)-1], "key is malformed"},
		{"a SHA512-crypt hash with a long salt", "$6$saltstringsaltstr$" + vecSHA512[14:], "salt is malformed"},
		{"a SHA512-crypt hash with rounds under 1000", "$6$rounds=999$salt$" + vecSHA512[14:], "rounds are malformed"},
		{"a SHA512-crypt hash with zero-padded rounds", "$6$rounds=05000$salt$" + vecSHA512[14:], "rounds are malformed"},
		{"a SHA512-crypt hash over the rounds bound", "$6$rounds=100001$salt$" + vecSHA512[14:], "over the bound"},
		{"{SHA512-CRYPT} over a $5$ body", "{SHA512-CRYPT}" + vecSHA256, "does not start with $6$"},
		{"an argon2id hash with too much memory", "{ARGON2ID}$argon2id$v=19$m=524288,t=1,p=1$THVHTB2b7bXg/jX6vNPNxQ$p2noou+3lMt/ZHtkgPHtHf+QEd9sVyplmIoaKAeNTjA", "over the bounds"},
		{"an argon2i hash", "{ARGON2I}$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "{ARGON2I} scheme is not accepted"},
		{"a malformed argon2id hash", "{ARGON2ID}$argon2id$v=19$m=64$x$y", "malformed"},
		{"an empty scheme", "{}$6$x$y", "empty"},
		{"a very long hash", "{SHA512-CRYPT}" + strings.Repeat("a", 600), "longer than 512"},
	}
	for _, tt := range tests {
		t.Run("refuses "+tt.name, func(t *testing.T) {
			got, err := ImportHash(tt.in)
			he, ok := err.(*HashError)
			if !ok || !strings.Contains(he.Reason, tt.reason) {
				t.Fatalf("ImportHash(%q) = %q, %v; want a HashError saying %q", tt.in, got, err, tt.reason)
			}
			if len(tt.in) > 8 && strings.Contains(he.Reason, tt.in[len(tt.in)-8:]) {
				t.Fatalf("the reason %q repeats the hash", he.Reason)
			}
		})
	}
}

func TestVerifyKeptSchemes(t *testing.T) {
	h := NewHasher(TestParams)
	own, _ := h.Hash(context.Background(), dovePassword)
	tests := []struct {
		name, stored, password string
	}{
		{"the spec's SHA512-crypt vector", "{SHA512-CRYPT}" + vecSHA512, vecPassword},
		{"the spec's SHA256-crypt vector", "{SHA256-CRYPT}" + vecSHA256, vecPassword},
		{"the spec's SHA512-crypt vector with rounds", "{SHA512-CRYPT}" + vecSHA512Rounds, vecPassword},
		{"{CRYPT} over SHA512-crypt", "{CRYPT}" + vecSHA512, vecPassword},
		{"doveadm's bcrypt", doveBlowfish, dovePassword},
		{"doveadm's SHA512-crypt", doveSHA512, dovePassword},
		{"doveadm's SHA256-crypt", doveSHA256, dovePassword},
		{"doveadm's SHA512-crypt with rounds", doveRounds, dovePassword},
		{"doveadm's argon2id", doveArgon2ID, dovePassword},
		{"a lower-case scheme", "{blf-crypt}" + doveBlowfish[11:], dovePassword},
	}
	for _, tt := range tests {
		t.Run(tt.name+" verifies the right password and needs a rehash", func(t *testing.T) {
			if ok, err := h.Verify(context.Background(), tt.stored, tt.password); !ok || err != nil {
				t.Fatalf("Verify = %v, %v; want true", ok, err)
			}
			if !h.NeedsRehash(tt.stored) {
				t.Fatal("NeedsRehash = false for a hash that is not the hasher's argon2id")
			}
		})
		t.Run(tt.name+" refuses a wrong password", func(t *testing.T) {
			for _, wrong := range []string{tt.password + "!", "", strings.ToUpper(tt.password)} {
				if ok, err := h.Verify(context.Background(), tt.stored, wrong); ok || err != nil {
					t.Fatalf("Verify(%q) = %v, %v; want false, nil", wrong, ok, err)
				}
			}
		})
	}
	t.Run("the hasher's own hash needs no rehash", func(t *testing.T) {
		if h.NeedsRehash(own) {
			t.Fatal("NeedsRehash = true for the hasher's own hash")
		}
	})
	t.Run("hashes ImportHash refuses do not verify", func(t *testing.T) {
		for _, s := range []string{"{MD5-CRYPT}$1$abcdefgh$E2IUOVGWn4QIROUcRm1wO/", "{PLAIN}" + dovePassword,
			"{CRYPT}$1$abcdefgh$E2IUOVGWn4QIROUcRm1wO/", "{SHA512-CRYPT}$6$rounds=100001$salt$" + vecSHA512[14:]} {
			if ok, err := h.Verify(context.Background(), s, dovePassword); ok || err == nil {
				t.Errorf("Verify(%q) = %v, %v; want an error", s, ok, err)
			}
		}
	})
}

// FuzzImportHash checks that ImportHash never panics, that what it keeps
// is accepted again as it is, and that Verify never panics on it.
func FuzzImportHash(f *testing.F) {
	for _, s := range []string{vecSHA512, vecSHA256, vecSHA512Rounds, doveBlowfish, doveSHA512, doveArgon2ID, "{CRYPT}$1$x$y", "{", "{}", "$6$rounds=$$"} {
		f.Add(s)
	}
	h := NewHasher(TestParams)
	f.Fuzz(func(t *testing.T, in string) {
		stored, err := ImportHash(in)
		if err != nil {
			return
		}
		again, err := ImportHash(stored)
		if err != nil || again != stored {
			t.Fatalf("ImportHash(%q) = %q, then %q, %v", in, stored, again, err)
		}
		if _, err := h.Verify(context.Background(), stored, "x"); err != nil {
			t.Fatalf("Verify(%q) = %v for a kept hash", stored, err)
		}
	})
}
