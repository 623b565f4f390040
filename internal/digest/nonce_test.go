package digest_test

import (
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/digest"
)

func TestNonces(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	for _, tc := range []struct {
		name   string
		mutate func(n string) string // changes the issued nonce
		issuer []byte                // key of the issuing instance; key when nil
		skew   time.Duration         // issuer clock minus checker clock
		after  time.Duration         // time passed before the check
		want   error
	}{
		{name: "a fresh nonce is accepted"},
		{name: "a nonce just inside its lifetime is accepted", after: testTTL - time.Second},
		{name: "a nonce from another instance with the same key is accepted", issuer: append([]byte(nil), key...)},
		{name: "a nonce from an instance whose clock runs slightly ahead is accepted", skew: 30 * time.Second},
		{name: "an expired nonce is stale", after: testTTL + time.Second, want: digest.ErrStaleNonce},
		{name: "a nonce signed with another key is bad", issuer: []byte("another key of sixteen bytes or more"), want: digest.ErrBadNonce},
		{name: "a nonce issued in the future is bad", skew: 2 * time.Minute, want: digest.ErrBadNonce},
		{name: "a tampered nonce is bad", want: digest.ErrBadNonce,
			mutate: func(n string) string { return flip(n, 3) }},
		{name: "a nonce with a tampered signature is bad", want: digest.ErrBadNonce,
			mutate: func(n string) string { return flip(n, len(n)-2) }},
		{name: "a truncated nonce is bad", want: digest.ErrBadNonce,
			mutate: func(n string) string { return n[:len(n)-1] }},
		{name: "an empty nonce is bad", want: digest.ErrBadNonce,
			mutate: func(string) string { return "" }},
		{name: "a nonce of the right length but not base64url is bad", want: digest.ErrBadNonce,
			mutate: func(n string) string { return "/" + n[1:] }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			checker, err := digest.NewNonces(key, testTTL, clk.Now)
			if err != nil {
				t.Fatal(err)
			}
			issuerKey := key
			if tc.issuer != nil {
				issuerKey = tc.issuer
			}
			issuer, err := digest.NewNonces(issuerKey, testTTL, func() time.Time { return clk.Now().Add(tc.skew) })
			if err != nil {
				t.Fatal(err)
			}
			n := issuer.New()
			if tc.mutate != nil {
				n = tc.mutate(n)
			}
			clk.Add(tc.after)
			issued, err := checker.Check(n)
			wantErr(t, err, tc.want)
			if tc.want == nil || tc.want == digest.ErrStaleNonce {
				if want := newClock().Now().Add(tc.skew); !issued.Equal(want) {
					t.Fatalf("issued = %v, want %v", issued, want)
				}
			}
		})
	}
}

func TestNoncesAreUnique(t *testing.T) {
	clk := newClock()
	n, err := digest.NewNonces([]byte("0123456789abcdef"), testTTL, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for range 1000 {
		v := n.New()
		if seen[v] {
			t.Fatalf("nonce %s issued twice at the same instant", v)
		}
		seen[v] = true
	}
}

func TestNewNoncesRefusesBadConfig(t *testing.T) {
	now := newClock().Now
	for _, tc := range []struct {
		name string
		key  []byte
		ttl  time.Duration
		now  func() time.Time
	}{
		{name: "a short key is refused", key: []byte("short"), ttl: testTTL, now: now},
		{name: "a zero lifetime is refused", key: []byte("0123456789abcdef"), now: now},
		{name: "a missing clock is refused", key: []byte("0123456789abcdef"), ttl: testTTL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := digest.NewNonces(tc.key, tc.ttl, tc.now); err == nil {
				t.Fatal("NewNonces accepted the configuration")
			}
		})
	}
}

// flip changes the character at i to another base64url character.
func flip(s string, i int) string {
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}
