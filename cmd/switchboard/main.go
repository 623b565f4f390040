// Command switchboard runs the Switchboard provisioning server and its
// administration sub-commands.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/maildir"
	"github.com/switchboard/switchboard/internal/seal"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/store"
)

const usage = `Switchboard: provisioning server for mail and SIP hosting.

Usage:
  switchboard serve   [flags]          run the server
  switchboard migrate [flags]          apply schema migrations and exit
  switchboard version                  print the version and VCS revision (also --version)
  switchboard tenant create NAME (--password-stdin | --password P) [--operator] [flags]
  switchboard tenant list [flags]
  switchboard tenant passwd NAME [--password-stdin | --password P] [flags]
  switchboard tenant limits NAME [--plan P] [--max-domains N] [--max-mailboxes N] [--max-quota SIZE] [--default-quota SIZE] [flags]
                                      show (and change) a tenant's limits and what it holds
  switchboard domain create DOMAIN --tenant NAME [flags]   a domain without accounts
  switchboard domain list [--tenant NAME] [flags]
  switchboard domain delete DOMAIN [flags]                 with all its accounts and mail
  switchboard account create EMAIL --password-stdin [--admin] [--algorithm MD5|SHA-256] [flags]
  switchboard account list DOMAIN [flags]
  switchboard account passwd EMAIL (--password-stdin | --password P) [--algorithm MD5|SHA-256] [flags]
  switchboard account set-admin EMAIL [--admin=false] [flags]
  switchboard account quota EMAIL (SIZE | --plan P) [--messages N] [flags]   SIZE in bytes or with K, M, G, T; 0 unlimited
  switchboard account delete EMAIL [flags]                 with its mail
  switchboard vacation show EMAIL [flags]                  a mailbox's vacation reply
  switchboard vacation set EMAIL [--subject S] [--body B | --body-file F] [--start YYYY-MM-DD] [--end YYYY-MM-DD]
                               [--days N] [--addresses A,B] [--off] [flags]   turns it on unless --off
  switchboard apikey create --account EMAIL [flags]   prints the key once
  switchboard apikey list [flags]
  switchboard apikey revoke ID [flags]
  switchboard app-password create --mail EMAIL [--name N] [--protocols imap,smtp] [flags]   prints it once
  switchboard app-password list --mail EMAIL [flags]
  switchboard app-password revoke ID [flags]
  switchboard export domain NAME [-o FILE] [flags]   write a domain export (default stdout)
  switchboard import domain FILE --tenant NAME [flags] restore a domain export, in one transaction
  switchboard import accounts FILE.csv --domain DOMAIN [flags]
                                      create a CSV file's accounts, all or none (see README)
  switchboard mailconfig --dovecot DIR --postfix DIR [--mail-root DIR] [--lmtp HOST:PORT] [--submission HOST:PORT] [--quota-status HOST:PORT] [flags]
                                      write Dovecot/Postfix files reading the store's mail views
  switchboard sipconfig --kamailio DIR [--algorithm MD5|SHA-256] [--listen HOST:PORT] [--transport udp,tcp] [flags]
                                      write a kamailio.cfg registering and routing the store's SIP accounts
  switchboard oauth-client create --tenant NAME [flags]   prints client_id and secret once
  switchboard oauth-client list [flags]
  switchboard oauth-client revoke CLIENT_ID [flags]

Every flag can also be set as SWITCHBOARD_<FLAG> in the environment
(upper case, '-' as '_'), e.g. SWITCHBOARD_DATABASE=postgres://...
Run "switchboard COMMAND --help" for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// cli runs a command and returns the exit status: 0 when it succeeded or
// printed help, 2 for a bad command line (one line and a hint on stderr,
// not the whole usage), 1 for any other error.
func cli(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	err := run(ctx, args, stdin, stdout, stderr)
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "switchboard:", err)
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "run %q for the %s\n", strings.Join(strings.Fields("switchboard "+ue.cmd+" --help"), " "), ue.what())
		return 2
	}
	return 1
}

// usageError is a bad command line: an unknown command or flag, a bad flag
// value or missing arguments of command cmd ("" for the top level).
type usageError struct {
	cmd   string
	group bool // cmd is a group of commands ("tenant"), not one command
	err   error
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// what names what the hint's --help lists.
func (e *usageError) what() string {
	if e.cmd == "" || e.group {
		return "commands"
	}
	return "flags"
}

// usagef is a usageError of command cmd.
func usagef(cmd, format string, a ...any) error {
	return &usageError{cmd: cmd, err: fmt.Errorf(format, a...)}
}

// groupUsagef is a usageError of command group, e.g. "tenant".
func groupUsagef(group, format string, a ...any) error {
	return &usageError{cmd: group, group: true, err: fmt.Errorf(format, a...)}
}

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	return arg == "-h" || arg == "--help" || arg == "-help" || arg == "help"
}

// run runs the command args names. Help goes to stdout and is no error;
// the error of a failed command prints its cause (see cliError).
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	err := dispatch(ctx, args, stdin, stdout, stderr)
	var h *helpText
	if errors.As(err, &h) {
		_, err = io.WriteString(stdout, h.text)
		return err
	}
	return cliError(err)
}

// helpText is the help a command asked for, which run writes to stdout.
type helpText struct{ text string }

func (h *helpText) Error() string { return "help requested" }

// groupUsage is the usage of a command group ("tenant", "account", ...):
// its lines of the usage text, or "" for no such group.
func groupUsage(group string) string {
	var b strings.Builder
	in := false
	for _, line := range strings.Split(usage, "\n") {
		switch {
		case strings.HasPrefix(line, "  switchboard "+group+" "):
			in = true
		case in && strings.HasPrefix(line, "       "): // a continuation
		default:
			in = false
		}
		if in {
			b.WriteString(line + "\n")
		}
	}
	if b.Len() == 0 {
		return ""
	}
	return "Usage:\n" + b.String() + "\nRun \"switchboard " + group + " COMMAND --help\" for a command's flags.\n"
}

// subcommand picks the sub-command of a group (args[0]), answering help
// and a missing or unknown sub-command itself.
func subcommand(group string, args []string, cmds map[string]func([]string) error) error {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	slices.Sort(names)
	want := strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
	switch {
	case len(args) == 0:
		return groupUsagef(group, "%s: want %s", group, want)
	case isHelp(args[0]):
		return &helpText{groupUsage(group)}
	}
	if c, ok := cmds[args[0]]; ok {
		return c(args[1:])
	}
	return groupUsagef(group, "%s: unknown command %q (want %s)", group, args[0], want)
}

func dispatch(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || isHelp(args[0]) {
		return &helpText{usage}
	}
	switch args[0] {
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, versionLine(debug.ReadBuildInfo()))
		return nil
	case "serve":
		return serve(ctx, args[1:], stderr)
	case "migrate":
		return migrate(ctx, args[1:], stdout)
	case "account":
		return accountCmd(ctx, args[1:], stdin, stdout, stderr)
	case "domain":
		return domainCmd(ctx, args[1:], stdout, stderr)
	case "apikey":
		return apikeyCmd(ctx, args[1:], stdout, stderr)
	case "app-password":
		return appPasswordCmd(ctx, args[1:], stdout, stderr)
	case "vacation":
		return vacationCmd(ctx, args[1:], stdin, stdout, stderr)
	case "export", "import":
		if len(args) >= 2 && isHelp(args[1]) {
			return &helpText{groupUsage(args[0])}
		}
		if args[0] == "import" && len(args) >= 2 && args[1] == "accounts" {
			return importAccounts(ctx, args[2:], stdout, stderr)
		}
		if len(args) < 2 || args[1] != "domain" {
			if args[0] == "import" {
				return groupUsagef("import", "import: want \"import domain ...\" or \"import accounts ...\"")
			}
			return groupUsagef(args[0], "%s: want \"%s domain ...\"", args[0], args[0])
		}
		if args[0] == "export" {
			return exportDomain(ctx, args[2:], stdout, stderr)
		}
		return importDomain(ctx, args[2:], stdout, stderr)
	case "mailconfig":
		return mailconfigCmd(ctx, args[1:], stdout)
	case "sipconfig":
		return sipconfigCmd(ctx, args[1:], stdout, stderr)
	case "tenant":
		return subcommand("tenant", args[1:], map[string]func([]string) error{
			"create": func(a []string) error { return tenantCreate(ctx, a, stdin, stdout, stderr) },
			"list":   func(a []string) error { return tenantList(ctx, a, stdout, stderr) },
			"passwd": func(a []string) error { return tenantPasswd(ctx, a, stdin, stdout, stderr) },
			"limits": func(a []string) error { return tenantLimits(ctx, a, stdout, stderr) },
		})
	case "oauth-client":
		return subcommand("oauth-client", args[1:], map[string]func([]string) error{
			"create": func(a []string) error { return oauthClientCreate(ctx, a, stdout, stderr) },
			"list":   func(a []string) error { return oauthClientList(ctx, a, stdout, stderr) },
			"revoke": func(a []string) error { return oauthClientRevoke(ctx, a, stdout, stderr) },
		})
	}
	return usagef("", "unknown command %q", args[0])
}

// versionLine is what "switchboard version" prints: the module version,
// the VCS revision (and whether the tree was modified) and the Go version,
// as far as the build recorded them; go run and go test binaries carry no
// VCS information.
func versionLine(bi *debug.BuildInfo, ok bool) string {
	if !ok || bi == nil {
		return "switchboard (devel), unknown revision, unknown Go version"
	}
	version := bi.Main.Version
	if version == "" {
		version = "(devel)"
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	rev := "unknown revision"
	if r := settings["vcs.revision"]; r != "" {
		rev = "revision " + r
		if settings["vcs.modified"] == "true" {
			rev += " (modified)"
		}
		if t := settings["vcs.time"]; t != "" {
			rev += " of " + t
		}
	}
	return fmt.Sprintf("switchboard %s, %s, %s", version, rev, bi.GoVersion)
}

// storeFlags are the flags every command that opens the store shares.
type storeFlags struct {
	data        string
	database    string
	minPassword int
	keyFile     string // "": <data>/secret.key
}

func (f *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.data, "data", "./data", "data directory; the embedded SQLite database is <data>/switchboard.db")
	fs.StringVar(&f.database, "database", "", "database URL: empty for embedded SQLite, or postgres://user:pass@host/db")
	fs.IntVar(&f.minPassword, "min-password-length", service.DefaultMinPasswordLen,
		fmt.Sprintf("shortest password accepted for tenants, mailboxes and SIP accounts (at least %d)", service.MinPasswordFloor))
	fs.StringVar(&f.keyFile, "secret-key-file", "", "server key sealing private keys at rest (default <data>/secret.key, created on first start; give every instance sharing a database the same file)")
}

// seal opens (or creates) the server key.
func (f *storeFlags) seal() (*seal.Box, error) { return openSeal(f.keyFile, f.data) }

// mailFlags name Dovecot's Maildir root, for the commands that move mail.
type mailFlags struct {
	root string
}

func (f *mailFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.root, "mail-root", "", "Dovecot's Maildir root, <mail-root>/<domain>/<local>/ (default <data>/mail; \"none\" manages no mail)")
}

// path is the mail root, defaulting below the data directory.
func (f *mailFlags) path(dataDir string) string {
	switch f.root {
	case "":
		return filepath.Join(dataDir, "mail")
	case "none":
		return ""
	}
	return f.root
}

func (f *storeFlags) open(ctx context.Context) (*store.Store, error) {
	if f.minPassword != 0 && f.minPassword < service.MinPasswordFloor {
		return nil, fmt.Errorf("--min-password-length must be at least %d", service.MinPasswordFloor)
	}
	return store.Open(ctx, f.database, f.data)
}

// parse parses args, then fills every flag not given on the command line
// from SWITCHBOARD_<FLAG>. --help and -h return the command's help (a
// *helpText, which run prints to stdout); a bad flag or flag value returns
// a *usageError naming the one problem.
func parse(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard) // flag would print the whole usage on every error
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return &helpText{commandUsage(fs)}
		}
		return &usageError{cmd: fs.Name(), err: err}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if v, ok := os.LookupEnv(envName(f.Name)); ok && !set[f.Name] && err == nil {
			if e := f.Value.Set(v); e != nil {
				err = &usageError{cmd: fs.Name(), err: fmt.Errorf("%s: %w", envName(f.Name), e)}
			}
		}
	})
	return err
}

// commandUsage is the help of one command: its lines of the usage text and
// every flag with its environment variable and default.
func commandUsage(fs *flag.FlagSet) string {
	var b strings.Builder
	b.WriteString("Usage:\n")
	found := false
	for _, line := range strings.Split(usage, "\n") {
		if strings.HasPrefix(line, "  switchboard "+fs.Name()+" ") || line == "  switchboard "+fs.Name() {
			b.WriteString(line + "\n")
			found = true
		}
	}
	if !found {
		b.WriteString("  switchboard " + fs.Name() + " [flags]\n")
	}
	b.WriteString("\nFlags:\n")
	fs.VisitAll(func(f *flag.Flag) {
		fmt.Fprintf(&b, "  --%s (env %s, default %q)\n      %s\n", f.Name, envName(f.Name), f.DefValue, f.Usage)
	})
	return b.String()
}

func envName(flag string) string {
	return "SWITCHBOARD_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// interleave moves flags after positional arguments to the front, so that
// "tenant create NAME --operator" parses like "tenant create --operator NAME".
func interleave(fs *flag.FlagSet, args []string) (flags, positional []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			positional = append(positional, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		if f := fs.Lookup(name); f != nil {
			if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
				continue
			}
			if i+1 < len(args) {
				i++
				flags = append(flags, args[i])
			}
		}
	}
	return flags, positional
}

// openSeal loads (or creates) the server key.
func openSeal(keyFile, dataDir string) (*seal.Box, error) {
	if keyFile == "" {
		keyFile = filepath.Join(dataDir, "secret.key")
	}
	key, err := seal.LoadOrCreateKey(keyFile)
	if err != nil {
		return nil, err
	}
	return seal.New(key)
}

func migrate(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	var sf storeFlags
	sf.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	st, err := sf.open(ctx) // Open applies the migrations.
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintf(stdout, "schema up to date (%s)\n", st.Dialect())
	return nil
}

// readPassword takes the password from --password or the first line of stdin.
func readPassword(fromStdin bool, flagValue string, stdin io.Reader) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read password: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	if flagValue == "" {
		return "", errors.New("give the password with --password-stdin or --password")
	}
	return flagValue, nil
}

// cliService is the service of the administration commands: the store, the
// server key of sf, Maildirs below mailRoot ("" for none) and warnings
// logged on stderr.
func cliService(st *store.Store, sf storeFlags, mailRoot string, stderr io.Writer) (*service.Service, error) {
	box, err := sf.seal()
	if err != nil {
		return nil, err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return service.New(service.Config{Store: st, Hasher: auth.NewHasher(auth.DefaultParams), Logger: logger, Seal: box,
		Mailboxes: mailboxes(mailRoot, 0, logger), MinPasswordLength: sf.minPassword,
		Import: service.ImportLimits{SpoolDir: importSpool(sf.data)}}), nil
}

// importSpool is where domain imports are unpacked: below the data
// directory, this instance's own, so that serve can clear what a killed
// import left there at start.
func importSpool(dataDir string) string { return filepath.Join(dataDir, "import-spool") }

// mailboxes manages the Maildirs below root, keeping deleted ones for
// trash (0: maildir.DefaultTrash; negative: none); nil for root "", which
// manages no mail.
func mailboxes(root string, trash time.Duration, logger *slog.Logger) service.Mailboxes {
	if root == "" {
		return nil // not a nil *maildir.Store, which would be a non-nil Mailboxes
	}
	return maildir.New(maildir.Config{Root: root, Trash: trash, Logger: logger})
}

// command is an administration command that works on the service.
type command struct {
	name  string                   // as in the usage, e.g. "tenant create"
	mail  bool                     // takes --mail-root: the command carries Maildirs along
	flags func(fs *flag.FlagSet)   // registers the command's own flags; nil for none
	check func(pos []string) error // checks the arguments before anything opens; nil accepts any
	run   func(ctx context.Context, svc *service.Service, pos []string) error
}

// withService parses c's flags (the store's and its own, before or after
// the positional arguments), checks the arguments, opens the store and the
// service around c.run and closes them after. An error of the service
// prints its user-safe message, or its cause when it is internal.
func withService(ctx context.Context, c command, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	var sf storeFlags
	sf.register(fs)
	var mf mailFlags
	if c.mail {
		mf.register(fs)
	}
	if c.flags != nil {
		c.flags(fs)
	}
	flags, pos := interleave(fs, args)
	if err := parse(fs, flags); err != nil {
		return err
	}
	if c.check != nil {
		if err := c.check(pos); err != nil {
			return &usageError{cmd: c.name, err: err}
		}
	}
	st, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	mailRoot := ""
	if c.mail {
		mailRoot = mf.path(sf.data)
	}
	svc, err := cliService(st, sf, mailRoot, stderr)
	if err != nil {
		return err
	}
	return cliError(c.run(ctx, svc, pos))
}

// cliError is what a command prints for err: the cause of an internal
// error (the operator needs it, and there is no log to look in), the
// user-safe message of any other service error, and other errors as they
// are.
func cliError(err error) error {
	var e *sb.Error
	switch {
	case err == nil || !errors.As(err, &e):
		return err
	case e.Code == sb.EINTERNAL && e.Err != nil:
		return fmt.Errorf("%s: %w", e.Message, e.Err)
	case e.Code == sb.EINTERNAL:
		return err
	}
	return errors.New(e.Message)
}

// exactlyOne is a check for commands taking one positional argument.
func exactlyOne(msg string) func(pos []string) error {
	return func(pos []string) error {
		if len(pos) != 1 {
			return errors.New(msg)
		}
		return nil
	}
}

func tenantCreate(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var pwStdin, operator *bool
	var pw *string
	var password string
	return withService(ctx, command{name: "tenant create",
		flags: func(fs *flag.FlagSet) {
			pwStdin = fs.Bool("password-stdin", false, "read the password from the first line of standard input")
			pw = fs.String("password", "", "the password (visible to other users of this machine: prefer --password-stdin)")
			operator = fs.Bool("operator", false, "make an operator, who sees and manages every tenant")
		},
		check: func(pos []string) (err error) {
			if len(pos) != 1 {
				return errors.New("tenant create: want exactly one NAME")
			}
			password, err = readPassword(*pwStdin, *pw, stdin)
			return err
		},
		run: func(ctx context.Context, svc *service.Service, pos []string) error {
			role := sb.RoleTenant
			if *operator {
				role = sb.RoleOperator
			}
			t, err := svc.CreateTenant(ctx, sb.SystemActor, pos[0], password, role)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "created tenant %s (id %d, %s)\n", t.Name, t.ID, t.Role)
			return nil
		}}, args, stderr)
}

func tenantList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return withService(ctx, command{name: "tenant list",
		run: func(ctx context.Context, svc *service.Service, _ []string) error {
			ts, err := svc.ListTenants(ctx, sb.SystemActor)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tROLE\tCREATED")
			for _, t := range ts {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", t.ID, t.Name, t.Role, t.CreatedAt.Format(time.RFC3339))
			}
			return tw.Flush()
		}}, args, stderr)
}

func tenantPasswd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var pwStdin *bool
	var pw *string
	var password string
	return withService(ctx, command{name: "tenant passwd",
		flags: func(fs *flag.FlagSet) {
			pwStdin = fs.Bool("password-stdin", true, "read the new password from the first line of standard input")
			pw = fs.String("password", "", "the new password")
		},
		check: func(pos []string) (err error) {
			if len(pos) != 1 {
				return errors.New("tenant passwd: want exactly one NAME")
			}
			password, err = readPassword(*pwStdin && *pw == "", *pw, stdin)
			return err
		},
		run: func(ctx context.Context, svc *service.Service, pos []string) error {
			if err := svc.SetTenantPassword(ctx, sb.SystemActor, pos[0], password); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "password of tenant %s changed\n", pos[0])
			return nil
		}}, args, stderr)
}

func exportDomain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var out *string
	return withService(ctx, command{name: "export domain", mail: true,
		flags: func(fs *flag.FlagSet) {
			out = fs.String("o", "", "write the archive to this file instead of standard output")
		},
		check: exactlyOne("export domain: want exactly one domain NAME"),
		run: func(ctx context.Context, svc *service.Service, pos []string) error {
			exp, err := svc.ExportDomain(ctx, sb.SystemActor, pos[0])
			if err != nil {
				return err
			}
			defer exp.Close()
			w := stdout
			if *out != "" {
				f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
				if err != nil {
					return err
				}
				defer f.Close()
				w = f
			}
			return exp.Stream(w)
		}}, args, stderr)
}

func importDomain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var tenant *string
	var f *os.File
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	return withService(ctx, command{name: "import domain", mail: true,
		flags: func(fs *flag.FlagSet) {
			tenant = fs.String("tenant", "", "the tenant that will own the domain (required)")
		},
		check: func(pos []string) (err error) {
			if len(pos) != 1 || *tenant == "" {
				return errors.New("import domain: want FILE and --tenant NAME")
			}
			f, err = os.Open(pos[0])
			return err
		},
		run: func(ctx context.Context, svc *service.Service, _ []string) error {
			res, err := svc.ImportDomain(ctx, sb.SystemActor, *tenant, f)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "imported %s for %s: %d accounts, %d aliases, %d DKIM keys, %d certificates\n",
				res.Domain.Name, *tenant, res.Accounts, res.Aliases, res.DKIMKeys, res.Certificates)
			return nil
		}}, args, stderr)
}
