package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/service"
)

// sizeFlag is an optional size flag (bytes, or a number with a K, M, G or
// T unit), nil until given.
type sizeFlag struct {
	name string
	v    *int64
}

func (f *sizeFlag) String() string {
	if f == nil || f.v == nil {
		return ""
	}
	return fmt.Sprint(*f.v)
}

func (f *sizeFlag) Set(s string) error {
	n, err := sb.ParseSize(f.name, s)
	if err != nil {
		return errors.New(sb.ErrorMessage(err))
	}
	f.v = &n
	return nil
}

// countFlag is an optional non-negative count flag, nil until given.
type countFlag struct{ v *int64 }

func (f *countFlag) String() string {
	if f == nil || f.v == nil {
		return ""
	}
	return fmt.Sprint(*f.v)
}

func (f *countFlag) Set(s string) error {
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil || n < 0 || fmt.Sprint(n) != strings.TrimSpace(s) {
		return errors.New("want a whole number, 0 for unlimited")
	}
	f.v = &n
	return nil
}

// tenantLimits shows a tenant's limits and usage, and changes the limits
// given as flags first.
func tenantLimits(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var plan *string
	domains, mailboxes := &countFlag{}, &countFlag{}
	total, def := &sizeFlag{name: "max-quota"}, &sizeFlag{name: "default-quota"}
	return withService(ctx, command{name: "tenant limits",
		flags: func(fs *flag.FlagSet) {
			plan = fs.String("plan", "", "apply a preset first: "+strings.Join(sortedKeys(service.TenantPlans), ", ")+` ("" keeps the limits)`)
			fs.Var(domains, "max-domains", "most domains the tenant may hold (0: unlimited)")
			fs.Var(mailboxes, "max-mailboxes", "most mailboxes the tenant may hold (0: unlimited)")
			fs.Var(total, "max-quota", "most bytes the quotas of the tenant's mailboxes may add up to, e.g. 500G (0: unlimited)")
			fs.Var(def, "default-quota", "quota of a mailbox created without one, e.g. 2G (0: unlimited)")
		},
		check: exactlyOne("tenant limits: want exactly one NAME"),
		run: func(ctx context.Context, svc *service.Service, pos []string) error {
			ch := sb.TenantLimitsChange{MaxDomains: domains.v, MaxMailboxes: mailboxes.v, MaxQuotaBytes: total.v, DefaultQuotaBytes: def.v}
			if *plan != "" {
				ch.Plan = plan
			}
			if ch != (sb.TenantLimitsChange{}) {
				if _, err := svc.SetTenantLimits(ctx, sb.SystemActor, pos[0], ch); err != nil {
					return err
				}
			}
			t, u, err := svc.TenantUsage(ctx, sb.SystemActor, pos[0])
			if err != nil {
				return err
			}
			l := t.Limits
			fmt.Fprintf(stdout, "tenant %s, plan %q (0: unlimited)\n", t.Name, l.Plan)
			fmt.Fprintf(stdout, "domains    %d of %d\n", u.Domains, l.MaxDomains)
			fmt.Fprintf(stdout, "mailboxes  %d of %d\n", u.Mailboxes, l.MaxMailboxes)
			fmt.Fprintf(stdout, "quota      %d of %d bytes (%d mailboxes unlimited)\n", u.QuotaBytes, l.MaxQuotaBytes, u.Unlimited)
			fmt.Fprintf(stdout, "default    %d bytes per new mailbox\n", l.DefaultQuotaBytes)
			return nil
		}}, args, stderr)
}

// accountQuota changes a mailbox's quota: a size outright, or a plan.
func accountQuota(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var plan *string
	messages := &countFlag{}
	return withService(ctx, command{name: "account quota",
		flags: func(fs *flag.FlagSet) {
			plan = fs.String("plan", "", "a preset instead of SIZE: "+strings.Join(sortedKeys(service.MailPlans), ", "))
			fs.Var(messages, "messages", "most messages the mailbox may hold (0: unlimited)")
		},
		check: func(pos []string) error {
			if len(pos) < 1 || len(pos) > 2 {
				return errors.New("account quota: want EMAIL and SIZE (or --plan)")
			}
			return nil
		},
		run: func(ctx context.Context, svc *service.Service, pos []string) error {
			var ch sb.QuotaChange
			if len(pos) == 2 {
				n, err := sb.ParseSize("SIZE", pos[1])
				if err != nil {
					return err
				}
				ch.Bytes = &n
			}
			if *plan != "" {
				ch.Plan = plan
			}
			ch.Messages = messages.v
			if ch == (sb.QuotaChange{}) {
				return &usageError{cmd: "account quota", err: errors.New("account quota: give SIZE, --plan or --messages")}
			}
			a, err := svc.UpdateMailbox(ctx, sb.SystemActor, pos[0], sb.MailboxChange{Quota: &ch})
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "quota of %s: %d bytes, %d messages (0: unlimited), plan %q\n", a.Email, a.Quota.Bytes, a.Quota.Messages, a.Quota.Plan)
			return nil
		}}, args, stderr)
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
