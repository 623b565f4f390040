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

// SIP account rules, as the flexisip account manager documents them (its
// 6-character password minimum is MinPasswordFloor).
const (
	MinSIPUsernameLen = 6
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
	err = s.guard(ctx, mailboxIdentity(email), r.IP, func() (bool, error) {
		if r.Authorization == "" {
			// The challenge costs nothing, but is refused while the
			// account or the client is over its limit.
			return false, unauthenticated(digest.ErrNoCredentials)
		}
		_, err := authn.Authenticate(ctx, r.Authorization, r.Method, r.URI)
		switch {
		case err == nil:
			if account == nil || d == nil {
				return true, ErrSIPUnauthenticated
			}
			return false, nil
		case errors.Is(err, digest.ErrMalformed):
			return false, &sb.Error{Code: sb.EMALFORMED, Field: "authorization", Message: "malformed Authorization header", Err: err}
		case errors.Is(err, digest.ErrStaleNonce):
			return false, unauthenticated(err) // the right password with an old nonce: no failure
		case errors.Is(err, digest.ErrUnauthorized), errors.Is(err, digest.ErrReplay), errors.Is(err, digest.ErrUnsupported),
			errors.Is(err, digest.ErrNoCredentials):
			return true, unauthenticated(err)
		default:
			return false, sb.Internal(err)
		}
	})
	if err != nil {
		return sb.Actor{}, nil, err
	}
	return sipActor(account, d), account, nil
}

func sipActor(a *sb.Account, d *sb.Domain) sb.Actor {
	return sb.Actor{AccountID: a.ID, Email: a.Email, TenantID: d.TenantID, TenantName: d.TenantName}
}

func (s *Service) authenticateAPIKey(ctx context.Context, key, ip string) (sb.Actor, *sb.Account, error) {
	hash := auth.HashToken(key)
	tx := s.store.Read()
	var a *sb.Account
	err := s.guard(ctx, "", ip, func() (bool, error) {
		var err error
		a, err = tx.APIKeyAccount(ctx, hash)
		if sb.ErrorCode(err) == sb.ENOTFOUND {
			return true, ErrSIPUnauthenticated
		}
		return false, err
	})
	if err != nil {
		return sb.Actor{}, nil, err
	}
	// The key has only the powers its account has now.
	if !canAdminister(a) {
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

// canAdminister reports whether an account may use its admin powers now:
// an admin that is switched on and activated. A deactivated admin's API
// keys and Digest logins lose them at once.
func canAdminister(a *sb.Account) bool { return a.Admin && a.Active && a.Activated }

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
	var a *sb.Account
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if a, err = s.sipTarget(ctx, tx, actor, id); err != nil {
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
	if !canAdminister(a) {
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
// checking the old one (the one mailbox check, sharing its bucket with
// every other login of the account). The argon2id hash changes with it and
// the other algorithm's HA1 is cleared, in one transaction.
func (s *Service) ChangeSIPPassword(ctx context.Context, actor sb.Actor, algorithm, oldPassword, password, ip string) (*sb.Account, error) {
	if err := checkAlgorithm(algorithm); err != nil {
		return nil, err
	}
	if err := s.checkPassword("password", password); err != nil {
		return nil, err
	}
	if oldPassword == "" {
		return nil, sb.FieldError("old_password", "The old password is required.")
	}
	if _, _, err := s.verifyMailbox(ctx, actor.Email, oldPassword, ip); err != nil {
		if err == errBadPassword {
			return nil, sb.FieldError("old_password", "The old password is not correct.")
		}
		return nil, err
	}
	return s.setPassword(ctx, actor, func(tx *store.Tx) (*sb.Account, *sb.Domain, error) {
		a, err := tx.AccountByID(ctx, actor.AccountID)
		if err != nil {
			return nil, nil, err
		}
		d, err := tx.DomainByID(ctx, a.DomainID)
		return a, d, err
	}, password, []string{algorithm}, nil)
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
// domain may not create accounts there. The admin's rights are checked
// again inside the transaction that writes.
func (s *Service) CreateSIPAccount(ctx context.Context, actor sb.Actor, in NewSIPAccount) (*CreatedSIPAccount, error) {
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
func (s *Service) createSIPAccount(ctx context.Context, actor sb.Actor, in NewSIPAccount, domain domainFunc) (*CreatedSIPAccount, error) {
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
	if sb.ErrorCode(err) == sb.ECONFLICT && !errors.Is(err, store.ErrAddressIsAlias) {
		return nil, &sb.Error{Code: sb.EINVALID, Field: "username", Message: "The username has already been taken."}
	}
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
		a, err := accountByAddress(ctx, tx, email)
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

// SetAccountAdmin makes an account an admin (command line).
func (s *Service) SetAccountAdmin(ctx context.Context, actor sb.Actor, email string) error {
	if !actor.System {
		return sb.Errorf(sb.EFORBIDDEN, "only the server's administrator may make admins")
	}
	yes := true
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		a, err := accountByAddress(ctx, tx, email)
		if err != nil {
			return err
		}
		return s.setAccountState(ctx, tx, actor, a, AccountState{Admin: &yes})
	})
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
