package service

import (
	"context"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/store"
)

// ListDomains streams the domains the actor may see: its own, or all for an
// operator.
func (s *Service) ListDomains(ctx context.Context, actor sb.Actor, page sb.Page, fn func(sb.Domain) error) error {
	if actor.IsMailbox() {
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
	if !actor.IsTenant() {
		return nil, nil, sb.Errorf(sb.EFORBIDDEN, "only tenants may create domains")
	}
	name, err := NormalizeDomain("domain", domain)
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	d := &sb.Domain{Name: name, TenantID: actor.TenantID, TenantName: actor.TenantName, CreatedAt: now, Realm: name}
	out, err := s.createAccount(ctx, actor, NewAccount{Address: email, Field: "username", Password: password, Active: true, Activated: true},
		func(tx *store.Tx, write bool) (*sb.Domain, error) {
			if err := checkDomainClaim(ctx, tx, actor, name); err != nil || !write {
				return d, err
			}
			if err := tx.CreateDomain(ctx, d); err != nil {
				if sb.ErrorCode(err) == sb.ECONFLICT {
					return nil, &sb.Error{Code: sb.ECONFLICT, Field: "domain", Message: "domain " + name + " already exists"}
				}
				return nil, err
			}
			return d, tx.Audit(ctx, now, actor.String(), "domain.create", "domain:"+name)
		})
	if err != nil {
		return nil, nil, err
	}
	d.UsersCount = 1
	return d, out.Account, nil
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
		if sb.ErrorCode(err) == sb.ENOTFOUND || err == nil && !actor.CanManageDomain(d) {
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
