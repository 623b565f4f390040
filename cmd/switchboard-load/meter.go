package main

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
	"time"
)

// meter reads the CPU time a scenario costs: this process's (server, and
// the Go client) and, with db set, that of the database server's processes
// on this machine. PostgreSQL on the same cores spends CPU time for every
// request that this process's figure leaves out: the creation scenario's
// ratio to the argon2id ceiling, measured without a database, pays for it.
type meter struct {
	db bool
}

// reading is one look at the clocks of a meter.
type reading struct {
	self time.Duration
	db   map[int]time.Duration // the database's processes by pid; nil: not read
}

func (m meter) read() reading {
	r := reading{self: cpuTime()}
	if m.db {
		r.db = postgresCPU("/proc")
	}
	return r
}

// since returns the CPU time used between then and r: this process's, and
// the database's. A database process that started in between counts
// whole; one that ended in between is lost (PostgreSQL keeps a backend for
// each of the pool's connections, so none end while a scenario runs).
func (r reading) since(then reading) (self, db time.Duration) {
	for pid, t := range r.db {
		db += t - then.db[pid]
	}
	return r.self - then.self, db
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// postgresCPU returns the time on the CPU of every process named postgres
// (the postmaster, its backends and background workers; each is one
// thread) under procDir, from PID/schedstat, whose first field is in
// nanoseconds: PID/stat counts in ticks of 10 ms, too coarse for a round
// of two seconds. A process that goes away while being read is left out.
func postgresCPU(procDir string) map[int]time.Duration {
	ents, err := os.ReadDir(procDir)
	if err != nil {
		return nil
	}
	out := map[int]time.Duration{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		dir := procDir + "/" + e.Name() + "/"
		comm, err := os.ReadFile(dir + "comm")
		if err != nil || string(bytes.TrimSpace(comm)) != "postgres" {
			continue
		}
		st, err := os.ReadFile(dir + "schedstat")
		if err != nil {
			continue
		}
		f := bytes.Fields(st)
		if len(f) == 0 {
			continue
		}
		ns, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			continue
		}
		out[pid] = time.Duration(ns)
	}
	return out
}
