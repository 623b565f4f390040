package service

import (
	"context"
	"errors"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/store"
)

// ListAccounts streams the accounts of a domain the actor may see.
func (s *Service) ListAccounts(ctx context.Context, actor sb.Actor, domainID int64, page sb.Page, fn func(sb.Account) error) error {
	if page.Limit < 0 || page.After < 0 {
		return sb.FieldError("limit", "limit and after must not be negative")
	}
	tx := s.store.Read()
	if _, err := visibleDomain(ctx, tx, actor, domainID); err != nil {
		return err
	}
	return tx.EachAccount(ctx, domainID, page, fn)
}

// CreateAccount creates an account in a domain of the actor.
func (s *Service) CreateAccount(ctx context.Context, actor sb.Actor, domainID int64, email, password string) (*sb.Account, error) {
	return s.createAccount(ctx, actor, func(tx *store.Tx) (*sb.Domain, error) {
		return visibleDomain(ctx, tx, actor, domainID)
	}, email, password, true)
}

// createAccount validates and creates an account in the domain that
// loadDomain finds (and authorises) for the actor.
func (s *Service) createAccount(ctx context.Context, actor sb.Actor, loadDomain func(*store.Tx) (*sb.Domain, error), email, password string, active bool) (*sb.Account, error) {
	local, emailDomain, err := NormalizeEmail("email", email)
	if err != nil {
		return nil, err
	}
	if err := CheckPassword("password", password, MinPasswordLen); err != nil {
		return nil, err
	}
	// Check the domain before the slow hash, so refusals stay cheap.
	d, err := loadDomain(s.store.Read())
	if err != nil {
		return nil, err
	}
	if emailDomain != d.Name {
		return nil, sb.FieldError("email", "email must be an address in %s", d.Name)
	}
	creds, err := s.credentials(password, local, d.Realm, BothAlgorithms)
	if err != nil {
		return nil, err
	}
	now := s.now()
	a := &sb.Account{DomainID: d.ID, Local: local, Email: local + "@" + d.Name, Active: active, Activated: true,
		CreatedAt: now, UpdatedAt: now, Algorithms: BothAlgorithms}
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		// Again inside the transaction: the domain may have gone meanwhile.
		if _, err := loadDomain(tx); err != nil {
			return err
		}
		if err := tx.CreateAccount(ctx, a, creds); err != nil {
			if sb.ErrorCode(err) == sb.ECONFLICT && !errors.Is(err, store.ErrAddressIsAlias) {
				return &sb.Error{Code: sb.ECONFLICT, Field: "email", Message: "account " + a.Email + " already exists"}
			}
			return err
		}
		return tx.Audit(ctx, now, actor.String(), "account.create", "account:"+a.Email)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// SetAccountPassword changes the password of an account in a domain of the
// actor.
func (s *Service) SetAccountPassword(ctx context.Context, actor sb.Actor, domainID, accountID int64, password string) error {
	if err := CheckPassword("password", password, MinPasswordLen); err != nil {
		return err
	}
	a, d, err := s.accountInDomain(ctx, s.store.Read(), actor, domainID, accountID)
	if err != nil {
		return err
	}
	creds, err := s.credentials(password, a.Local, d.Realm, BothAlgorithms)
	if err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		a, _, err := s.accountInDomain(ctx, tx, actor, domainID, accountID)
		if err != nil {
			return err
		}
		now := s.now()
		if err := tx.SetAccountPassword(ctx, a.ID, creds, now); err != nil {
			return err
		}
		return tx.Audit(ctx, now, actor.String(), "account.passwd", "account:"+a.Email)
	})
}

// accountInDomain loads an account that must belong to a domain the actor
// may see, and the domain.
func (s *Service) accountInDomain(ctx context.Context, tx *store.Tx, actor sb.Actor, domainID, accountID int64) (*sb.Account, *sb.Domain, error) {
	d, err := visibleDomain(ctx, tx, actor, domainID)
	if err != nil {
		return nil, nil, err
	}
	a, err := tx.AccountByID(ctx, accountID)
	if sb.ErrorCode(err) == sb.ENOTFOUND || err == nil && a.DomainID != domainID {
		return nil, nil, notFound("user")
	}
	return a, d, err
}

// DeleteAccount deletes an account of the actor by address.
func (s *Service) DeleteAccount(ctx context.Context, actor sb.Actor, email string) error {
	local, domain, err := NormalizeEmail("email", email)
	if err != nil {
		return err
	}
	addr := local + "@" + domain
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		a, _, err := tx.AccountByEmail(ctx, addr)
		if sb.ErrorCode(err) == sb.ENOTFOUND {
			return notFound("user")
		}
		if err != nil {
			return err
		}
		if _, err := visibleDomain(ctx, tx, actor, a.DomainID); err != nil {
			return notFound("user")
		}
		if err := tx.DeleteAccount(ctx, a.ID); err != nil {
			return err
		}
		if err := s.forgetMailbox(ctx, tx, actor, addr); err != nil {
			return err
		}
		return tx.Audit(ctx, s.now(), actor.String(), "account.delete", "account:"+addr)
	})
	if err != nil {
		return err
	}
	s.discardMail(ctx, domain, local)
	return nil
}
