package auth

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestDovecotVerifiesHashes checks the stored hash format against Dovecot
// itself: `doveadm pw -t` must accept the right password and refuse a wrong
// one, so Dovecot can authenticate straight from our database.
func TestDovecotVerifiesHashes(t *testing.T) {
	doveadm, err := exec.LookPath("doveadm")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("doveadm is missing in CI: .ci/run installs dovecot-core")
		}
		t.Skip("doveadm not installed (apt-get install dovecot-core)")
	}
	for _, p := range []Params{DefaultParams, TestParams} {
		stored, err := NewHasher(p).Hash(context.Background(), "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		t.Run("dovecot accepts the right password for "+stored[:40], func(t *testing.T) {
			if out, err := exec.Command(doveadm, "pw", "-t", stored, "-p", "correct horse battery").CombinedOutput(); err != nil {
				t.Fatalf("doveadm refused our hash: %v\n%s", err, out)
			}
		})
		t.Run("dovecot refuses a wrong password for "+stored[:40], func(t *testing.T) {
			if out, err := exec.Command(doveadm, "pw", "-t", stored, "-p", "correct horse battery!").CombinedOutput(); err == nil {
				t.Fatalf("doveadm accepted a wrong password:\n%s", out)
			}
		})
	}
}

// TestDovecotVerifiesKeptHashes checks both sides of an import against
// Dovecot itself: for each kept scheme, a hash doveadm makes verifies in
// Switchboard (right password only), and the value ImportHash stores for
// it, prefixed or bare, is one `doveadm pw -t` accepts for the right
// password and refuses for a wrong one.
func TestDovecotVerifiesKeptHashes(t *testing.T) {
	doveadm, err := exec.LookPath("doveadm")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("doveadm is missing in CI: .ci/run installs dovecot-core")
		}
		t.Skip("doveadm not installed (apt-get install dovecot-core)")
	}
	const password = "correct horse battery"
	h := NewHasher(TestParams)
	for _, scheme := range []string{SchemeBlowfish, SchemeSHA512Crypt, SchemeSHA256Crypt, SchemeArgon2ID} {
		out, err := exec.Command(doveadm, "pw", "-s", scheme, "-p", password).Output()
		if err != nil {
			t.Fatalf("doveadm pw -s %s: %v", scheme, err)
		}
		made := strings.TrimSpace(string(out))
		bare := made[strings.IndexByte(made, '}')+1:]
		for form, in := range map[string]string{"prefixed": made, "bare": bare} {
			stored, err := ImportHash(in)
			if err != nil {
				t.Fatalf("ImportHash(%q): %v", in, err)
			}
			t.Run("switchboard verifies doveadm's "+form+" "+scheme, func(t *testing.T) {
				if ok, err := h.Verify(context.Background(), stored, password); !ok || err != nil {
					t.Fatalf("Verify(right) = %v, %v", ok, err)
				}
				if ok, err := h.Verify(context.Background(), stored, password+"!"); ok || err != nil {
					t.Fatalf("Verify(wrong) = %v, %v", ok, err)
				}
			})
			t.Run("dovecot verifies the stored form of a "+form+" "+scheme, func(t *testing.T) {
				if out, err := exec.Command(doveadm, "pw", "-t", stored, "-p", password).CombinedOutput(); err != nil {
					t.Fatalf("doveadm refused %q: %v\n%s", stored, err, out)
				}
				if out, err := exec.Command(doveadm, "pw", "-t", stored, "-p", password+"!").CombinedOutput(); err == nil {
					t.Fatalf("doveadm accepted a wrong password for %q:\n%s", stored, out)
				}
			})
		}
	}
}
