//go:build !linux

package httpcork

import (
	"errors"
	"net"
	"syscall"
)

// setCork does nothing where TCP_CORK is not: answers are written as
// net/http writes them.
func setCork(syscall.Conn, bool) bool { return false }

// SegmentsOut is not known here.
func SegmentsOut(net.Conn) (uint32, bool, error) { return 0, false, errors.ErrUnsupported }
