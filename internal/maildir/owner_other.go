//go:build !unix

package maildir

import "os"

// mailOwner: files keep the owner they were created with.
func mailOwner(string) (func(*os.Root, string) error, error) {
	return func(*os.Root, string) error { return nil }, nil
}
