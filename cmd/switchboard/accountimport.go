package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/service"
)

// importAccounts is "switchboard import accounts FILE.csv --domain D": the
// service's ImportAccounts, all or nothing, with a progress line on
// stderr and, for a refused file, its faults there, one a line.
func importAccounts(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var domain *string
	var f *os.File
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	return withService(ctx, command{name: "import accounts",
		flags: func(fs *flag.FlagSet) {
			domain = fs.String("domain", "", "the domain to import into (required)")
		},
		check: func(pos []string) (err error) {
			if len(pos) != 1 || *domain == "" {
				return errors.New("import accounts: want FILE.csv and --domain DOMAIN")
			}
			f, err = os.Open(pos[0])
			return err
		},
		run: func(ctx context.Context, svc *service.Service, _ []string) error {
			start := time.Now()
			p := newProgressLine(stderr, time.Now)
			res, err := svc.ImportAccounts(ctx, sb.SystemActor, sb.DomainRef{Name: *domain}, f, p.report)
			if le, ok := errors.AsType[*sb.LineErrors](err); ok {
				for _, l := range le.Lines {
					fmt.Fprintln(stderr, l.String())
				}
				if more := le.Total - len(le.Lines); more > 0 {
					fmt.Fprintf(stderr, "... and %d more\n", more)
				}
			}
			if err != nil {
				return err
			}
			took := time.Since(start)
			fmt.Fprintf(stdout, "imported %d accounts into %s in %.1fs (%.0f accounts/s): %d kept hashes, %d SIP identities; the domain has %d accounts\n",
				res.Imported, res.Domain.Name, took.Seconds(), float64(res.Imported)/took.Seconds(), res.Kept, res.SIP, res.Domain.UsersCount)
			return nil
		}}, args, stderr)
}

// progressLine prints an import's progress, "import: PHASE done/total
// accounts (N accounts/s)", at most every progressEvery and at the end of
// each phase. A phase's rate counts from the end of the one before (the
// first's from the start: reading and checking the file belong to it).
type progressLine struct {
	w     io.Writer
	now   func() time.Time
	phase string
	// start is when the phase began, out when a line was last printed.
	start, out time.Time
}

const progressEvery = time.Second

func newProgressLine(w io.Writer, now func() time.Time) *progressLine {
	t := now()
	return &progressLine{w: w, now: now, start: t, out: t}
}

func (p *progressLine) report(ip sb.ImportProgress) {
	now := p.now()
	if ip.Phase != p.phase {
		if p.phase != "" {
			p.start = p.out // the previous phase's last line, at its end
		}
		p.phase, p.out = ip.Phase, p.start
	}
	if ip.Done < ip.Total && now.Sub(p.out) < progressEvery {
		return
	}
	p.out = now
	rate := float64(ip.Done) / max(now.Sub(p.start).Seconds(), 1e-3)
	fmt.Fprintf(p.w, "import: %s %d/%d accounts (%.0f accounts/s)\n", ip.Phase, ip.Done, ip.Total, rate)
}
