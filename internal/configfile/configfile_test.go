package configfile_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/switchboard/switchboard/internal/configfile"
)

func TestWriteSetsModes(t *testing.T) {
	dir := t.TempDir()
	open, secret := filepath.Join(dir, "a", "open.cf"), filepath.Join(dir, "b", "secret.cf")
	// An existing file with a looser mode is tightened.
	if err := os.MkdirAll(filepath.Dir(secret), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secret, []byte("old"), 0o666); err != nil {
		t.Fatal(err)
	}
	err := configfile.Write([]configfile.File{{Path: open, Data: []byte("x")}, {Path: secret, Data: []byte("password"), Secret: true}})
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{open: 0o644, secret: 0o640} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode().Perm(), want)
		}
	}
	if data, _ := os.ReadFile(secret); string(data) != "password" {
		t.Errorf("secret.cf holds %q", data)
	}
}
