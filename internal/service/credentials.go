package service

import (
	"context"
	"errors"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/store"
)

// The one credential check. Every secret a principal presents — a tenant's
// or a mailbox's password (REST, JSON-RPC, iConfig, Digest), an API key, an
// OAuth client secret, a configuration link's password, an activation or
// change code, a device's account-creation token — is checked through
// guard: the identity is normalised once, one bucket per identity and one
// per client IP are shared by every surface and every instance (they live
// in the store), and an attempt is reserved before the secret is checked,
// so that concurrent guesses count.

// Password policy.
const (
	// DefaultMinPasswordLen is the shortest password accepted by default.
	DefaultMinPasswordLen = 8
	// MinPasswordFloor is the lowest --min-password-length may go: the SIP
	// API documents 6 characters.
	MinPasswordFloor = 6
)

// DefaultAttempts is the bucket of every identity and client IP: 10
// failures at once, then one more every 6 seconds (600 an hour).
var DefaultAttempts = store.AttemptLimit{Burst: 10, Every: 6 * time.Second}

// checkPassword enforces the one password policy on a new password.
func (s *Service) checkPassword(field, password string) error {
	return CheckPassword(field, password, s.minPassword)
}

// Identities, as the buckets name them. Each is built from the normalised
// form the store uses, so every spelling of one principal shares a bucket.
func tenantIdentity(name string) string  { return "tenant:" + name }
func mailboxIdentity(addr string) string { return "mailbox:" + addr }
func clientIdentity(id string) string    { return "oauth-client:" + id }
func linkIdentity(id string) string      { return "config-link:" + id }

// tooManyAttempts is the answer while a bucket is empty. An empty bucket
// holds at least one attempt again after one refill interval, so that is
// the wait the caller is told.
func (s *Service) tooManyAttempts() error {
	return sb.RateLimited(s.attempts.Every, "too many failed attempts, try again later")
}

// guard runs one credential check. It reserves an attempt of the identity
// ("" when there is none to name, as for API keys) and of the client IP,
// refusing with ERATELIMIT when either is spent; then check runs. check
// reports failed when the secret was wrong (the attempt stays spent, and
// err is the caller's refusal); otherwise the attempt is given back.
func (s *Service) guard(ctx context.Context, identity, ip string, check func() (failed bool, err error)) error {
	keys := make([]string, 0, 2)
	if identity != "" {
		keys = append(keys, identity)
	}
	keys = append(keys, "ip:"+ip)
	ok, err := s.store.ReserveAttempts(ctx, keys, s.attempts, s.now())
	if err != nil {
		return err
	}
	if !ok {
		return s.tooManyAttempts()
	}
	failed, err := check()
	if !failed {
		// A client gone meanwhile must not cost the principal an attempt.
		if rerr := s.store.RefundAttempts(context.WithoutCancel(ctx), keys, s.attempts); rerr != nil && err == nil {
			return rerr
		}
	}
	return err
}

// errBadPassword is what passwordMatches' callers turn into their own
// refusal.
var errBadPassword = errors.New("bad credentials")

// passwordMatches verifies password against a stored argon2id hash, the
// slow step guard protects. An unknown principal (found false) costs the
// same work against a dummy hash, so timing tells nothing. Its error is
// ctx's, when ctx ends before the hash had a slot to run in: nothing was
// verified, and the caller's check returns it as a failure of its own
// (guard refunds the attempt: the client learnt nothing).
func (s *Service) passwordMatches(ctx context.Context, hash string, found bool, password, who string) (bool, error) {
	if password == "" || len(password) > MaxPasswordLen {
		return false, nil
	}
	if !found {
		return false, s.hasher.VerifyDummy(ctx, password)
	}
	ok, err := s.hasher.Verify(ctx, hash, password)
	switch {
	case err != nil && ctx.Err() != nil:
		return false, err
	case err != nil:
		s.log.Error("stored password hash is malformed", "user", who, "err", err)
	}
	return ok, nil
}

// verifyMailbox is the one check of a mailbox's password, whichever surface
// it comes from (JSON-RPC auth, iConfig pages, the SIP API's old password):
// the address is normalised, and an unknown, inactive or wrong mailbox
// answers errBadPassword alike.
func (s *Service) verifyMailbox(ctx context.Context, email, password, ip string) (*sb.Account, *sb.Domain, error) {
	local, domain, nerr := NormalizeEmail("email", email)
	identity := ""
	if nerr == nil {
		identity = mailboxIdentity(local + "@" + domain)
	}
	var a *sb.Account
	var d *sb.Domain
	var hash string
	err := s.guard(ctx, identity, ip, func() (bool, error) {
		if nerr != nil {
			return true, errBadPassword
		}
		tx := s.store.Read()
		acc, h, err := tx.AccountByEmail(ctx, local+"@"+domain)
		hash = h
		if err != nil && sb.ErrorCode(err) != sb.ENOTFOUND {
			return false, err
		}
		ok, err := s.passwordMatches(ctx, hash, err == nil, password, identity)
		if err != nil {
			return false, err
		}
		if !ok || !acc.Active {
			return true, errBadPassword
		}
		if d, err = tx.DomainByID(ctx, acc.DomainID); err != nil {
			return false, err
		}
		a = acc
		return false, nil
	})
	if err != nil {
		return nil, nil, err
	}
	s.upgradeHash(ctx, a, hash, password)
	return a, d, nil
}

// verifyTenant is the one check of a tenant's password.
func (s *Service) verifyTenant(ctx context.Context, name, password, ip string) (*sb.Tenant, error) {
	var t *sb.Tenant
	err := s.guard(ctx, tenantIdentity(name), ip, func() (bool, error) {
		if name == "" {
			return true, errBadPassword
		}
		found, hash, err := s.store.Read().TenantByName(ctx, name)
		if err != nil && sb.ErrorCode(err) != sb.ENOTFOUND {
			return false, err
		}
		ok, err := s.passwordMatches(ctx, hash, err == nil, password, tenantIdentity(name))
		if err != nil {
			return false, err
		}
		if !ok {
			return true, errBadPassword
		}
		t = found
		return false, nil
	})
	return t, err
}

// CheckTenantPassword verifies a tenant's credentials and returns the
// tenant.
func (s *Service) CheckTenantPassword(ctx context.Context, name, password, ip string) (*sb.Tenant, error) {
	t, err := s.verifyTenant(ctx, name, password, ip)
	if err == errBadPassword {
		return nil, ErrBadLogin
	}
	return t, err
}

// CheckMailboxPassword verifies a mailbox's credentials; inactive mailboxes
// are refused like wrong passwords.
func (s *Service) CheckMailboxPassword(ctx context.Context, email, password, ip string) (*sb.Account, *sb.Domain, error) {
	a, d, err := s.verifyMailbox(ctx, email, password, ip)
	if err == errBadPassword {
		return nil, nil, ErrAccessDenied
	}
	return a, d, err
}

// CheckAccountPassword verifies a mailbox's credentials and returns the
// account, for the iConfig pages.
func (s *Service) CheckAccountPassword(ctx context.Context, email, password, ip string) (*sb.Account, error) {
	a, _, err := s.verifyMailbox(ctx, email, password, ip)
	if err == errBadPassword {
		return nil, ErrBadLogin
	}
	return a, err
}

// purgeAttempts forgets buckets that are full again.
func (s *Service) purgeAttempts(ctx context.Context, tx *store.Tx) error {
	return tx.DeleteIdleAttempts(ctx, s.now().Add(-time.Duration(s.attempts.Burst)*s.attempts.Every))
}
