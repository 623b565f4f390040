package seal

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	key := bytes.Repeat([]byte{7}, KeySize)
	b, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	s, err := b.Seal("dkim:example.com:s1", []byte("private key"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s, "private key") {
		t.Fatal("plaintext visible")
	}
	got, err := b.Open("dkim:example.com:s1", s)
	if err != nil || string(got) != "private key" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	other, _ := New(bytes.Repeat([]byte{8}, KeySize))
	tests := []struct {
		name    string
		box     *Box
		purpose string
		value   string
	}{
		{"another purpose cannot open it", b, "tls:example.com", s},
		{"another key cannot open it", other, "dkim:example.com:s1", s},
		{"an altered value cannot be opened", b, "dkim:example.com:s1", s[:len(s)-2] + "AA"},
		{"garbage cannot be opened", b, "dkim:example.com:s1", "sealed:v1:!!"},
		{"an unsealed value cannot be opened", b, "dkim:example.com:s1", "private key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.box.Open(tt.purpose, tt.value); err != ErrOpen {
				t.Fatalf("err = %v, want ErrOpen", err)
			}
		})
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "secret.key")
	k1, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", st.Mode().Perm())
	}
	k2, err := LoadOrCreateKey(path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatal("the key changed between loads")
	}
	os.WriteFile(path, []byte("short"), 0o600)
	if _, err := LoadOrCreateKey(path); err == nil {
		t.Fatal("a malformed key file was accepted")
	}
}
