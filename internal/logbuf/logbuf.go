// Package logbuf batches a server's log lines into few writes.
//
// Written one by one, the access log costs a write system call per request,
// and on a busy server that is a tenth of what a small request costs. A
// Writer keeps lines in memory for at most its flush interval (or until
// 64 KiB have gathered) and writes them together, as nginx's access_log
// buffer= and flush= do. Warnings and errors are not kept waiting: the
// handler Urgent returns writes them, and everything before them, at once.
// Close writes what is left; lines logged after it are written one by one.
package logbuf

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"
)

// MaxBuffer is the most a Writer keeps before it writes.
const MaxBuffer = 64 << 10

// Writer is an io.Writer that batches what it is given; safe for
// concurrent use. Each Write is kept whole: lines never interleave.
type Writer struct {
	out   io.Writer
	every time.Duration

	mu     sync.Mutex
	buf    []byte
	timer  *time.Timer // armed while buf holds something
	closed bool
}

// New returns a Writer writing to out at most every interval; an interval
// of 0 or less writes every line at once, as out itself would.
func New(out io.Writer, every time.Duration) *Writer {
	w := &Writer{out: out, every: every}
	if every > 0 {
		w.timer = time.AfterFunc(time.Hour, func() { _ = w.Flush() })
		w.timer.Stop()
	}
	return w
}

// Write keeps p to be written with the next batch; a p larger than the
// buffer is written at once, after what was kept. Its error is that of a
// batch it had to write first, or of p's own write.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || w.every <= 0 {
		return w.out.Write(p)
	}
	var err error
	if len(w.buf)+len(p) > MaxBuffer {
		err = w.flushLocked()
		if len(p) > MaxBuffer {
			n, werr := w.out.Write(p)
			return n, errors.Join(err, werr)
		}
	}
	if len(w.buf) == 0 {
		w.timer.Reset(w.every)
	}
	w.buf = append(w.buf, p...)
	return len(p), err
}

// Flush writes what is kept now.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flushLocked()
}

// flushLocked writes the batch; one that fails is dropped, as a line
// written alone would have been.
func (w *Writer) flushLocked() error {
	if len(w.buf) == 0 {
		return nil
	}
	if w.timer != nil {
		w.timer.Stop()
	}
	_, err := w.out.Write(w.buf)
	// A burst's buffer is not kept for ever.
	if cap(w.buf) > 2*MaxBuffer {
		w.buf = nil
	} else {
		w.buf = w.buf[:0]
	}
	return err
}

// Close writes what is kept; later lines are written at once.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	return w.flushLocked()
}

// Urgent wraps h, which writes to w, so that a record at or above level is
// written at once, with every line kept before it.
func (w *Writer) Urgent(h slog.Handler, level slog.Leveler) slog.Handler {
	return &urgent{Handler: h, w: w, level: level}
}

type urgent struct {
	slog.Handler
	w     *Writer
	level slog.Leveler
}

func (u *urgent) Handle(ctx context.Context, r slog.Record) error {
	err := u.Handler.Handle(ctx, r)
	if r.Level >= u.level.Level() {
		if ferr := u.w.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (u *urgent) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &urgent{Handler: u.Handler.WithAttrs(attrs), w: u.w, level: u.level}
}

func (u *urgent) WithGroup(name string) slog.Handler {
	return &urgent{Handler: u.Handler.WithGroup(name), w: u.w, level: u.level}
}
