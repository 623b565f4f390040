package service

import (
	"context"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/store"
)

// ListDomains streams the domains the actor may see: its own, or all for an
// operator.
func (s *Service) ListDomains(ctx context.Context, actor sb.Actor, page sb.Page, fn func(sb.Domain) error) error {
	if actor.AccountID != 0 {
		return sb.Errorf(sb.EFORBIDDEN, "a mailbox may not list domains")
	}
	if page.Limit < 0 || page.After < 0 {
		return sb.FieldError("limit", "limit and after must not be negative")
	}
	tenant := actor.TenantID
	if actor.IsOperator() {
		tenant = 0
	}
	return s.store.Read().EachDomain(ctx, tenant, page, fn)
}

// CreateDomainWithAccount creates a domain owned by the actor's tenant and
// its first account, in one transaction.
func (s *Service) CreateDomainWithAccount(ctx context.Context, actor sb.Actor, domain, email, password string) (*sb.Domain, *sb.Account, error) {
	if actor.AccountID != 0 || actor.TenantID == 0 {
		return nil, nil, sb.Errorf(sb.EFORBIDDEN, "only tenants may create domains")
	}
	name, err := NormalizeDomain("domain", domain)
	if err != nil {
		return nil, nil, err
	}
	local, emailDomain, err := NormalizeEmail("username", email)
	if err != nil {
		return nil, nil, err
	}
	if emailDomain != name {
		return nil, nil, sb.FieldError("username", "username must be an address in %s", name)
	}
	if err := CheckPassword("password", password, MinPasswordLen); err != nil {
		return nil, nil, err
	}
	creds, err := s.credentials(password, local, name, BothAlgorithms)
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	d := &sb.Domain{Name: name, TenantID: actor.TenantID, CreatedAt: now, UsersCount: 1, Realm: name}
	a := &sb.Account{Local: local, Email: local + "@" + name, Active: true, Activated: true, CreatedAt: now, UpdatedAt: now,
		Algorithms: BothAlgorithms}
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		if err := checkDomainClaim(ctx, tx, actor, name); err != nil {
			return err
		}
		if err := tx.CreateDomain(ctx, d); err != nil {
			if sb.ErrorCode(err) == sb.ECONFLICT {
				return &sb.Error{Code: sb.ECONFLICT, Field: "domain", Message: "domain " + name + " already exists"}
			}
			return err
		}
		a.DomainID = d.ID
		if err := tx.CreateAccount(ctx, a, creds); err != nil {
			return err
		}
		if err := tx.Audit(ctx, now, actor.String(), "domain.create", "domain:"+name); err != nil {
			return err
		}
		return tx.Audit(ctx, now, actor.String(), "account.create", "account:"+a.Email)
	})
	if err != nil {
		return nil, nil, err
	}
	return d, a, nil
}

// DeleteDomain deletes a domain of the actor and all its accounts in one
// transaction.
func (s *Service) DeleteDomain(ctx context.Context, actor sb.Actor, domain string) error {
	name, err := NormalizeDomain("domain", domain)
	if err != nil {
		return err
	}
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		d, err := tx.DomainByName(ctx, name)
		if sb.ErrorCode(err) == sb.ENOTFOUND || err == nil && !canSeeDomain(actor, d) {
			return notFound("domain")
		}
		if err != nil {
			return err
		}
		if err := tx.DeleteDomain(ctx, d.ID); err != nil {
			return err
		}
		return tx.Audit(ctx, s.now(), actor.String(), "domain.delete", "domain:"+name)
	})
	if err != nil {
		return err
	}
	s.discardMail(ctx, name, "")
	return nil
}
