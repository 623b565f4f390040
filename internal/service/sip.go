package service

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/digest"
	"github.com/switchboard/switchboard/internal/store"
)

// SIP account rules, as the flexisip account manager documents them.
const (
	MinSIPUsernameLen = 6
	MinSIPPasswordLen = 6
	NonceTTL          = 5 * time.Minute
)

// SIPRequest is what the SIP API authenticates.
type SIPRequest struct {
	From          string // the from: header, sip:user@domain
	Authorization string // Authorization: Digest ...
	APIKey        string // x-api-key
	Method, URI   string
	IP            string
}

// ParseSIPAddress reads "sip:user@domain" (or "user@domain") into a
// normalized address.
func ParseSIPAddress(field, v string) (local, domain string, err error) {
	addr := strings.TrimSpace(v)
	addr = strings.TrimPrefix(strings.TrimPrefix(addr, "sip:"), "sips:")
	local, domain, err = NormalizeEmail(field, addr)
	if err != nil {
		return "", "", &sb.Error{Code: sb.EMALFORMED, Field: field, Message: field + " must be a SIP address: sip:user@domain"}
	}
	return local, domain, nil
}

// sipNonces signs digest nonces with a key derived from the server key, so
// every instance accepts the others' nonces.
func (s *Service) sipNonces() (*digest.Nonces, error) {
	if s.seal == nil {
		return nil, sb.Internal(errors.New("no server key configured"))
	}
	return digest.NewNonces(s.seal.Derive("digest nonces"), NonceTTL, s.now)
}

// nonceCounter keeps digest nonce counts in the store, shared by instances.
type nonceCounter struct{ s *Service }

func (c nonceCounter) Advance(ctx context.Context, nonce string, nc uint64, expires time.Time) (bool, error) {
	var ok bool
	err := c.s.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		ok, err = tx.AdvanceNonce(ctx, nonce, nc, expires, c.s.now())
		return err
	})
	return ok, err
}

// SIPChallenges are the WWW-Authenticate values for the realm of the domain
// in from (MD5 then SHA-256); stale marks an expired nonce.
func (s *Service) SIPChallenges(ctx context.Context, from string, stale bool) ([]string, error) {
	_, domain, err := ParseSIPAddress("from", from)
	if err != nil {
		return nil, err
	}
	realm := domain
	if d, err := s.store.Read().DomainByName(ctx, domain); err == nil {
		realm = d.Realm
	}
	nonces, err := s.sipNonces()
	if err != nil {
		return nil, err
	}
	return digest.Challenges(realm, nonces.New(), nonces.Opaque(realm), stale, digest.MD5, digest.SHA256), nil
}

// ErrSIPUnauthenticated is the answer to missing or wrong SIP credentials.
var ErrSIPUnauthenticated = sb.Errorf(sb.EUNAUTHORIZED, "Unauthenticated.")

func unauthenticated(cause error) error {
	return &sb.Error{Code: sb.EUNAUTHORIZED, Message: "Unauthenticated.", Err: cause}
}

