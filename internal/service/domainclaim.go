package service

import (
	"context"
	"strings"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/store"
)

// checkDomainClaim refuses to create domain name (normalised) for actor when
// it lies under a domain of another tenant: a name belongs to whoever holds
// its nearest parent, the rule ownedDomainFor applies to certificates, so
// creating it would take over part of that tenant's namespace. Operators
// (and the system actor) may delegate a subdomain to anyone. Run it inside
// the transaction that creates the domain.
//
// Only the nearest parent counts: a subdomain an operator gave to tenant B
// is B's subtree, under which B may create and the owner of the parent may
// not. Existing subdomains do not stop a parent: when A creates a.test over
// B's sub.a.test, the nearest-parent rule still gives sub.a.test's names to
// B. The refusal names neither the parent nor its tenant.
func checkDomainClaim(ctx context.Context, tx *store.Tx, actor sb.Actor, name string) error {
	if actor.IsOperator() {
		return nil
	}
	parent, err := nearestParentDomain(ctx, tx, name)
	if err != nil || parent == nil || actor.CanManageDomain(parent) {
		return err
	}
	return &sb.Error{Code: sb.EFORBIDDEN, Field: "domain", Message: "domain " + name + " lies under a domain of another tenant"}
}

// nearestParentDomain returns the longest proper suffix of name held as a
// domain, or nil. Single labels are skipped: no domain is a bare TLD.
func nearestParentDomain(ctx context.Context, tx *store.Tx, name string) (*sb.Domain, error) {
	for {
		i := strings.IndexByte(name, '.')
		if i < 0 || !strings.Contains(name[i+1:], ".") {
			return nil, nil
		}
		name = name[i+1:]
		d, err := tx.DomainByName(ctx, name)
		if err == nil {
			return d, nil
		}
		if sb.ErrorCode(err) != sb.ENOTFOUND {
			return nil, err
		}
	}
}
