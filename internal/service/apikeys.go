package service

import (
	"context"
	"fmt"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/store"
)

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
