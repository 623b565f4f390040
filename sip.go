package switchboard

import (
	"context"
	"time"
)

// SIPRequest is what the SIP account API authenticates.
type SIPRequest struct {
	From          string // the from: header, sip:user@domain
	Authorization string // Authorization: Digest ...
	APIKey        string // x-api-key
	Method, URI   string
	IP            string
	// RequireActivated refuses accounts that are not activated (or
	// switched off): the user endpoints want one; admin endpoints check
	// the admin's state instead.
	RequireActivated bool
}

// NewSIPAccount is what an admin gives to create a SIP account.
type NewSIPAccount struct {
	Username, Password, Algorithm string
	Activated, Admin              bool
	Phone, Email                  string
	ConfirmationKeyExpires        time.Time // zero: no expiry
}

// CreatedSIPAccount is a new account with its confirmation key, which
// activates it (when not activated) and provisions a device once.
type CreatedSIPAccount struct {
	Account         *Account
	ConfirmationKey string
}

// ProvisioningKey is a confirmation key handed out to provision a device:
// a secret (it hands out the account's HA1 once), to show, never to log.
type ProvisioningKey struct {
	Key     string
	Expires time.Time
}

// TokenAccount is what a device gives to create its own account with a
// token it received by push.
type TokenAccount struct {
	Username, Password, Algorithm, Domain, Token string
	Email, Phone                                 string // optional activation channels
}

// SIPService is the SIP account API: authentication by Digest or API key,
// one's own account, and an admin's accounts of its domain.
type SIPService interface {
	AuthenticateSIP(ctx context.Context, r SIPRequest) (Actor, *Account, error)
	// SIPChallenges are the WWW-Authenticate values for the realm of the
	// domain in from; stale marks an expired nonce.
	SIPChallenges(ctx context.Context, from string, stale bool) ([]string, error)
	PublicSIPAccount(ctx context.Context, sip string) (*Account, error)
	SIPAccount(ctx context.Context, actor Actor) (*Account, error)
	DeleteSIPAccount(ctx context.Context, actor Actor, id int64) error
	DeleteOwnSIPAccount(ctx context.Context, actor Actor) error
	ChangeSIPPassword(ctx context.Context, actor Actor, algorithm, oldPassword, password, ip string) (*Account, error)
	// ChangeOwnPassword is ChangeSIPPassword keeping the digest algorithms
	// the account has (the web panel's change, which names none).
	ChangeOwnPassword(ctx context.Context, actor Actor, oldPassword, password, ip string) (*Account, error)
	// DeleteOwnAccount deletes the actor's own account after checking its
	// current password (the web panel's form, where the session alone
	// proves less than a Digest answer does).
	DeleteOwnAccount(ctx context.Context, actor Actor, password, ip string) error
	CreateSIPAccount(ctx context.Context, actor Actor, in NewSIPAccount) (*CreatedSIPAccount, error)
	SIPAccountsPage(ctx context.Context, actor Actor, page, perPage int) ([]Account, int64, error)
	GetSIPAccount(ctx context.Context, actor Actor, id int64) (*Account, error)
	SetSIPActivated(ctx context.Context, actor Actor, id int64, activated bool) (*Account, error)
	// SearchSIPAccounts answers one keyset page of the admin's domain:
	// every account, or those whose username, contact email or phone starts
	// with the query's prefix.
	SearchSIPAccounts(ctx context.Context, actor Actor, q SIPAccountQuery) (*SIPAccountList, error)
	// SIPProvisioningKey is the confirmation key of an account of the
	// admin's domain (or oneself) while it can still provision a device,
	// "" once it has been used or revoked.
	SIPProvisioningKey(ctx context.Context, actor Actor, id int64) (key string, expires time.Time, err error)
}

// SIPAccountQuery asks for one page of a SIP admin's accounts. A Prefix
// starting with '+' matches phones, one holding '@' contact emails, any
// other usernames; "" lists every account by id. After (or Before) is the
// id of the last (first) row of the page seen, zero for the first page.
type SIPAccountQuery struct {
	Prefix        string
	After, Before int64
	Limit         int // 1 to 100; 0: 25
}

// SIPAccountList is one page of SIP accounts.
type SIPAccountList struct {
	Accounts []Account
	// Field is what the prefix matched: "username", "email", "phone", or
	// "" for the whole list.
	Field string
	// Prev and Next are the cursors of the neighbouring pages (Before and
	// After of the next query), zero where there is none.
	Prev, Next int64
}

// LifecycleService is a SIP account's life: push tokens, activation codes,
// contact changes and provisioning.
type LifecycleService interface {
	SendAccountCreationToken(ctx context.Context, provider, param, prid string) error
	CreateAccountWithToken(ctx context.Context, in TokenAccount, ip string) (*CreatedSIPAccount, error)
	ActivateWithCode(ctx context.Context, sip, channel, code, ip string) (*Account, error)
	RequestEmailChange(ctx context.Context, actor Actor, email string) error
	RequestPhoneChange(ctx context.Context, actor Actor, phone string) error
	ConfirmContactChange(ctx context.Context, actor Actor, channel, code, ip string) (*Account, error)
	// Provision answers the liblinphone provisioning XML of a
	// confirmation key (ENOTFOUND when there is nothing to serve).
	Provision(ctx context.Context, key string) ([]byte, error)
	// NewProvisioningKey gives account id (the actor itself, or for an
	// admin an account of its domain) a fresh confirmation key that
	// provisions one device again, replacing any previous key.
	NewProvisioningKey(ctx context.Context, actor Actor, id int64) (*ProvisioningKey, error)
}
