package switchboard

import (
	"context"
	"crypto/tls"
	"io"
)

// MailboxChange lists what an update of a mailbox changes; nil fields stay.
type MailboxChange struct {
	Password *string
	Active   *bool

	FirstName, LastName *string
	// Forwards replaces the mailbox's forwarding targets (empty: none).
	Forwards  *[]string
	InboxSave *bool
	// Aliases replaces the aliases that forward to this mailbox alone:
	// missing ones are created, others of this mailbox deleted.
	Aliases *[]string
	Quota   *QuotaChange // nil: the quota stays
}

// NewDKIM is a new DKIM key with the DNS record to publish for it.
type NewDKIM struct {
	Key      DKIMKey
	DNSName  string
	DNSValue string
}

// DomainExport is a domain's export archive, streamed once.
type DomainExport interface {
	// FileName is the suggested name of the archive.
	FileName() string
	// Stream writes the archive to w.
	Stream(w io.Writer) error
	// Close releases what the export holds (snapshots of Maildirs).
	Close() error
}

// ImportResult counts what a domain import restored.
type ImportResult struct {
	Domain       *Domain
	Accounts     int64
	Aliases      int64
	DKIMKeys     int64
	Certificates int64
}

// DKIMService manages the DKIM keys of domains.
type DKIMService interface {
	AddDKIMKey(ctx context.Context, actor Actor, domain, selector, algorithm string) (*NewDKIM, error)
	ListDKIMKeys(ctx context.Context, actor Actor, domain string) ([]DKIMKey, error)
	ActivateDKIMKey(ctx context.Context, actor Actor, domain, selector string) error
	DeleteDKIMKey(ctx context.Context, actor Actor, domain, selector string) error
}

// CertificateService manages TLS certificates: uploads, ACME issuance and
// the certificates served by SNI.
type CertificateService interface {
	UploadCertificate(ctx context.Context, actor Actor, chainPEM, keyPEM string) (*Certificate, error)
	InstallACMECertificate(ctx context.Context, actor Actor, hostname string) (*Certificate, error)
	Certificate(ctx context.Context, actor Actor, hostname string) (*Certificate, error)
	// ListCertificates lists the certificates held under a domain of the
	// actor, with their days left.
	ListCertificates(ctx context.Context, actor Actor, domain string) ([]Certificate, error)
	ACMEKeyAuthorization(ctx context.Context, token string) (string, error)
	TLSCertificates(ctx context.Context) (map[string]*tls.Certificate, error)
}

// ExportService exports and imports whole domains.
type ExportService interface {
	ExportDomain(ctx context.Context, actor Actor, domain string) (DomainExport, error)
	// ImportDomain restores an export for a tenant (empty: the actor's own).
	ImportDomain(ctx context.Context, actor Actor, tenant string, r io.Reader) (*ImportResult, error)
}

// Session levels, as mailbox.org names them.
const (
	LevelAdmin   = "admin"   // an operator tenant
	LevelAccount = "account" // a tenant
	LevelMail    = "mail"    // one mailbox, which may read and change only itself
)

// SessionService keeps the JSON-RPC sessions of tenants and mailboxes.
type SessionService interface {
	// OpenSession logs a tenant (by name) or a mailbox (by address) in.
	OpenSession(ctx context.Context, user, password, ip string) (token, level string, err error)
	ResumeSession(ctx context.Context, token, ip string) (Actor, error)
	CloseSession(ctx context.Context, token string) error
}
