package service

import (
	"context"
	"encoding/xml"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/digest"
	"github.com/switchboard/switchboard/internal/profile"
	"github.com/switchboard/switchboard/internal/store"
)

// Provision serves the liblinphone remote-provisioning XML for a
// confirmation key: the base configuration (ProvisioningBase), plus, on the
// first fetch with a valid key, the account's proxy_0 and auth_info_0
// (never a clear password), marking it provisioned. Later fetches, unknown
// and expired keys get the base configuration only; with no base
// configuration they are ENOTFOUND.
func (s *Service) Provision(ctx context.Context, key string) ([]byte, error) {
	p, err := s.provisionAccount(ctx, key)
	if err != nil {
		return nil, err
	}
	if p == nil && s.provisioningBase == nil {
		return nil, sb.Errorf(sb.ENOTFOUND, "no provisioning for this key")
	}
	out, err := xml.MarshalIndent(profile.Linphone(s.provisioningBase, p), "", "  ")
	if err != nil {
		return nil, sb.Internal(err)
	}
	return append(append([]byte(xml.Header), out...), '\n'), nil
}

// provisionAccount consumes a confirmation key: the first fetch gets the
// account's credentials; later fetches, unknown and expired keys get nil.
func (s *Service) provisionAccount(ctx context.Context, key string) (*profile.LinphoneAccount, error) {
	if key == "" || len(key) > 128 {
		return nil, nil
	}
	var out *profile.LinphoneAccount
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		a, c, exp, err := tx.AccountByConfirmationKey(ctx, key)
		if sb.ErrorCode(err) == sb.ENOTFOUND {
			return nil
		}
		if err != nil {
			return err
		}
		now := s.now()
		if !exp.IsZero() && now.After(exp) || a.Provisioned || !a.Active {
			return nil
		}
		d, err := tx.DomainByID(ctx, a.DomainID)
		if err != nil {
			return err
		}
		p := &profile.LinphoneAccount{Username: a.Local, Domain: d.Name, Realm: d.Realm, HA1: c.HA1SHA256, Algorithm: digest.SHA256}
		if p.HA1 == "" {
			p.HA1, p.Algorithm = c.HA1MD5, digest.MD5
		}
		ok, err := tx.MarkProvisioned(ctx, a.ID, key, now)
		if err != nil || !ok {
			return err
		}
		out = p
		return tx.Audit(ctx, now, accountActor(a).String(), "account.provision", "account:"+a.Email)
	})
	return out, err
}
