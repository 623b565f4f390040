package testenv

import (
	"bytes"
	"testing"

	"github.com/switchboard/switchboard/internal/seal"
)

// Seal is the server key of the tests' services.
func Seal(tb testing.TB) *seal.Box {
	tb.Helper()
	box, err := seal.New(bytes.Repeat([]byte{42}, seal.KeySize))
	if err != nil {
		tb.Fatal(err)
	}
	return box
}
