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
// concurrent use. Each Write is kept whole: lines never interleave, and
// batches go out in the order their lines came.
//
// A batch is written outside the lock that Write takes to keep a line:
// the full buffer is swapped for the spare one, and only the goroutine
// that swapped it waits for the write. Under that lock, a batch's write
// system call held every other request's access line behind it for as
// long as the call, and the goroutine back from it could wait for a
// processor for a scheduler slice on a busy machine.
type Writer struct {
	out   io.Writer
	every time.Duration

	mu     sync.Mutex
	buf    []byte
	spare  []byte      // a written batch's buffer, for the next one
	timer  *time.Timer // armed while buf holds something
	closed bool

	outMu sync.Mutex // held to write to out: taken under mu, so batches go out in order
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
	if w.closed || w.every <= 0 {
		w.outMu.Lock()
		w.mu.Unlock()
		defer w.outMu.Unlock()
		return w.out.Write(p)
	}
	if len(w.buf)+len(p) > MaxBuffer {
		batch := w.take()
		if len(p) > MaxBuffer {
			// Written after the batch, with the same hold on out.
			w.mu.Unlock()
			err := w.writeOut(batch)
			n, werr := w.out.Write(p)
			w.done(batch)
			return n, errors.Join(err, werr)
		}
		w.keep(p)
		w.mu.Unlock()
		err := w.writeOut(batch)
		w.done(batch)
		return len(p), err
	}
	w.keep(p)
	w.mu.Unlock()
	return len(p), nil
}

// keep appends p to the batch; mu is held.
func (w *Writer) keep(p []byte) {
	if len(w.buf) == 0 {
		w.timer.Reset(w.every)
		if w.buf == nil {
			w.buf, w.spare = w.spare, nil
		}
	}
	w.buf = append(w.buf, p...)
}

// take removes the batch from the buffer and takes outMu, in the order
// batches were taken; mu is held, and the caller writes the batch with
// writeOut and then releases outMu.
func (w *Writer) take() []byte {
	batch := w.buf
	w.buf = nil
	if w.timer != nil {
		w.timer.Stop()
	}
	w.outMu.Lock()
	return batch
}

// writeOut writes a batch (outMu is held); one that fails is dropped, as
// a line written alone would have been.
func (w *Writer) writeOut(batch []byte) error {
	if len(batch) == 0 {
		return nil
	}
	_, err := w.out.Write(batch)
	return err
}

// done releases outMu after a batch's write and keeps the batch's buffer
// as the spare. mu is taken after outMu is released: take holds mu while
// it waits for outMu.
func (w *Writer) done(batch []byte) {
	w.outMu.Unlock()
	if batch == nil || cap(batch) > 2*MaxBuffer { // a burst's buffer is not kept for ever
		return
	}
	w.mu.Lock()
	if w.spare == nil {
		w.spare = batch[:0]
	}
	w.mu.Unlock()
}

// Flush writes what is kept now, and returns when it is written.
func (w *Writer) Flush() error {
	w.mu.Lock()
	batch := w.take()
	w.mu.Unlock()
	defer w.done(batch)
	return w.writeOut(batch)
}

// Close writes what is kept; later lines are written at once.
func (w *Writer) Close() error {
	w.mu.Lock()
	w.closed = true
	batch := w.take()
	w.mu.Unlock()
	defer w.done(batch)
	return w.writeOut(batch)
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
