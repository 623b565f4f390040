package httpapi

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// setCork sets TCP_CORK on the connection, and says whether it could.
func setCork(sc syscall.Conn, on bool) bool {
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	v := 0
	if on {
		v = 1
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_CORK, v) }); err != nil {
		return false
	}
	return serr == nil
}
