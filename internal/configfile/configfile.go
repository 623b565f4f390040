// Package configfile writes the configuration files Switchboard generates
// for the servers that read its store (Dovecot, Postfix, Kamailio).
package configfile

import (
	"os"
	"path/filepath"
)

// File is one generated file.
type File struct {
	// Path is absolute; Secret files hold a database password.
	Path   string
	Data   []byte
	Secret bool
}

// Write writes files, making their folders; a file holding a database
// password is readable by its owner and group only (0640), the others by
// all (0644). An existing file gets the mode too.
func Write(files []File) error {
	for _, f := range files {
		if err := os.MkdirAll(filepath.Dir(f.Path), 0o755); err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if f.Secret {
			mode = 0o640
		}
		if err := os.WriteFile(f.Path, f.Data, mode); err != nil {
			return err
		}
		if err := os.Chmod(f.Path, mode); err != nil {
			return err
		}
	}
	return nil
}
