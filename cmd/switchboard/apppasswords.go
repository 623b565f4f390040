package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/service"
)

func appPasswordCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return subcommand("app-password", args, map[string]func([]string) error{
		"create": func(a []string) error { return appPasswordCreate(ctx, a, stdout, stderr) },
		"list":   func(a []string) error { return appPasswordList(ctx, a, stdout, stderr) },
		"revoke": func(a []string) error { return appPasswordRevoke(ctx, a, stdout, stderr) },
	})
}

func appPasswordCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var mail, name, protocols *string
	return withService(ctx, command{name: "app-password create",
		flags: func(fs *flag.FlagSet) {
			mail = fs.String("mail", "", "the mailbox it logs in as")
			name = fs.String("name", "", "what to call it (default: its creation time)")
			protocols = fs.String("protocols", "", "comma-separated, of imap, pop3, smtp, sieve (default: every protocol)")
		},
		check: func([]string) error {
			if *mail == "" {
				return errors.New("app-password create: want --mail EMAIL")
			}
			return nil
		},
		run: func(ctx context.Context, svc *service.Service, _ []string) error {
			var list []string
			if *protocols != "" {
				list = strings.Split(*protocols, ",")
			}
			p, err := svc.CreateAppPassword(ctx, sb.SystemActor, sb.AccountRef{Email: *mail}, sb.NewAppPassword{Name: *name, Protocols: list})
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "app password %d for %s, %s (shown once):\n%s\n", p.ID, p.Email, protocolsText(p.Protocols), p.Password)
			return nil
		}}, args, stderr)
}

func protocolsText(p []string) string {
	if len(p) == 0 {
		return "every protocol"
	}
	return strings.Join(p, ",")
}

func appPasswordList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var mail *string
	return withService(ctx, command{name: "app-password list",
		flags: func(fs *flag.FlagSet) {
			mail = fs.String("mail", "", "the mailbox whose app passwords to list")
		},
		check: func([]string) error {
			if *mail == "" {
				return errors.New("app-password list: want --mail EMAIL")
			}
			return nil
		},
		run: func(ctx context.Context, svc *service.Service, _ []string) error {
			list, err := svc.ListAppPasswords(ctx, sb.SystemActor, sb.AccountRef{Email: *mail})
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tMAIL\tNAME\tPROTOCOLS\tCREATED")
			for _, p := range list {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", p.ID, p.Email, p.Name, protocolsText(p.Protocols), p.CreatedAt.Format(time.RFC3339))
			}
			return tw.Flush()
		}}, args, stderr)
}

func appPasswordRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var id int64
	return withService(ctx, command{name: "app-password revoke",
		check: func(pos []string) (err error) {
			if len(pos) != 1 {
				return errors.New("app-password revoke: want exactly one ID")
			}
			if id, err = strconv.ParseInt(pos[0], 10, 64); err != nil || id <= 0 {
				return errors.New("app-password revoke: ID must be a positive number")
			}
			return nil
		},
		run: func(ctx context.Context, svc *service.Service, _ []string) error {
			if err := svc.RevokeAppPassword(ctx, sb.SystemActor, sb.AccountRef{}, id); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "app password %d revoked\n", id)
			return nil
		}}, args, stderr)
}