// AuthenticateSIP checks an x-api-key, or HTTP Digest credentials against
// the stored HA1 of the account named in from. Failures are rate-limited
// per account and per IP. It returns the account and its actor.
func (s *Service) AuthenticateSIP(ctx context.Context, r SIPRequest) (sb.Actor, *sb.Account, error) {
	if r.APIKey != "" {
		return s.authenticateAPIKey(ctx, r.APIKey, r.IP)
	}
	local, domain, err := ParseSIPAddress("from", r.From)
	if err != nil {
		return sb.Actor{}, nil, err
	}
	email := local + "@" + domain
	keys := []string{"sip:" + email, "ip:" + r.IP}
	if !s.logins.Allowed(keys...) {
		return sb.Actor{}, nil, sb.Errorf(sb.ERATELIMIT, "Too many failed attempts, try again later.")
	}
	if r.Authorization == "" {
		return sb.Actor{}, nil, unauthenticated(digest.ErrNoCredentials)
	}
	tx := s.store.Read()
	realm := domain
	d, err := tx.DomainByName(ctx, domain)
	if err == nil {
		realm = d.Realm
	}
	nonces, err := s.sipNonces()
	if err != nil {
		return sb.Actor{}, nil, err
	}
	var account *sb.Account
	lookup := func(ctx context.Context, username, realm, algorithm string) (string, bool, error) {
		// The digest user is the account's user part (curl -u alice:pw);
		// the full address is accepted too.
		if username != local && username != email {
			return "", false, nil
		}
		a, c, err := tx.AccountCredentials(ctx, email)
		if sb.ErrorCode(err) == sb.ENOTFOUND {
			return "", false, nil
		}
		if err != nil {
			return "", false, err
		}
		account = a
		ha1 := c.HA1MD5
		if algorithm == digest.SHA256 {
			ha1 = c.HA1SHA256
		}
		return ha1, ha1 != "", nil
	}
	authn, err := digest.NewAuthenticator(realm, nonces, nonceCounter{s}, lookup, digest.MD5, digest.SHA256)
	if err != nil {
		return sb.Actor{}, nil, sb.Internal(err)
	}
	if _, err := authn.Authenticate(ctx, r.Authorization, r.Method, r.URI); err != nil {
		switch {
		case errors.Is(err, digest.ErrMalformed):
			return sb.Actor{}, nil, &sb.Error{Code: sb.EMALFORMED, Field: "authorization", Message: "malformed Authorization header", Err: err}
		case errors.Is(err, digest.ErrStaleNonce):
			return sb.Actor{}, nil, unauthenticated(err) // the right password with an old nonce: no failure
		case errors.Is(err, digest.ErrUnauthorized), errors.Is(err, digest.ErrReplay), errors.Is(err, digest.ErrUnsupported),
			errors.Is(err, digest.ErrNoCredentials):
			s.logins.Fail(keys...)
			return sb.Actor{}, nil, unauthenticated(err)
		default:
			return sb.Actor{}, nil, sb.Internal(err)
		}
	}
	if account == nil || d == nil {
		return sb.Actor{}, nil, ErrSIPUnauthenticated
	}
	return sipActor(account, d), account, nil
}

func sipActor(a *sb.Account, d *sb.Domain) sb.Actor {
	return sb.Actor{AccountID: a.ID, Email: a.Email, TenantID: d.TenantID, TenantName: d.TenantName}
}

func (s *Service) authenticateAPIKey(ctx context.Context, key, ip string) (sb.Actor, *sb.Account, error) {
	if !s.logins.Allowed("ip:" + ip) {
		return sb.Actor{}, nil, sb.Errorf(sb.ERATELIMIT, "Too many failed attempts, try again later.")
	}
	hash := auth.HashToken(key)
	tx := s.store.Read()
	a, err := tx.APIKeyAccount(ctx, hash)
	if sb.ErrorCode(err) == sb.ENOTFOUND {
		s.logins.Fail("ip:" + ip)
		return sb.Actor{}, nil, ErrSIPUnauthenticated
	}
	if err != nil {
		return sb.Actor{}, nil, err
	}
	if !a.Admin || !a.Active {
		return sb.Actor{}, nil, sb.Errorf(sb.EFORBIDDEN, "This API key's account is not an administrator.")
	}
	d, err := tx.DomainByID(ctx, a.DomainID)
	if err != nil {
		return sb.Actor{}, nil, err
	}
	if err := s.store.InTx(ctx, func(tx *store.Tx) error { return tx.TouchAPIKey(ctx, hash, s.now()) }); err != nil {
		return sb.Actor{}, nil, err
	}
	return sipActor(a, d), a, nil
}

// RequireActivated refuses accounts that are not activated (or switched
// off), for the user endpoints.
func RequireActivated(a *sb.Account) error {
	if !a.Activated || !a.Active {
		return sb.Errorf(sb.EFORBIDDEN, "The account is not activated.")
	}
	return nil
}

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

