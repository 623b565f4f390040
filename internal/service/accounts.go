package service

import (
	"context"
	"math"
	"strings"
	"unicode/utf8"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/store"
)

// ListAccounts streams the accounts of a domain the actor may see.
func (s *Service) ListAccounts(ctx context.Context, actor sb.Actor, ref sb.DomainRef, page sb.Page, fn func(sb.Account) error) error {
	tx, d, err := s.accountList(ctx, actor, ref, page)
	if err != nil {
		return err
	}
	return tx.EachAccount(ctx, d.ID, page, fn)
}

// ListMailboxUsage streams, as ListAccounts does, the address, quota and
// use of each mailbox of a domain the actor may see.
func (s *Service) ListMailboxUsage(ctx context.Context, actor sb.Actor, ref sb.DomainRef, page sb.Page, fn func(sb.MailboxUsage) error) error {
	tx, d, err := s.accountList(ctx, actor, ref, page)
	if err != nil {
		return err
	}
	return tx.EachMailboxUsage(ctx, d.ID, page, fn)
}

// accountList checks a page of a domain's accounts and finds the domain
// for the actor.
func (s *Service) accountList(ctx context.Context, actor sb.Actor, ref sb.DomainRef, page sb.Page) (*store.Tx, *sb.Domain, error) {
	if page.Limit < 0 || page.After < 0 {
		return nil, nil, sb.FieldError("limit", "limit and after must not be negative")
	}
	tx := s.store.Read()
	d, err := resolveDomain(ctx, tx, actor, ref)
	if err != nil {
		return nil, nil, err
	}
	return tx, d, nil
}

// SetAccountPassword changes the password of an account in a domain of the
// actor.
func (s *Service) SetAccountPassword(ctx context.Context, actor sb.Actor, domainID, accountID int64, password string) error {
	_, err := s.setPassword(ctx, actor, func(tx *store.Tx) (*sb.Account, *sb.Domain, error) {
		return s.accountInDomain(ctx, tx, actor, domainID, accountID)
	}, password, BothAlgorithms, nil)
	return err
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

// DeleteAccount deletes an account of the actor by address; a mailbox may
// not delete accounts, not even itself.
func (s *Service) DeleteAccount(ctx context.Context, actor sb.Actor, email string) error {
	if actor.IsMailbox() {
		return sb.Errorf(sb.EFORBIDDEN, "a mailbox may not delete accounts")
	}
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
		return s.deleteAccount(ctx, tx, actor, a)
	})
	if err != nil {
		return err
	}
	s.discardMail(ctx, domain, local)
	return nil
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
			return nil, sb.Errorf(sb.EFORBIDDEN, "a mailbox may see only itself")
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

// UpdateMailbox changes an account's password, active flag and profile
// (names, forwarding, aliases) in one transaction. A mailbox may change
// its own password, names and forwarding, but neither its switch nor its
// aliases.
func (s *Service) UpdateMailbox(ctx context.Context, actor sb.Actor, email string, ch sb.MailboxChange) (*sb.Account, error) {
	if ch.Active != nil && actor.IsMailbox() {
		return nil, sb.Errorf(sb.EFORBIDDEN, "a mailbox may not switch itself on or off")
	}
	if err := checkMailboxChange(actor, &ch); err != nil {
		return nil, err
	}
	if err := checkQuotaChange(actor, ch.Quota); err != nil {
		return nil, err
	}
	load := func(tx *store.Tx) (*sb.Account, *sb.Domain, error) {
		a, err := visibleMailbox(ctx, tx, actor, email)
		if err != nil {
			return nil, nil, err
		}
		d, err := tx.DomainByID(ctx, a.DomainID)
		if err == nil {
			err = lockForQuota(ctx, tx, d, ch.Quota)
		}
		return a, d, err
	}
	apply := func(tx *store.Tx, a *sb.Account) error {
		if err := s.changeQuota(ctx, tx, actor, a, ch.Quota); err != nil {
			return err
		}
		if ch.Active != nil {
			if err := s.setAccountState(ctx, tx, actor, a, AccountState{Active: ch.Active}); err != nil {
				return err
			}
		}
		return s.applyMailboxProfile(ctx, tx, actor, a, ch)
	}
	if ch.Password != nil {
		return s.setPassword(ctx, actor, load, *ch.Password, BothAlgorithms, apply)
	}
	var a *sb.Account
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if a, _, err = load(tx); err != nil {
			return err
		}
		return apply(tx, a)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// CreateAccountCLI makes an account from the command line (the first admin
// of a fresh install): the domain must exist.
func (s *Service) CreateAccountCLI(ctx context.Context, actor sb.Actor, email, password, algorithm string, admin bool) (*sb.Account, error) {
	if !actor.System {
		return nil, sb.Errorf(sb.EFORBIDDEN, "only the server's administrator may create accounts from the command line")
	}
	_, domain, err := NormalizeEmail("email", email)
	if err != nil {
		return nil, err
	}
	var algs []string
	if algorithm != "" {
		algs = []string{algorithm}
	}
	out, err := s.createAccount(ctx, actor, NewAccount{Address: email, Password: password, Algorithms: algs,
		Active: true, Activated: true, Admin: admin},
		func(tx *store.Tx, _ bool) (*sb.Domain, error) {
			d, err := tx.DomainByName(ctx, domain)
			if sb.ErrorCode(err) == sb.ENOTFOUND {
				return nil, sb.Errorf(sb.ENOTFOUND, "domain %s does not exist: create it first (POST /domains or domain.add)", domain)
			}
			return d, err
		})
	if err != nil {
		return nil, err
	}
	return out.Account, nil
}

// SetAccountAdmin makes an account an admin of its domain, or (admin
// false) no longer one (command line).
func (s *Service) SetAccountAdmin(ctx context.Context, actor sb.Actor, email string, admin bool) error {
	if !actor.System {
		return sb.Errorf(sb.EFORBIDDEN, "only the server's administrator may make admins")
	}
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		a, err := accountByAddress(ctx, tx, email)
		if err != nil {
			return err
		}
		return s.setAccountState(ctx, tx, actor, a, AccountState{Admin: &admin})
	})
}

