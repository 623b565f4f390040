package httpcork

import (
	"errors"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// SegmentsOut returns how many segments with data the kernel has sent on
// c (TCP_INFO's tcpi_data_segs_out): for tests and diagnostics.
func SegmentsOut(c net.Conn) (uint32, error) {
	sc, ok := tcpConn(c)
	if !ok {
		return 0, errors.ErrUnsupported
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return 0, err
	}
	var info *unix.TCPInfo
	var ierr error
	if err := rc.Control(func(fd uintptr) {
		info, ierr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	}); err != nil {
		return 0, err
	}
	if ierr != nil {
		return 0, ierr
	}
	return info.Data_segs_out, nil
}

// tcpConn is the connection beneath TLS and Listener's Conn, if any, as a
// syscall.Conn.
func tcpConn(c net.Conn) (syscall.Conn, bool) {
	c = beneathTLS(c)
	if gc, ok := c.(*Conn); ok {
		c = gc.Conn
	}
	sc, ok := c.(syscall.Conn)
	return sc, ok
}
