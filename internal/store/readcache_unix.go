//go:build unix

package store

import (
	"encoding/binary"
	"errors"
	"os"
	"sync/atomic"
	"unsafe"

	sysunix "golang.org/x/sys/unix"
)

// mapIndex maps the first page of the wal-index file, read-only and
// shared: the pages SQLite's connections read and write.
func mapIndex(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close() // the mapping outlives the descriptor
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	// Touching a mapped page past the end of the file is a SIGBUS; an
	// initialised wal-index file is 32 KiB at least.
	if st.Size() < walIndexMapped {
		return nil, errors.New("wal-index file too short")
	}
	return sysunix.Mmap(int(f.Fd()), 0, walIndexMapped, sysunix.PROT_READ, sysunix.MAP_SHARED)
}

func unmapIndex(b []byte) error { return sysunix.Munmap(b) }

// loadIndex copies the start of the mapped index into b (a multiple of 8
// bytes) one aligned word at a time, in order, with atomic loads: another
// process writes these bytes while they are read.
func loadIndex(index, b []byte) {
	p := unsafe.Pointer(unsafe.SliceData(index)) // page-aligned
	for i := 0; i < len(b); i += 8 {
		binary.NativeEndian.PutUint64(b[i:], atomic.LoadUint64((*uint64)(unsafe.Add(p, i))))
	}
}
