// Package service implements every Switchboard operation once, with its
// validation, authorisation and transaction; the REST, JSON-RPC and SIP
// surfaces are thin translations of these calls.
package service

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/digest"
	"github.com/switchboard/switchboard/internal/profile"
	"github.com/switchboard/switchboard/internal/seal"
	"github.com/switchboard/switchboard/internal/store"
)

// Config wires a Service.
type Config struct {
	Store    *store.Store
	Hasher   *auth.Hasher
	Logger   *slog.Logger
	Now      func() time.Time
	TokenTTL time.Duration
	// MinPasswordLength is the shortest password accepted for tenants,
	// mailboxes and SIP identities alike (default 8; never below
	// MinPasswordFloor).
	MinPasswordLength int
	// Attempts is the bucket of every identity and client IP presenting a
	// secret (default DefaultAttempts).
	Attempts store.AttemptLimit
	// TokenLimiter limits presentations of unknown tokens per client IP.
	TokenLimiter *auth.Limiter
	// SessionIdle ends a JSON-RPC session unused this long (default 30 min).
	SessionIdle time.Duration
	// SessionMax is a JSON-RPC session's absolute lifetime (default 12 h).
	SessionMax time.Duration
	// Seal encrypts secrets at rest (private keys, stored client
	// configurations) with the server key and derives the nonce and
	// one-time-code keys; it is required.
	Seal *seal.Box
	// Issuer obtains ACME certificates; nil refuses issuance with 503.
	Issuer CertIssuer
	// CertDir receives <hostname>/fullchain.pem and privkey.pem; "" for none.
	CertDir string
	// ClientConfig configures OAuth clients, stored profiles and
	// autoconfiguration.
	ClientConfig ClientConfigOptions
	// ProvisioningBase is the server-wide liblinphone configuration every
	// provisioning answer starts from (nil: none).
	ProvisioningBase *profile.LinphoneConfig
	// SIPRegistrar is the SIP URI provisioned phones register to and
	// route through (proxy_0's reg_proxy and reg_route), checked by
	// profile.CheckRegistrar; "": each account's domain over TLS.
	SIPRegistrar string
	// SIPDomain is the default registration domain of the SIP API ("":
	// each admin's own domain).
	SIPDomain string
	// Delivery sends mail, SMS and push notifications.
	Delivery Delivery
	// Mailboxes is the mail storage (Dovecot's Maildirs, maildir.Store);
	// deletes, exports and imports carry the mail along. nil: no mail
	// storage is managed.
	Mailboxes Mailboxes
	// Import bounds domain imports; zero fields get DefaultImportLimits'.
	Import ImportLimits
}

// Service is the one implementation of the domain's service interfaces.
type Service struct {
	store    *store.Store
	hasher   *auth.Hasher
	log      *slog.Logger
	now      func() time.Time
	tokenTTL time.Duration
	tokens   *auth.Limiter

	minPassword int
	attempts    store.AttemptLimit

	sessionIdle, sessionMax time.Duration
	seal                    *seal.Box
	issuer                  CertIssuer
	certDir                 string
	cc                      clientConfigState
	sipDomain               string
	provisioningBase        *profile.LinphoneConfig
	sipRegistrar            string
	delivery                Delivery
	mail                    Mailboxes
	imports                 ImportLimits
}

var (
	_ sb.TenantService  = (*Service)(nil)
	_ sb.DomainService  = (*Service)(nil)
	_ sb.AccountService = (*Service)(nil)
	_ sb.AliasService   = (*Service)(nil)
	_ sb.QuotaService   = (*Service)(nil)

	_ sb.OAuthService        = (*Service)(nil)
	_ sb.ClientConfigService = (*Service)(nil)
)