// DeleteSIPAccount deletes an account: one's own (id = actor's), or, for an
// admin, any account of its domain.
func (s *Service) DeleteSIPAccount(ctx context.Context, actor sb.Actor, id int64) error {
	var email string
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		a, err := s.sipTarget(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteAccount(ctx, a.ID); err != nil {
			return err
		}
		if err := s.forgetMailbox(ctx, tx, actor, a.Email); err != nil {
			return err
		}
		email = a.Email
		return tx.Audit(ctx, s.now(), actor.String(), "account.delete", "account:"+a.Email)
	})
	if err != nil {
		return err
	}
	if at := strings.LastIndexByte(email, '@'); at > 0 {
		s.discardMail(ctx, email[at+1:], email[:at])
	}
	return nil
}

// sipTarget loads the account an operation names: the actor itself, or for
// an admin an account of the same domain (others do not exist for it).
func (s *Service) sipTarget(ctx context.Context, tx *store.Tx, actor sb.Actor, id int64) (*sb.Account, error) {
	if actor.AccountID == 0 {
		return nil, sb.Errorf(sb.EFORBIDDEN, "This action is unauthorized.")
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

// sipAdmin loads the actor's account and checks that it is an admin.
func (s *Service) sipAdmin(ctx context.Context, tx *store.Tx, actor sb.Actor) (*sb.Account, error) {
	if actor.AccountID == 0 {
		return nil, sb.Errorf(sb.EFORBIDDEN, "This action is unauthorized.")
	}
	a, err := tx.AccountByID(ctx, actor.AccountID)
	if err != nil {
		return nil, err
	}
	if !a.Admin || !a.Active {
		return nil, sb.Errorf(sb.EFORBIDDEN, "This action is unauthorized.")
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
// checking the old one (rate-limited). The argon2id hash changes with it and
// the other algorithm's HA1 is cleared, in one transaction.
func (s *Service) ChangeSIPPassword(ctx context.Context, actor sb.Actor, algorithm, oldPassword, password, ip string) (*sb.Account, error) {
	if err := checkAlgorithm(algorithm); err != nil {
		return nil, err
	}
	if err := CheckPassword("password", password, MinSIPPasswordLen); err != nil {
		return nil, err
	}
	if oldPassword == "" {
		return nil, sb.FieldError("old_password", "The old password is required.")
	}
	tx := s.store.Read()
	a, c, err := tx.AccountCredentials(ctx, actor.Email)
	if err != nil {
		return nil, err
	}
	keys := []string{"sip:" + a.Email, "ip:" + ip}
	if !s.logins.Allowed(keys...) {
		return nil, sb.Errorf(sb.ERATELIMIT, "Too many failed attempts, try again later.")
	}
	if ok, _ := s.hasher.Verify(c.Hash, oldPassword); !ok {
		s.logins.Fail(keys...)
		return nil, sb.FieldError("old_password", "The old password is not correct.")
	}
	d, err := tx.DomainByID(ctx, a.DomainID)
	if err != nil {
		return nil, err
	}
	creds, err := s.credentials(password, a.Local, d.Realm, []string{algorithm})
	if err != nil {
		return nil, err
	}
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		now := s.now()
		if err := tx.SetAccountPassword(ctx, a.ID, creds, now); err != nil {
			return err
		}
		return tx.Audit(ctx, now, actor.String(), "account.passwd", "account:"+a.Email)
	})
	if err != nil {
		return nil, err
	}
	return s.store.Read().AccountByID(ctx, a.ID)
}

// NewSIPAccount is the input of CreateSIPAccount.
type NewSIPAccount struct {
	Username, Password, Algorithm string
	Activated, Admin              bool
	Phone, Email                  string
	ConfirmationKeyExpires        time.Time // zero: no expiry
}

// CreatedSIPAccount is a new account with its confirmation key (set when it
// was not activated).
type CreatedSIPAccount struct {
	Account         *sb.Account
	ConfirmationKey string
}

// CreateSIPAccount lets an admin create an account. The domain is not
// configurable, as documented: it is the default registration domain
// (--sip-domain), or the admin's own when none is set; an admin of another
// domain may not create accounts there.
func (s *Service) CreateSIPAccount(ctx context.Context, actor sb.Actor, in NewSIPAccount) (*CreatedSIPAccount, error) {
	tx := s.store.Read()
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
	out, err := s.createSIPAccount(ctx, actor, d, in, nil)
	if err != nil {
		return nil, err
	}
	if !in.Activated {
		s.sendActivationCodes(ctx, out.Account)
	}
	return out, nil
}

// createSIPAccount validates and creates an account in d; hook, if set, runs
// in the same transaction first (and can refuse it).
func (s *Service) createSIPAccount(ctx context.Context, actor sb.Actor, d *sb.Domain, in NewSIPAccount, hook func(*store.Tx) error) (*CreatedSIPAccount, error) {
	if len(in.Username) < MinSIPUsernameLen {
		return nil, sb.FieldError("username", "The username must be at least %d characters.", MinSIPUsernameLen)
	}
	local, _, err := NormalizeEmail("username", in.Username+"@"+d.Name)
	if err != nil || strings.Contains(in.Username, "@") {
		return nil, sb.FieldError("username", "The username may hold only letters, digits and . _ - + characters.")
	}
	if err := CheckPassword("password", in.Password, MinSIPPasswordLen); err != nil {
		return nil, err
	}
	if err := checkAlgorithm(in.Algorithm); err != nil {
		return nil, err
	}
	if in.Phone != "" && !validE164(in.Phone) {
		return nil, sb.FieldError("phone", "The phone must be an E.164 number, e.g. +33612345678.")
	}
	if in.Email != "" {
		if _, _, err := NormalizeEmail("email", in.Email); err != nil {
			return nil, err
		}
	}
	creds, err := s.credentials(in.Password, local, d.Realm, []string{in.Algorithm})
	if err != nil {
		return nil, err
	}
	now := s.now()
	a := &sb.Account{DomainID: d.ID, Local: local, Email: local + "@" + d.Name, Active: true, Activated: in.Activated,
		Admin: in.Admin, Phone: in.Phone, ContactEmail: in.Email, CreatedAt: now, UpdatedAt: now, Algorithms: []string{in.Algorithm}}
	// Every new account gets a confirmation key: it activates the account
	// (when not activated) and provisions the device once.
	out := &CreatedSIPAccount{Account: a, ConfirmationKey: randomKey()}
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		if hook != nil {
			if err := hook(tx); err != nil {
				return err
			}
		}
		if err := tx.CreateAccount(ctx, a, creds); err != nil {
			if sb.ErrorCode(err) == sb.ECONFLICT && !errors.Is(err, store.ErrAddressIsAlias) {
				return &sb.Error{Code: sb.EINVALID, Field: "username", Message: "The username has already been taken."}
			}
			return err
		}
		if out.ConfirmationKey != "" {
			if err := tx.SetConfirmationKey(ctx, a.ID, out.ConfirmationKey, in.ConfirmationKeyExpires); err != nil {
				return err
			}
		}
		return tx.Audit(ctx, now, actor.String(), "account.create", "account:"+a.Email)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
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
// domain. The confirmation key stays: it still provisions the device.
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
		now := s.now()
		if err := tx.SetAccountFlags(ctx, a.ID, activated, a.Admin, now); err != nil {
			return err
		}
		action := "account.deactivate"
		if activated {
			action = "account.activate"
		}
		if err := tx.Audit(ctx, now, actor.String(), action, "account:"+a.Email); err != nil {
			return err
		}
		a.Activated, a.UpdatedAt = activated, now
		out = a
		return nil
	})
	return out, err
}

