package service

import (
	"context"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/store"
)

// CreateTenant creates a tenant; only operators (and the command line) may.
func (s *Service) CreateTenant(ctx context.Context, actor sb.Actor, name, password, role string) (*sb.Tenant, error) {
	return s.createTenant(ctx, actor, name, password, role, nil)
}

// createTenant creates a tenant, with limits when ch is set, in one
// transaction.
func (s *Service) createTenant(ctx context.Context, actor sb.Actor, name, password, role string, ch *sb.TenantLimitsChange) (*sb.Tenant, error) {
	if !actor.CanManageTenants() {
		return nil, sb.Errorf(sb.EFORBIDDEN, "only operators may create tenants")
	}
	if err := CheckTenantName(name); err != nil {
		return nil, err
	}
	if role != sb.RoleOperator && role != sb.RoleTenant {
		return nil, sb.FieldError("role", "role must be %q or %q", sb.RoleOperator, sb.RoleTenant)
	}
	if err := s.checkPassword("password", password); err != nil {
		return nil, err
	}
	var limits sb.TenantLimits
	if ch != nil {
		var err error
		if limits, err = applyLimits(limits, *ch); err != nil {
			return nil, err
		}
	}
	hash, err := s.hash(ctx, password)
	if err != nil {
		return nil, err
	}
	t := &sb.Tenant{Name: name, Role: role, CreatedAt: s.now()}
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.CreateTenant(ctx, t, hash); err != nil {
			if sb.ErrorCode(err) == sb.ECONFLICT {
				return sb.Errorf(sb.ECONFLICT, "tenant %q already exists", name)
			}
			return err
		}
		if ch != nil {
			if err := tx.SetTenantLimits(ctx, t.ID, limits, t.CreatedAt); err != nil {
				return err
			}
			t.Limits = limits
		}
		return tx.Audit(ctx, t.CreatedAt, actor.String(), "tenant.create", "tenant:"+name)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// ListTenants lists every tenant; operators only.
func (s *Service) ListTenants(ctx context.Context, actor sb.Actor) ([]sb.Tenant, error) {
	if !actor.CanManageTenants() {
		return nil, sb.Errorf(sb.EFORBIDDEN, "only operators may list tenants")
	}
	return s.store.Read().ListTenants(ctx)
}

// errNotYourTenant is the one refusal of CanManageTenant: a tenant's own
// name is no secret to its peers (they log in with theirs), so the refusal
// is a plain forbid rather than a hidden not-found.
var errNotYourTenant = sb.Errorf(sb.EFORBIDDEN, "a tenant may see and change only itself")

// SetTenantPassword changes a tenant's password: operators any tenant's, a
// tenant its own. Every auth token and JSON-RPC session of the tenant dies
// with the old password, but the caller's own.
func (s *Service) SetTenantPassword(ctx context.Context, actor sb.Actor, name, password string) error {
	return s.UpdateTenant(ctx, actor, name, sb.TenantChange{Password: &password})
}

// UpdateTenant changes a tenant's password (as SetTenantPassword) and/or
// its memo (operators only: it is the operator's note on a customer), in
// one transaction.
func (s *Service) UpdateTenant(ctx context.Context, actor sb.Actor, name string, ch sb.TenantChange) error {
	if !actor.CanManageTenant(name) {
		return errNotYourTenant
	}
	if ch.Memo != nil {
		if !actor.CanManageTenants() {
			return sb.Errorf(sb.EFORBIDDEN, "only operators may change a tenant's memo")
		}
		if err := checkMemo("memo", *ch.Memo); err != nil {
			return err
		}
	}
	if ch.Limits != nil && !actor.CanManageTenants() {
		return sb.Errorf(sb.EFORBIDDEN, "only operators may set tenant limits")
	}
	var hash string
	if ch.Password != nil {
		if err := s.checkPassword("password", *ch.Password); err != nil {
			return err
		}
		var err error
		if hash, err = s.hash(ctx, *ch.Password); err != nil {
			return err
		}
	}
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		t, _, err := tx.TenantByName(ctx, name)
		if sb.ErrorCode(err) == sb.ENOTFOUND {
			return &sb.Error{Code: sb.ENOTFOUND, Field: "tenant", Message: "tenant not found"}
		}
		if err != nil {
			return err
		}
		if ch.Limits != nil {
			if _, err := s.setTenantLimits(ctx, tx, actor, t.ID, *ch.Limits); err != nil {
				return err
			}
		}
		now := s.now()
		if ch.Memo != nil && *ch.Memo != t.Memo {
			if err := tx.SetTenantMemo(ctx, t.ID, *ch.Memo, now); err != nil {
				return err
			}
			if err := tx.Audit(ctx, now, actor.String(), "tenant.memo", "tenant:"+name); err != nil {
				return err
			}
		}
		if ch.Password == nil {
			return nil
		}
		if err := tx.SetTenantPassword(ctx, t.ID, hash, now); err != nil {
			return err
		}
		keep := ""
		if actor.TenantID == t.ID && actor.AccountID == 0 {
			keep = actor.Credential
		}
		if err := tx.RevokeTenantLogins(ctx, t.ID, keep); err != nil {
			return err
		}
		return tx.Audit(ctx, now, actor.String(), "tenant.passwd", "tenant:"+name)
	})
}

