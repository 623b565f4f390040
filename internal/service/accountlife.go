package service

import (
	"context"
	"errors"
	"slices"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/store"
)

// The account lifecycle: every surface and the command line create, change,
// switch and delete accounts through the functions of this file, so one
// password policy, one local-part rule, one conflict answer and one audit
// format hold for all of them.

// NewAccount is what every surface asks for when it creates an account.
type NewAccount struct {
	// Address is the new account's address, local@domain; Field names the
	// input it came from, for errors ("email", "mail", "username").
	Address, Field string
	Password       string
	// Algorithms are the digest algorithms the SIP HA1s are stored for
	// (nil: MD5 and SHA-256), besides the SIP plane's.
	Algorithms []string
	// Active switches the account on; Activated marks its SIP identity
	// confirmed; Admin lets it manage the accounts of its domain.
	Active, Activated, Admin bool
	Phone, ContactEmail      string // E.164; where codes and notices go
	// ConfirmationKey gives the account a key that activates it (when not
	// activated) and provisions a device once; it expires at
	// ConfirmationKeyExpires (zero: never).
	ConfirmationKey        bool
	ConfirmationKeyExpires time.Time
	// Mailbox, when set, is the mailbox's profile (names and forwarding,
	// validated by the caller); nil: no names, no forwarding.
	Mailbox *store.MailboxProfile
	// Quota is the mailbox's quota, on top of its tenant's default (nil:
	// the default).
	Quota *sb.QuotaChange
}

// domainFunc resolves, and authorises for the actor, the domain an account
// is created in. It runs twice: first on the read handle (write false), so
// that refusals come before the slow hash, then inside the writing
// transaction (write true), where every check counts.
type domainFunc func(tx *store.Tx, write bool) (*sb.Domain, error)

