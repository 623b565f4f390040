package logbuf

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder keeps every write it is given, as a file would see them.
type recorder struct {
	mu     sync.Mutex
	writes []string
	fail   error // returned (and the write dropped) while set
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return 0, r.fail
	}
	r.writes = append(r.writes, string(p))
	return len(p), nil
}

func (r *recorder) got() (writes int, all string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.writes), strings.Join(r.writes, "")
}

// never is an interval no test waits for.
const never = time.Hour

func TestLinesWaitForTheBatch(t *testing.T) {
	var out recorder
	w := New(&out, never)
	for i := range 3 {
		fmt.Fprintf(w, "line %d\n", i)
	}
	if n, all := out.got(); n != 0 {
		t.Fatalf("kept lines were written before their time: %d writes, %q", n, all)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if n, all := out.got(); n != 1 || all != "line 0\nline 1\nline 2\n" {
		t.Fatalf("after Flush: %d writes, %q; want the three lines in one write", n, all)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if n, _ := out.got(); n != 1 {
		t.Fatalf("an empty Flush wrote: %d writes", n)
	}
}

func TestALineIsWrittenWithinTheInterval(t *testing.T) {
	var out recorder
	w := New(&out, 20*time.Millisecond)
	defer w.Close()
	for round := range 3 { // the timer is armed again after each batch
		line := fmt.Sprintf("round %d\n", round)
		fmt.Fprint(w, line)
		deadline := time.Now().Add(10 * time.Second)
		for {
			if _, all := out.got(); strings.HasSuffix(all, line) {
				break
			}
			if time.Now().After(deadline) {
				_, all := out.got()
				t.Fatalf("round %d: the line was not written in 10 s; written: %q", round, all)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	if n, _ := out.got(); n != 3 {
		t.Fatalf("%d writes, want one per round", n)
	}
}

func TestWithoutIntervalEveryLineIsWrittenAtOnce(t *testing.T) {
	for _, every := range []time.Duration{0, -time.Second} {
		var out recorder
		w := New(&out, every)
		fmt.Fprint(w, "a\n")
		fmt.Fprint(w, "b\n")
		if n, all := out.got(); n != 2 || all != "a\nb\n" {
			t.Fatalf("interval %v: %d writes, %q; want each line at once", every, n, all)
		}
	}
}

func TestAFullBufferIsWrittenWithoutWaiting(t *testing.T) {
	var out recorder
	w := New(&out, never)
	line := strings.Repeat("x", 99) + "\n"
	lines := MaxBuffer/len(line) + 1 // one more than the buffer holds
	for range lines {
		fmt.Fprint(w, line)
	}
	n, all := out.got()
	if n != 1 || len(all) > MaxBuffer || len(all)%len(line) != 0 {
		t.Fatalf("%d writes of %d bytes; want one write of whole lines within %d bytes", n, len(all), MaxBuffer)
	}
	w.Close()
	if _, all := out.got(); all != strings.Repeat(line, lines) {
		t.Fatalf("after Close %d bytes, want %d lines of %d", len(all), lines, len(line))
	}
}

// stuck is an out whose writes wait until it is let go, telling when one
// has begun.
type stuck struct {
	recorder
	began chan struct{}
	let   chan struct{}
}

func (s *stuck) Write(p []byte) (int, error) {
	s.began <- struct{}{}
	<-s.let
	return s.recorder.Write(p)
}

// While a batch is being written, other goroutines' lines are kept without
// waiting for it (the write was under the lock they take, and a slow one
// held every request's access line), and they go out after it.
func TestLinesAreKeptWhileABatchIsWritten(t *testing.T) {
	out := &stuck{began: make(chan struct{}), let: make(chan struct{})}
	w := New(out, never)
	line := strings.Repeat("x", 99) + "\n"
	full := MaxBuffer / len(line)
	for range full {
		fmt.Fprint(w, line)
	}
	go fmt.Fprint(w, line) // the buffer is full: this one writes the batch
	<-out.began
	kept := make(chan struct{})
	go func() {
		defer close(kept)
		for range 10 {
			fmt.Fprint(w, "while\n")
		}
	}()
	select {
	case <-kept:
	case <-time.After(10 * time.Second):
		t.Fatal("a line waited for the batch's write")
	}
	out.let <- struct{}{}
	go func() { <-out.began; out.let <- struct{}{} }() // Close's batch
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	n, all := out.got()
	want := strings.Repeat(line, full) + line + strings.Repeat("while\n", 10)
	if n != 2 || all != want {
		t.Fatalf("%d writes of %d bytes, want 2 of %d: the batch, then the lines kept meanwhile", n, len(all), len(want))
	}
}

func TestALargeLineGoesOutAfterTheKeptOnes(t *testing.T) {
	var out recorder
	w := New(&out, never)
	fmt.Fprint(w, "small\n")
	big := strings.Repeat("y", MaxBuffer+1) + "\n"
	fmt.Fprint(w, big)
	if n, all := out.got(); n != 2 || all != "small\n"+big {
		t.Fatalf("%d writes, %d bytes; want the kept line, then the large one", n, len(all))
	}
}

func TestCloseWritesWhatIsKeptAndLaterLinesAtOnce(t *testing.T) {
	var out recorder
	w := New(&out, never)
	fmt.Fprint(w, "before\n")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, all := out.got(); all != "before\n" {
		t.Fatalf("Close wrote %q", all)
	}
	fmt.Fprint(w, "after\n")
	if n, all := out.got(); n != 2 || all != "before\nafter\n" {
		t.Fatalf("a line after Close: %d writes, %q; want it written at once", n, all)
	}
}

func TestWriteErrorsAreReportedAndTheNextBatchGoesOut(t *testing.T) {
	var out recorder
	w := New(&out, never)
	boom := errors.New("disk full")
	fmt.Fprint(w, "lost\n")
	out.fail = boom
	if err := w.Flush(); !errors.Is(err, boom) {
		t.Fatalf("Flush: %v, want %v", err, boom)
	}
	if _, err := w.Write([]byte(strings.Repeat("z", MaxBuffer+1))); !errors.Is(err, boom) {
		t.Fatalf("a large Write: %v, want %v", err, boom)
	}
	out.fail = nil
	fmt.Fprint(w, "next\n")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, all := out.got(); all != "next\n" {
		t.Fatalf("written %q, want the batch after the failure alone", all)
	}
}

// Many goroutines log at once: every line arrives once, whole, after the
// lines its goroutine logged before it, and in fewer writes than lines.
func TestConcurrentLinesArriveWhole(t *testing.T) {
	var out recorder
	w := New(&out, time.Millisecond)
	logger := slog.New(w.Urgent(slog.NewJSONHandler(w, nil), slog.LevelWarn))
	const writers, each = 32, 300
	var wg sync.WaitGroup
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if i%100 == 99 {
					logger.Warn("request", "g", g, "i", i, "pad", strings.Repeat("p", 200))
				} else {
					logger.Info("request", "g", g, "i", i, "pad", strings.Repeat("p", 200))
				}
			}
		}()
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	n, all := out.got()
	seen := map[string]bool{}
	last := map[int]int{} // goroutine -> its last line's i
	for _, line := range strings.Split(strings.TrimSuffix(all, "\n"), "\n") {
		if !strings.HasPrefix(line, `{"time":`) || !strings.HasSuffix(line, `"}`) || strings.Count(line, `"msg"`) != 1 {
			t.Fatalf("a line is not whole: %.200q", line)
		}
		i := strings.Index(line, `"g":`)
		key := line[i:strings.Index(line, `,"pad"`)]
		if seen[key] {
			t.Fatalf("line %s written twice", key)
		}
		seen[key] = true
		var g, n int
		if _, err := fmt.Sscanf(key, `"g":%d,"i":%d`, &g, &n); err != nil {
			t.Fatalf("line %s: %v", key, err)
		}
		if prev, ok := last[g]; ok && n <= prev {
			t.Fatalf("goroutine %d's line %d came after its line %d", g, n, prev)
		}
		last[g] = n
	}
	if len(seen) != writers*each {
		t.Fatalf("%d lines written, want %d", len(seen), writers*each)
	}
	if n >= writers*each {
		t.Fatalf("%d writes for %d lines: nothing was batched", n, writers*each)
	}
}

func TestUrgentRecordsAreWrittenAtOnce(t *testing.T) {
	for _, tc := range []struct {
		name string
		log  func(*slog.Logger)
		want int // writes after the call
	}{
		{"info waits", func(l *slog.Logger) { l.Info("request", "path", "/domains") }, 0},
		{"debug waits", func(l *slog.Logger) { l.Debug("detail") }, 0},
		{"warn goes out", func(l *slog.Logger) { l.Warn("slow") }, 1},
		{"error goes out", func(l *slog.Logger) { l.Error("failed") }, 1},
		{"error through With and WithGroup", func(l *slog.Logger) { l.With("component", "http").WithGroup("req").Error("panic") }, 1},
		{"info through With waits", func(l *slog.Logger) { l.With("component", "http").Info("request") }, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out recorder
			w := New(&out, never)
			logger := slog.New(w.Urgent(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}), slog.LevelWarn))
			logger.Info("earlier")
			tc.log(logger)
			n, all := out.got()
			if n != tc.want {
				t.Fatalf("%d writes, want %d: %q", n, tc.want, all)
			}
			if n == 1 && !strings.Contains(all, `"msg":"earlier"`) {
				t.Fatalf("the urgent record went out without the line before it: %q", all)
			}
			w.Close()
			if _, all := out.got(); !bytes.Contains([]byte(all), []byte(`"msg":"earlier"`)) || strings.Count(all, "\n") != 2 {
				t.Fatalf("after Close: %q, want both lines", all)
			}
		})
	}
}
