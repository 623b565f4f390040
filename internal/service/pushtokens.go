package service

import (
	"context"
	"slices"
	"strings"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/notify"
	"github.com/switchboard/switchboard/internal/store"
)

// SendAccountCreationToken pushes a one-time account-creation token to a
// device. A device gets one live token at a time and MaxTokensPerDevice in
// all (403); a failed push stores nothing (503).
func (s *Service) SendAccountCreationToken(ctx context.Context, provider, param, prid string) error {
	switch {
	case !slices.Contains(PushProviders, provider):
		return sb.FieldError("pn_provider", "The pn_provider must be one of %s.", strings.Join(PushProviders, ", "))
	case param == "" || len(param) > 255:
		return sb.FieldError("pn_param", "The pn_param is required.")
	case prid == "" || len(prid) > 512:
		return sb.FieldError("pn_prid", "The pn_prid is required.")
	}
	if s.delivery.Push == nil {
		return sb.Errorf(sb.EUNAVAILABLE, "Push notifications are not configured.")
	}
	now := s.now()
	total, live, err := s.store.Read().CountDeviceTokens(ctx, prid, now)
	if err != nil {
		return err
	}
	if live > 0 {
		return sb.Errorf(sb.EFORBIDDEN, "A token was already sent to this device.")
	}
	if total >= MaxTokensPerDevice {
		return sb.Errorf(sb.EFORBIDDEN, "The token limit for this device is reached.")
	}
	token := auth.NewToken()
	hash, err := s.keyed("token", token)
	if err != nil {
		return err
	}
	if err := s.delivery.Push.Push(ctx, notify.Push{Provider: provider, Param: param, PRID: prid,
		Data: map[string]string{"token": token}}); err != nil {
		s.log.Warn("push failed", "provider", provider, "err", err)
		return &sb.Error{Code: sb.EUNAVAILABLE, Message: "The token could not be sent to the device.", Err: err}
	}
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		return tx.CreateDeviceToken(ctx, hash, provider, param, prid, now, now.Add(DeviceTokenTTL))
	})
}

// CreateAccountWithToken creates an account with a token a device received
// by push; the token is consumed in the same transaction. With an email or
// phone the account waits for the code sent there; without, the token
// (proof of a real device) activates it.
func (s *Service) CreateAccountWithToken(ctx context.Context, in sb.TokenAccount, ip string) (*sb.CreatedSIPAccount, error) {
	if in.Token == "" {
		return nil, sb.FieldError("token", "The token is required.")
	}
	domain := in.Domain
	if domain == "" {
		domain = s.sipDomain
	}
	if domain == "" {
		return nil, sb.FieldError("domain", "The domain is required (no default registration domain is set).")
	}
	name, err := NormalizeDomain("domain", domain)
	if err != nil {
		return nil, err
	}
	d, err := s.store.Read().DomainByName(ctx, name)
	if sb.ErrorCode(err) == sb.ENOTFOUND {
		return nil, sb.FieldError("domain", "The domain %s is not served here.", name)
	}
	if err != nil {
		return nil, err
	}
	hash, err := s.keyed("token", in.Token)
	if err != nil {
		return nil, err
	}
	nsa := sb.NewSIPAccount{Username: in.Username, Password: in.Password, Algorithm: in.Algorithm,
		Activated: in.Email == "" && in.Phone == "", Email: in.Email, Phone: in.Phone}
	// The token is the secret a device presents: guessing it is limited per
	// client IP, counted before the password is hashed.
	var created *sb.CreatedSIPAccount
	err = s.guard(ctx, "", ip, func() (bool, error) {
		var err error
		created, err = s.createSIPAccount(ctx, sb.SystemActor, nsa, func(tx *store.Tx, write bool) (*sb.Domain, error) {
			if write {
				ok, err := tx.UseDeviceToken(ctx, hash, s.now())
				if err != nil {
					return nil, err
				}
				if !ok {
					return nil, errBadDeviceToken
				}
			}
			return tx.DomainByID(ctx, d.ID)
		})
		return err == errBadDeviceToken, err
	})
	if err != nil {
		return nil, err
	}
	if !created.Account.Activated {
		s.sendActivationCodes(ctx, created.Account)
	}
	return created, nil
}

// errBadDeviceToken is the answer to an unknown, used or expired
// account-creation token.
var errBadDeviceToken = sb.FieldError("token", "The token is invalid, used or expired.")
