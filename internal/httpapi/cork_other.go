//go:build !linux

package httpapi

import "syscall"

// setCork does nothing where TCP_CORK is not: answers are written as
// net/http writes them.
func setCork(syscall.Conn, bool) bool { return false }
