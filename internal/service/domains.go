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

// CreateDomain creates a domain without accounts, owned by the named tenant
// (empty: the actor's own); only operators may name another tenant.
func (s *Service) CreateDomain(ctx context.Context, actor sb.Actor, domain, owner string) (*sb.Domain, error) {
	if !actor.CanOwnDomains() {
		return nil, sb.Errorf(sb.EFORBIDDEN, "only tenants may create domains")
	}
	name, err := NormalizeDomain("domain", domain)
	if err != nil {
		return nil, err
	}
	d := &sb.Domain{Name: name, TenantID: actor.TenantID, TenantName: actor.TenantName, CreatedAt: s.now()}
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		if owner != "" && owner != actor.TenantName {
			if !actor.IsOperator() {
				return sb.Errorf(sb.EFORBIDDEN, "only operators may create domains for another tenant")
			}
			t, _, err := tx.TenantByName(ctx, owner)
			if sb.ErrorCode(err) == sb.ENOTFOUND {
				return &sb.Error{Code: sb.ENOTFOUND, Field: "tenant", Message: "tenant not found"}
			}
			if err != nil {
				return err
			}
			d.TenantID, d.TenantName = t.ID, t.Name
		}
		if d.TenantID == 0 {
			return sb.FieldError("tenant", "tenant is required")
		}
		if err := checkDomainClaim(ctx, tx, actor, name); err != nil {
			return err
		}
		if err := tx.CreateDomain(ctx, d); err != nil {
			if sb.ErrorCode(err) == sb.ECONFLICT {
				return &sb.Error{Code: sb.ECONFLICT, Field: "domain", Message: "domain " + name + " already exists"}
			}
			return err
		}
		return tx.Audit(ctx, d.CreatedAt, actor.String(), "domain.create", "domain:"+name)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// visibleDomainByName loads a domain by name for actor, hiding foreign ones.
func visibleDomainByName(ctx context.Context, tx *store.Tx, actor sb.Actor, domain string) (*sb.Domain, error) {
	name, err := NormalizeDomain("domain", domain)
	if err != nil {
		return nil, err
	}
	d, err := tx.DomainByName(ctx, name)
	if sb.ErrorCode(err) == sb.ENOTFOUND || err == nil && !actor.CanManageDomain(d) {
		return nil, notFound("domain")
	}
	return d, err
}

// resolveDomain loads the domain ref names for actor, hiding foreign ones.
func resolveDomain(ctx context.Context, tx *store.Tx, actor sb.Actor, ref sb.DomainRef) (*sb.Domain, error) {
	if ref.ID != 0 {
		return visibleDomain(ctx, tx, actor, ref.ID)
	}
	return visibleDomainByName(ctx, tx, actor, ref.Name)
}

// GetDomain returns a domain of the actor by name.
func (s *Service) GetDomain(ctx context.Context, actor sb.Actor, domain string) (*sb.Domain, error) {
	return visibleDomainByName(ctx, s.store.Read(), actor, domain)
}

// MoveDomain gives a domain to another tenant; operators only.
func (s *Service) MoveDomain(ctx context.Context, actor sb.Actor, domain, owner string) (*sb.Domain, error) {
	if !actor.CanManageTenants() {
		return nil, sb.Errorf(sb.EFORBIDDEN, "only operators may move domains")
	}
	var d *sb.Domain
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if d, err = visibleDomainByName(ctx, tx, actor, domain); err != nil {
			return err
		}
		t, _, err := tx.TenantByName(ctx, owner)
		if sb.ErrorCode(err) == sb.ENOTFOUND {
			return &sb.Error{Code: sb.ENOTFOUND, Field: "tenant", Message: "tenant not found"}
		}
		if err != nil {
			return err
		}
		if err := tx.SetDomainTenant(ctx, d.ID, t.ID); err != nil {
			return err
		}
		d.TenantID, d.TenantName = t.ID, t.Name
		return tx.Audit(ctx, s.now(), actor.String(), "domain.move", "domain:"+d.Name+" to tenant:"+t.Name)
	})
	return d, err
}
