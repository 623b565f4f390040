package auth

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter limits failed credential checks per key (a user name, an IP).
// Each key holds a token bucket; a failure spends one token, and a check is
// refused while the bucket is empty. Limits are per instance.
type Limiter struct {
	mu      sync.Mutex
	every   time.Duration
	burst   int
	now     func() time.Time
	buckets map[string]*rate.Limiter
	swept   time.Time
}

// NewLimiter allows burst failures per key, refilled one per every.
func NewLimiter(burst int, every time.Duration, now func() time.Time) *Limiter {
	return &Limiter{every: every, burst: burst, now: now, buckets: map[string]*rate.Limiter{}}
}

func (l *Limiter) bucket(key string) *rate.Limiter {
	b, ok := l.buckets[key]
	if !ok {
		b = rate.NewLimiter(rate.Every(l.every), l.burst)
		l.buckets[key] = b
	}
	return b
}

// Allowed reports whether every key still has a failure to spend.
func (l *Limiter) Allowed(keys ...string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, k := range keys {
		if b, ok := l.buckets[k]; ok && b.TokensAt(now) < 1 {
			return false
		}
	}
	return true
}

// Wait is how long until every key has a failure to spend again: 0 when
// Allowed.
func (l *Limiter) Wait(keys ...string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var wait time.Duration
	for _, k := range keys {
		b, ok := l.buckets[k]
		if !ok {
			continue
		}
		if t := b.TokensAt(now); t < 1 {
			// At least 1 ns: a bucket a hair short of one token is
			// still empty.
			wait = max(wait, time.Duration(math.Round((1-t)*float64(l.every))), 1)
		}
	}
	return wait
}

// Fail spends one failure of every key.
func (l *Limiter) Fail(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, k := range keys {
		l.bucket(k).AllowN(now, 1)
	}
	l.sweep(now)
}

// sweep drops full buckets now and then so the map does not grow without
// bound under a spray of distinct keys.
func (l *Limiter) sweep(now time.Time) {
	if now.Sub(l.swept) < time.Minute && len(l.buckets) < 100000 {
		return
	}
	l.swept = now
	for k, b := range l.buckets {
		if b.TokensAt(now) >= float64(l.burst) {
			delete(l.buckets, k)
		}
	}
}
