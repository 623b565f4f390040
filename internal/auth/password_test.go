package auth

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestHashVerify(t *testing.T) {
	h := NewHasher(TestParams)
	stored, err := h.Hash(context.Background(), "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stored, "{ARGON2ID}$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q is not a Dovecot argon2id PHC string", stored)
	}
	tests := []struct {
		name     string
		password string
		want     bool
	}{
		{"the right password verifies", "correct horse", true},
		{"a wrong password does not", "correct horsE", false},
		{"an empty password does not", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := h.Verify(context.Background(), stored, tt.password)
			if err != nil || ok != tt.want {
				t.Fatalf("Verify = %v, %v; want %v", ok, err, tt.want)
			}
		})
	}
	t.Run("two hashes of one password differ by salt", func(t *testing.T) {
		other, _ := h.Hash(context.Background(), "correct horse")
		if other == stored {
			t.Fatal("same hash twice")
		}
	})
	t.Run("a hash with other parameters still verifies and needs rehash", func(t *testing.T) {
		strong := NewHasher(Params{Memory: 128, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32})
		s2, _ := strong.Hash(context.Background(), "pw")
		if ok, err := h.Verify(context.Background(), s2, "pw"); !ok || err != nil {
			t.Fatalf("Verify = %v, %v", ok, err)
		}
		if !h.NeedsRehash(s2) || h.NeedsRehash(stored) {
			t.Fatal("NeedsRehash wrong")
		}
	})
}

func TestVerifyRefusesMalformedHashes(t *testing.T) {
	h := NewHasher(TestParams)
	for _, s := range []string{
		"", "plain", "{ARGON2ID}$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"{ARGON2ID}$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"{ARGON2ID}$argon2id$v=19$m=0,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"{ARGON2ID}$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"{ARGON2ID}$argon2id$v=19$m=64,t=1,p=1$!!$aGFzaGhhc2hoYXNoaGFzaA",
	} {
		if ok, err := h.Verify(context.Background(), s, "x"); ok || err == nil {
			t.Errorf("Verify(%q) = %v, %v; want an error", s, ok, err)
		}
	}
}

func TestTokens(t *testing.T) {
	a, b := NewToken(), NewToken()
	if a == b || len(a) < 43 {
		t.Fatalf("tokens %q %q: want distinct 256-bit tokens", a, b)
	}
	if HashToken(a) == a || HashToken(a) != HashToken(a) || len(HashToken(a)) != 64 {
		t.Fatal("HashToken must be a stable SHA-256 hex digest")
	}
}

func TestLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	l := NewLimiter(3, time.Minute, func() time.Time { return now })
	for i := range 3 {
		if !l.Allowed("user:a", "ip:1") {
			t.Fatalf("refused after %d failures; burst is 3", i)
		}
		l.Fail("user:a", "ip:1")
	}
	if l.Allowed("user:a") || l.Allowed("ip:1") || l.Allowed("user:b", "ip:1") {
		t.Fatal("allowed after the burst was spent")
	}
	if !l.Allowed("user:b", "ip:2") {
		t.Fatal("other keys must not be limited")
	}
	if w := l.Wait("user:b", "ip:2"); w != 0 {
		t.Fatalf("Wait = %v for keys with failures left, want 0", w)
	}
	now = now.Add(20 * time.Second)
	if w := l.Wait("user:b", "ip:1"); w != 40*time.Second {
		t.Fatalf("Wait = %v a third of a refill after the burst, want 40s", w)
	}
	now = now.Add(40 * time.Second)
	if !l.Allowed("user:a", "ip:1") || l.Wait("user:a", "ip:1") != 0 {
		t.Fatal("one failure must be refilled after a minute")
	}
}

func BenchmarkHash(b *testing.B) {
	h := NewHasher(DefaultParams)
	for b.Loop() {
		if _, err := h.Hash(context.Background(), "benchmark password"); err != nil {
			b.Fatal(err)
		}
	}
}
