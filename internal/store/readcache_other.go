//go:build !unix

package store

import "os"

// linked is false where the cache cannot tell whether the wal-index file
// it watches was deleted: there it keeps nothing.
func linked(*os.File) bool { return false }
