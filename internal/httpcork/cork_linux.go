package httpcork

import (
	"errors"
	"net"
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

// SegmentsOut returns how many segments with data the kernel has sent on
// c (TCP_INFO's tcpi_data_segs_out), and whether c is corked: for tests and
// diagnostics.
func SegmentsOut(c net.Conn) (uint32, bool, error) {
	sc, ok := tcpConn(c)
	if !ok {
		return 0, false, errors.ErrUnsupported
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return 0, false, err
	}
	var info *unix.TCPInfo
	var cork int
	var ierr, cerr error
	if err := rc.Control(func(fd uintptr) {
		info, ierr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
		cork, cerr = unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_CORK)
	}); err != nil {
		return 0, false, err
	}
	if err := errors.Join(ierr, cerr); err != nil {
		return 0, false, err
	}
	return info.Data_segs_out, cork != 0, nil
}
