// Command switchboard-load measures Switchboard against the machine it runs
// on: it starts a bare net/http hello handler and a Switchboard (in
// process, wired as "switchboard serve" wires it, on loopback listeners
// and a temporary store), seeds it, runs each scenario for a fixed time
// with a bounded number of connections, and prints one table: requests
// per second, p50, p99, and the ratio to the bare handler (or, for account
// creation, to the argon2id ceiling measured in the same run). The load
// comes from Go's HTTP client in the same process, or with --client wrk
// from the wrk binary in another.
//
//	go run ./cmd/switchboard-load --duration 10s --conns 32 --markdown
//	go run ./cmd/switchboard-load --client wrk --duration 10s --rounds 5 --conns 32 --markdown
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := Main(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "switchboard-load:", err)
		}
		os.Exit(2)
	}
}

// Main parses the flags and runs the measurement.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := ParseFlags(args, stderr)
	if err != nil {
		return err
	}
	res, err := Run(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	if cfg.Markdown {
		return res.Markdown(stdout)
	}
	return res.Text(stdout)
}

// Config is what the flags set.
type Config struct {
	Duration    time.Duration // each scenario's measured time
	Warmup      time.Duration // each scenario's unmeasured lead-in
	Rounds      int           // the scenarios run in turn this many times, each for Duration/Rounds
	Conns       int           // concurrent connections of the GET scenarios
	CreateConns int           // concurrent connections of account creation
	Database    string        // "" for a temporary SQLite file, or a postgres:// URL
	Scenarios   []string
	Markdown    bool
	Accounts    int    // accounts in the domain of the list scenarios
	BigAccounts int    // accounts of the big-list scenario
	Argon2      string // "prod" (auth.DefaultParams) or "test" (auth.TestParams)
	CPUProfile  string // a file for a CPU profile of the scenarios ("": none)
	MemProfile  string // a file for the allocations profile after the scenarios, FILE.base before them ("": none)
	Trace       string // a file for an execution trace of the scenarios ("": none)
	ReadCache   bool   // keep the store's read cache on (SQLite)
	Client      string // the load generator: "go" (in process) or "wrk"
	WrkPath     string // the wrk binary, with Client "wrk"
	// LogFlush is the server's --log-flush: the log goes to a temporary
	// file (or to Log), in batches of at most this long (0: every line at
	// once).
	LogFlush time.Duration
	Log      string // a file to keep the server's log in ("": a temporary file, removed)
}

// The load generators of --client.
const (
	clientGo  = "go"
	clientWrk = "wrk"
)

// Scenario names, in the order they run.
const (
	scBare    = "bare"
	scDomains = "domains"
	scUsers   = "users"
	// scBarePage is the bare handler writing the bytes of users' page: what
	// the transfer of the page alone costs.
	scBarePage = "bare-page"
	scMe       = "me"
	scRPC      = "rpc"
	scCreate   = "create"
	scBig      = "big"
)

var allScenarios = []string{scBare, scDomains, scUsers, scBarePage, scMe, scRPC, scCreate, scBig}

// defaultScenarios leaves out the big list, whose seed takes a while.
var defaultScenarios = []string{scBare, scDomains, scUsers, scBarePage, scMe, scRPC, scCreate}

