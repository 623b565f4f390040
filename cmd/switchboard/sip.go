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

// accountCmd manages accounts from the command line: the first SIP admin
// of a fresh install, and the accounts of any domain.
func accountCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return subcommand("account", args, map[string]func([]string) error{
		"create":    func(a []string) error { return accountCreate(ctx, a, stdin, stdout, stderr) },
		"list":      func(a []string) error { return accountList(ctx, a, stdout, stderr) },
		"passwd":    func(a []string) error { return accountPasswd(ctx, a, stdin, stdout, stderr) },
		"set-admin": func(a []string) error { return accountSetAdmin(ctx, a, stdout, stderr) },
		"delete":    func(a []string) error { return accountDelete(ctx, a, stdout, stderr) },
		"quota":     func(a []string) error { return accountQuota(ctx, a, stdout, stderr) },
	})
}

// passwordFlags are the flags of the commands that take a SIP password.
type passwordFlags struct {
	stdin     *bool
	password  *string
	algorithm *string
}

func (f *passwordFlags) register(fs *flag.FlagSet) {
	f.stdin = fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	f.password = fs.String("password", "", "the password (visible to other users of this machine: prefer --password-stdin)")
	f.algorithm = fs.String("algorithm", "", "digest algorithm of the SIP password: MD5 or SHA-256 (default both)")
}

func accountCreate(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var pf passwordFlags
	var admin *bool
	var password string
	return withService(ctx, command{name: "account create",
		flags: func(fs *flag.FlagSet) {
			pf.register(fs)
			admin = fs.Bool("admin", false, "make the account an admin of its domain")
		},
		check: func(pos []string) (err error) {
			if len(pos) != 1 {
				return errors.New("account create: want exactly one EMAIL")
			}
			password, err = readPassword(*pf.stdin, *pf.password, stdin)
			return err
		},
		run: func(ctx context.Context, svc *service.Service, pos []string) error {
			a, err := svc.CreateAccountCLI(ctx, sb.SystemActor, pos[0], password, *pf.algorithm, *admin)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "created account %s (id %d, admin %v)\n", a.Email, a.ID, a.Admin)
			return nil
		}}, args, stderr)
}

func accountList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return withService(ctx, command{name: "account list",
		check: exactlyOne("account list: want exactly one DOMAIN"),
		run: func(ctx context.Context, svc *service.Service, pos []string) error {
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tEMAIL\tACTIVE\tACTIVATED\tADMIN\tALGORITHMS\tCREATED")
			err := svc.ListAccounts(ctx, sb.SystemActor, sb.DomainRef{Name: pos[0]}, sb.Page{}, func(a sb.Account) error {
				_, err := fmt.Fprintf(tw, "%d\t%s\t%v\t%v\t%v\t%s\t%s\n", a.ID, a.Email, a.Active, a.Activated, a.Admin,
					strings.Join(a.Algorithms, ","), a.CreatedAt.Format(time.RFC3339))
				return err
			})
			if err != nil {
				return err
			}
			return tw.Flush()
		}}, args, stderr)
}

func accountPasswd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var pf passwordFlags
	var password string
	return withService(ctx, command{name: "account passwd",
		flags: pf.register,
		check: func(pos []string) (err error) {
			if len(pos) != 1 {
				return errors.New("account passwd: want exactly one EMAIL")
			}
			password, err = readPassword(*pf.stdin, *pf.password, stdin)
			return err
		},
		run: func(ctx context.Context, svc *service.Service, pos []string) error {
			a, err := svc.SetAccountPasswordCLI(ctx, sb.SystemActor, pos[0], password, *pf.algorithm)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "password of %s changed (%s); its other logins have ended\n", a.Email, strings.Join(a.Algorithms, ", "))
			return nil
		}}, args, stderr)
}

func accountSetAdmin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var admin *bool
	return withService(ctx, command{name: "account set-admin",
		flags: func(fs *flag.FlagSet) {
			admin = fs.Bool("admin", true, "true: make the account an admin of its domain; false: no longer one")
		},
		check: exactlyOne("account set-admin: want exactly one EMAIL"),
		run: func(ctx context.Context, svc *service.Service, pos []string) error {
			if err := svc.SetAccountAdmin(ctx, sb.SystemActor, pos[0], *admin); err != nil {
				return err
			}
			if *admin {
				fmt.Fprintf(stdout, "%s is now an admin\n", pos[0])
			} else {
				fmt.Fprintf(stdout, "%s is no longer an admin\n", pos[0])
			}
			return nil
		}}, args, stderr)
}

func accountDelete(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return withService(ctx, command{name: "account delete", mail: true,
		check: exactlyOne("account delete: want exactly one EMAIL"),
		run: func(ctx context.Context, svc *service.Service, pos []string) error {
			if err := svc.DeleteAccount(ctx, sb.SystemActor, pos[0]); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "deleted account %s\n", pos[0])
			return nil
		}}, args, stderr)
}

// apikeyCmd manages the API keys of admin accounts.
func apikeyCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return subcommand("apikey", args, map[string]func([]string) error{
		"create": func(a []string) error { return apikeyCreate(ctx, a, stdout, stderr) },
		"list":   func(a []string) error { return apikeyList(ctx, a, stdout, stderr) },
		"revoke": func(a []string) error { return apikeyRevoke(ctx, a, stdout, stderr) },
	})
}

func apikeyCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var account, name *string
	return withService(ctx, command{name: "apikey create",
		flags: func(fs *flag.FlagSet) {
			account = fs.String("account", "", "the admin account the key acts as")
			name = fs.String("name", "", "what to call the key (default: its creation time)")
		},
		check: func([]string) error {
			if *account == "" {
				return errors.New("apikey create: want --account EMAIL")
			}
			return nil
		},
		run: func(ctx context.Context, svc *service.Service, _ []string) error {
			k, err := svc.CreateAPIKey(ctx, sb.SystemActor, *account, *name)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "API key %d for %s (shown once; send it as x-api-key):\n%s\n", k.ID, *account, k.Key)
			return nil
		}}, args, stderr)
}

func apikeyList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return withService(ctx, command{name: "apikey list",
		run: func(ctx context.Context, svc *service.Service, _ []string) error {
			keys, err := svc.ListAPIKeys(ctx, sb.SystemActor)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tACCOUNT\tNAME\tCREATED\tLAST USED")
			for _, k := range keys {
				used := "never"
				if !k.LastUsedAt.IsZero() {
					used = k.LastUsedAt.Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", k.ID, k.Email, k.Name, k.CreatedAt.Format(time.RFC3339), used)
			}
			return tw.Flush()
		}}, args, stderr)
}

func apikeyRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var id int64
	return withService(ctx, command{name: "apikey revoke",
		check: func(pos []string) (err error) {
			if len(pos) != 1 {
				return errors.New("apikey revoke: want exactly one ID")
			}
			if id, err = strconv.ParseInt(pos[0], 10, 64); err != nil {
				return errors.New("apikey revoke: ID must be a number")
			}
			return nil
		},
		run: func(ctx context.Context, svc *service.Service, _ []string) error {
			if err := svc.RevokeAPIKey(ctx, sb.SystemActor, id); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "API key %d revoked\n", id)
			return nil
		}}, args, stderr)
}
