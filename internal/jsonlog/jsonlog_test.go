package jsonlog_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/jsonlog"
)

var when = time.Date(2026, 12, 3, 8, 15, 4, 123456789, time.UTC)

// lines logs the same calls through slog.JSONHandler and through jsonlog,
// and returns both outputs.
func lines(t testing.TB, opts *slog.HandlerOptions, log func(*slog.Logger)) (want, got string) {
	t.Helper()
	var a, b bytes.Buffer
	log(slog.New(slog.NewJSONHandler(&a, opts)))
	log(slog.New(jsonlog.New(&b, opts)))
	return a.String(), b.String()
}

// record logs one record at a fixed time, as the access log does (a
// record built by hand, no caller's PC).
func record(l *slog.Logger, level slog.Level, msg string, attrs ...slog.Attr) {
	r := slog.NewRecord(when, level, msg, 0)
	r.AddAttrs(attrs...)
	if h := l.Handler(); h.Enabled(context.Background(), level) {
		_ = h.Handle(context.Background(), r)
	}
}

type valuer struct{}

func (valuer) LogValue() slog.Value { return slog.StringValue("resolved") }

// Every line is slog.JSONHandler's line, byte for byte: the records this
// handler formats and those it hands to slog's.
func TestSameLines(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		paris = time.FixedZone("CET", 3600)
	}
	cases := []struct {
		name string
		log  func(*slog.Logger)
	}{
		{"access line", func(l *slog.Logger) {
			record(l.With("component", "http"), slog.LevelInfo, "request", slog.String("method", "GET"), slog.String("route", "GET /domains"),
				slog.String("path", "/domains"), slog.Int("status", 200), slog.Int64("bytes", 412),
				slog.Float64("duration_ms", 0.147), slog.String("remote", "127.0.0.1"))
		}},
		{"kinds", func(l *slog.Logger) {
			record(l, slog.LevelWarn, "kinds", slog.Bool("yes", true), slog.Bool("no", false), slog.Uint64("u", math.MaxUint64),
				slog.Int64("min", math.MinInt64), slog.Duration("d", 1500*time.Millisecond), slog.Time("t", when.In(paris)),
				slog.Time("zero", time.Time{}), slog.String("empty", ""))
		}},
		{"floats", func(l *slog.Logger) {
			for _, f := range []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1e-6, 9.99e-7, 1e-7, 1.5e-10, 123456789.125, 1e20, 1e21, 1.7976931348623157e308,
				5e-324, 0.000001234, 2.5e-7, -3e-9, 1e100} {
				record(l, slog.LevelInfo, "f", slog.Float64("f", f))
			}
		}},
		{"handed to slog", func(l *slog.Logger) {
			record(l, slog.LevelInfo, "nan", slog.Float64("f", math.NaN()), slog.Float64("inf", math.Inf(-1)))
			record(l, slog.LevelError, "err", slog.Any("err", errors.New("boom: \"quoted\"")))
			record(l, slog.LevelInfo, "group", slog.Group("g", slog.Int("a", 1), slog.String("b", "x")), slog.Group("empty"))
			record(l, slog.LevelInfo, "valuer", slog.Any("v", valuer{}))
			record(l, slog.LevelInfo, "any", slog.Any("m", map[string]int{"a": 1}), slog.Any("nil", nil))
			record(l, slog.LevelInfo, "empty attr", slog.Attr{}, slog.Int("after", 1))
			record(l, slog.LevelInfo, "empty key", slog.String("", "v"))
			record(l, slog.LevelInfo, "escapes", slog.String("s", "a\"b\\c\n\t\x01<>&é\u2028\xff"), slog.String("k\"ey", "v"))
			record(l, slog.LevelInfo, "héllo <msg>")
			record(l, slog.LevelInfo, "year", slog.Time("t", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)))
			record(l, slog.LevelInfo+2, "odd level")
		}},
		{"no time", func(l *slog.Logger) {
			r := slog.NewRecord(time.Time{}, slog.LevelInfo, "no time", 0)
			r.AddAttrs(slog.Int("n", 1))
			_ = l.Handler().Handle(context.Background(), r)
		}},
		{"with", func(l *slog.Logger) {
			l = l.With("component", "http", "n", 3)
			record(l, slog.LevelInfo, "one")
			record(l.With(slog.Any("err", errors.New("x"))), slog.LevelInfo, "slow with")
			record(l.With("k", "v").WithGroup("g").With("in", 1), slog.LevelInfo, "grouped", slog.Int("a", 1))
			record(l.With(), slog.LevelInfo, "with nothing")
		}},
		{"below the level", func(l *slog.Logger) {
			record(l, slog.LevelDebug, "hidden")
			l.Debug("hidden too")
			record(l, slog.LevelInfo, "shown", slog.Int("n", 1))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want, got := lines(t, nil, c.log)
			if got != want {
				t.Errorf("jsonlog wrote\n%s\nslog.JSONHandler wrote\n%s", got, want)
			}
			if c.name != "below the level" && want == "" {
				t.Error("nothing logged: the case proves nothing")
			}
		})
	}
}

