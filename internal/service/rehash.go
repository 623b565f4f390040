package service

import (
	"context"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/store"
)

// upgradeHash replaces the password hash of a mailbox that just logged in
// with password, when the hash is not the hasher's own argon2id (one kept
// from an import: bcrypt, SHA-crypt; or argon2id of other parameters), by
// a fresh argon2id hash of the same password. It runs only after a
// successful check, so the password is the right one; a password change
// meanwhile wins (the update asks for the old hash). A failure is logged,
// never the login's: the old hash still verifies.
func (s *Service) upgradeHash(ctx context.Context, a *sb.Account, old, password string) {
	if !s.hasher.NeedsRehash(old) {
		return
	}
	// A client gone now must not leave the weaker hash in place: neither
	// the hash's wait for a slot nor the write ends with the request.
	ctx = context.WithoutCancel(ctx)
	h, err := s.hash(ctx, password)
	if err == nil {
		err = s.store.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.UpgradePasswordHash(ctx, a.ID, old, h)
			return err
		})
	}
	if err != nil {
		s.log.ErrorContext(ctx, "password hash not upgraded", "account", a.ID, "err", err)
	}
}