// ParseFlags reads the command line.
func ParseFlags(args []string, stderr io.Writer) (Config, error) {
	fs := flag.NewFlagSet("switchboard-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c Config
	var scenarios string
	var big bool
	fs.DurationVar(&c.Duration, "duration", 5*time.Second, "measured time of each scenario")
	fs.DurationVar(&c.Warmup, "warmup", -1, "unmeasured time before each scenario (default: a tenth of --duration, at most 1s)")
	fs.IntVar(&c.Rounds, "rounds", 3, "run the scenarios in turn this many times, each for --duration/--rounds, so that other load on the machine weighs on all alike")
	fs.IntVar(&c.Conns, "conns", 32, "concurrent connections of the GET scenarios")
	fs.IntVar(&c.CreateConns, "create-conns", 8, "concurrent connections of the account creation scenario")
	fs.StringVar(&c.Database, "database", "", "database URL (postgres://...; a fresh schema is made and dropped); empty: a temporary SQLite file")
	fs.StringVar(&scenarios, "scenarios", strings.Join(defaultScenarios, ","), "comma-separated scenarios: "+strings.Join(allScenarios, ", "))
	fs.BoolVar(&big, "big", false, "add the big scenario (first page and full stream of a domain of --big-accounts accounts, with the RSS growth; the stream is read in process whatever --client is)")
	fs.BoolVar(&c.Markdown, "markdown", false, "print the table as Markdown")
	fs.IntVar(&c.Accounts, "accounts", 10_000, "accounts in the domain the users scenario lists")
	fs.IntVar(&c.BigAccounts, "big-accounts", 1_000_000, "accounts of the big scenario")
	fs.StringVar(&c.Argon2, "argon2", "prod", "argon2id parameters: prod (the server's) or test (cheap, for smoke runs)")
	fs.BoolVar(&c.ReadCache, "read-cache", true, "keep SQLite's read cache on (false: every read goes to the database, to measure what the cache saves)")
	fs.DurationVar(&c.LogFlush, "log-flush", 100*time.Millisecond, "the server's --log-flush: its log (the access log's line per request) goes to a temporary file in batches of at most this long (0: every line at once)")
	fs.StringVar(&c.Log, "log", "", "keep the server's JSON log (seed and scenarios, one access line per request with its duration_ms) in this file instead of a temporary one")
	fs.StringVar(&c.CPUProfile, "cpuprofile", "", "write a CPU profile of the scenarios (server and, with --client go, client: one process) to this file")
	fs.StringVar(&c.MemProfile, "memprofile", "", "write the process's allocation profile to this file after the scenarios, and to this file's name + .base before them (the scenarios' own: go tool pprof -diff_base FILE.base FILE)")
	fs.StringVar(&c.Trace, "trace", "", "write an execution trace of the scenarios to this file (go tool trace FILE; go tool trace -pprof=sched FILE > sched.prof for where goroutines waited to run)")
	fs.StringVar(&c.Client, "client", clientGo, "load generator: go (net/http in this process, its CPU counted with the server's) or wrk (the wrk binary, another process; cpu/req is then the server's alone)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	for _, s := range strings.Split(scenarios, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		known := false
		for _, k := range allScenarios {
			known = known || k == s
		}
		if !known {
			return c, fmt.Errorf("--scenarios: unknown scenario %q (want %s)", s, strings.Join(allScenarios, ", "))
		}
		c.Scenarios = append(c.Scenarios, s)
	}
	if big && !c.has(scBig) {
		c.Scenarios = append(c.Scenarios, scBig)
	}
	switch {
	case len(c.Scenarios) == 0:
		return c, errors.New("--scenarios: none given")
	case c.Duration <= 0:
		return c, errors.New("--duration must be positive")
	case c.Rounds <= 0:
		return c, errors.New("--rounds must be positive")
	case c.Conns <= 0 || c.CreateConns <= 0:
		return c, errors.New("--conns and --create-conns must be positive")
	case c.Accounts < 1 || c.BigAccounts < 1:
		return c, errors.New("--accounts and --big-accounts must be positive")
	case c.LogFlush < 0:
		return c, errors.New("--log-flush must not be negative")
	case c.Argon2 != "prod" && c.Argon2 != "test":
		return c, fmt.Errorf("--argon2: want prod or test, not %q", c.Argon2)
	case c.Client != clientGo && c.Client != clientWrk:
		return c, fmt.Errorf("--client: want go or wrk, not %q", c.Client)
	}
	if c.Client == clientWrk {
		path, err := exec.LookPath("wrk")
		if err != nil {
			return c, errors.New("--client wrk: wrk not found in PATH (apt-get install wrk)")
		}
		c.WrkPath = path
	}
	if c.Warmup < 0 {
		c.Warmup = min(c.Duration/10, time.Second)
	}
	return c, nil
}

func (c Config) has(name string) bool {
	for _, s := range c.Scenarios {
		if s == name {
			return true
		}
	}
	return false
}