// APIKeyCreated is a new API key, shown once.
type APIKeyCreated struct {
	ID  int64
	Key string
}

// CreateAPIKey makes an API key for an admin account (command line).
func (s *Service) CreateAPIKey(ctx context.Context, actor sb.Actor, email string) (*APIKeyCreated, error) {
	if !actor.System {
		return nil, sb.Errorf(sb.EFORBIDDEN, "only the server's administrator may create API keys")
	}
	key := auth.NewToken()
	var id int64
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		a, _, err := tx.AccountByEmail(ctx, strings.ToLower(email))
		if sb.ErrorCode(err) == sb.ENOTFOUND {
			return sb.Errorf(sb.ENOTFOUND, "account %s not found", email)
		}
		if err != nil {
			return err
		}
		if !a.Admin {
			return sb.Errorf(sb.EINVALID, "account %s is not an admin: run switchboard account set-admin first", email)
		}
		if id, err = tx.CreateAPIKey(ctx, auth.HashToken(key), a.ID, s.now()); err != nil {
			return err
		}
		return tx.Audit(ctx, s.now(), actor.String(), "apikey.create", "account:"+a.Email)
	})
	if err != nil {
		return nil, err
	}
	return &APIKeyCreated{ID: id, Key: key}, nil
}

// ListAPIKeys lists every API key (command line).
func (s *Service) ListAPIKeys(ctx context.Context, actor sb.Actor) ([]store.APIKey, error) {
	if !actor.System {
		return nil, sb.Errorf(sb.EFORBIDDEN, "only the server's administrator may list API keys")
	}
	return s.store.Read().APIKeys(ctx, 0)
}

