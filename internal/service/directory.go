package service

import (
	"context"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/store"
)

// Operations by name, for the JSON-RPC surface (tenants, domains and
// mailboxes named rather than numbered). The rules are the same as for the
// numbered operations: the same helpers decide what an actor may see.

// GetTenant returns a tenant: operators any, a tenant itself.
func (s *Service) GetTenant(ctx context.Context, actor sb.Actor, name string) (*sb.Tenant, error) {
	if !actor.CanManageTenant(name) {
		return nil, sb.Errorf(sb.EFORBIDDEN, "Access denied")
	}
	t, _, err := s.store.Read().TenantByName(ctx, name)
	if sb.ErrorCode(err) == sb.ENOTFOUND {
		return nil, notFound("account")
	}
	return t, err
}

// DeleteTenant deletes a tenant that holds no domains; operators only.
func (s *Service) DeleteTenant(ctx context.Context, actor sb.Actor, name string) error {
	if !actor.CanManageTenants() {
		return sb.Errorf(sb.EFORBIDDEN, "only operators may delete accounts")
	}
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		t, _, err := tx.TenantByName(ctx, name)
		if sb.ErrorCode(err) == sb.ENOTFOUND {
			return notFound("account")
		}
		if err != nil {
			return err
		}
		if t.ID == actor.TenantID {
			return sb.Errorf(sb.ECONFLICT, "an operator cannot delete itself")
		}
		n, err := tx.CountTenantDomains(ctx, t.ID)
		if err != nil {
			return err
		}
		if n > 0 {
			return sb.Errorf(sb.ECONFLICT, "account %s still holds %d domains: delete or move them first", name, n)
		}
		if err := tx.DeleteTenant(ctx, t.ID); err != nil {
			return err
		}
		return tx.Audit(ctx, s.now(), actor.String(), "tenant.delete", "tenant:"+name)
	})
}

// ListTenantDomains streams the domains of a named tenant: a tenant may
// name only itself, operators any tenant.
func (s *Service) ListTenantDomains(ctx context.Context, actor sb.Actor, tenant string, page sb.Page, fn func(sb.Domain) error) error {
	t, err := s.GetTenant(ctx, actor, tenant)
	if err != nil {
		return err
	}
	return s.store.Read().EachDomain(ctx, t.ID, page, fn)
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
				return sb.Errorf(sb.EFORBIDDEN, "Access denied")
			}
			t, _, err := tx.TenantByName(ctx, owner)
			if sb.ErrorCode(err) == sb.ENOTFOUND {
				return &sb.Error{Code: sb.ENOTFOUND, Field: "account", Message: "account not found"}
			}
			if err != nil {
				return err
			}
			d.TenantID, d.TenantName = t.ID, t.Name
		}
		if d.TenantID == 0 {
			return sb.FieldError("account", "account is required")
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
			return &sb.Error{Code: sb.ENOTFOUND, Field: "account", Message: "account not found"}
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

// visibleMailbox loads an account by address: tenants see the accounts of
// their domains, a mailbox only itself.
func visibleMailbox(ctx context.Context, tx *store.Tx, actor sb.Actor, email string) (*sb.Account, error) {
	local, domain, err := NormalizeEmail("mail", email)
	if err != nil {
		return nil, err
	}
	a, _, err := tx.AccountByEmail(ctx, local+"@"+domain)
	if sb.ErrorCode(err) == sb.ENOTFOUND {
		return nil, notFound("mail")
	}
	if err != nil {
		return nil, err
	}
	if actor.IsMailbox() {
		if a.ID != actor.AccountID {
			return nil, sb.Errorf(sb.EFORBIDDEN, "Access denied")
		}
		return a, nil
	}
	if _, err := visibleDomain(ctx, tx, actor, a.DomainID); err != nil {
		return nil, notFound("mail")
	}
	return a, nil
}

// GetMailbox returns an account by address.
func (s *Service) GetMailbox(ctx context.Context, actor sb.Actor, email string) (*sb.Account, error) {
	return visibleMailbox(ctx, s.store.Read(), actor, email)
}

// UpdateMailbox changes an account's password and/or active flag. A
// mailbox may change only its own password.
func (s *Service) UpdateMailbox(ctx context.Context, actor sb.Actor, email string, ch sb.MailboxChange) (*sb.Account, error) {
	if ch.Active != nil && actor.IsMailbox() {
		return nil, sb.Errorf(sb.EFORBIDDEN, "Access denied")
	}
	load := func(tx *store.Tx) (*sb.Account, *sb.Domain, error) {
		a, err := visibleMailbox(ctx, tx, actor, email)
		if err != nil {
			return nil, nil, err
		}
		d, err := tx.DomainByID(ctx, a.DomainID)
		return a, d, err
	}
	setActive := func(tx *store.Tx, a *sb.Account) error {
		if ch.Active == nil {
			return nil
		}
		return s.setAccountState(ctx, tx, actor, a, AccountState{Active: ch.Active})
	}
	if ch.Password != nil {
		return s.setPassword(ctx, actor, load, *ch.Password, BothAlgorithms, setActive)
	}
	var a *sb.Account
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if a, _, err = load(tx); err != nil {
			return err
		}
		return setActive(tx, a)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}
