package service

import (
	"context"
	"strings"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/digest"
	"github.com/switchboard/switchboard/internal/store"
)

var _ sb.DeviceService = (*Service)(nil)

// ListDevices lists the account's live registrations, read from the
// registrar's location rows; expired ones are left out.
func (s *Service) ListDevices(ctx context.Context, actor sb.Actor, ref sb.AccountRef) ([]sb.Device, error) {
	var out []sb.Device
	err := s.store.ReadTx(ctx, func(tx *store.Tx) error {
		a, err := s.deviceAccount(ctx, tx, actor, ref)
		if err != nil {
			return err
		}
		bs, err := s.liveBindings(ctx, tx, a)
		if err != nil {
			return err
		}
		seen := map[string]int{}
		for _, b := range bs {
			d := sb.Device{UUID: sb.DeviceID(b.Instance, b.Contact), Contact: b.Contact, UserAgent: b.UserAgent,
				UpdatedAt: b.Modified, ExpiresAt: b.Expires, Push: sb.ContactPush(b.Contact)}
			// One device may hold several bindings (a re-registration
			// through another flow): the latest stands for it.
			if i, ok := seen[d.UUID]; ok {
				if !d.UpdatedAt.Before(out[i].UpdatedAt) {
					out[i] = d
				}
				continue
			}
			seen[d.UUID] = len(out)
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// DeleteDevice removes every binding of the device, expired ones too, in
// one transaction with the checks.
func (s *Service) DeleteDevice(ctx context.Context, actor sb.Actor, ref sb.AccountRef, uuid string) error {
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		a, err := s.deviceAccount(ctx, tx, actor, ref)
		if err != nil {
			return err
		}
		bs, err := tx.Bindings(ctx, a.Local, domainOf(a))
		if err != nil {
			return err
		}
		var ids []int64
		live := false
		for _, b := range bs {
			if sb.DeviceID(b.Instance, b.Contact) == uuid {
				ids = append(ids, b.ID)
				live = live || b.Expires.IsZero() || b.Expires.After(s.now())
			}
		}
		if !live {
			return notFound("device")
		}
		if err := tx.DeleteBindings(ctx, ids); err != nil {
			return err
		}
		return tx.Audit(ctx, s.now(), actor.String(), "device.delete", "account:"+a.Email)
	})
}

// liveBindings are the account's bindings that have not expired.
func (s *Service) liveBindings(ctx context.Context, tx *store.Tx, a *sb.Account) ([]store.Binding, error) {
	bs, err := tx.Bindings(ctx, a.Local, domainOf(a))
	if err != nil {
		return nil, err
	}
	now := s.now()
	live := bs[:0]
	for _, b := range bs {
		if b.Expires.IsZero() || b.Expires.After(now) {
			live = append(live, b)
		}
	}
	return live, nil
}

func domainOf(a *sb.Account) string { return a.Email[strings.LastIndexByte(a.Email, '@')+1:] }

// deviceAccount loads the account whose devices an actor names: an account
// actor reaches itself or, as an admin, the accounts of its domain (the SIP
// API's rule); a tenant the accounts of its domains. Anything else is not
// found.
func (s *Service) deviceAccount(ctx context.Context, tx *store.Tx, actor sb.Actor, ref sb.AccountRef) (*sb.Account, error) {
	id := ref.ID
	if ref.Email != "" {
		local, domain, err := NormalizeEmail("mail", ref.Email)
		if err != nil {
			return nil, err
		}
		a, _, err := tx.AccountByEmail(ctx, local+"@"+domain)
		if sb.ErrorCode(err) == sb.ENOTFOUND {
			return nil, notFound("account")
		}
		if err != nil {
			return nil, err
		}
		id = a.ID
	}
	if actor.IsMailbox() {
		a, err := s.sipTarget(ctx, tx, actor, id)
		if sb.ErrorCode(err) == sb.ENOTFOUND {
			return nil, notFound("account")
		}
		return a, err
	}
	a, err := tx.AccountByID(ctx, id)
	if sb.ErrorCode(err) == sb.ENOTFOUND {
		return nil, notFound("account")
	}
	if err != nil {
		return nil, err
	}
	if _, err := visibleDomain(ctx, tx, actor, a.DomainID); err != nil {
		return nil, notFound("account")
	}
	return a, nil
}

// SIPPlaneAlgorithm returns the digest algorithm the SIP plane (Kamailio)
// challenges with, "" when none is set.
func (s *Service) SIPPlaneAlgorithm(ctx context.Context) (string, error) {
	return s.store.Read().SIPPlaneAlgorithm(ctx)
}

// SetSIPPlaneAlgorithm records the one digest algorithm Kamailio challenges
// with ("" for none): from then on every password written through any
// surface also gets that algorithm's HA1. It returns how many active,
// activated accounts lack that HA1 now, and so cannot register until their
// password is set again. Operators and the command line only.
func (s *Service) SetSIPPlaneAlgorithm(ctx context.Context, actor sb.Actor, alg string) (missing int, err error) {
	if !actor.CanManageTenants() {
		return 0, sb.Errorf(sb.EFORBIDDEN, "only an operator may set the SIP plane's algorithm")
	}
	if alg != "" {
		if err := checkAlgorithm(alg); err != nil {
			return 0, err
		}
	}
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.SetSIPPlaneAlgorithm(ctx, alg); err != nil {
			return err
		}
		if alg != "" {
			if missing, err = tx.CountSIPAccountsWithoutHA1(ctx, alg); err != nil {
				return err
			}
		}
		object := alg
		if object == "" {
			object = "none"
		}
		return tx.Audit(ctx, s.now(), actor.String(), "sip.plane.algorithm", "algorithm:"+object)
	})
	return missing, err
}

// planeCredentials keeps, of the HA1s in all, those of the algorithms asked
// for and the SIP plane's, read in tx so that every instance agrees; it
// returns them with the algorithms kept, in MD5, SHA-256 order.
func planeCredentials(ctx context.Context, tx *store.Tx, all store.Credentials, algorithms []string) (store.Credentials, []string, error) {
	plane, err := tx.SIPPlaneAlgorithm(ctx)
	if err != nil {
		return store.Credentials{}, nil, err
	}
	c, algs := keepForPlane(all, algorithms, plane)
	return c, algs, nil
}

// keepForPlane is planeCredentials with the SIP plane's algorithm read.
func keepForPlane(all store.Credentials, algorithms []string, plane string) (store.Credentials, []string) {
	want := func(alg string) bool { return alg == plane || containsString(algorithms, alg) }
	c := store.Credentials{Hash: all.Hash}
	var algs []string
	if want(digest.MD5) {
		c.HA1MD5 = all.HA1MD5
		algs = append(algs, digest.MD5)
	}
	if want(digest.SHA256) {
		c.HA1SHA256 = all.HA1SHA256
		algs = append(algs, digest.SHA256)
	}
	return c, algs
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
