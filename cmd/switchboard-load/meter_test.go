package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// postgresCPU reads the first field of schedstat, in nanoseconds, of the
// processes named postgres, and nothing else.
func TestPostgresCPUReadsOnlyPostgresProcesses(t *testing.T) {
	proc := t.TempDir()
	for _, p := range []struct{ pid, comm, schedstat string }{
		{"12", "postgres\n", "1500000 200 7\n"},
		{"13", "postgres\n", "2500 0 1\n"},
		{"14", "bash\n", "900000000 0 1\n"},
		{"15", "postgres\n", ""},          // ended between the two reads: no schedstat
		{"16", "postgres\n", "garbage\n"}, // not a number
		{"self", "postgres\n", "77 0 1\n"},
	} {
		dir := filepath.Join(proc, p.pid)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "comm"), []byte(p.comm), 0o644)
		if p.schedstat != "" {
			os.WriteFile(filepath.Join(dir, "schedstat"), []byte(p.schedstat), 0o644)
		}
	}
	got := postgresCPU(proc)
	want := map[int]time.Duration{12: 1500 * time.Microsecond, 13: 2500}
	if len(got) != len(want) || got[12] != want[12] || got[13] != want[13] {
		t.Errorf("postgresCPU = %v, want %v", got, want)
	}
	if got := postgresCPU(filepath.Join(proc, "missing")); got != nil {
		t.Errorf("postgresCPU of no /proc = %v, want nil", got)
	}
}

// since counts a process that started in between whole, and drops one
// that ended.
func TestReadingSince(t *testing.T) {
	then := reading{self: 10 * time.Millisecond, db: map[int]time.Duration{1: 5 * time.Millisecond, 2: time.Millisecond}}
	now := reading{self: 25 * time.Millisecond, db: map[int]time.Duration{1: 9 * time.Millisecond, 3: 2 * time.Millisecond}}
	self, db := now.since(then)
	if self != 15*time.Millisecond || db != 6*time.Millisecond {
		t.Errorf("since = %v, %v; want 15ms, 6ms", self, db)
	}
	if self, db := (reading{self: 3}).since(reading{self: 1}); self != 2 || db != 0 {
		t.Errorf("since without the database = %v, %v; want 2ns, 0", self, db)
	}
}