// ErrBadLogin is the one answer to an unknown user and a wrong password.
var ErrBadLogin = sb.Errorf(sb.EUNAUTHORIZED, "Username/password is not correct")

// Login checks a tenant's credentials and issues an auth token.
func (s *Service) Login(ctx context.Context, name, password, ip string) (string, time.Time, error) {
	t, err := s.CheckTenantPassword(ctx, name, password, ip)
	if err != nil {
		return "", time.Time{}, err
	}
	token := auth.NewToken()
	now := s.now()
	expires := now.Add(s.tokenTTL)
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		return tx.CreateToken(ctx, auth.HashToken(token), t.ID, now, expires)
	})
	if err != nil {
		return "", time.Time{}, err
	}
	return token, expires, nil
}

// ErrBadToken is the answer to a missing, unknown or expired token.
var ErrBadToken = sb.Errorf(sb.EUNAUTHORIZED, "missing, invalid or expired auth token")

// Authenticate resolves an auth token to its tenant actor. Unknown tokens are
// rate-limited per client IP.
func (s *Service) Authenticate(ctx context.Context, token, ip string) (sb.Actor, error) {
	return s.resolveBearer(ctx, token, ip, func(tx *store.Tx, hash string) (*sb.Tenant, error) {
		return tx.TokenTenant(ctx, hash, s.now())
	})
}

// resolveBearer resolves a bearer token through lookup (by its digest) to
// its tenant actor; unknown tokens are rate-limited per client IP.
func (s *Service) resolveBearer(ctx context.Context, token, ip string, lookup func(tx *store.Tx, hash string) (*sb.Tenant, error)) (sb.Actor, error) {
	if token == "" {
		return sb.Actor{}, ErrBadToken
	}
	if wait := s.tokens.Wait("ip:" + ip); wait > 0 {
		return sb.Actor{}, sb.RateLimited(wait, "too many invalid tokens, try again later")
	}
	hash := auth.HashToken(token)
	t, err := lookup(s.store.Read(), hash)
	if sb.ErrorCode(err) == sb.ENOTFOUND {
		s.tokens.Fail("ip:" + ip)
		return sb.Actor{}, ErrBadToken
	}
	if err != nil {
		return sb.Actor{}, err
	}
	return sb.Actor{TenantID: t.ID, TenantName: t.Name, Role: t.Role, Credential: hash}, nil
}

// Logout revokes a token.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		return tx.DeleteToken(ctx, auth.HashToken(token))
	})
}

// GetTenant returns a tenant: operators any, a tenant itself.
func (s *Service) GetTenant(ctx context.Context, actor sb.Actor, name string) (*sb.Tenant, error) {
	if !actor.CanManageTenant(name) {
		return nil, errNotYourTenant
	}
	t, _, err := s.store.Read().TenantByName(ctx, name)
	if sb.ErrorCode(err) == sb.ENOTFOUND {
		return nil, notFound("tenant")
	}
	return t, err
}

// DeleteTenant deletes a tenant that holds no domains; operators only.
func (s *Service) DeleteTenant(ctx context.Context, actor sb.Actor, name string) error {
	if !actor.CanManageTenants() {
		return sb.Errorf(sb.EFORBIDDEN, "only operators may delete tenants")
	}
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		t, _, err := tx.TenantByName(ctx, name)
		if sb.ErrorCode(err) == sb.ENOTFOUND {
			return notFound("tenant")
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
			return sb.Errorf(sb.ECONFLICT, "tenant %s still holds %d domains: delete or move them first", name, n)
		}
		if err := tx.DeleteTenant(ctx, t.ID); err != nil {
			return err
		}
		return tx.Audit(ctx, s.now(), actor.String(), "tenant.delete", "tenant:"+name)
	})
}
