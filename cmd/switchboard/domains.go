package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/service"
)

// domainCmd manages domains from the command line, through the service
// calls the APIs make.
func domainCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return subcommand("domain", args, map[string]func([]string) error{
		"create": func(a []string) error { return domainCreate(ctx, a, stdout, stderr) },
		"list":   func(a []string) error { return domainList(ctx, a, stdout, stderr) },
		"delete": func(a []string) error { return domainDelete(ctx, a, stdout, stderr) },
	})
}

func domainCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var tenant *string
	return withService(ctx, command{name: "domain create",
		flags: func(fs *flag.FlagSet) {
			tenant = fs.String("tenant", "", "the tenant that will own the domain (required)")
		},
		check: func(pos []string) error {
			if len(pos) != 1 || *tenant == "" {
				return errors.New("domain create: want exactly one DOMAIN and --tenant NAME")
			}
			return nil
		},
		run: func(ctx context.Context, svc *service.Service, pos []string) error {
			d, _, err := svc.CreateDomain(ctx, sb.SystemActor, sb.NewDomain{Name: pos[0], Owner: *tenant})
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "created domain %s for tenant %s (id %d)\n", d.Name, d.TenantName, d.ID)
			return nil
		}}, args, stderr)
}

func domainList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var tenant *string
	return withService(ctx, command{name: "domain list",
		flags: func(fs *flag.FlagSet) { tenant = fs.String("tenant", "", "list only this tenant's domains") },
		check: func(pos []string) error {
			if len(pos) != 0 {
				return errors.New("domain list: takes no arguments (name a tenant with --tenant NAME)")
			}
			return nil
		},
		run: func(ctx context.Context, svc *service.Service, _ []string) error {
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tTENANT\tACCOUNTS\tREALM\tCREATED")
			line := func(d sb.Domain) error {
				_, err := fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\n", d.ID, d.Name, d.TenantName, d.UsersCount, d.Realm,
					d.CreatedAt.Format(time.RFC3339))
				return err
			}
			if err := svc.ListDomains(ctx, sb.SystemActor, *tenant, sb.Page{}, line); err != nil {
				return err
			}
			return tw.Flush()
		}}, args, stderr)
}

func domainDelete(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return withService(ctx, command{name: "domain delete", mail: true,
		check: exactlyOne("domain delete: want exactly one DOMAIN"),
		run: func(ctx context.Context, svc *service.Service, pos []string) error {
			if err := svc.DeleteDomain(ctx, sb.SystemActor, pos[0]); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "deleted domain %s with its accounts\n", pos[0])
			return nil
		}}, args, stderr)
}