// SetAccountPasswordCLI sets an account's password from the command line,
// with the SIP HA1 of one digest algorithm ("": MD5 and SHA-256); like
// every password change it ends the account's other logins.
func (s *Service) SetAccountPasswordCLI(ctx context.Context, actor sb.Actor, email, password, algorithm string) (*sb.Account, error) {
	if !actor.System {
		return nil, sb.Errorf(sb.EFORBIDDEN, "only the server's administrator may set passwords from the command line")
	}
	algs := BothAlgorithms
	if algorithm != "" {
		if err := checkAlgorithm(algorithm); err != nil {
			return nil, err
		}
		algs = []string{algorithm}
	}
	return s.setPassword(ctx, actor, func(tx *store.Tx) (*sb.Account, *sb.Domain, error) {
		a, err := accountByAddress(ctx, tx, email)
		if err != nil {
			return nil, nil, err
		}
		d, err := tx.DomainByID(ctx, a.DomainID)
		return a, d, err
	}, password, algs, nil)
}

// accountByAddress loads an account by its normalised address, for the
// command line.
func accountByAddress(ctx context.Context, tx *store.Tx, email string) (*sb.Account, error) {
	local, domain, err := NormalizeEmail("email", email)
	if err != nil {
		return nil, err
	}
	a, _, err := tx.AccountByEmail(ctx, local+"@"+domain)
	if sb.ErrorCode(err) == sb.ENOTFOUND {
		return nil, sb.Errorf(sb.ENOTFOUND, "account %s not found", local+"@"+domain)
	}
	return a, err
}

// SearchAccounts lists one page of the accounts of a domain the actor may
// see, in local-part order, those whose local part starts with q.Prefix.
// The prefix is taken as an address would be: trimmed, lower-cased, and
// cut at an '@'.
func (s *Service) SearchAccounts(ctx context.Context, actor sb.Actor, ref sb.DomainRef, q sb.AccountQuery, fn func(sb.Account) error) error {
	if q.Limit < 1 || q.Limit > sb.MaxAccountQuery {
		return sb.FieldError("limit", "limit must be between 1 and %d", sb.MaxAccountQuery)
	}
	prefix := strings.ToLower(strings.TrimSpace(q.Prefix))
	if i := strings.IndexByte(prefix, '@'); i >= 0 {
		prefix = prefix[:i]
	}
	if len(prefix) > 64 || len(q.After) > 64 || !utf8.ValidString(prefix) || !utf8.ValidString(q.After) {
		return sb.FieldError("q", "search for the start of a local part (at most 64 bytes)")
	}
	tx := s.store.Read()
	d, err := resolveDomain(ctx, tx, actor, ref)
	if err != nil {
		return err
	}
	sq := store.AccountSearch{DomainID: d.ID, Field: store.SearchUsername, Prefix: prefix, Limit: q.Limit}
	if q.After != "" {
		// Local parts are unique in a domain: the page goes on after the
		// cursor's local part, whatever its id.
		sq.Key, sq.ID = q.After, math.MaxInt64
	}
	page, err := tx.SearchAccounts(ctx, sq)
	if err != nil {
		return err
	}
	for _, a := range page {
		if err := fn(a); err != nil {
			return err
		}
	}
	return nil
}
