package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/service"
)

// accountCmd makes the first SIP admin of a fresh install.
func accountCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "create" && args[0] != "set-admin") {
		return errors.New("account: want create or set-admin")
	}
	var pwStdin, admin *bool
	var pw, alg *string
	return withService(ctx, command{name: "account " + args[0],
		flags: func(fs *flag.FlagSet) {
			pwStdin = fs.Bool("password-stdin", false, "read the password from the first line of standard input")
			pw = fs.String("password", "", "the password (prefer --password-stdin)")
			admin = fs.Bool("admin", false, "make the account an admin of its domain")
			alg = fs.String("algorithm", "", "digest algorithm of the SIP password: MD5 or SHA-256 (default both)")
		},
		check: exactlyOne(fmt.Sprintf("account %s: want exactly one EMAIL", args[0])),
		run: func(ctx context.Context, svc *service.Service, pos []string) error {
			if args[0] == "set-admin" {
				if err := svc.SetAccountAdmin(ctx, sb.SystemActor, pos[0]); err != nil {
					return err
				}
				fmt.Fprintf(stdout, "%s is now an admin\n", pos[0])
				return nil
			}
			password, err := readPassword(*pwStdin, *pw, stdin)
			if err != nil {
				return err
			}
			a, err := svc.CreateAccountCLI(ctx, sb.SystemActor, pos[0], password, *alg, *admin)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "created account %s (id %d, admin %v)\n", a.Email, a.ID, a.Admin)
			return nil
		}}, args[1:], stderr)
}

// apikeyCmd manages the API keys of admin accounts.
func apikeyCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("apikey: want create, list or revoke")
	}
	var account *string
	return withService(ctx, command{name: "apikey " + args[0],
		flags: func(fs *flag.FlagSet) { account = fs.String("account", "", "the admin account the key acts as") },
		run: func(ctx context.Context, svc *service.Service, pos []string) error {
			switch args[0] {
			case "create":
				if *account == "" {
					return errors.New("apikey create: want --account EMAIL")
				}
				k, err := svc.CreateAPIKey(ctx, sb.SystemActor, *account)
				if err != nil {
					return err
				}
				fmt.Fprintf(stdout, "API key %d for %s (shown once; send it as x-api-key):\n%s\n", k.ID, *account, k.Key)
				return nil
			case "list":
				keys, err := svc.ListAPIKeys(ctx, sb.SystemActor)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tACCOUNT\tCREATED\tLAST USED")
				for _, k := range keys {
					used := "never"
					if !k.LastUsedAt.IsZero() {
						used = k.LastUsedAt.Format(time.RFC3339)
					}
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", k.ID, k.Email, k.CreatedAt.Format(time.RFC3339), used)
				}
				return tw.Flush()
			case "revoke":
				if len(pos) != 1 {
					return errors.New("apikey revoke: want exactly one ID")
				}
				id, err := strconv.ParseInt(pos[0], 10, 64)
				if err != nil {
					return errors.New("apikey revoke: ID must be a number")
				}
				if err := svc.RevokeAPIKey(ctx, sb.SystemActor, id); err != nil {
					return err
				}
				fmt.Fprintf(stdout, "API key %d revoked\n", id)
				return nil
			}
			return fmt.Errorf("apikey: unknown command %q (want create, list or revoke)", args[0])
		}}, args[1:], stderr)
}
