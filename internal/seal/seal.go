// Package seal encrypts secrets at rest (DKIM private keys, TLS keys, stored
// profiles) with the server key: AES-256-GCM, a fresh nonce per value, and a
// purpose bound in as additional data so a value sealed for one use cannot be
// replayed as another.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the size of a server key in bytes.
const KeySize = 32

// Box seals and opens values with one server key.
type Box struct {
	aead cipher.AEAD
	key  []byte
}

// New returns a Box for a 32-byte server key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("server key must be %d bytes, got %d", KeySize, len(key))
	}
	// Derive the AES key, so the raw server key can serve other uses later.
	k, err := hkdf.Key(sha256.New, key, nil, "switchboard seal v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead, key: append([]byte(nil), key...)}, nil
}

// Derive returns a 32-byte key for another use of the server key (e.g.
// signing digest nonces), so every instance with the key file agrees on it.
func (b *Box) Derive(purpose string) []byte {
	k, err := hkdf.Key(sha256.New, b.key, nil, "switchboard "+purpose, 32)
	if err != nil {
		panic("hkdf: " + err.Error()) // only for lengths sha256 cannot give
	}
	return k
}

// prefix marks sealed values, with a version for future key rotation.
const prefix = "sealed:v1:"

// Seal encrypts plaintext for the given purpose (e.g. "dkim:example.com:s1").
func (b *Box) Seal(purpose string, plaintext []byte) (string, error) {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := b.aead.Seal(nonce, nonce, plaintext, []byte(purpose))
	return prefix + base64.RawStdEncoding.EncodeToString(out), nil
}

// ErrOpen is returned for a value that was not sealed by this key for this
// purpose, or was altered.
var ErrOpen = errors.New("sealed value cannot be opened with this server key")

// Open decrypts a value sealed for purpose.
func (b *Box) Open(purpose, sealed string) ([]byte, error) {
	raw, ok := strings.CutPrefix(sealed, prefix)
	if !ok {
		return nil, ErrOpen
	}
	data, err := base64.RawStdEncoding.DecodeString(raw)
	if err != nil || len(data) < b.aead.NonceSize()+b.aead.Overhead() {
		return nil, ErrOpen
	}
	n := b.aead.NonceSize()
	plain, err := b.aead.Open(nil, data[:n], data[n:], []byte(purpose))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// LoadOrCreateKey reads the base64 server key in path, creating it (0600)
// with a random key when the file does not exist. Several instances sharing
// one PostgreSQL must be given the same file.
func LoadOrCreateKey(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key := make([]byte, KeySize)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("create server key: %w", err)
		}
		defer f.Close()
		if _, err := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
			return nil, fmt.Errorf("write server key: %w", err)
		}
		return key, f.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("read server key: %w", err)
	}
	return ParseKey(string(data))
}

// ParseKey decodes a base64 server key.
func ParseKey(s string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(key) != KeySize {
		return nil, fmt.Errorf("server key must be %d bytes of base64", KeySize)
	}
	return key, nil
}
