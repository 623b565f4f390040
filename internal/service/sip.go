package service

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/digest"
	"github.com/switchboard/switchboard/internal/store"
)

// SIP account rules, as the flexisip account manager documents them (its
// 6-character password minimum is MinPasswordFloor).
const (
	MinSIPUsernameLen = 6
	NonceTTL          = 5 * time.Minute
)

// PublicSIPAccount looks an account up by SIP address, for the public info
// endpoint.
func (s *Service) PublicSIPAccount(ctx context.Context, sip string) (*sb.Account, error) {
	local, domain, err := ParseSIPAddress("sip", sip)
	if err != nil {
		return nil, notFound("account")
	}
	a, _, err := s.store.Read().AccountByEmail(ctx, local+"@"+domain)
	if sb.ErrorCode(err) == sb.ENOTFOUND {
		return nil, notFound("account")
	}
	return a, err
}

// SIPAccount reloads the actor's own account.
func (s *Service) SIPAccount(ctx context.Context, actor sb.Actor) (*sb.Account, error) {
	a, err := s.store.Read().AccountByID(ctx, actor.AccountID)
	if sb.ErrorCode(err) == sb.ENOTFOUND {
		return nil, notFound("account")
	}
	return a, err
}

// DeleteSIPAccount lets an admin delete an account of its domain by id;
// the admin's rights and the target are checked in the transaction that
// deletes.
func (s *Service) DeleteSIPAccount(ctx context.Context, actor sb.Actor, id int64) error {
	return s.deleteSIPAccount(ctx, actor, func(tx *store.Tx) (*sb.Account, error) {
		if _, err := s.sipAdmin(ctx, tx, actor); err != nil {
			return nil, err
		}
		return s.sipTarget(ctx, tx, actor, id)
	})
}

// DeleteOwnSIPAccount deletes the actor's own account.
func (s *Service) DeleteOwnSIPAccount(ctx context.Context, actor sb.Actor) error {
	return s.deleteSIPAccount(ctx, actor, func(tx *store.Tx) (*sb.Account, error) {
		return s.sipTarget(ctx, tx, actor, actor.AccountID)
	})
}

// DeleteOwnAccount deletes the actor's own account once its current
// password is checked (the one mailbox check and its rate limit).
func (s *Service) DeleteOwnAccount(ctx context.Context, actor sb.Actor, password, ip string) error {
	if !actor.IsMailbox() {
		return notFound("account")
	}
	if err := s.checkOwnPassword(ctx, actor, "password", password, ip); err != nil {
		return err
	}
	return s.DeleteOwnSIPAccount(ctx, actor)
}

func (s *Service) deleteSIPAccount(ctx context.Context, actor sb.Actor, target func(*store.Tx) (*sb.Account, error)) error {
	var a *sb.Account
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if a, err = target(tx); err != nil {
			return err
		}
		return s.deleteAccount(ctx, tx, actor, a)
	})
	if err != nil {
		return err
	}
	s.discardMail(ctx, a.Email[strings.LastIndexByte(a.Email, '@')+1:], a.Local)
	return nil
}

// sipTarget loads the account an operation names: the actor itself, or for
// an admin an account of the same domain (others do not exist for it).
func (s *Service) sipTarget(ctx context.Context, tx *store.Tx, actor sb.Actor, id int64) (*sb.Account, error) {
	if actor.AccountID == 0 {
		return nil, errNotAdmin
	}
	if id == actor.AccountID {
		return tx.AccountByID(ctx, id)
	}
	admin, err := s.sipAdmin(ctx, tx, actor)
	if err != nil {
		return nil, err
	}
	a, err := tx.AccountByID(ctx, id)
	if sb.ErrorCode(err) == sb.ENOTFOUND || err == nil && a.DomainID != admin.DomainID {
		return nil, notFound("account")
	}
	return a, err
}

// errNotAdmin refuses an operation that needs an administrator of the
// domain.
var errNotAdmin = &sb.Error{Code: sb.EFORBIDDEN, Message: "only an administrator of the domain may do this", Err: sb.ErrNotPermitted}

