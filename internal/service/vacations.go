package service

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/sieve"
	"github.com/switchboard/switchboard/internal/store"
)

// Bounds of a vacation's settings.
const (
	MaxVacationSubject   = 255       // characters
	MaxVacationBody      = 32 * 1024 // bytes
	MaxVacationAddresses = 20
	MaxVacationDays      = 365
	// DefaultVacationDays is RFC 5230's suggested period: one reply per
	// sender a week.
	DefaultVacationDays = 7
)

var _ sb.VacationService = (*Service)(nil)

// GetVacation returns a mailbox's vacation settings, inactive defaults when
// it never had any.
func (s *Service) GetVacation(ctx context.Context, actor sb.Actor, ref sb.AccountRef) (*sb.Vacation, error) {
	var v *sb.Vacation
	err := s.store.ReadTx(ctx, func(tx *store.Tx) error {
		a, err := vacationAccount(ctx, tx, actor, ref)
		if err != nil {
			return err
		}
		v, err = loadVacation(ctx, tx, a)
		return err
	})
	return v, err
}

// SetVacation applies ch to a mailbox's vacation settings, checks the
// result as a whole and writes it with its Sieve script, which Dovecot
// reads at the next delivery.
func (s *Service) SetVacation(ctx context.Context, actor sb.Actor, ref sb.AccountRef, ch sb.VacationChange) (*sb.Vacation, error) {
	var v *sb.Vacation
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		a, err := vacationAccount(ctx, tx, actor, ref)
		if err != nil {
			return err
		}
		if v, err = loadVacation(ctx, tx, a); err != nil {
			return err
		}
		if err := applyVacation(v, ch); err != nil {
			return err
		}
		v.UpdatedAt = s.now().UTC().Truncate(time.Second)
		if err := tx.PutVacation(ctx, v, sieve.Vacation(*v), v.UpdatedAt); err != nil {
			return err
		}
		return tx.Audit(ctx, s.now(), actor.String(), "vacation.set", "account:"+a.Email)
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// vacationAccount loads the mailbox of a vacation call: by address as
// mail.get does (a mailbox reaches only itself), or by id for a tenant,
// in a domain it may see.
func vacationAccount(ctx context.Context, tx *store.Tx, actor sb.Actor, ref sb.AccountRef) (*sb.Account, error) {
	if ref.Email != "" || ref.ID == 0 {
		return visibleMailbox(ctx, tx, actor, ref.Email)
	}
	a, err := tx.AccountByID(ctx, ref.ID)
	if sb.ErrorCode(err) == sb.ENOTFOUND {
		return nil, notFound("user")
	}
	if err != nil {
		return nil, err
	}
	if actor.IsMailbox() {
		if a.ID != actor.AccountID {
			return nil, notFound("user")
		}
		return a, nil
	}
	if _, err := visibleDomain(ctx, tx, actor, a.DomainID); err != nil {
		return nil, notFound("user")
	}
	return a, nil
}

// loadVacation returns the account's settings, or the defaults.
func loadVacation(ctx context.Context, tx *store.Tx, a *sb.Account) (*sb.Vacation, error) {
	v, err := tx.VacationByAccount(ctx, a.ID)
	if sb.ErrorCode(err) == sb.ENOTFOUND {
		return &sb.Vacation{AccountID: a.ID, Email: a.Email, Days: DefaultVacationDays}, nil
	}
	return v, err
}

// applyVacation changes v as ch says, normalising each value, and checks
// the result: a reply that is on needs a subject or a body (mailbox.org's
// body is optional), and the window must not end before it starts.
func applyVacation(v *sb.Vacation, ch sb.VacationChange) error {
	if ch.Subject != nil {
		subject, err := VacationSubject(*ch.Subject)
		if err != nil {
			return err
		}
		v.Subject = subject
	}
	if ch.Body != nil {
		body, err := VacationBody(*ch.Body)
		if err != nil {
			return err
		}
		v.Body = body
	}
	for _, d := range []struct {
		field string
		in    *string
		out   *string
	}{{"start_date", ch.Start, &v.Start}, {"end_date", ch.End, &v.End}} {
		if d.in == nil {
			continue
		}
		date, err := VacationDate(d.field, *d.in)
		if err != nil {
			return err
		}
		*d.out = date
	}
	if ch.Days != nil {
		if *ch.Days < 1 || *ch.Days > MaxVacationDays {
			return sb.FieldError("days", "days must be between 1 and %d", MaxVacationDays)
		}
		v.Days = *ch.Days
	}
	if ch.Addresses != nil {
		addrs, err := vacationAddresses(*ch.Addresses)
		if err != nil {
			return err
		}
		v.Addresses = addrs
	}
	if ch.Active != nil {
		v.Active = *ch.Active
	}
	if v.Start != "" && v.End != "" && v.End < v.Start {
		return sb.FieldError("end_date", "end_date (%s) is before start_date (%s)", v.End, v.Start)
	}
	if v.Active && v.Subject == "" && strings.TrimSpace(v.Body) == "" {
		return sb.FieldError("body", "a subject or a body is required to turn the vacation reply on")
	}
	return nil
}

// VacationSubject checks a reply's subject: one line of at most
// MaxVacationSubject characters, since it becomes a header (a line break
// would inject headers), trimmed.
func VacationSubject(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", sb.FieldError("subject", "subject must be UTF-8 text")
	}
	if strings.ContainsAny(s, "\r\n") {
		return "", sb.FieldError("subject", "subject must be one line (no CR or LF)")
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return "", sb.FieldError("subject", "subject must not hold control characters")
		}
	}
	if utf8.RuneCountInString(s) > MaxVacationSubject {
		return "", sb.FieldError("subject", "subject must be at most %d characters", MaxVacationSubject)
	}
	return s, nil
}

// VacationBody checks a reply's text: UTF-8 of at most MaxVacationBody
// bytes without control characters other than tab and line ends, which
// become "\n".
func VacationBody(s string) (string, error) {
	if len(s) > MaxVacationBody {
		return "", sb.FieldError("body", "body must be at most %d bytes", MaxVacationBody)
	}
	if !utf8.ValidString(s) {
		return "", sb.FieldError("body", "body must be UTF-8 text")
	}
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	for _, r := range s {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
			return "", sb.FieldError("body", "body must not hold control characters")
		}
	}
	return s, nil
}

// VacationDate checks a window date: YYYY-MM-DD, or "" for none.
func VacationDate(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || t.Format(time.DateOnly) != s {
		return "", sb.FieldError(field, "%s must be a date as YYYY-MM-DD", field)
	}
	return s, nil
}

// vacationAddresses normalises the further addresses of a mailbox.
func vacationAddresses(in []string) ([]string, error) {
	var out []string
	for _, raw := range in {
		local, domain, err := NormalizeEmail("additional_mail_addresses", raw)
		if err != nil {
			return nil, err
		}
		if addr := local + "@" + domain; !slices.Contains(out, addr) {
			out = append(out, addr)
		}
	}
	if len(out) > MaxVacationAddresses {
		return nil, sb.FieldError("additional_mail_addresses", "at most %d additional addresses", MaxVacationAddresses)
	}
	return out, nil
}
