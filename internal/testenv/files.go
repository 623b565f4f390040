package testenv

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// WriteFiles writes files (slash paths below root) with their contents,
// making the folders they need.
func WriteFiles(tb testing.TB, root string, files map[string]string) {
	tb.Helper()
	for p, data := range files {
		p = filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			tb.Fatal(err)
		}
	}
}

// ReadFiles returns every regular file below root as slash path ->
// contents; a missing root is an empty tree.
func ReadFiles(tb testing.TB, root string) map[string]string {
	tb.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		out[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil && !os.IsNotExist(err) {
		tb.Fatal(err)
	}
	return out
}
