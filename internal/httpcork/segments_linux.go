package httpcork

import (
	"errors"
	"net"

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
