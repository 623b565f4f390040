package service

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/store"
)

// MaxAliasDestinations bounds the addresses one alias forwards to.
const MaxAliasDestinations = 50

// ListAliases streams the aliases of a domain the actor may see.
func (s *Service) ListAliases(ctx context.Context, actor sb.Actor, ref sb.DomainRef, page sb.Page, fn func(sb.Alias) error) error {
	return s.listAliases(ctx, actor, func(tx *store.Tx) (*sb.Domain, error) {
		return resolveDomain(ctx, tx, actor, ref)
	}, page, fn)
}

func (s *Service) listAliases(ctx context.Context, actor sb.Actor, loadDomain func(*store.Tx) (*sb.Domain, error), page sb.Page, fn func(sb.Alias) error) error {
	if err := mayManageAliases(actor); err != nil {
		return err
	}
	if page.Limit < 0 || page.After < 0 {
		return sb.FieldError("limit", "limit and after must not be negative")
	}
	tx := s.store.Read()
	d, err := loadDomain(tx)
	if err != nil {
		return err
	}
	return tx.EachAlias(ctx, d.ID, page, fn)
}

// mayManageAliases refuses mailbox actors: aliases are the domain owner's.
func mayManageAliases(actor sb.Actor) error {
	if actor.IsMailbox() {
		return sb.Errorf(sb.EFORBIDDEN, "a mailbox may not manage aliases")
	}
	return nil
}

// CreateAlias creates an alias in a domain of the actor (the one ref
// names, or the address's own) that forwards to destinations, which may lie
// in any domain.
func (s *Service) CreateAlias(ctx context.Context, actor sb.Actor, ref sb.DomainRef, address string, destinations []string) (*sb.Alias, error) {
	if ref == (sb.DomainRef{}) {
		_, domain, err := NormalizeEmail("address", address)
		if err != nil {
			return nil, err
		}
		ref.Name = domain
	}
	return s.createAlias(ctx, actor, func(tx *store.Tx) (*sb.Domain, error) {
		return resolveDomain(ctx, tx, actor, ref)
	}, address, destinations)
}

// createAlias validates and creates an alias in the domain that loadDomain
// finds (and authorises) for the actor, all in one transaction.
func (s *Service) createAlias(ctx context.Context, actor sb.Actor, loadDomain func(*store.Tx) (*sb.Domain, error), address string, destinations []string) (*sb.Alias, error) {
	if err := mayManageAliases(actor); err != nil {
		return nil, err
	}
	var a *sb.Alias
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		d, err := loadDomain(tx)
		if err != nil {
			return err
		}
		a, err = newAlias(d, address, destinations, s.now())
		if err != nil {
			return err
		}
		return s.insertAlias(ctx, tx, actor, a)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// newAlias validates an alias of domain d: its address must lie in d, its
// destinations be 1 to MaxAliasDestinations valid addresses other than
// itself. Duplicates are dropped.
func newAlias(d *sb.Domain, address string, destinations []string, now time.Time) (*sb.Alias, error) {
	local, domain, err := NormalizeEmail("address", address)
	if err != nil {
		return nil, err
	}
	if domain != d.Name {
		return nil, sb.FieldError("address", "address must be an address in %s", d.Name)
	}
	email := local + "@" + domain
	switch {
	case len(destinations) == 0:
		return nil, sb.FieldError("goto", "goto is required: one or more addresses to forward to")
	case len(destinations) > MaxAliasDestinations:
		return nil, sb.FieldError("goto", "goto may hold at most %d addresses", MaxAliasDestinations)
	}
	dests := make([]string, 0, len(destinations))
	for _, dest := range destinations {
		l, dom, err := NormalizeEmail("goto", dest)
		if err != nil {
			return nil, err
		}
		dest = l + "@" + dom
		if dest == email {
			return nil, sb.FieldError("goto", "goto %q is the alias itself", dest)
		}
		if !slices.Contains(dests, dest) {
			dests = append(dests, dest)
		}
	}
	return &sb.Alias{DomainID: d.ID, Local: local, Email: email, Destinations: dests, CreatedAt: now}, nil
}

// insertAlias stores a validated alias with its audit row.
func (s *Service) insertAlias(ctx context.Context, tx *store.Tx, actor sb.Actor, a *sb.Alias) error {
	if err := tx.CreateAlias(ctx, a); err != nil {
		if sb.ErrorCode(err) == sb.ECONFLICT && !errors.Is(err, store.ErrAddressIsMailbox) {
			return &sb.Error{Code: sb.ECONFLICT, Field: "address", Message: "alias " + a.Email + " already exists", Err: err}
		}
		return err
	}
	return tx.Audit(ctx, s.now(), actor.String(), "alias.create", "alias:"+a.Email)
}

// DeleteAlias deletes an alias of the actor by address.
func (s *Service) DeleteAlias(ctx context.Context, actor sb.Actor, address string) error {
	if err := mayManageAliases(actor); err != nil {
		return err
	}
	local, domain, err := NormalizeEmail("address", address)
	if err != nil {
		return err
	}
	email := local + "@" + domain
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		a, err := tx.AliasByEmail(ctx, email)
		if sb.ErrorCode(err) == sb.ENOTFOUND {
			return notFound("alias")
		}
		if err != nil {
			return err
		}
		if _, err := visibleDomain(ctx, tx, actor, a.DomainID); err != nil {
			return notFound("alias")
		}
		if err := tx.DeleteAlias(ctx, a.ID); err != nil {
			return err
		}
		return tx.Audit(ctx, s.now(), actor.String(), "alias.delete", "alias:"+email)
	})
}

// forgetMailbox drops a deleted mailbox from the aliases that forward to
// it, in the delete's transaction: its domain is still hosted here, so mail
// for it could only bounce. (A deleted domain's addresses stay: the domain
// may now be hosted elsewhere.) Only the aliases of the tenant owning the
// mailbox's domain change; see forgetMailboxOf.
func (s *Service) forgetMailbox(ctx context.Context, tx *store.Tx, actor sb.Actor, addr string) error {
	at := strings.LastIndexByte(addr, '@')
	d, err := tx.DomainByName(ctx, addr[at+1:])
	if err != nil {
		return err
	}
	return s.forgetMailboxOf(ctx, tx, actor, d.TenantID, addr)
}

// forgetMailboxOf drops addr from the aliases of tenant tenantID's domains,
// auditing each change. Another tenant's alias to addr is left as it is: to
// that tenant it is an outside destination, and this tenant's delete must
// neither edit it nor reveal it in the audit log.
func (s *Service) forgetMailboxOf(ctx context.Context, tx *store.Tx, actor sb.Actor, tenantID int64, addr string) error {
	changed, deleted, err := tx.DropAliasDestinations(ctx, tenantID, "%"+addr+"%", func(d string) bool { return d == addr })
	if err != nil {
		return err
	}
	for _, a := range changed {
		if err := tx.Audit(ctx, s.now(), actor.String(), "alias.update", "alias:"+a); err != nil {
			return err
		}
	}
	for _, a := range deleted {
		if err := tx.Audit(ctx, s.now(), actor.String(), "alias.delete", "alias:"+a); err != nil {
			return err
		}
	}
	// The same for the forwards of the tenant's mailboxes (mailbox.org's
	// mail.set forwards).
	fwd, err := tx.DropForwardTarget(ctx, tenantID, addr, "%"+addr+"%", s.now())
	if err != nil {
		return err
	}
	for _, a := range fwd {
		if err := tx.Audit(ctx, s.now(), actor.String(), "account.profile", "account:"+a); err != nil {
			return err
		}
	}
	return nil
}
