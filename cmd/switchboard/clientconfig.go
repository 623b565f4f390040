package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"text/tabwriter"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/profile"
	"github.com/switchboard/switchboard/internal/service"
)

// clientConfigFlags are serve's flags for OAuth, profiles and
// autoconfiguration.
type clientConfigFlags struct {
	publicURL     string
	signingCert   string
	signingKey    string
	organization  string
	profileTTL    time.Duration
	oauthTokenTTL time.Duration
	imapHost      string
	imapPort      int
	imapSecurity  string
	smtpHost      string
	smtpPort      int
	smtpSecurity  string
}

func (f *clientConfigFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.publicURL, "public-url", "", "public base URL of this server, e.g. https://config.example.com (links from /config/create, profile identifiers); empty: from each request")
	fs.StringVar(&f.signingCert, "signing-cert", "", "PEM certificate (then its chain) that signs .mobileconfig profiles; empty: profiles are served unsigned")
	fs.StringVar(&f.signingKey, "signing-key", "", "PEM private key of --signing-cert")
	fs.StringVar(&f.organization, "organization", "", "organization named in profiles")
	fs.DurationVar(&f.profileTTL, "profile-ttl", 7*24*time.Hour, "how long a /config/create link stays valid")
	fs.DurationVar(&f.oauthTokenTTL, "oauth-token-ttl", time.Hour, "lifetime of /oauth/token access tokens")
	fs.StringVar(&f.imapHost, "imap-host", "", "IMAP host of hosted domains (autoconfig, autodiscover, mailbox profiles); empty: those are off")
	fs.IntVar(&f.imapPort, "imap-port", 993, "IMAP port")
	fs.StringVar(&f.imapSecurity, "imap-security", "ssl", "IMAP security: ssl or starttls")
	fs.StringVar(&f.smtpHost, "smtp-host", "", "SMTP submission host of hosted domains")
	fs.IntVar(&f.smtpPort, "smtp-port", 465, "SMTP submission port (465 with ssl, 587 with starttls)")
	fs.StringVar(&f.smtpSecurity, "smtp-security", "ssl", "SMTP security: ssl or starttls")
}

func (f *clientConfigFlags) options() (service.ClientConfigOptions, error) {
	o := service.ClientConfigOptions{ProfileTTL: f.profileTTL, OAuthTokenTTL: f.oauthTokenTTL, Organization: f.organization}
	if f.publicURL != "" {
		u, err := url.Parse(f.publicURL)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			return o, fmt.Errorf("--public-url must be an absolute http(s) URL")
		}
		o.PublicHost = u.Host
	}
	if (f.signingCert == "") != (f.signingKey == "") {
		return o, errors.New("give both --signing-cert and --signing-key, or neither")
	}
	if f.signingCert != "" {
		cert, err := os.ReadFile(f.signingCert)
		if err != nil {
			return o, fmt.Errorf("--signing-cert: %w", err)
		}
		key, err := os.ReadFile(f.signingKey)
		if err != nil {
			return o, fmt.Errorf("--signing-key: %w", err)
		}
		if o.Signer, err = profile.NewSigner(cert, key); err != nil {
			return o, err
		}
	}
	if (f.imapHost == "") != (f.smtpHost == "") {
		return o, errors.New("give both --imap-host and --smtp-host, or neither")
	}
	for _, p := range []struct {
		name string
		port int
	}{{"--imap-port", f.imapPort}, {"--smtp-port", f.smtpPort}} {
		if p.port < 1 || p.port > 65535 {
			return o, fmt.Errorf("%s must be from 1 to 65535", p.name)
		}
	}
	imapSec, err := profile.ParseSecurity(f.imapSecurity)
	if err != nil {
		return o, fmt.Errorf("--imap-security: %w", err)
	}
	smtpSec, err := profile.ParseSecurity(f.smtpSecurity)
	if err != nil {
		return o, fmt.Errorf("--smtp-security: %w", err)
	}
	o.Servers = profile.Servers{IMAPHost: f.imapHost, IMAPPort: f.imapPort, IMAPSecurity: imapSec,
		SMTPHost: f.smtpHost, SMTPPort: f.smtpPort, SMTPSecurity: smtpSec}
	return o, nil
}

func oauthClientCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var tenant *string
	return withService(ctx, command{name: "oauth-client create",
		flags: func(fs *flag.FlagSet) { tenant = fs.String("tenant", "", "the tenant the client acts for") },
		check: func([]string) error {
			if *tenant == "" {
				return errors.New("oauth-client create: --tenant is required")
			}
			return nil
		},
		run: func(ctx context.Context, svc *service.Service, _ []string) error {
			c, secret, err := svc.CreateOAuthClient(ctx, sb.SystemActor, *tenant)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "created OAuth client for tenant %s; the secret is shown only now\nclient_id:     %s\nclient_secret: %s\n",
				c.TenantName, c.ClientID, secret)
			return nil
		}}, args, stderr)
}

func oauthClientList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return withService(ctx, command{name: "oauth-client list",
		run: func(ctx context.Context, svc *service.Service, _ []string) error {
			cs, err := svc.ListOAuthClients(ctx, sb.SystemActor)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "CLIENT_ID\tTENANT\tCREATED")
			for _, c := range cs {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", c.ClientID, c.TenantName, c.CreatedAt.Format(time.RFC3339))
			}
			return tw.Flush()
		}}, args, stderr)
}

func oauthClientRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return withService(ctx, command{name: "oauth-client revoke",
		check: exactlyOne("oauth-client revoke: want exactly one CLIENT_ID"),
		run: func(ctx context.Context, svc *service.Service, pos []string) error {
			if err := svc.RevokeOAuthClient(ctx, sb.SystemActor, pos[0]); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "revoked OAuth client %s and its tokens\n", pos[0])
			return nil
		}}, args, stderr)
}
