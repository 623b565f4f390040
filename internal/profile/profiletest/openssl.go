package profiletest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// OpenSSL returns the path of the openssl command, or "" when absent.
func OpenSSL() string {
	p, err := exec.LookPath("openssl")
	if err != nil {
		return ""
	}
	return p
}

func (p PKI) verify(signed []byte) ([]byte, error) {
	openssl := OpenSSL()
	if openssl == "" {
		return nil, fmt.Errorf("openssl not installed")
	}
	dir, err := os.MkdirTemp("", "profiletest")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	in, out := filepath.Join(dir, "in.mobileconfig"), filepath.Join(dir, "out.plist")
	if err := os.WriteFile(in, signed, 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(openssl, "cms", "-verify", "-inform", "DER", "-in", in, "-CAfile", p.CAFile, "-out", out, "-purpose", "any")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("openssl cms -verify: %v\n%s", err, msg)
	}
	return os.ReadFile(out)
}

// VerifyErr is Verify that returns the refusal instead of failing.
func (p PKI) VerifyErr(signed []byte) ([]byte, error) { return p.verify(signed) }
