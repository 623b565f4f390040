package service

import (
	"context"
)

// guardRandom is guard for a credential of 256 random bits, such as an API
// key, presented with no identity to name: the client IP's bucket is
// read, and a client whose bucket is spent is refused as guard refuses it,
// but an attempt is spent only when check fails (and a failure that finds
// the bucket spent is refused as ERATELIMIT). guard reserves an attempt
// before every check so that concurrent guesses of a password count;
// nobody guesses 256 random bits, concurrently or not, while the two
// writes of a reservation and its refund on every request were most of
// the cost of an API call, and with more than a bucket's worth of calls in
// flight at once, a client with a valid key was refused (ERATELIMIT).
func (s *Service) guardRandom(ctx context.Context, ip string, check func() (failed bool, err error)) error {
	keys := []string{"ip:" + ip}
	ok, err := s.store.AttemptsLeft(ctx, keys, s.attempts, s.now())
	if err != nil {
		return err
	}
	if !ok {
		return s.tooManyAttempts()
	}
	failed, err := check()
	if failed {
		// A wrong key spends an attempt; one that finds the bucket spent
		// (by the guesses running beside it) is answered as the bucket's
		// refusal, so a burst of wrong keys is rate-limited as a burst of
		// wrong passwords is.
		ok, rerr := s.store.ReserveAttempts(context.WithoutCancel(ctx), keys, s.attempts, s.now())
		if rerr != nil {
			return rerr
		}
		if !ok {
			return s.tooManyAttempts()
		}
	}
	return err
}
