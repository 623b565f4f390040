package switchboard

import (
	"context"
	"time"
)

// APIKey is an admin account's key for the SIP account API (sent as
// x-api-key); only its digest is stored.
type APIKey struct {
	ID         int64
	AccountID  int64
	Email      string // the account's address
	Name       string // what its owner calls it
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used
}

// CreatedAPIKey is a new key with its secret, shown once.
type CreatedAPIKey struct {
	APIKey
	Key string
}

// APIKeyService manages API keys. An activated admin account manages its
// own keys only (another's key is ENOTFOUND to it); operators and the
// command line manage every key.
type APIKeyService interface {
	// CreateAPIKey makes a key for the admin account email ("": the
	// actor's own account).
	CreateAPIKey(ctx context.Context, actor Actor, email, name string) (*CreatedAPIKey, error)
	// ListAPIKeys lists the actor's own keys, or every key for an operator.
	ListAPIKeys(ctx context.Context, actor Actor) ([]APIKey, error)
	// RevokeAPIKey deletes a key at once: it authenticates nothing after.
	RevokeAPIKey(ctx context.Context, actor Actor, id int64) error
}

// CanManageAPIKeys reports whether the actor may manage every account's
// API keys: operators and the command line.
func (a Actor) CanManageAPIKeys() bool { return !a.IsMailbox() && a.IsOperator() }
