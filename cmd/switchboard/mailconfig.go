package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/switchboard/switchboard/internal/mailconfig"
)

// mailconfigCmd writes the Dovecot and Postfix files that read the store's
// mail views, after making sure the store is reachable and migrated.
func mailconfigCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("mailconfig", flag.ContinueOnError)
	var sf storeFlags
	sf.register(fs)
	dovecot := fs.String("dovecot", "", "directory to write the Dovecot files into (dovecot-switchboard.conf and its SQL file)")
	postfix := fs.String("postfix", "", "directory to write the Postfix files into (main.cf.switchboard and the lookup tables)")
	mailRoot := fs.String("mail-root", "", "root of the Maildirs, <mail-root>/<domain>/<local>/ (default <data>/mail)")
	lmtp := fs.String("lmtp", "127.0.0.1:24", "host:port of Dovecot's LMTP listener, where Postfix delivers")
	milter := fs.String("milter", "", "host:port of serve's DKIM signing milter (--milter-listen) for Postfix to call")
	sasl := fs.String("sasl-socket", mailconfig.DefaultSASLSocket, "Dovecot's auth socket for Postfix's SMTP AUTH (smtpd_sasl_path)")
	submission := fs.String("submission", "", "host:port of the SMTP server (Postfix) that Dovecot sends vacation replies through (default: Postfix's sendmail)")
	quotaStatus := fs.String("quota-status", "", "host:port for Dovecot's quota-status policy service, which Postfix asks at RCPT TO (\"\": none; LMTP still refuses mail to a full mailbox)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dovecot == "" && *postfix == "" {
		return usagef("mailconfig", "mailconfig: give --dovecot DIR, --postfix DIR or both")
	}
	if *mailRoot == "none" {
		return usagef("mailconfig", "mailconfig: --mail-root none leaves Dovecot nowhere to keep mail; give the Maildir root")
	}
	root := (&mailFlags{root: *mailRoot}).path(sf.data)
	st, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	files, err := mailconfig.Write(mailconfig.Options{DatabaseURL: sf.database, DataDir: sf.data,
		MailRoot: root, DovecotDir: *dovecot, PostfixDir: *postfix, LMTP: *lmtp, Milter: *milter, SASLSocket: *sasl,
		Submission: *submission, QuotaStatus: *quotaStatus})
	if err != nil {
		return fmt.Errorf("mailconfig: %w", err)
	}
	for _, f := range files {
		fmt.Fprintln(stdout, "wrote", f.Path)
	}
	return nil
}
