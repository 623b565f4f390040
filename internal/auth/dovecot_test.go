package auth

import (
	"os"
	"os/exec"
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
		stored, err := NewHasher(p).Hash("correct horse battery")
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
