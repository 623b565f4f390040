package service

import (
	"context"
	"encoding/xml"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/digest"
	"github.com/switchboard/switchboard/internal/profile"
	"github.com/switchboard/switchboard/internal/store"
)

// errNoProvisioning answers keys that provision nothing and have nothing
// else to get.
var errNoProvisioning = sb.Errorf(sb.ENOTFOUND, "no provisioning for this key")

// Provision serves the liblinphone remote-provisioning XML for a
// confirmation key: the base configuration (ProvisioningBase), plus, on the
// first fetch with a valid key of an activated account, the account's
// proxy_0 and auth_info_0 (never a clear password), marking it provisioned.
//
// A key of an account that is not activated or switched off is ENOTFOUND
// and changes nothing. Unknown and expired keys get the base configuration,
// or ENOTFOUND without one. A key that has provisioned its account gets the
// base configuration, or without one an empty document: liblinphone
// fetches the URI at every start and reports a 404 as a failure.
func (s *Service) Provision(ctx context.Context, key string) ([]byte, error) {
	p, used, err := s.provisionAccount(ctx, key)
	if err != nil {
		return nil, err
	}
	if p == nil && !used && s.provisioningBase == nil {
		return nil, errNoProvisioning
	}
	out, err := xml.MarshalIndent(profile.Linphone(s.provisioningBase, p), "", "  ")
	if err != nil {
		return nil, sb.Internal(err)
	}
	return append(append([]byte(xml.Header), out...), '\n'), nil
}

// provisionAccount consumes a confirmation key: the first fetch gets the
// account's credentials; used reports a key that already provisioned an
// account that is still on; unknown and expired keys get neither.
func (s *Service) provisionAccount(ctx context.Context, key string) (_ *profile.LinphoneAccount, used bool, _ error) {
	if key == "" || len(key) > 128 {
		return nil, false, nil
	}
	hash, err := s.keyed("provisioning key", key)
	if err != nil {
		return nil, false, err
	}
	var out *profile.LinphoneAccount
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		out, used = nil, false
		a, c, exp, err := tx.AccountByConfirmationKey(ctx, key)
		if sb.ErrorCode(err) == sb.ENOTFOUND {
			prev, err := tx.ProvisionedKeyAccount(ctx, hash)
			if sb.ErrorCode(err) == sb.ENOTFOUND {
				return nil
			}
			if err != nil {
				return err
			}
			used = canProvision(prev)
			return nil
		}
		if err != nil {
			return err
		}
		if !canProvision(a) {
			return errNoProvisioning
		}
		now := s.now()
		if !exp.IsZero() && now.After(exp) || a.Provisioned {
			return nil
		}
		d, err := tx.DomainByID(ctx, a.DomainID)
		if err != nil {
			return err
		}
		p := &profile.LinphoneAccount{Username: a.Local, Domain: d.Name, Realm: d.Realm, HA1: c.HA1SHA256, Algorithm: digest.SHA256,
			Registrar: s.sipRegistrar}
		if p.HA1 == "" {
			p.HA1, p.Algorithm = c.HA1MD5, digest.MD5
		}
		ok, err := tx.MarkProvisioned(ctx, a.ID, key, now)
		if err != nil || !ok {
			return err
		}
		if err := tx.RecordProvisionedKey(ctx, a.ID, hash, now); err != nil {
			return err
		}
		out = p
		return tx.Audit(ctx, now, accountActor(a).String(), "account.provision", "account:"+a.Email)
	})
	if err != nil {
		return nil, false, err
	}
	return out, used, nil
}

// canProvision reports whether an account may be provisioned: activated
// and switched on. A deactivated account's phone gets nothing.
func canProvision(a *sb.Account) bool { return a.Activated && a.Active }

// ProvisioningKeyTTL is how long a key from NewProvisioningKey provisions:
// it is shown to be scanned at once.
const ProvisioningKeyTTL = time.Hour

// NewProvisioningKey gives account id a fresh confirmation key, valid for
// ProvisioningKeyTTL, that provisions one device with the account's HA1;
// the previous key dies. The account is the actor itself or, for an admin,
// an account of its domain (others are not found). An account that
// cannot be provisioned (not activated, switched off) is refused.
func (s *Service) NewProvisioningKey(ctx context.Context, actor sb.Actor, id int64) (*sb.ProvisioningKey, error) {
	out := &sb.ProvisioningKey{Key: randomKey()}
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		a, err := s.sipTarget(ctx, tx, actor, id)
		if sb.ErrorCode(err) == sb.ENOTFOUND {
			return notFound("account")
		}
		if err != nil {
			return err
		}
		if !canProvision(a) {
			return sb.Errorf(sb.EINVALID, "The account %s is not activated: it cannot provision a device.", a.Email)
		}
		now := s.now()
		out.Expires = now.Add(ProvisioningKeyTTL)
		if err := tx.ReprovisionAccount(ctx, a.ID, out.Key, out.Expires, now); err != nil {
			return err
		}
		return tx.Audit(ctx, now, actor.String(), "account.provisioning-key", "account:"+a.Email)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
