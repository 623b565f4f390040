package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/service"
)

// vacationCmd shows and sets mailboxes' vacation replies through the
// service calls the APIs make.
func vacationCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return subcommand("vacation", args, map[string]func([]string) error{
		"show": func(a []string) error { return vacationShow(ctx, a, stdout, stderr) },
		"set":  func(a []string) error { return vacationSet(ctx, a, stdin, stdout, stderr) },
	})
}

func vacationShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return withService(ctx, command{name: "vacation show",
		check: exactlyOne("vacation show: want exactly one EMAIL"),
		run: func(ctx context.Context, svc *service.Service, pos []string) error {
			v, err := svc.GetVacation(ctx, sb.SystemActor, sb.AccountRef{Email: pos[0]})
			if err != nil {
				return err
			}
			printVacation(stdout, v)
			return nil
		}}, args, stderr)
}

func printVacation(w io.Writer, v *sb.Vacation) {
	state := "off"
	if v.Active {
		state = "on"
	}
	open := func(d string) string {
		if d == "" {
			return "-"
		}
		return d
	}
	fmt.Fprintf(w, "vacation of %s: %s\nsubject: %s\nfrom: %s\nuntil: %s\ndays: %d\naddresses: %s\n\n%s",
		v.Email, state, v.Subject, open(v.Start), open(v.End), v.Days, strings.Join(v.Addresses, ", "), v.Body)
	if v.Body != "" && !strings.HasSuffix(v.Body, "\n") {
		fmt.Fprintln(w)
	}
}

func vacationSet(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var fs *flag.FlagSet
	var subject, body, bodyFile, start, end, addresses *string
	var days *int
	var off *bool
	var ch sb.VacationChange
	return withService(ctx, command{name: "vacation set",
		flags: func(f *flag.FlagSet) {
			fs = f
			subject = f.String("subject", "", "the reply's subject (one line)")
			body = f.String("body", "", "the reply's text")
			bodyFile = f.String("body-file", "", "read the reply's text from this file (- for standard input)")
			start = f.String("start", "", "first day with replies, YYYY-MM-DD (UTC); \"\" clears")
			end = f.String("end", "", "last day with replies, YYYY-MM-DD (UTC); \"\" clears")
			days = f.Int("days", service.DefaultVacationDays, "one reply per sender in this many days (1 to 365)")
			addresses = f.String("addresses", "", "comma-separated further addresses of the mailbox whose mail gets the reply too")
			off = f.Bool("off", false, "turn the reply off (keeping its text); without it, set turns it on")
		},
		check: func(pos []string) error {
			if len(pos) != 1 {
				return errors.New("vacation set: want exactly one EMAIL")
			}
			set := map[string]bool{}
			fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
			if set["body"] && set["body-file"] {
				return errors.New("vacation set: give --body or --body-file, not both")
			}
			if set["subject"] {
				ch.Subject = subject
			}
			if set["body"] {
				ch.Body = body
			}
			if set["body-file"] {
				var data []byte
				var err error
				if *bodyFile == "-" {
					data, err = io.ReadAll(io.LimitReader(stdin, service.MaxVacationBody+1))
				} else {
					data, err = os.ReadFile(*bodyFile)
				}
				if err != nil {
					return fmt.Errorf("vacation set: %w", err)
				}
				text := string(data)
				ch.Body = &text
			}
			if set["start"] {
				ch.Start = start
			}
			if set["end"] {
				ch.End = end
			}
			if set["days"] {
				ch.Days = days
			}
			if set["addresses"] {
				list := sb.SplitAddresses(*addresses)
				ch.Addresses = &list
			}
			on := !*off
			ch.Active = &on
			return nil
		},
		run: func(ctx context.Context, svc *service.Service, pos []string) error {
			v, err := svc.SetVacation(ctx, sb.SystemActor, sb.AccountRef{Email: pos[0]}, ch)
			if err != nil {
				return err
			}
			printVacation(stdout, v)
			return nil
		}}, args, stderr)
}
