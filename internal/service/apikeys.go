package service

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/store"
)

// API key bounds: a name is for its owner's eyes; the count keeps the list
// one short page.
const (
	MaxAPIKeyName     = 64
	MaxAPIKeysPerUser = 20
)

var _ sb.APIKeyService = (*Service)(nil)

// apiKeyOwner loads the account a key operation acts on: the actor's own
// (an activated admin), or for operators and the command line the admin
// account email names.
func (s *Service) apiKeyOwner(ctx context.Context, tx *store.Tx, actor sb.Actor, email string) (*sb.Account, error) {
	if actor.IsMailbox() {
		a, err := s.sipAdmin(ctx, tx, actor)
		if err != nil {
			return nil, err
		}
		if email != "" && !strings.EqualFold(email, a.Email) {
			return nil, sb.Errorf(sb.EFORBIDDEN, "an admin makes API keys for itself only")
		}
		return a, nil
	}
	if !actor.CanManageAPIKeys() {
		return nil, sb.Errorf(sb.EFORBIDDEN, "only an admin account or an operator may create API keys")
	}
	a, err := accountByAddress(ctx, tx, email)
	if err != nil {
		return nil, err
	}
	if !a.Admin {
		return nil, sb.Errorf(sb.EINVALID, "account %s is not an admin: run switchboard account set-admin first", a.Email)
	}
	return a, nil
}

// checkAPIKeyName trims a key's name and checks it; "" is allowed (the
// key is then named by its creation time).
func checkAPIKeyName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > MaxAPIKeyName {
		return "", sb.FieldError("name", "The key name may be at most %d characters.", MaxAPIKeyName)
	}
	if strings.ContainsFunc(name, func(r rune) bool { return !unicode.IsPrint(r) }) || !utf8.ValidString(name) {
		return "", sb.FieldError("name", "The key name may hold only printable characters.")
	}
	return name, nil
}

// CreateAPIKey makes an API key for an admin account: an activated admin's
// own, or any admin's for an operator or the command line. The rights are
// checked in the transaction that writes.
func (s *Service) CreateAPIKey(ctx context.Context, actor sb.Actor, email, name string) (*sb.CreatedAPIKey, error) {
	name, err := checkAPIKeyName(name)
	if err != nil {
		return nil, err
	}
	key := auth.NewToken()
	var out *sb.CreatedAPIKey
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		a, err := s.apiKeyOwner(ctx, tx, actor, email)
		if err != nil {
			return err
		}
		keys, err := tx.APIKeys(ctx, a.ID)
		if err != nil {
			return err
		}
		if len(keys) >= MaxAPIKeysPerUser {
			return sb.Errorf(sb.ECONFLICT, "An account may hold at most %d API keys: revoke one first.", MaxAPIKeysPerUser)
		}
		now := s.now()
		if name == "" {
			name = "Key of " + now.UTC().Format("2006-01-02 15:04")
		}
		id, err := tx.CreateAPIKey(ctx, auth.HashToken(key), a.ID, name, now)
		if err != nil {
			return err
		}
		out = &sb.CreatedAPIKey{APIKey: sb.APIKey{ID: id, AccountID: a.ID, Email: a.Email, Name: name, CreatedAt: now}, Key: key}
		return tx.Audit(ctx, now, actor.String(), "apikey.create", "account:"+a.Email)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListAPIKeys lists an activated admin's own keys, or every key for an
// operator or the command line.
func (s *Service) ListAPIKeys(ctx context.Context, actor sb.Actor) ([]sb.APIKey, error) {
	tx := s.store.Read()
	if actor.IsMailbox() {
		a, err := s.sipAdmin(ctx, tx, actor)
		if err != nil {
			return nil, err
		}
		return tx.APIKeys(ctx, a.ID)
	}
	if !actor.CanManageAPIKeys() {
		return nil, sb.Errorf(sb.EFORBIDDEN, "only an admin account or an operator may list API keys")
	}
	return tx.APIKeys(ctx, 0)
}

// RevokeAPIKey deletes an API key: an activated admin's own (another's is
// ENOTFOUND), or any for an operator or the command line.
func (s *Service) RevokeAPIKey(ctx context.Context, actor sb.Actor, id int64) error {
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		if actor.IsMailbox() {
			a, err := s.sipAdmin(ctx, tx, actor)
			if err != nil {
				return err
			}
			k, err := tx.APIKeyByID(ctx, id)
			if sb.ErrorCode(err) == sb.ENOTFOUND || err == nil && k.AccountID != a.ID {
				return notFound("API key")
			}
			if err != nil {
				return err
			}
		} else if !actor.CanManageAPIKeys() {
			return sb.Errorf(sb.EFORBIDDEN, "only an admin account or an operator may revoke API keys")
		}
		if err := tx.DeleteAPIKey(ctx, id); err != nil {
			return err
		}
		return tx.Audit(ctx, s.now(), actor.String(), "apikey.revoke", fmt.Sprintf("apikey:%d", id))
	})
}
