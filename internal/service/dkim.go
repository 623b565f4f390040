package service

import (
	"context"
	"fmt"
	"strings"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/dkim"
	"github.com/switchboard/switchboard/internal/store"
)

func dkimPurpose(domain, selector string) string { return "dkim:" + domain + ":" + selector }

// checkSelector validates a DKIM selector: dot-separated DNS labels.
func checkSelector(selector string) (string, error) {
	s := strings.ToLower(strings.TrimSpace(selector))
	if s == "" || len(s) > 63 {
		return "", sb.FieldError("selector", "selector must be 1 to 63 characters")
	}
	for _, l := range strings.Split(s, ".") {
		if !validLabel(l) {
			return "", sb.FieldError("selector", "selector %q is not a valid DNS label", selector)
		}
	}
	return s, nil
}

// checkDKIMAlgorithm validates a DKIM key algorithm and returns it in lower
// case.
func checkDKIMAlgorithm(algorithm string) (string, error) {
	alg := strings.ToLower(strings.TrimSpace(algorithm))
	if alg != dkim.RSA && alg != dkim.Ed25519 {
		return "", sb.FieldError("algorithm", "algorithm must be %q or %q", dkim.RSA, dkim.Ed25519)
	}
	return alg, nil
}

// AddDKIMKey makes a new DKIM key for a domain of the actor. The selector
// defaults to "s" + today's date, the algorithm to RSA 2048. A domain's first
// key is active at once; later ones wait for ActivateDKIMKey (rotation).
func (s *Service) AddDKIMKey(ctx context.Context, actor sb.Actor, domain, selector, algorithm string) (*sb.NewDKIM, error) {
	if selector == "" {
		selector = "s" + s.now().UTC().Format("20060102")
	}
	sel, err := checkSelector(selector)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(algorithm) == "" {
		algorithm = dkim.RSA
	}
	alg, err := checkDKIMAlgorithm(algorithm)
	if err != nil {
		return nil, err
	}
	d, err := visibleDomainByName(ctx, s.store.Read(), actor, domain)
	if err != nil {
		return nil, err
	}
	key, err := dkim.Generate(alg)
	if err != nil {
		return nil, sb.Internal(fmt.Errorf("generate DKIM key: %w", err))
	}
	sealed, err := s.seal.Seal(dkimPurpose(d.Name, sel), key.PrivatePEM)
	if err != nil {
		return nil, sb.Internal(err)
	}
	k := sb.DKIMKey{DomainID: d.ID, Domain: d.Name, Selector: sel, Algorithm: alg, Public: key.Public, CreatedAt: s.now()}
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		if _, err := visibleDomain(ctx, tx, actor, d.ID); err != nil {
			return err
		}
		existing, err := tx.DKIMKeys(ctx, d.ID)
		if err != nil {
			return err
		}
		k.Active = len(existing) == 0
		if err := tx.CreateDKIMKey(ctx, &k, sealed); err != nil {
			if sb.ErrorCode(err) == sb.ECONFLICT {
				return &sb.Error{Code: sb.ECONFLICT, Field: "selector", Message: "selector " + sel + " already exists for " + d.Name}
			}
			return err
		}
		return tx.Audit(ctx, k.CreatedAt, actor.String(), "dkim.create", "dkim:"+sel+"._domainkey."+d.Name)
	})
	if err != nil {
		return nil, err
	}
	return &sb.NewDKIM{Key: k, DNSName: dkim.DNSName(sel, d.Name), DNSValue: dkim.DNSValue(alg, key.Public)}, nil
}

// ListDKIMKeys lists a domain's keys and which is active.
func (s *Service) ListDKIMKeys(ctx context.Context, actor sb.Actor, domain string) ([]sb.DKIMKey, error) {
	tx := s.store.Read()
	d, err := visibleDomainByName(ctx, tx, actor, domain)
	if err != nil {
		return nil, err
	}
	return tx.DKIMKeys(ctx, d.ID)
}

// ActivateDKIMKey makes a selector the domain's signing key.
func (s *Service) ActivateDKIMKey(ctx context.Context, actor sb.Actor, domain, selector string) error {
	sel, err := checkSelector(selector)
	if err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		d, err := visibleDomainByName(ctx, tx, actor, domain)
		if err != nil {
			return err
		}
		if err := tx.ActivateDKIMKey(ctx, d.ID, sel); err != nil {
			return err
		}
		return tx.Audit(ctx, s.now(), actor.String(), "dkim.activate", "dkim:"+sel+"._domainkey."+d.Name)
	})
}

// DeleteDKIMKey retires a key. The active key cannot be deleted while the
// domain holds others: activate the successor first.
func (s *Service) DeleteDKIMKey(ctx context.Context, actor sb.Actor, domain, selector string) error {
	sel, err := checkSelector(selector)
	if err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		d, err := visibleDomainByName(ctx, tx, actor, domain)
		if err != nil {
			return err
		}
		k, _, err := tx.DKIMKey(ctx, d.ID, sel)
		if err != nil {
			return err
		}
		if k.Active {
			all, err := tx.DKIMKeys(ctx, d.ID)
			if err != nil {
				return err
			}
			if len(all) > 1 {
				return sb.Errorf(sb.ECONFLICT, "selector %s is the active key: activate another key first", sel)
			}
		}
		if err := tx.DeleteDKIMKey(ctx, d.ID, sel); err != nil {
			return err
		}
		return tx.Audit(ctx, s.now(), actor.String(), "dkim.delete", "dkim:"+sel+"._domainkey."+d.Name)
	})
}

// DKIMPrivateKey returns the private key of a selector, for signing and
// export; never for an API answer.
func (s *Service) DKIMPrivateKey(ctx context.Context, actor sb.Actor, domain, selector string) ([]byte, error) {
	tx := s.store.Read()
	d, err := visibleDomainByName(ctx, tx, actor, domain)
	if err != nil {
		return nil, err
	}
	_, sealed, err := tx.DKIMKey(ctx, d.ID, selector)
	if err != nil {
		return nil, err
	}
	return s.openSealed(dkimPurpose(d.Name, selector), sealed)
}

func (s *Service) openSealed(purpose, sealed string) ([]byte, error) {
	p, err := s.seal.Open(purpose, sealed)
	if err != nil {
		return nil, sb.Internal(fmt.Errorf("open %s: %w", purpose, err))
	}
	return p, nil
}

// ActiveDKIMKey returns the selector and private key a domain signs its
// outgoing mail with, for the signing milter; ENOTFOUND when the domain is
// unknown or has no active key.
func (s *Service) ActiveDKIMKey(ctx context.Context, domain string) (string, []byte, error) {
	tx := s.store.Read()
	d, err := tx.DomainByName(ctx, domain)
	if err != nil {
		return "", nil, err
	}
	keys, err := tx.DKIMKeys(ctx, d.ID)
	if err != nil {
		return "", nil, err
	}
	for _, k := range keys {
		if !k.Active {
			continue
		}
		_, sealed, err := tx.DKIMKey(ctx, d.ID, k.Selector)
		if err != nil {
			return "", nil, err
		}
		key, err := s.openSealed(dkimPurpose(d.Name, k.Selector), sealed)
		return k.Selector, key, err
	}
	return "", nil, notFound("active DKIM key")
}