// createAccount is the one way an account comes to exist.
func (s *Service) createAccount(ctx context.Context, actor sb.Actor, in NewAccount, domain domainFunc) (*sb.CreatedSIPAccount, error) {
	field := in.Field
	if field == "" {
		field = "email"
	}
	local, domainName, err := NormalizeEmail(field, in.Address)
	if err != nil {
		return nil, err
	}
	if err := s.checkPassword("password", in.Password); err != nil {
		return nil, err
	}
	algs := in.Algorithms
	if len(algs) == 0 {
		algs = BothAlgorithms
	}
	for _, alg := range algs {
		if err := checkAlgorithm(alg); err != nil {
			return nil, err
		}
	}
	if in.Phone != "" && !validE164(in.Phone) {
		return nil, sb.FieldError("phone", "The phone must be an E.164 number, e.g. +33612345678.")
	}
	if in.ContactEmail != "" {
		if _, _, err := NormalizeEmail("email", in.ContactEmail); err != nil {
			return nil, err
		}
	}
	d, err := domain(s.store.Read(), false)
	if err != nil {
		return nil, err
	}
	if domainName != d.Name {
		return nil, sb.FieldError(field, "%s must be an address in %s", field, d.Name)
	}
	email := local + "@" + d.Name
	if p := in.Mailbox; p != nil && slices.Contains(p.Forwards, email) {
		return nil, sb.FieldError("forwards", "forwards %q is the mailbox itself: use inboxsave to keep a copy", email)
	}
	all, err := s.credentials(ctx, in.Password, local, d.Realm)
	if err != nil {
		return nil, err
	}
	now := s.now()
	a := &sb.Account{Local: local, Email: email, Active: in.Active, Activated: in.Activated,
		Admin: in.Admin, Phone: in.Phone, ContactEmail: in.ContactEmail, CreatedAt: now, UpdatedAt: now, InboxSave: true}
	if p := in.Mailbox; p != nil { // written by the INSERT itself
		a.FirstName, a.LastName, a.Forwards, a.InboxSave = p.FirstName, p.LastName, p.Forwards, p.InboxSave
	}
	out := &sb.CreatedSIPAccount{Account: a}
	if in.ConfirmationKey {
		out.ConfirmationKey = randomKey()
	}
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		d2, err := domain(tx, true)
		if err != nil {
			return err
		}
		if d2.Name != d.Name || d2.Realm != d.Realm {
			return sb.Errorf(sb.ECONFLICT, "domain %s changed meanwhile, try again", d.Name)
		}
		a.DomainID = d2.ID
		// The tenant's limits: locked before the account is written,
		// checked after.
		t, plane, err := lockTenantAndPlane(ctx, tx, d2.TenantID)
		if err != nil {
			return err
		}
		if a.Quota, err = applyQuota(sb.MailboxQuota{Bytes: t.Limits.DefaultQuotaBytes}, in.Quota); err != nil {
			return err
		}
		creds, kept := keepForPlane(all, algs, plane)
		a.Algorithms = kept
		audit := store.AuditRow{At: now, Actor: actor.String(), Action: "account.create", Object: "account:" + a.Email}
		if err := tx.CreateAccountAudited(ctx, a, creds, audit); err != nil {
			var e *sb.Error
			switch {
			case errors.Is(err, store.ErrAddressIsAlias) && errors.As(err, &e):
				return &sb.Error{Code: e.Code, Field: field, Message: e.Message, Err: e.Err}
			case sb.ErrorCode(err) == sb.ECONFLICT:
				return &sb.Error{Code: sb.ECONFLICT, Field: field, Message: "account " + a.Email + " already exists", Err: sb.ErrTaken}
			}
			return err
		}
		if err := checkLimits(ctx, tx, t, limitMailboxes|limitQuota); err != nil {
			return err
		}
		if out.ConfirmationKey != "" {
			return tx.SetConfirmationKey(ctx, a.ID, out.ConfirmationKey, in.ConfirmationKeyExpires)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// accountFunc loads, and authorises for the actor, the account an operation
// changes; like domainFunc it runs before the slow work and again inside
// the writing transaction.
type accountFunc func(tx *store.Tx) (*sb.Account, *sb.Domain, error)

// setPassword is the one password change: the argon2id hash and the HA1 of
// each algorithm, and of the SIP plane's, are written together (the other
// HA1s are cleared), and
// every other login of the account dies with the old password: its
// JSON-RPC sessions but the caller's own, its app passwords, and its confirmation key, which
// would hand the new HA1 to whoever holds an old provisioning link.
// then, if set, runs last in the same transaction.
func (s *Service) setPassword(ctx context.Context, actor sb.Actor, load accountFunc, password string, algorithms []string,
	then func(*store.Tx, *sb.Account) error) (*sb.Account, error) {
	if err := s.checkPassword("password", password); err != nil {
		return nil, err
	}
	a, d, err := load(s.store.Read())
	if err != nil {
		return nil, err
	}
	all, err := s.credentials(ctx, password, a.Local, d.Realm)
	if err != nil {
		return nil, err
	}
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		a2, d2, err := load(tx)
		if err != nil {
			return err
		}
		if a2.ID != a.ID || a2.Local != a.Local || d2.Realm != d.Realm {
			return sb.Errorf(sb.ECONFLICT, "account %s changed meanwhile, try again", a.Email)
		}
		now := s.now()
		creds, _, err := planeCredentials(ctx, tx, all, algorithms)
		if err != nil {
			return err
		}
		if err := tx.SetAccountPassword(ctx, a.ID, creds, now); err != nil {
			return err
		}
		if err := tx.RevokeAccountLogins(ctx, a.ID, ownCredential(actor, a.ID)); err != nil {
			return err
		}
		if err := revokeAppPasswords(ctx, tx, a); err != nil {
			return err
		}
		if err := tx.SetConfirmationKey(ctx, a.ID, "", time.Time{}); err != nil {
			return err
		}
		if a, err = tx.AccountByID(ctx, a.ID); err != nil {
			return err
		}
		if err := tx.Audit(ctx, now, actor.String(), "account.passwd", "account:"+a.Email); err != nil {
			return err
		}
		if then != nil {
			return then(tx, a)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// ownCredential is the login of the actor that stays when account id's
// credentials change: the actor's own session, if it is that account.
func ownCredential(actor sb.Actor, id int64) string {
	if actor.AccountID == id {
		return actor.Credential
	}
	return ""
}

// AccountState lists what setAccountState changes; nil fields stay.
type AccountState struct {
	Active    *bool // the mail admin's switch: may the account log in at all
	Activated *bool // the SIP identity is confirmed
	Admin     *bool // may manage its domain's accounts
}

// setAccountState is the one activate/deactivate, run in the caller's
// transaction. Switching an account off (Active or Activated false) kills
// at once every login it holds: JSON-RPC sessions, its confirmation key and
// pending codes; API keys and Digest logins are checked against the
// account's state on every request.
func (s *Service) setAccountState(ctx context.Context, tx *store.Tx, actor sb.Actor, a *sb.Account, st AccountState) error {
	now := s.now()
	active, activated, admin := a.Active, a.Activated, a.Admin
	if st.Active != nil {
		active = *st.Active
	}
	if st.Activated != nil {
		activated = *st.Activated
	}
	if st.Admin != nil {
		admin = *st.Admin
	}
	audit := func(cond bool, on, off string) error {
		action := off
		if cond {
			action = on
		}
		return tx.Audit(ctx, now, actor.String(), action, "account:"+a.Email)
	}
	if active != a.Active {
		if err := tx.SetAccountActive(ctx, a.ID, active, now); err != nil {
			return err
		}
		// The mail admin's switch, audited apart from the SIP activation.
		if err := audit(active, "account.enable", "account.disable"); err != nil {
			return err
		}
	}
	if activated != a.Activated || admin != a.Admin {
		if err := tx.SetAccountFlags(ctx, a.ID, activated, admin, now); err != nil {
			return err
		}
	}
	if activated != a.Activated {
		if err := audit(activated, "account.activate", "account.deactivate"); err != nil {
			return err
		}
	}
	if admin != a.Admin {
		if err := audit(admin, "account.set-admin", "account.unset-admin"); err != nil {
			return err
		}
	}
	// An explicit switch-off revokes even when the account was off already:
	// a pending account's codes die with it.
	if st.Active != nil && !active || st.Activated != nil && !activated {
		if err := tx.RevokeAccountLogins(ctx, a.ID, ""); err != nil {
			return err
		}
		if err := tx.RevokeAccountKeys(ctx, a.ID); err != nil {
			return err
		}
	}
	a.Active, a.Activated, a.Admin, a.UpdatedAt = active, activated, admin, now
	return nil
}

// deleteAccount is the one delete, run in the caller's transaction: the
// account goes with its sessions, keys and codes (by cascade), and leaves
// the aliases of its tenant that forwarded to it. The caller discards the
// Maildir after the commit.
func (s *Service) deleteAccount(ctx context.Context, tx *store.Tx, actor sb.Actor, a *sb.Account) error {
	if err := tx.DeleteAccount(ctx, a.ID); err != nil {
		return err
	}
	if err := s.forgetMailbox(ctx, tx, actor, a.Email); err != nil {
		return err
	}
	return tx.Audit(ctx, s.now(), actor.String(), "account.delete", "account:"+a.Email)
}
