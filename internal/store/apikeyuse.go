package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	sb "github.com/switchboard/switchboard"
)

// APIKeyUse returns the account holding an API key and when the key was
// last used (zero for never), in one read.
func (tx *Tx) APIKeyUse(ctx context.Context, keyHash string) (*sb.Account, time.Time, error) {
	var used int64
	a, err := scanAccount(tx.queryRow(ctx, `SELECT `+accountColumns+`, (SELECT COALESCE(last_used_at, 0) FROM api_keys WHERE key_hash = ?)
		FROM accounts WHERE id = (SELECT account_id FROM api_keys WHERE key_hash = ?)`, keyHash, keyHash), &used)
	if err != nil {
		return nil, time.Time{}, classify("API key", err)
	}
	var last time.Time
	if used != 0 {
		last = fromUnix(used)
	}
	return a, last, nil
}

// AttemptsLeft reports, without spending any, whether every key's bucket
// holds an attempt at now: the read-only side of ReserveAttempts, for
// credentials too random to guess, whose checks need no reservation.
func (s *Store) AttemptsLeft(ctx context.Context, keys []string, l AttemptLimit, now time.Time) (bool, error) {
	tx := s.Read()
	perMilli := 1 / float64(l.Every.Milliseconds())
	for _, k := range keys {
		var tokens float64
		var updated int64
		err := tx.queryRow(ctx, `SELECT tokens, updated_at FROM auth_attempts WHERE bucket = ?`, k).Scan(&tokens, &updated)
		if errors.Is(err, sql.ErrNoRows) {
			continue // never used: full
		}
		if err != nil {
			return false, classify("attempts", err)
		}
		refilled := min(float64(l.Burst), tokens+float64(max(0, now.UnixMilli()-updated))*perMilli)
		if refilled < 1 {
			return false, nil
		}
	}
	return true, nil
}
