package digest

import (
	"context"
	"sync"
	"time"
)

// NonceCounter records the highest nonce-count seen for each nonce, so that a
// captured Authorization header cannot be replayed. Instances sharing a
// database implement it there, for example with
//
//	INSERT INTO digest_nonce (nonce, nc, expires_at) VALUES (?, ?, ?)
//	ON CONFLICT (nonce) DO UPDATE SET nc = excluded.nc WHERE digest_nonce.nc < excluded.nc
//
// treating one affected row as true, and deleting rows past expires_at now
// and then.
type NonceCounter interface {
	// Advance records nc for nonce and reports true when nc is greater than
	// any count recorded for it before. The record may be dropped after expires.
	Advance(ctx context.Context, nonce string, nc uint64, expires time.Time) (bool, error)
}

// minPrune is the table size below which MemoryCounter does not prune.
const minPrune = 64

// MemoryCounter is a NonceCounter in memory, for a single instance and tests.
type MemoryCounter struct {
	now func() time.Time

	mu        sync.Mutex
	seen      map[string]counterEntry
	pruneSize int // prune when the table reaches this size
}

type counterEntry struct {
	nc      uint64
	expires time.Time
}

// NewMemoryCounter returns an empty MemoryCounter reading time from now.
func NewMemoryCounter(now func() time.Time) *MemoryCounter {
	return &MemoryCounter{now: now, seen: make(map[string]counterEntry), pruneSize: minPrune}
}

// Advance implements NonceCounter. Counts start at 1, so 0 is refused, as are
// counts for a nonce past its expiry, whose record may already be gone.
func (m *MemoryCounter) Advance(_ context.Context, nonce string, nc uint64, expires time.Time) (bool, error) {
	now := m.now()
	if nc == 0 || !now.Before(expires) {
		return false, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.seen[nonce]; ok && nc <= e.nc {
		return false, nil
	}
	m.seen[nonce] = counterEntry{nc: nc, expires: expires}
	if len(m.seen) >= m.pruneSize {
		m.prune(now)
	}
	return true, nil
}

// Len returns the number of nonces tracked.
func (m *MemoryCounter) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.seen)
}

// prune drops expired entries. Pruning only when the table has doubled since
// the last pass keeps the cost amortised constant per Advance.
func (m *MemoryCounter) prune(now time.Time) {
	for k, e := range m.seen {
		if !now.Before(e.expires) {
			delete(m.seen, k)
		}
	}
	m.pruneSize = max(minPrune, 2*len(m.seen))
}