// sipAdmin loads the actor's account and checks that it is an admin.
func (s *Service) sipAdmin(ctx context.Context, tx *store.Tx, actor sb.Actor) (*sb.Account, error) {
	if actor.AccountID == 0 {
		return nil, errNotAdmin
	}
	a, err := tx.AccountByID(ctx, actor.AccountID)
	if err != nil {
		return nil, err
	}
	if !canAdminister(a) {
		return nil, errNotAdmin
	}
	return a, nil
}

func checkAlgorithm(alg string) error {
	if alg != digest.MD5 && alg != digest.SHA256 {
		return sb.FieldError("algorithm", "The algorithm must be SHA-256 or MD5.")
	}
	return nil
}

// ChangeSIPPassword sets the actor's password for one digest algorithm after
// checking the old one (the one mailbox check, sharing its bucket with
// every other login of the account). The argon2id hash changes with it and
// the other algorithm's HA1 is cleared, in one transaction.
func (s *Service) ChangeSIPPassword(ctx context.Context, actor sb.Actor, algorithm, oldPassword, password, ip string) (*sb.Account, error) {
	if err := checkAlgorithm(algorithm); err != nil {
		return nil, err
	}
	return s.changeOwnPassword(ctx, actor, []string{algorithm}, oldPassword, password, ip)
}

// ChangeOwnPassword sets the actor's password after checking the old one,
// like ChangeSIPPassword, with the HA1 of every algorithm the account has
// (both when it has none), so its SIP clients keep working.
func (s *Service) ChangeOwnPassword(ctx context.Context, actor sb.Actor, oldPassword, password, ip string) (*sb.Account, error) {
	a, err := s.SIPAccount(ctx, actor)
	if err != nil {
		return nil, err
	}
	algs := a.Algorithms
	if len(algs) == 0 {
		algs = BothAlgorithms
	}
	return s.changeOwnPassword(ctx, actor, algs, oldPassword, password, ip)
}

func (s *Service) changeOwnPassword(ctx context.Context, actor sb.Actor, algorithms []string, oldPassword, password, ip string) (*sb.Account, error) {
	if !actor.IsMailbox() {
		return nil, notFound("account")
	}
	if err := s.checkPassword("password", password); err != nil {
		return nil, err
	}
	if err := s.checkOwnPassword(ctx, actor, "old_password", oldPassword, ip); err != nil {
		return nil, err
	}
	return s.setPassword(ctx, actor, func(tx *store.Tx) (*sb.Account, *sb.Domain, error) {
		a, err := tx.AccountByID(ctx, actor.AccountID)
		if err != nil {
			return nil, nil, err
		}
		d, err := tx.DomainByID(ctx, a.DomainID)
		return a, d, err
	}, password, algorithms, nil)
}

// checkOwnPassword checks an account actor's current password, given in
// field, through the one mailbox check and its rate limit.
func (s *Service) checkOwnPassword(ctx context.Context, actor sb.Actor, field, password, ip string) error {
	what := "password"
	if field == "old_password" {
		what = "old password"
	}
	if password == "" {
		return sb.FieldError(field, "The %s is required.", what)
	}
	if _, _, err := s.verifyMailbox(ctx, actor.Email, password, ip); err != nil {
		if err == errBadPassword {
			return sb.FieldError(field, "The %s is not correct.", what)
		}
		return err
	}
	return nil
}

// CreateSIPAccount lets an admin create an account. The domain is not
// configurable, as documented: it is the default registration domain
// (--sip-domain), or the admin's own when none is set; an admin of another
// domain may not create accounts there. The admin's rights are checked
// again inside the transaction that writes.
func (s *Service) CreateSIPAccount(ctx context.Context, actor sb.Actor, in sb.NewSIPAccount) (*sb.CreatedSIPAccount, error) {
	out, err := s.createSIPAccount(ctx, actor, in, func(tx *store.Tx, _ bool) (*sb.Domain, error) {
		admin, err := s.sipAdmin(ctx, tx, actor)
		if err != nil {
			return nil, err
		}
		d, err := tx.DomainByID(ctx, admin.DomainID)
		if err != nil {
			return nil, err
		}
		if s.sipDomain != "" && d.Name != s.sipDomain {
			return nil, sb.Errorf(sb.EFORBIDDEN, "Accounts are created in %s, which this admin does not manage.", s.sipDomain)
		}
		return d, nil
	})
	if err != nil {
		return nil, err
	}
	if !in.Activated {
		s.sendActivationCodes(ctx, out.Account)
	}
	return out, nil
}

