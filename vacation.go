package switchboard

import (
	"context"
	"time"
)

// Vacation is a mailbox's automatic reply, sent by Dovecot's Pigeonhole
// from a Sieve script that Switchboard generates from these settings.
type Vacation struct {
	AccountID int64
	Email     string
	// Active switches the reply on; inactive settings are kept.
	Active  bool
	Subject string // "" lets Pigeonhole write "Auto: <original subject>"
	Body    string // lines end in "\n"
	// Start and End bound the days (YYYY-MM-DD, UTC, both included) on
	// which mail gets the reply; "" leaves that side open.
	Start, End string
	// Days is how often one sender gets the reply at most: once in Days.
	Days int
	// Addresses are further addresses of the mailbox (aliases) that mail
	// may be addressed to and still get a reply.
	Addresses []string
	UpdatedAt time.Time
}

// VacationChange lists what a vacation update changes; nil fields stay.
type VacationChange struct {
	Active    *bool
	Subject   *string
	Body      *string
	Start     *string // "" clears
	End       *string // "" clears
	Days      *int
	Addresses *[]string
}

// VacationService keeps the vacation replies of mailboxes. The mailbox
// itself and the tenant owning its domain (operators: any) may read and
// change them; others learn nothing (ENOTFOUND).
type VacationService interface {
	// GetVacation returns a mailbox's vacation settings (inactive, with
	// default values, when none were ever set).
	GetVacation(ctx context.Context, actor Actor, account AccountRef) (*Vacation, error)
	// SetVacation changes them and the Sieve script Dovecot runs, in one
	// transaction.
	SetVacation(ctx context.Context, actor Actor, account AccountRef, ch VacationChange) (*Vacation, error)
}
