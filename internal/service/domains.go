package service

import (
	"context"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/store"
)

// ListDomains streams the domains of the named tenant (a tenant may name
// only itself, operators any tenant) or, for an empty name, the domains the
// actor may see: its own, or all for an operator.
func (s *Service) ListDomains(ctx context.Context, actor sb.Actor, tenant string, page sb.Page, fn func(sb.Domain) error) error {
	if page.Limit < 0 || page.After < 0 {
		return sb.FieldError("limit", "limit and after must not be negative")
	}
	id, err := s.domainsOf(ctx, actor, tenant)
	if err != nil {
		return err
	}
	return s.store.Read().EachDomain(ctx, id, page, fn)
}

// domainsOf resolves whose domains a list shows: the named tenant's (a
// tenant may name only itself), or for an empty name the actor's own, or
// every tenant's (0) for an operator.
func (s *Service) domainsOf(ctx context.Context, actor sb.Actor, tenant string) (int64, error) {
	if actor.IsMailbox() {
		return 0, sb.Errorf(sb.EFORBIDDEN, "a mailbox may not list domains")
	}
	switch {
	case tenant != "" && tenant == actor.TenantName && actor.TenantID != 0:
		// Oneself (JSON-RPC domain.list names the session's own tenant
		// by default): the actor was read with the session just now.
	case tenant != "":
		t, err := s.GetTenant(ctx, actor, tenant)
		if err != nil {
			return 0, err
		}
		return t.ID, nil
	case actor.IsOperator():
		return 0, nil
	}
	return actor.TenantID, nil
}

// CreateDomain creates a domain owned by in.Owner (empty: the actor's own
// tenant) and, when in.First is set, its first account, in one
// transaction.
func (s *Service) CreateDomain(ctx context.Context, actor sb.Actor, in sb.NewDomain) (*sb.Domain, *sb.Account, error) {
	if !actor.CanOwnDomains() {
		return nil, nil, sb.Errorf(sb.EFORBIDDEN, "only tenants may create domains")
	}
	name, err := NormalizeDomain("domain", in.Name)
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	// claim resolves the owner and checks the name is free to take; write
	// also inserts the domain. Both run again inside the transaction.
	claim := func(tx *store.Tx, write bool) (*sb.Domain, error) {
		d := &sb.Domain{Name: name, TenantID: actor.TenantID, TenantName: actor.TenantName, CreatedAt: now, Realm: name}
		if in.Owner != "" && in.Owner != actor.TenantName {
			if !actor.IsOperator() {
				return nil, sb.Errorf(sb.EFORBIDDEN, "only operators may create domains for another tenant")
			}
			t, _, err := tx.TenantByName(ctx, in.Owner)
			if sb.ErrorCode(err) == sb.ENOTFOUND {
				return nil, &sb.Error{Code: sb.ENOTFOUND, Field: "tenant", Message: "tenant not found"}
			}
			if err != nil {
				return nil, err
			}
			d.TenantID, d.TenantName = t.ID, t.Name
		}
		if d.TenantID == 0 {
			return nil, sb.FieldError("tenant", "tenant is required")
		}
		if err := checkDomainClaim(ctx, tx, actor, name); err != nil || !write {
			return d, err
		}
		t, err := lockTenant(ctx, tx, d.TenantID)
		if err != nil {
			return nil, err
		}
		if err := tx.CreateDomain(ctx, d); err != nil {
			if sb.ErrorCode(err) == sb.ECONFLICT {
				return nil, &sb.Error{Code: sb.ECONFLICT, Field: "domain", Message: "domain " + name + " already exists"}
			}
			return nil, err
		}
		if err := checkLimits(ctx, tx, t, limitDomains); err != nil {
			return nil, err
		}
		return d, tx.Audit(ctx, now, actor.String(), "domain.create", "domain:"+name)
	}
	if in.First == nil {
		var d *sb.Domain
		err := s.store.InTx(ctx, func(tx *store.Tx) (err error) {
			d, err = claim(tx, true)
			return err
		})
		if err != nil {
			return nil, nil, err
		}
		return d, nil, nil
	}
	var d *sb.Domain
	out, err := s.createAccount(ctx, actor, NewAccount{Address: in.First.Address, Field: "username", Password: in.First.Password, Active: true, Activated: true},
		func(tx *store.Tx, write bool) (_ *sb.Domain, err error) {
			d, err = claim(tx, write)
			return d, err
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
	return s.deleteDomain(ctx, actor, domain, "")
}

// deleteDomain deletes a domain of the actor that, when owner is not "",
// must belong to the tenant of that name (else it is not found).
func (s *Service) deleteDomain(ctx context.Context, actor sb.Actor, domain, owner string) error {
	name, err := NormalizeDomain("domain", domain)
	if err != nil {
		return err
	}
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		d, err := tx.DomainByName(ctx, name)
		if sb.ErrorCode(err) == sb.ENOTFOUND || err == nil && (!actor.CanManageDomain(d) || owner != "" && d.TenantName != owner) {
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
	return s.UpdateDomain(ctx, actor, domain, sb.DomainChange{Owner: &owner})
}

// UpdateDomain changes a domain's owner (operators only) and/or memo (its
// owner too) in one transaction.
func (s *Service) UpdateDomain(ctx context.Context, actor sb.Actor, domain string, ch sb.DomainChange) (*sb.Domain, error) {
	if ch.Owner != nil && !actor.CanManageTenants() {
		return nil, sb.Errorf(sb.EFORBIDDEN, "only operators may move domains")
	}
	if ch.Memo != nil {
		if actor.IsMailbox() {
			return nil, sb.Errorf(sb.EFORBIDDEN, "a mailbox may not change domains")
		}
		if err := checkMemo("memo", *ch.Memo); err != nil {
			return nil, err
		}
	}
	var d *sb.Domain
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if d, err = visibleDomainByName(ctx, tx, actor, domain); err != nil {
			return err
		}
		if ch.Owner != nil {
			t, _, err := tx.TenantByName(ctx, *ch.Owner)
			if sb.ErrorCode(err) == sb.ENOTFOUND {
				return &sb.Error{Code: sb.ENOTFOUND, Field: "tenant", Message: "tenant not found"}
			}
			if err != nil {
				return err
			}
			if t, err = lockTenant(ctx, tx, t.ID); err != nil {
				return err
			}
			if err := tx.SetDomainTenant(ctx, d.ID, t.ID); err != nil {
				return err
			}
			if err := checkLimits(ctx, tx, t, limitAll); err != nil {
				return err
			}
			d.TenantID, d.TenantName = t.ID, t.Name
			if err := tx.Audit(ctx, s.now(), actor.String(), "domain.move", "domain:"+d.Name+" to tenant:"+t.Name); err != nil {
				return err
			}
		}
		if ch.Memo != nil && *ch.Memo != d.Memo {
			if err := tx.SetDomainMemo(ctx, d.ID, *ch.Memo); err != nil {
				return err
			}
			d.Memo = *ch.Memo
			return tx.Audit(ctx, s.now(), actor.String(), "domain.memo", "domain:"+d.Name)
		}
		return nil
	})
	return d, err
}
