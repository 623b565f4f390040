package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// AttemptLimit is the token bucket of one key: Burst attempts, refilled one
// per Every.
type AttemptLimit struct {
	Burst int
	Every time.Duration
}

// errBucketEmpty rolls back a reservation that one key cannot pay for.
var errBucketEmpty = errors.New("attempt bucket empty")

// ReserveAttempts spends one attempt of every key's bucket, all or none:
// false (and nothing spent) when any bucket is empty. It runs in a
// transaction of its own, one statement per key, so concurrent reservations
// of one key, from any instance, are counted one after the other.
func (s *Store) ReserveAttempts(ctx context.Context, keys []string, l AttemptLimit, now time.Time) (bool, error) {
	err := s.InTx(ctx, func(tx *Tx) error {
		for _, k := range keys {
			ok, err := tx.reserveAttempt(ctx, k, l, now)
			if err != nil {
				return err
			}
			if !ok {
				return errBucketEmpty
			}
		}
		return nil
	})
	if errors.Is(err, errBucketEmpty) {
		return false, nil
	}
	return err == nil, err
}

func (tx *Tx) minMax() (min, max string) {
	if tx.dialect == Postgres {
		return "LEAST", "GREATEST"
	}
	return "MIN", "MAX"
}

// reserveAttempt refills the bucket of key for the time passed since its
// last use and spends one attempt, in one upsert: the update's WHERE keeps
// an empty bucket as it is and then returns no row.
func (tx *Tx) reserveAttempt(ctx context.Context, key string, l AttemptLimit, now time.Time) (bool, error) {
	min, max := tx.minMax()
	perMilli := 1 / float64(l.Every.Milliseconds())
	refilled := fmt.Sprintf("%s(%d, auth_attempts.tokens + %s(0, excluded.updated_at - auth_attempts.updated_at) * %g)",
		min, l.Burst, max, perMilli)
	q := `INSERT INTO auth_attempts (bucket, tokens, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (bucket) DO UPDATE SET tokens = ` + refilled + ` - 1,
			updated_at = ` + max + `(auth_attempts.updated_at, excluded.updated_at)
		WHERE ` + refilled + ` >= 1
		RETURNING tokens`
	var left float64
	err := tx.queryRow(ctx, q, key, float64(l.Burst-1), now.UnixMilli()).Scan(&left)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, classify("attempts", err)
	}
	return true, nil
}

// RefundAttempts gives back one attempt of every key: the secret was right.
func (s *Store) RefundAttempts(ctx context.Context, keys []string, l AttemptLimit) error {
	return s.InTx(ctx, func(tx *Tx) error {
		min, _ := tx.minMax()
		for _, k := range keys {
			if _, err := tx.exec(ctx, "attempts", fmt.Sprintf(`UPDATE auth_attempts SET tokens = %s(%d, tokens + 1) WHERE bucket = ?`,
				min, l.Burst), k); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteIdleAttempts forgets buckets unused since before: they are full
// again by then.
func (tx *Tx) DeleteIdleAttempts(ctx context.Context, before time.Time) error {
	_, err := tx.exec(ctx, "attempts", `DELETE FROM auth_attempts WHERE updated_at < ?`, before.UnixMilli())
	return err
}
