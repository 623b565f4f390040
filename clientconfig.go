package switchboard

import (
	"context"
	"time"
)

// OAuthClient is a tenant's iConfig-style credential: a public client id and
// a secret, shown once, exchanged at /oauth/token for short-lived bearer
// tokens.
type OAuthClient struct {
	ID         int64
	ClientID   string
	TenantID   int64
	TenantName string
	CreatedAt  time.Time
}

// The values EmailAccountType takes in an Apple mail payload.
const (
	EmailTypeIMAP = "EmailTypeIMAP"
	EmailTypePOP  = "EmailTypePOP"
)

// The values of Incoming/OutgoingMailServerAuthentication.
const (
	EmailAuthPassword = "EmailAuthPassword"
	EmailAuthCRAMMD5  = "EmailAuthCRAMMD5"
	EmailAuthNTLM     = "EmailAuthNTLM"
	EmailAuthHTTPMD5  = "EmailAuthHTTPMD5"
	EmailAuthNone     = "EmailAuthNone"
)

// EmailAccount is one mail account of a client configuration: what an
// Apple com.apple.mail.managed payload holds.
type EmailAccount struct {
	Address            string
	AccountType        string // EmailTypeIMAP or EmailTypePOP
	AccountName        string // the name shown as sender
	AccountDescription string

	IncomingAuth     string
	IncomingHost     string
	IncomingPort     int
	IncomingUsername string
	IncomingPassword string
	IncomingSSL      bool

	OutgoingAuth     string
	OutgoingHost     string
	OutgoingPort     int
	OutgoingUsername string
	OutgoingPassword string
	OutgoingSSL      bool
	// OutgoingPasswordSameAsIncoming asks the device for one password only.
	OutgoingPasswordSameAsIncoming bool
}

// ClientConfig is a configuration to be downloaded as an Apple profile
// through a password-protected link.
type ClientConfig struct {
	Emails []EmailAccount
	// Password protects the download link.
	Password string
	// RemovalPassword, when set, is needed to remove the installed profile.
	RemovalPassword string
}

// ConfigLink is where a stored ClientConfig can be downloaded until it
// expires.
type ConfigLink struct {
	ID        string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// ProfileFile is a generated configuration profile, ready to send.
type ProfileFile struct {
	Filename    string
	ContentType string
	Data        []byte
	Signed      bool
}

// OAuthService manages OAuth clients and the bearer tokens they obtain.
type OAuthService interface {
	// CreateOAuthClient creates a client for a tenant (the actor's own when
	// tenant is empty) and returns it with its secret, which is not kept.
	CreateOAuthClient(ctx context.Context, actor Actor, tenant string) (*OAuthClient, string, error)
	ListOAuthClients(ctx context.Context, actor Actor) ([]OAuthClient, error)
	RevokeOAuthClient(ctx context.Context, actor Actor, clientID string) error
	// IssueOAuthToken exchanges client credentials for a bearer token
	// (rate-limited per client id and IP).
	IssueOAuthToken(ctx context.Context, grantType, clientID, clientSecret, ip string) (token string, expiresIn time.Duration, err error)
	// AuthenticateOAuth resolves a bearer token to its tenant actor.
	AuthenticateOAuth(ctx context.Context, token, ip string) (Actor, error)
}

// ClientConfigService stores client configurations behind password links
// and builds the documents mail clients configure themselves from.
type ClientConfigService interface {
	CreateClientConfig(ctx context.Context, actor Actor, in ClientConfig) (*ConfigLink, error)
	DeleteClientConfig(ctx context.Context, actor Actor, id string) error
	// ListClientConfigs lists the unexpired links of the actor's tenant
	// (every tenant's for an operator), newest first.
	ListClientConfigs(ctx context.Context, actor Actor) ([]ConfigLink, error)
	// CheckClientConfig reports whether a link exists and has not expired.
	CheckClientConfig(ctx context.Context, id string) error
	// OpenClientConfig checks the link password (rate-limited) and returns
	// the profile.
	OpenClientConfig(ctx context.Context, id, password, ip string) (*ProfileFile, error)

	// MailAutoconfig is the Thunderbird autoconfig document of a hosted
	// domain, found by address (or by domain when email has no '@').
	MailAutoconfig(ctx context.Context, email string) ([]byte, error)
	// MailAutodiscover is the Outlook autodiscover answer for a hosted
	// address.
	MailAutodiscover(ctx context.Context, email string) ([]byte, error)
	// MailboxProfile checks a hosted mailbox's credentials (rate-limited)
	// and returns an Apple profile for it.
	MailboxProfile(ctx context.Context, email, password, ip string) (*ProfileFile, error)
}