// createSIPAccount checks the SIP API's username rules and creates the
// account in the domain that domain resolves; every new account gets a
// confirmation key: it activates the account (when not activated) and
// provisions the device once.
func (s *Service) createSIPAccount(ctx context.Context, actor sb.Actor, in sb.NewSIPAccount, domain domainFunc) (*sb.CreatedSIPAccount, error) {
	if len(in.Username) < MinSIPUsernameLen {
		return nil, sb.FieldError("username", "The username must be at least %d characters.", MinSIPUsernameLen)
	}
	if strings.Contains(in.Username, "@") {
		return nil, sb.FieldError("username", "The username may hold only letters, digits and . _ - + characters.")
	}
	if err := checkAlgorithm(in.Algorithm); err != nil {
		return nil, err
	}
	// The address is completed with the domain's name before the one
	// create path checks it.
	d, err := domain(s.store.Read(), false)
	if err != nil {
		return nil, err
	}
	if _, _, err := NormalizeEmail("username", in.Username+"@"+d.Name); err != nil {
		return nil, sb.FieldError("username", "The username may hold only letters, digits and . _ - + characters.")
	}
	out, err := s.createAccount(ctx, actor, NewAccount{Address: in.Username + "@" + d.Name, Field: "username",
		Password: in.Password, Algorithms: []string{in.Algorithm}, Active: true, Activated: in.Activated, Admin: in.Admin,
		Phone: in.Phone, ContactEmail: in.Email, ConfirmationKey: true, ConfirmationKeyExpires: in.ConfirmationKeyExpires}, domain)
	return out, err
}

// randomKey is a confirmation key: 192 random bits, URL-safe.
func randomKey() string {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// validE164 checks a phone number: '+', then 8 to 15 digits.
func validE164(p string) bool {
	if len(p) < 9 || len(p) > 16 || p[0] != '+' || p[1] == '0' {
		return false
	}
	for i := 1; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
	}
	return true
}

// SIPAccountsPage lists an admin's domain, one numbered page.
func (s *Service) SIPAccountsPage(ctx context.Context, actor sb.Actor, page, perPage int) ([]sb.Account, int64, error) {
	tx := s.store.Read()
	admin, err := s.sipAdmin(ctx, tx, actor)
	if err != nil {
		return nil, 0, err
	}
	d, err := tx.DomainByID(ctx, admin.DomainID)
	if err != nil {
		return nil, 0, err
	}
	list, err := tx.AccountsPage(ctx, d.ID, (page-1)*perPage, perPage)
	return list, d.UsersCount, err
}

// GetSIPAccount returns an account of the admin's domain (or oneself).
func (s *Service) GetSIPAccount(ctx context.Context, actor sb.Actor, id int64) (*sb.Account, error) {
	tx := s.store.Read()
	if _, err := s.sipAdmin(ctx, tx, actor); err != nil {
		return nil, err
	}
	return s.sipTarget(ctx, tx, actor, id)
}

// SetSIPActivated activates or deactivates an account of the admin's
// domain. Activating keeps the confirmation key (it still provisions the
// device); deactivating revokes it with every login of the account.
func (s *Service) SetSIPActivated(ctx context.Context, actor sb.Actor, id int64, activated bool) (*sb.Account, error) {
	var out *sb.Account
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		if _, err := s.sipAdmin(ctx, tx, actor); err != nil {
			return err
		}
		a, err := s.sipTarget(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		if err := s.setAccountState(ctx, tx, actor, a, AccountState{Activated: &activated}); err != nil {
			return err
		}
		out = a
		return nil
	})
	return out, err
}
