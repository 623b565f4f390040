package switchboard

import (
	"context"
	"time"
)

// The protocols an app password may be limited to, as Dovecot names the
// service asking (%s): Postfix's SMTP AUTH asks as "smtp", ManageSieve as
// "sieve".
const (
	ProtocolIMAP  = "imap"
	ProtocolPOP3  = "pop3"
	ProtocolSMTP  = "smtp"
	ProtocolSieve = "sieve"
)

// AppPasswordProtocols are the protocols an app password may be limited
// to, in the order they are shown.
var AppPasswordProtocols = []string{ProtocolIMAP, ProtocolPOP3, ProtocolSMTP, ProtocolSieve}

// AppPassword is a mailbox's extra password for one mail client: generated
// by the server, shown once, stored as an argon2id hash; Dovecot accepts it
// beside the mailbox password until it is revoked.
type AppPassword struct {
	ID        int64
	AccountID int64
	Email     string // the mailbox's address
	Name      string // what its owner calls it (mailbox.org's memo)
	// Protocols limits where it logs in; empty: every protocol.
	Protocols []string
	CreatedAt time.Time
}

// CreatedAppPassword is a new app password with its secret, shown once.
type CreatedAppPassword struct {
	AppPassword
	Password string
}

// NewAppPassword is an app password to create.
type NewAppPassword struct {
	Name      string
	Protocols []string // empty: every protocol
}

// AppPasswordService manages the app passwords of mailboxes. A mailbox
// manages its own; a tenant those of its domains' mailboxes (operators:
// all); anything else is not found.
type AppPasswordService interface {
	// CreateAppPassword generates an app password for the mailbox.
	CreateAppPassword(ctx context.Context, actor Actor, account AccountRef, in NewAppPassword) (*CreatedAppPassword, error)
	// ListAppPasswords lists the mailbox's app passwords, without secrets.
	ListAppPasswords(ctx context.Context, actor Actor, account AccountRef) ([]AppPassword, error)
	// RevokeAppPassword deletes an app password at once: the next login
	// with it fails. A non-zero account must be the one holding it.
	RevokeAppPassword(ctx context.Context, actor Actor, account AccountRef, id int64) error
}
