package service

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/profile"
	"github.com/switchboard/switchboard/internal/store"
)

// ClientConfigOptions configure OAuth clients, stored profiles and the
// autoconfiguration of hosted domains; zero fields get defaults.
type ClientConfigOptions struct {
	OAuthTokenTTL time.Duration // default 1 hour
	ProfileTTL    time.Duration // default 7 days
	// Signer signs profiles; nil serves them unsigned.
	Signer *profile.Signer
	// PublicHost is the server's public host name, reversed into the
	// profiles' PayloadIdentifiers.
	PublicHost   string
	Organization string
	// Servers are the hosted IMAP and SMTP servers.
	Servers profile.Servers
	// UUID makes PayloadUUIDs (nil: random).
	UUID func() string
}

// MaxEmailsPerConfig bounds the payloads of one profile.
const MaxEmailsPerConfig = 20

type clientConfigState struct {
	opt ClientConfigOptions
}

func newClientConfigState(opt ClientConfigOptions, now func() time.Time) clientConfigState {
	if opt.OAuthTokenTTL <= 0 {
		opt.OAuthTokenTTL = time.Hour
	}
	if opt.ProfileTTL <= 0 {
		opt.ProfileTTL = 7 * 24 * time.Hour
	}
	return clientConfigState{opt: opt}
}

func configPurpose(id string) string { return "client-config:" + id }

// sealedConfig is what a stored configuration holds, sealed.
type sealedConfig struct {
	Emails          []sb.EmailAccount `json:"emails"`
	RemovalPassword string            `json:"removal_password,omitempty"`
}

// CreateClientConfig validates a configuration, stores it sealed behind a
// new link protected by in.Password, and returns the link.
func (s *Service) CreateClientConfig(ctx context.Context, actor sb.Actor, in sb.ClientConfig) (*sb.ConfigLink, error) {
	if !actor.IsTenant() {
		return nil, sb.Errorf(sb.EFORBIDDEN, "only tenants may create configurations")
	}
	emails, err := validateEmails(in.Emails)
	if err != nil {
		return nil, err
	}
	if err := s.checkPassword("settings.password", in.Password); err != nil {
		return nil, err
	}
	if in.RemovalPassword != "" {
		if err := CheckPassword("settings.removal_password", in.RemovalPassword, 1); err != nil {
			return nil, err
		}
	}
	hash, err := s.hash(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	plain, err := json.Marshal(sealedConfig{Emails: emails, RemovalPassword: in.RemovalPassword})
	if err != nil {
		return nil, sb.Internal(err)
	}
	now := s.now()
	row := &store.StoredConfig{ID: auth.NewToken(), TenantID: actor.TenantID, PasswordHash: hash,
		CreatedAt: now, ExpiresAt: now.Add(s.cc.opt.ProfileTTL)}
	if row.Sealed, err = s.seal.Seal(configPurpose(row.ID), plain); err != nil {
		return nil, sb.Internal(err)
	}
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.CreateClientConfig(ctx, row); err != nil {
			return err
		}
		return tx.Audit(ctx, now, actor.String(), "client_config.create", "client_config:"+row.ID[:8])
	})
	if err != nil {
		return nil, err
	}
	return &sb.ConfigLink{ID: row.ID, CreatedAt: row.CreatedAt, ExpiresAt: row.ExpiresAt}, nil
}

// errNoLink is the answer to unknown, expired and foreign links alike.
var errNoLink = sb.Errorf(sb.ENOTFOUND, "configuration not found or expired")

// validLinkID rejects ids that cannot be ours before they reach the store.
func validLinkID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// DeleteClientConfig deletes a configuration of the actor's tenant before
// it expires.
func (s *Service) DeleteClientConfig(ctx context.Context, actor sb.Actor, id string) error {
	if !validLinkID(id) || actor.IsMailbox() {
		return errNoLink
	}
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		c, err := tx.ClientConfig(ctx, id, s.now())
		if sb.ErrorCode(err) == sb.ENOTFOUND || err == nil && !actor.Owns(c.TenantID) {
			return errNoLink
		}
		if err != nil {
			return err
		}
		if err := tx.DeleteClientConfig(ctx, id); err != nil {
			return err
		}
		return tx.Audit(ctx, s.now(), actor.String(), "client_config.delete", "client_config:"+id[:8])
	})
}