// New returns a Service; zero fields of cfg get defaults. It panics when
// cfg.Seal is nil: every caller holds the server key, and a missing one is
// a wiring mistake, not a runtime condition.
func New(cfg Config) *Service {
	if cfg.Seal == nil {
		panic("service.New: Config.Seal is nil; open the server key first")
	}
	s := &Service{store: cfg.Store, hasher: cfg.Hasher, log: cfg.Logger, now: cfg.Now,
		tokenTTL: cfg.TokenTTL, tokens: cfg.TokenLimiter, minPassword: cfg.MinPasswordLength, attempts: cfg.Attempts,
		sessionIdle: cfg.SessionIdle, sessionMax: cfg.SessionMax, seal: cfg.Seal,
		issuer: cfg.Issuer, certDir: cfg.CertDir, sipDomain: cfg.SIPDomain, provisioningBase: cfg.ProvisioningBase, sipRegistrar: cfg.SIPRegistrar, delivery: cfg.Delivery,
		mail: cfg.Mailboxes, imports: cfg.Import.withDefaults()}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "service")
	if s.hasher == nil {
		s.hasher = auth.NewHasher(auth.DefaultParams)
	}
	if s.tokenTTL <= 0 {
		s.tokenTTL = 24 * time.Hour
	}
	if s.sessionIdle <= 0 {
		s.sessionIdle = 30 * time.Minute
	}
	if s.sessionMax <= 0 {
		s.sessionMax = 12 * time.Hour
	}
	if s.minPassword == 0 {
		s.minPassword = DefaultMinPasswordLen
	}
	s.minPassword = max(s.minPassword, MinPasswordFloor)
	if s.attempts.Burst <= 0 || s.attempts.Every <= 0 {
		s.attempts = DefaultAttempts
	}
	if s.tokens == nil {
		s.tokens = auth.NewLimiter(30, time.Second, s.now)
	}
	s.cc = newClientConfigState(cfg.ClientConfig, s.now)
	return s
}

// Ping checks that the store answers.
func (s *Service) Ping(ctx context.Context) error { return s.store.Ping(ctx) }

// hash hashes a password outside any transaction: it is the slow part, and
// SQLite's single writer must not wait on it. A ctx ended while the hash
// waits for a slot fails it unhashed (auth.Hasher.Hash).
func (s *Service) hash(ctx context.Context, password string) (string, error) {
	h, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return "", sb.Internal(fmt.Errorf("hash password: %w", err))
	}
	return h, nil
}

// BothAlgorithms are the digest algorithms a password set through the mail
// admin or JSON-RPC API is stored for.
var BothAlgorithms = []string{digest.MD5, digest.SHA256}

// credentials turns a password into everything that may be stored for it:
// the argon2id hash and the SIP digest HA1 = H(local:realm:password) of
// every algorithm. planeCredentials, inside the writing transaction, keeps
// the HA1s of the algorithms asked for and the SIP plane's, and clears the
// others, so no stale HA1 survives.
func (s *Service) credentials(ctx context.Context, password, local, realm string) (store.Credentials, error) {
	h, err := s.hash(ctx, password)
	if err != nil {
		return store.Credentials{}, err
	}
	c := store.Credentials{Hash: h}
	for _, alg := range BothAlgorithms {
		ha1, err := digest.HA1(alg, local, realm, password)
		if err != nil {
			return c, sb.FieldError("algorithm", "algorithm must be MD5 or SHA-256")
		}
		if alg == digest.MD5 {
			c.HA1MD5 = ha1
		} else {
			c.HA1SHA256 = ha1
		}
	}
	return c, nil
}

// notFound is the answer for objects that do not exist and for objects of
// another tenant alike, so that nobody learns what others hold.
func notFound(what string) error { return sb.Errorf(sb.ENOTFOUND, "%s not found", what) }

// visibleDomain loads a domain by id for actor, hiding foreign ones.
func visibleDomain(ctx context.Context, tx *store.Tx, actor sb.Actor, id int64) (*sb.Domain, error) {
	d, err := tx.DomainByID(ctx, id)
	if sb.ErrorCode(err) == sb.ENOTFOUND || err == nil && !actor.CanManageDomain(d) {
		return nil, notFound("domain")
	}
	return d, err
}

// nonceGrace is how long a digest nonce's count is kept past its expiry. An
// instance whose clock lags the purging one (the digest package accepts a
// minute of skew) must never see a still-fresh nonce whose count is already
// forgotten, which would let a captured request be replayed; expires_at is
// also stored in whole seconds, rounded down.
const nonceGrace = 2 * time.Minute

// PurgeExpired deletes expired tokens, sessions, client configurations,
// digest nonce counts and full attempt buckets; serve calls it
// periodically.
func (s *Service) PurgeExpired(ctx context.Context) error {
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.DeleteExpiredTokens(ctx, s.now()); err != nil {
			return err
		}
		if err := tx.DeleteExpiredSessions(ctx, s.now(), s.sessionIdle); err != nil {
			return err
		}
		if err := tx.DeleteExpiredNonces(ctx, s.now().Add(-nonceGrace)); err != nil {
			return err
		}
		if _, err := tx.DeleteExpiredClientConfigs(ctx, s.now()); err != nil {
			return err
		}
		return s.purgeAttempts(ctx, tx)
	})
}
