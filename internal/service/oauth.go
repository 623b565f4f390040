package service

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/store"
)

// The grant types /oauth/token accepts: iConfig's name for the client
// credentials grant, and the standard one.
const (
	GrantPersonalAccess    = "personal_access"
	GrantClientCredentials = "client_credentials"
)

// CreateOAuthClient creates an OAuth client for a tenant: the actor's own
// when tenant is empty; operators (and the command line) may name any.
// The secret is returned once; only its digest is stored, which is enough
// for a 256-bit random value (an argon2id hash would only slow each token
// request down).
func (s *Service) CreateOAuthClient(ctx context.Context, actor sb.Actor, tenant string) (*sb.OAuthClient, string, error) {
	if actor.IsMailbox() {
		return nil, "", sb.Errorf(sb.EFORBIDDEN, "a mailbox may not create OAuth clients")
	}
	if tenant == "" {
		if actor.TenantName == "" {
			return nil, "", sb.FieldError("tenant", "tenant is required")
		}
		tenant = actor.TenantName
	}
	if !actor.CanManageTenant(tenant) {
		return nil, "", notFound("tenant")
	}
	secret := auth.NewToken()
	c := &sb.OAuthClient{ClientID: newClientID(), CreatedAt: s.now()}
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		t, _, err := tx.TenantByName(ctx, tenant)
		if sb.ErrorCode(err) == sb.ENOTFOUND {
			return notFound("tenant")
		}
		if err != nil {
			return err
		}
		c.TenantID, c.TenantName = t.ID, t.Name
		if err := tx.CreateOAuthClient(ctx, c, auth.HashToken(secret)); err != nil {
			return err
		}
		return tx.Audit(ctx, c.CreatedAt, actor.String(), "oauth_client.create", "oauth_client:"+c.ClientID)
	})
	if err != nil {
		return nil, "", err
	}
	return c, secret, nil
}

func newClientID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

// ListOAuthClients lists the actor's clients, or every client for an
// operator.
func (s *Service) ListOAuthClients(ctx context.Context, actor sb.Actor) ([]sb.OAuthClient, error) {
	if actor.IsMailbox() {
		return nil, sb.Errorf(sb.EFORBIDDEN, "a mailbox may not list OAuth clients")
	}
	tenant := actor.TenantID
	if actor.IsOperator() {
		tenant = 0
	}
	return s.store.Read().ListOAuthClients(ctx, tenant)
}

// RevokeOAuthClient deletes a client of the actor and every token it
// obtained.
func (s *Service) RevokeOAuthClient(ctx context.Context, actor sb.Actor, clientID string) error {
	if clientID == "" {
		return sb.FieldError("client_id", "client_id is required")
	}
	if actor.IsMailbox() {
		return notFound("OAuth client")
	}
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		c, _, err := tx.OAuthClientByClientID(ctx, clientID)
		if sb.ErrorCode(err) == sb.ENOTFOUND || err == nil && !actor.Owns(c.TenantID) {
			return notFound("OAuth client")
		}
		if err != nil {
			return err
		}
		if err := tx.DeleteOAuthClient(ctx, c.ID); err != nil {
			return err
		}
		return tx.Audit(ctx, s.now(), actor.String(), "oauth_client.revoke", "oauth_client:"+c.ClientID)
	})
}

// ErrBadClient is the one answer to an unknown client and a wrong secret.
var ErrBadClient = sb.Errorf(sb.EUNAUTHORIZED, "client authentication failed")

// IssueOAuthToken exchanges client credentials for a bearer token. A
// missing parameter is EMALFORMED, an unknown grant type EINVALID on the
// field grant_type, bad credentials EUNAUTHORIZED; failures are
// rate-limited per client id and per IP.
func (s *Service) IssueOAuthToken(ctx context.Context, grantType, clientID, clientSecret, ip string) (string, time.Duration, error) {
	switch {
	case grantType == "":
		return "", 0, &sb.Error{Code: sb.EMALFORMED, Field: "grant_type", Message: "grant_type is required"}
	case grantType != GrantPersonalAccess && grantType != GrantClientCredentials:
		return "", 0, sb.FieldError("grant_type", "grant_type must be %q or %q", GrantPersonalAccess, GrantClientCredentials)
	case clientID == "" || clientSecret == "":
		return "", 0, &sb.Error{Code: sb.EMALFORMED, Field: "client_id", Message: "client_id and client_secret are required"}
	}
	var c *sb.OAuthClient
	err := s.guard(ctx, clientIdentity(clientID), ip, func() (bool, error) {
		found, hash, err := s.store.Read().OAuthClientByClientID(ctx, clientID)
		if err != nil && sb.ErrorCode(err) != sb.ENOTFOUND {
			return false, err
		}
		// The secret is 256 random bits: its SHA-256 digest, compared in
		// constant time, is enough.
		if err != nil || subtle.ConstantTimeCompare([]byte(auth.HashToken(clientSecret)), []byte(hash)) != 1 {
			return true, ErrBadClient
		}
		c = found
		return false, nil
	})
	if err != nil {
		return "", 0, err
	}
	token := auth.NewToken()
	now := s.now()
	expires := now.Add(s.cc.opt.OAuthTokenTTL)
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		return tx.CreateOAuthToken(ctx, auth.HashToken(token), c.ID, now, expires)
	})
	if err != nil {
		return "", 0, err
	}
	return token, s.cc.opt.OAuthTokenTTL, nil
}

// AuthenticateOAuth resolves a bearer token from /oauth/token to its tenant
// actor. Unknown tokens are rate-limited per client IP.
func (s *Service) AuthenticateOAuth(ctx context.Context, token, ip string) (sb.Actor, error) {
	return s.resolveBearer(ctx, token, ip, func(tx *store.Tx, hash string) (*sb.Tenant, error) {
		return tx.OAuthTokenTenant(ctx, hash, s.now())
	})
}
