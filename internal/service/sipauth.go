package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/digest"
	"github.com/switchboard/switchboard/internal/store"
)

// ParseSIPAddress reads "sip:user@domain" (or "user@domain") into a
// normalized address.
func ParseSIPAddress(field, v string) (local, domain string, err error) {
	addr, ok := sb.SIPAddress(v)
	if ok {
		local, domain, err = NormalizeEmail(field, addr)
	}
	if !ok || err != nil {
		return "", "", &sb.Error{Code: sb.EMALFORMED, Field: field, Message: field + " must be a SIP address: sip:user@domain"}
	}
	return local, domain, nil
}

// sipNonces signs digest nonces with a key derived from the server key, so
// every instance accepts the others' nonces.
func (s *Service) sipNonces() (*digest.Nonces, error) {
	return digest.NewNonces(s.seal.Derive("digest nonces"), NonceTTL, s.now)
}

// nonceCounter keeps digest nonce counts in the store, shared by instances.
type nonceCounter struct{ s *Service }

func (c nonceCounter) Advance(ctx context.Context, nonce string, nc uint64, expires time.Time) (bool, error) {
	var ok bool
	err := c.s.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		ok, err = tx.AdvanceNonce(ctx, nonce, nc, expires, c.s.now())
		return err
	})
	return ok, err
}

// SIPChallenges are the WWW-Authenticate values for the realm of the domain
// in from: one per algorithm the account named there has an HA1 for (MD5
// before SHA-256), or both when there is no such account, so a challenge
// tells no more than /info does. stale marks an expired nonce.
func (s *Service) SIPChallenges(ctx context.Context, from string, stale bool) ([]string, error) {
	local, domain, err := ParseSIPAddress("from", from)
	if err != nil {
		return nil, err
	}
	tx := s.store.Read()
	realm := domain
	if d, err := tx.DomainByName(ctx, domain); err == nil {
		realm = d.Realm
	}
	algs, err := sipAlgorithms(ctx, tx, local+"@"+domain)
	if err != nil {
		return nil, err
	}
	nonces, err := s.sipNonces()
	if err != nil {
		return nil, err
	}
	return digest.Challenges(realm, nonces.New(), nonces.Opaque(realm), stale, algs...), nil
}

// sipAlgorithms are the digest algorithms to offer for the account email:
// those it has an HA1 for, in a fixed order; both for an unknown account
// or one without any HA1. A client answers the first challenge it can
// (curl does), so offering one the account cannot use locks it out.
func sipAlgorithms(ctx context.Context, tx *store.Tx, email string) ([]string, error) {
	all := []string{digest.MD5, digest.SHA256}
	_, c, err := tx.AccountCredentials(ctx, email)
	if sb.ErrorCode(err) == sb.ENOTFOUND {
		return all, nil
	}
	if err != nil {
		return nil, err
	}
	var algs []string
	if c.HA1MD5 != "" {
		algs = append(algs, digest.MD5)
	}
	if c.HA1SHA256 != "" {
		algs = append(algs, digest.SHA256)
	}
	if len(algs) == 0 {
		return all, nil
	}
	return algs, nil
}

// errNotAuthenticated is the answer to missing or wrong SIP credentials.
var errNotAuthenticated = sb.Errorf(sb.EUNAUTHORIZED, "not authenticated")

func unauthenticated(cause error) error {
	return &sb.Error{Code: sb.EUNAUTHORIZED, Message: "not authenticated", Err: cause}
}

