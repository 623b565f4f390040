package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"
)

var header = []string{"scenario", "conns", "requests", "errors", "rps", "p50", "p99", "cpu/req", "ratio", "what"}

func (r Row) cells() []string {
	ratio := "-"
	if !math.IsNaN(r.Ratio) && !math.IsInf(r.Ratio, 0) {
		ratio = fmt.Sprintf("%.2f", r.Ratio)
	}
	note := r.Note
	if r.ClientCPU > 0 {
		note += fmt.Sprintf("; wrk's CPU %s/req", us(r.ClientCPU))
	}
	if r.DBCPU > 0 {
		note += fmt.Sprintf("; PostgreSQL's CPU %s/req", us(r.DBCPU))
	}
	if r.BesideDB > 0 {
		note += fmt.Sprintf("; %.2f of the ceiling left beside PostgreSQL's CPU", r.BesideDB)
	}
	return []string{r.Scenario, fmt.Sprint(r.Conns), fmt.Sprint(r.Requests), fmt.Sprint(r.Errors),
		fmt.Sprintf("%.0f", r.RPS), ms(r.P50), ms(r.P99), us(r.CPU), ratio, note}
}

func ms(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000)
}

func us(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%d µs", d.Microseconds())
}

func (res *Result) caption() string {
	cache := "read cache off"
	if res.CacheOn {
		cache = "read cache on"
		if n := res.CacheHits + res.CacheMisses; n > 0 {
			cache += fmt.Sprintf(": %.1f%% of %d cacheable reads answered from it", 100*float64(res.CacheHits)/float64(n), n)
		}
	}
	logs := "log to a file, every line at once"
	if res.LogFlush > 0 {
		logs = fmt.Sprintf("log to a file in batches of at most %s", res.LogFlush)
	}
	client := "client go (net/http in process: cpu/req is server and client)"
	if res.Client == clientWrk {
		client = "client wrk (another process, min(GOMAXPROCS, conns) threads: cpu/req is the server's alone, wrk's own is in the notes; " +
			"p50/p99 are wrk's per round, combined by a request-weighted mean; the argon2id ceiling and big-stream run in process)"
	}
	return fmt.Sprintf("database %s, GOMAXPROCS %d, %s per scenario in %d rounds, %s, %s; %s", res.Database, res.GOMAXPROCS, res.Duration, res.Rounds, cache, logs, client)
}

// Text writes the table aligned in columns, and the first error of any
// scenario that had one.
func (res *Result) Text(w io.Writer) error {
	fmt.Fprintln(w, res.caption())
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range res.Rows {
		fmt.Fprintln(tw, strings.Join(r.cells(), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return res.errors(w)
}

// Markdown writes the table as GitHub Markdown.
func (res *Result) Markdown(w io.Writer) error {
	fmt.Fprintf(w, "%s\n\n", res.caption())
	fmt.Fprintf(w, "| %s |\n", strings.Join(header, " | "))
	fmt.Fprintf(w, "|%s\n", strings.Repeat("---|", len(header)))
	for _, r := range res.Rows {
		fmt.Fprintf(w, "| %s |\n", strings.Join(r.cells(), " | "))
	}
	return res.errors(w)
}

func (res *Result) errors(w io.Writer) error {
	for _, r := range res.Rows {
		if r.FirstError != "" {
			if _, err := fmt.Fprintf(w, "%s: first error: %s\n", r.Scenario, r.FirstError); err != nil {
				return err
			}
		}
	}
	return nil
}