// Options that change a line's content get slog's handler whole; a level
// is the handler's own.
func TestOptions(t *testing.T) {
	for _, opts := range []*slog.HandlerOptions{
		{Level: slog.LevelDebug},
		{Level: slog.LevelError},
		{AddSource: true},
		{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}},
	} {
		want, got := lines(t, opts, func(l *slog.Logger) {
			record(l, slog.LevelDebug, "debug", slog.Int("n", 1))
			record(l, slog.LevelError, "error", slog.Int("n", 2))
		})
		if got != want {
			t.Errorf("options %+v: jsonlog wrote\n%s\nslog.JSONHandler wrote\n%s", opts, got, want)
		}
	}
}

// Lines written at once by many goroutines, through the fast handler and
// slog's, each come out whole.
func TestConcurrentLinesWhole(t *testing.T) {
	var out bytes.Buffer
	l := slog.New(jsonlog.New(&out, nil)).With("component", "test")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				if i%2 == 0 {
					record(l, slog.LevelInfo, "fast", slog.Int("g", g), slog.Int("i", i))
				} else {
					record(l, slog.LevelInfo, "slow", slog.Any("err", errors.New("x")), slog.Int("i", i))
				}
			}
		})
	}
	wg.Wait()
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(got) != 8*200 {
		t.Fatalf("%d lines, want %d", len(got), 8*200)
	}
	for _, line := range got {
		if !strings.HasPrefix(line, `{"time":`) || !strings.HasSuffix(line, "}") || strings.Count(line, `"time":`) != 1 {
			t.Fatalf("a line not whole: %q", line)
		}
	}
}

// A record's line is slog's for any message, key and values.
func FuzzSameLines(f *testing.F) {
	f.Add("request", "path", "/domains", int64(200), uint64(7), 0.147, int64(1500), int64(1764748504123456789), true)
	f.Add("a\"b", "k\\", "é\u2028", int64(-1), uint64(0), 1e-7, int64(0), int64(0), false)
	f.Add("", "x", "", int64(0), uint64(math.MaxUint64), math.Inf(1), int64(-5), int64(-62135596800000000), true)
	f.Add("m", "k", "<>&", int64(math.MaxInt64), uint64(1), 1e21, int64(1), int64(253402300800000000), false)
	f.Fuzz(func(t *testing.T, msg, key, s string, i int64, u uint64, fl float64, d int64, unixNano int64, b bool) {
		want, got := lines(t, nil, func(l *slog.Logger) {
			record(l.With(key, s), slog.LevelInfo, msg, slog.String(key, s), slog.Int64("i", i), slog.Uint64("u", u),
				slog.Float64("f", fl), slog.Duration("d", time.Duration(d)), slog.Time("t", time.Unix(0, unixNano).UTC()), slog.Bool(key, b))
		})
		if got != want {
			t.Errorf("jsonlog wrote\n%s\nslog.JSONHandler wrote\n%s", got, want)
		}
	})
}

// BenchmarkAccessLine is the access log's line through slog's handler and
// through this one.
func BenchmarkAccessLine(b *testing.B) {
	for _, h := range []struct {
		name string
		new  func(io.Writer) slog.Handler
	}{
		{"slog", func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, nil) }},
		{"jsonlog", func(w io.Writer) slog.Handler { return jsonlog.New(w, nil) }},
	} {
		b.Run(h.name, func(b *testing.B) {
			l := slog.New(h.new(io.Discard)).With("component", "http")
			b.ReportAllocs()
			for b.Loop() {
				record(l, slog.LevelInfo, "request", slog.String("method", "GET"), slog.String("route", "GET /domains"),
					slog.String("path", "/domains"), slog.Int("status", 200), slog.Int64("bytes", 412),
					slog.Float64("duration_ms", 0.147), slog.String("remote", "127.0.0.1"))
			}
		})
	}
}
