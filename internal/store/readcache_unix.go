//go:build unix

package store

import (
	"os"
	"syscall"
)

// linked reports whether f still has a name: SQLite deletes its wal-index
// file when the last connection to the database closes, and a cache
// watching a deleted file would watch a header that never changes again.
func linked(f *os.File) bool {
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		return false
	}
	return st.Nlink > 0
}