// AuthenticateSIP checks an x-api-key, or HTTP Digest credentials against
// the stored HA1 of the account named in from. Failures are rate-limited
// per account and per IP. It returns the account and its actor.
func (s *Service) AuthenticateSIP(ctx context.Context, r sb.SIPRequest) (sb.Actor, *sb.Account, error) {
	if r.APIKey != "" {
		actor, a, err := s.authenticateAPIKey(ctx, r.APIKey, r.IP)
		if err == nil && r.RequireActivated {
			err = requireActivated(a)
		}
		return actor, a, err
	}
	local, domain, err := ParseSIPAddress("from", r.From)
	if err != nil {
		return sb.Actor{}, nil, err
	}
	email := local + "@" + domain
	tx := s.store.Read()
	realm := domain
	d, err := tx.DomainByName(ctx, domain)
	if err == nil {
		realm = d.Realm
	}
	nonces, err := s.sipNonces()
	if err != nil {
		return sb.Actor{}, nil, err
	}
	var account *sb.Account
	lookup := func(ctx context.Context, username, realm, algorithm string) (string, bool, error) {
		// The digest user is the account's user part (curl -u alice:pw);
		// the full address is accepted too.
		if username != local && username != email {
			return "", false, nil
		}
		a, c, err := tx.AccountCredentials(ctx, email)
		if sb.ErrorCode(err) == sb.ENOTFOUND {
			return "", false, nil
		}
		if err != nil {
			return "", false, err
		}
		account = a
		ha1 := c.HA1MD5
		if algorithm == digest.SHA256 {
			ha1 = c.HA1SHA256
		}
		return ha1, ha1 != "", nil
	}
	authn, err := digest.NewAuthenticator(realm, nonces, nonceCounter{s}, lookup, digest.MD5, digest.SHA256)
	if err != nil {
		return sb.Actor{}, nil, sb.Internal(err)
	}
	err = s.guard(ctx, mailboxIdentity(email), r.IP, func() (bool, error) {
		if r.Authorization == "" {
			// The challenge costs nothing, but is refused while the
			// account or the client is over its limit.
			return false, unauthenticated(digest.ErrNoCredentials)
		}
		_, err := authn.Authenticate(ctx, r.Authorization, r.Method, r.URI)
		switch {
		case err == nil:
			if account == nil || d == nil {
				return true, errNotAuthenticated
			}
			return false, nil
		case errors.Is(err, digest.ErrMalformed):
			return false, &sb.Error{Code: sb.EMALFORMED, Field: "authorization", Message: "malformed Authorization header", Err: err}
		case errors.Is(err, digest.ErrStaleNonce):
			// The right password with an old nonce: no failure, and the
			// surface says stale=true.
			return false, unauthenticated(fmt.Errorf("%w: %w", sb.ErrStale, err))
		case errors.Is(err, digest.ErrUnauthorized), errors.Is(err, digest.ErrReplay), errors.Is(err, digest.ErrUnsupported),
			errors.Is(err, digest.ErrNoCredentials):
			return true, unauthenticated(err)
		default:
			return false, sb.Internal(err)
		}
	})
	if err != nil {
		return sb.Actor{}, nil, err
	}
	if r.RequireActivated {
		if err := requireActivated(account); err != nil {
			return sb.Actor{}, nil, err
		}
	}
	return sipActor(account, d), account, nil
}

// accountActor is an account acting on itself, for the audit log.
func accountActor(a *sb.Account) sb.Actor { return sb.Actor{AccountID: a.ID, Email: a.Email} }

func sipActor(a *sb.Account, d *sb.Domain) sb.Actor {
	return sb.Actor{AccountID: a.ID, Email: a.Email, TenantID: d.TenantID, TenantName: d.TenantName}
}

func (s *Service) authenticateAPIKey(ctx context.Context, key, ip string) (sb.Actor, *sb.Account, error) {
	hash := auth.HashToken(key)
	tx := s.store.Read()
	var a *sb.Account
	var lastUsed time.Time
	err := s.guardRandom(ctx, ip, func() (bool, error) {
		var err error
		a, lastUsed, err = tx.APIKeyUse(ctx, hash)
		if sb.ErrorCode(err) == sb.ENOTFOUND {
			return true, errNotAuthenticated
		}
		return false, err
	})
	if err != nil {
		return sb.Actor{}, nil, err
	}
	// The key has only the powers its account has now.
	if !canAdminister(a) {
		return sb.Actor{}, nil, sb.Errorf(sb.EFORBIDDEN, "This API key's account is not an administrator.")
	}
	d, err := tx.DomainByID(ctx, a.DomainID)
	if err != nil {
		return sb.Actor{}, nil, err
	}
	// The last use is kept to the second, as a session's is: a key used
	// many times a second costs one write a second, not one a request.
	if now := s.now(); now.Sub(lastUsed) >= touchEvery {
		if err := s.store.InTx(ctx, func(tx *store.Tx) error { return tx.TouchAPIKey(ctx, hash, now) }); err != nil {
			return sb.Actor{}, nil, err
		}
	}
	return sipActor(a, d), a, nil
}

// canAdminister reports whether an account may use its admin powers now:
// an admin that is switched on and activated. A deactivated admin's API
// keys and Digest logins lose them at once.
func canAdminister(a *sb.Account) bool { return a.Admin && a.Active && a.Activated }

// requireActivated refuses accounts that are not activated (or switched
// off).
func requireActivated(a *sb.Account) error {
	if !a.Activated || !a.Active {
		return sb.Errorf(sb.EFORBIDDEN, "The account is not activated.")
	}
	return nil
}
