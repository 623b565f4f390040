package switchboard_test

import (
	"testing"

	sb "github.com/switchboard/switchboard"
)

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"102400", 102400, true}, {"100K", 102400, true}, {"100k", 102400, true}, {"100KB", 102400, true},
		{"100KiB", 102400, true}, {"2M", 2 << 20, true}, {"1g", 1 << 30, true}, {"3T", 3 << 40, true}, {" 7B ", 7, true},
		{"1024T", 1 << 50, true}, {"1025T", 0, false}, {"", 0, false}, {"-1", 0, false}, {"1.5G", 0, false}, {"K", 0, false},
		{"10X", 0, false}, {"10KK", 0, false}, {"10IB", 0, false}, {"99999999999999999999", 0, false}, {"１", 0, false},
	} {
		got, err := sb.ParseSize("quota", tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && sb.ErrorField(err) != "quota" {
			t.Errorf("ParseSize(%q): field %q", tc.in, sb.ErrorField(err))
		}
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"0", "100K", "2GiB", "1024T", "-1", "1.5G", "10KK"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := sb.ParseSize("quota", s)
		if err != nil {
			if n != 0 || sb.ErrorCode(err) != sb.EINVALID {
				t.Fatalf("ParseSize(%q) = %d, %v", s, n, err)
			}
			return
		}
		if n < 0 || n > sb.MaxQuotaBytes {
			t.Fatalf("ParseSize(%q) = %d, out of range", s, n)
		}
	})
}
