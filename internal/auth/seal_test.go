package auth

import (
	"bytes"
	"encoding/hex"
	"testing"
)

func TestSealerRoundTripAndRefusals(t *testing.T) {
	key := NewKey()
	s, err := NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed := s.Seal([]byte("secret"), []byte("row-1"))
	if bytes.Contains(sealed, []byte("secret")) {
		t.Fatal("sealed value holds the plaintext")
	}
	got, err := s.Open(sealed, []byte("row-1"))
	if err != nil || string(got) != "secret" {
		t.Fatalf("open = %q, %v", got, err)
	}
	t.Run("another row's aad is refused", func(t *testing.T) {
		if _, err := s.Open(sealed, []byte("row-2")); err != ErrUnseal {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("another key is refused", func(t *testing.T) {
		other, _ := NewSealer(NewKey())
		if _, err := other.Open(sealed, []byte("row-1")); err != ErrUnseal {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a truncated value is refused", func(t *testing.T) {
		if _, err := s.Open(sealed[:5], []byte("row-1")); err != ErrUnseal {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestParseKey(t *testing.T) {
	key := NewKey()
	for _, in := range [][]byte{[]byte(hex.EncodeToString(key) + "\n"), key} {
		got, err := ParseKey(in)
		if err != nil || !bytes.Equal(got, key) {
			t.Fatalf("ParseKey(%q) = %x, %v", in, got, err)
		}
	}
	if _, err := ParseKey([]byte("short")); err == nil {
		t.Fatal("a short key was accepted")
	}
}