// RevokeAPIKey deletes an API key (command line).
func (s *Service) RevokeAPIKey(ctx context.Context, actor sb.Actor, id int64) error {
	if !actor.System {
		return sb.Errorf(sb.EFORBIDDEN, "only the server's administrator may revoke API keys")
	}
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.DeleteAPIKey(ctx, id); err != nil {
			return err
		}
		return tx.Audit(ctx, s.now(), actor.String(), "apikey.revoke", fmt.Sprintf("apikey:%d", id))
	})
}

// CreateAccountCLI makes an account from the command line (the first admin
// of a fresh install): the domain must exist.
func (s *Service) CreateAccountCLI(ctx context.Context, email, password, algorithm string, admin bool) (*sb.Account, error) {
	local, domain, err := NormalizeEmail("email", email)
	if err != nil {
		return nil, err
	}
	d, err := s.store.Read().DomainByName(ctx, domain)
	if sb.ErrorCode(err) == sb.ENOTFOUND {
		return nil, sb.Errorf(sb.ENOTFOUND, "domain %s does not exist: create it first (POST /domains or domain.add)", domain)
	}
	if err != nil {
		return nil, err
	}
	algs := BothAlgorithms
	if algorithm != "" {
		if err := checkAlgorithm(algorithm); err != nil {
			return nil, err
		}
		algs = []string{algorithm}
	}
	if err := CheckPassword("password", password, MinPasswordLen); err != nil {
		return nil, err
	}
	creds, err := s.credentials(password, local, d.Realm, algs)
	if err != nil {
		return nil, err
	}
	now := s.now()
	a := &sb.Account{DomainID: d.ID, Local: local, Email: local + "@" + d.Name, Active: true, Activated: true, Admin: admin,
		CreatedAt: now, UpdatedAt: now, Algorithms: algs}
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.CreateAccount(ctx, a, creds); err != nil {
			if sb.ErrorCode(err) == sb.ECONFLICT && !errors.Is(err, store.ErrAddressIsAlias) {
				return sb.Errorf(sb.ECONFLICT, "account %s already exists", a.Email)
			}
			return err
		}
		return tx.Audit(ctx, now, "system", "account.create", "account:"+a.Email)
	})
	return a, err
}

// SetAccountAdmin makes an account an admin (command line).
func (s *Service) SetAccountAdmin(ctx context.Context, email string) error {
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		a, _, err := tx.AccountByEmail(ctx, strings.ToLower(strings.TrimSpace(email)))
		if sb.ErrorCode(err) == sb.ENOTFOUND {
			return sb.Errorf(sb.ENOTFOUND, "account %s not found", email)
		}
		if err != nil {
			return err
		}
		if err := tx.SetAccountFlags(ctx, a.ID, a.Activated, true, s.now()); err != nil {
			return err
		}
		return tx.Audit(ctx, s.now(), "system", "account.set-admin", "account:"+a.Email)
	})
}