// CheckClientConfig reports whether a link exists and has not expired.
func (s *Service) CheckClientConfig(ctx context.Context, id string) error {
	if !validLinkID(id) {
		return errNoLink
	}
	_, err := s.store.Read().ClientConfig(ctx, id, s.now())
	if sb.ErrorCode(err) == sb.ENOTFOUND {
		return errNoLink
	}
	return err
}

// ErrBadLinkPassword is the answer to a wrong link password.
var ErrBadLinkPassword = sb.Errorf(sb.EUNAUTHORIZED, "wrong password")

// OpenClientConfig checks a link's password, rate-limited per link and per
// IP, and returns its profile, signed when a signer is configured.
func (s *Service) OpenClientConfig(ctx context.Context, id, password, ip string) (*sb.ProfileFile, error) {
	identity := ""
	if validLinkID(id) {
		identity = linkIdentity(id)
	}
	var c *store.StoredConfig
	err := s.guard(ctx, identity, ip, func() (bool, error) {
		if identity == "" {
			return true, errNoLink
		}
		var err error
		c, err = s.store.Read().ClientConfig(ctx, id, s.now())
		if sb.ErrorCode(err) == sb.ENOTFOUND {
			if err := s.hasher.VerifyDummy(ctx, password); err != nil {
				return false, err
			}
			return true, errNoLink
		}
		if err != nil {
			return false, err
		}
		ok, err := s.passwordMatches(ctx, c.PasswordHash, true, password, "client config "+id[:8])
		if err != nil {
			return false, err
		}
		if !ok {
			return true, ErrBadLinkPassword
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	plain, err := s.openSealed(configPurpose(c.ID), c.Sealed)
	if err != nil {
		return nil, err
	}
	var sc sealedConfig
	if err := json.Unmarshal(plain, &sc); err != nil {
		return nil, sb.Internal(fmt.Errorf("client config %s: decode: %w", id[:8], err))
	}
	return s.profileFile(sc.Emails, sc.RemovalPassword, "")
}

// profileFile builds, and signs when it can, a profile of accounts.
func (s *Service) profileFile(emails []sb.EmailAccount, removalPassword, displayName string) (*sb.ProfileFile, error) {
	o := s.cc.opt
	data, err := profile.MobileConfig(emails, profile.Options{Host: o.PublicHost, Organization: o.Organization,
		DisplayName: displayName, RemovalPassword: removalPassword, UUID: o.UUID})
	if err != nil {
		return nil, sb.Internal(fmt.Errorf("build profile: %w", err))
	}
	f := &sb.ProfileFile{Filename: profile.Filename(emails), ContentType: profile.ContentType, Data: data}
	if o.Signer != nil {
		if f.Data, err = o.Signer.Sign(data); err != nil {
			return nil, sb.Internal(err)
		}
		f.Signed = true
	}
	return f, nil
}

var (
	accountTypes = []string{sb.EmailTypeIMAP, sb.EmailTypePOP}
	authMethods  = []string{sb.EmailAuthPassword, sb.EmailAuthCRAMMD5, sb.EmailAuthNTLM, sb.EmailAuthHTTPMD5, sb.EmailAuthNone}
)

// validateEmails checks every email payload and fills in the defaults:
// usernames default to the address, authentication to EmailAuthPassword.
// Fields are named as the iConfig body names them.
func validateEmails(in []sb.EmailAccount) ([]sb.EmailAccount, error) {
	if len(in) == 0 {
		return nil, sb.FieldError("configs.email", "at least one email configuration is required")
	}
	if len(in) > MaxEmailsPerConfig {
		return nil, sb.FieldError("configs.email", "at most %d email configurations fit in one profile", MaxEmailsPerConfig)
	}
	out := make([]sb.EmailAccount, len(in))
	for i, a := range in {
		f := func(name string) string { return fmt.Sprintf("configs.email.%d.%s", i, name) }
		local, domain, err := NormalizeEmail(f("email_address"), a.Address)
		if err != nil {
			return nil, err
		}
		a.Address = local + "@" + domain
		if err := oneOf(f("EmailAccountType"), a.AccountType, accountTypes); err != nil {
			return nil, err
		}
		if a.IncomingAuth == "" {
			a.IncomingAuth = sb.EmailAuthPassword
		}
		if a.OutgoingAuth == "" {
			a.OutgoingAuth = sb.EmailAuthPassword
		}
		if err := oneOf(f("IncomingMailServerAuthentication"), a.IncomingAuth, authMethods); err != nil {
			return nil, err
		}
		if err := oneOf(f("OutgoingMailServerAuthentication"), a.OutgoingAuth, authMethods); err != nil {
			return nil, err
		}
		if a.IncomingHost, err = checkHost(f("IncomingMailServerHostName"), a.IncomingHost); err != nil {
			return nil, err
		}
		if a.OutgoingHost, err = checkHost(f("OutgoingMailServerHostName"), a.OutgoingHost); err != nil {
			return nil, err
		}
		if err := checkPort(f("IncomingMailServerPortNumber"), a.IncomingPort); err != nil {
			return nil, err
		}
		if err := checkPort(f("OutgoingMailServerPortNumber"), a.OutgoingPort); err != nil {
			return nil, err
		}
		if a.IncomingUsername == "" {
			a.IncomingUsername = a.Address
		}
		if a.OutgoingUsername == "" {
			a.OutgoingUsername = a.Address
		}
		for _, t := range []struct {
			field, value string
			max          int
		}{
			{"EmailAccountName", a.AccountName, 255},
			{"EmailAccountDescription", a.AccountDescription, 255},
			{"IncomingMailServerUsername", a.IncomingUsername, 255},
			{"OutgoingMailServerUsername", a.OutgoingUsername, 255},
			{"IncomingPassword", a.IncomingPassword, MaxPasswordLen},
			{"OutgoingPassword", a.OutgoingPassword, MaxPasswordLen},
		} {
			if err := checkText(f(t.field), t.value, t.max); err != nil {
				return nil, err
			}
		}
		out[i] = a
	}
	return out, nil
}

func oneOf(field, v string, allowed []string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	if v == "" {
		return sb.FieldError(field, "%s is required", field)
	}
	return sb.FieldError(field, "%s must be one of %s", field, strings.Join(allowed, ", "))
}

// checkHost accepts a DNS host name or an IP address.
func checkHost(field, host string) (string, error) {
	host = strings.TrimSpace(host)
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return ip.String(), nil
	}
	return NormalizeDomain(field, host)
}

func checkPort(field string, port int) error {
	if port == 0 {
		return sb.FieldError(field, "%s is required", field)
	}
	if port < 1 || port > 65535 {
		return sb.FieldError(field, "%s must be a port number from 1 to 65535", field)
	}
	return nil
}

// checkText refuses over-long values and control characters, which have no
// place in a profile field.
func checkText(field, v string, max int) error {
	if len(v) > max {
		return sb.FieldError(field, "%s must be at most %d bytes", field, max)
	}
	if !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return sb.FieldError(field, "%s contains characters that are not allowed", field)
	}
	return nil
}

// MaxListedConfigs bounds ListClientConfigs: links live ProfileTTL only.
const MaxListedConfigs = 500

// ListClientConfigs lists the unexpired links of the actor's tenant (every
// tenant's for an operator), newest first, at most MaxListedConfigs.
func (s *Service) ListClientConfigs(ctx context.Context, actor sb.Actor) ([]sb.ConfigLink, error) {
	if !actor.IsTenant() {
		return nil, sb.Errorf(sb.EFORBIDDEN, "only tenants have configurations")
	}
	tenant := actor.TenantID
	if actor.IsOperator() {
		tenant = 0
	}
	rows, err := s.store.Read().ListClientConfigs(ctx, tenant, s.now(), MaxListedConfigs)
	if err != nil {
		return nil, err
	}
	out := make([]sb.ConfigLink, len(rows))
	for i, c := range rows {
		out[i] = sb.ConfigLink{ID: c.ID, CreatedAt: c.CreatedAt, ExpiresAt: c.ExpiresAt}
	}
	return out, nil
}
