package store

import (
	"context"
	"database/sql"
	"reflect"
	"sync"

	sb "github.com/switchboard/switchboard"
)

// users_count is kept by triggers (migration 0007).
const domainColumns = `d.id, d.name, d.tenant_id, (SELECT t.name FROM tenants t WHERE t.id = d.tenant_id), d.created_at,
	d.users_count, COALESCE(d.sip_realm, d.name), d.memo`

func scanDomain(row rowScanner) (*sb.Domain, error) {
	sc := domainScans.Get().(*domainScan)
	d, err := sc.scan(row)
	sc.d = sb.Domain{}
	domainScans.Put(sc)
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// domainScans keeps the destinations of one-row domain reads (scanDomain)
// from one read to the next, as accountScans does for accounts.
var domainScans = sync.Pool{New: func() any { return newDomainScan() }}

// domainScan is what a listed domain row is scanned into: one per list, as
// accountScan is for accounts (a new domain, its timestamp and its
// destinations each row were a sixth of GET /domains' allocations).
type domainScan struct {
	d       sb.Domain
	created int64
	dest    []any
}

func newDomainScan() *domainScan {
	s := &domainScan{}
	d := &s.d
	s.dest = []any{&d.ID, &d.Name, &d.TenantID, &d.TenantName, &s.created, &d.UsersCount, &d.Realm, &d.Memo}
	return s
}

// scan reads one row into a new domain (a value: nothing in it is shared).
func (s *domainScan) scan(row rowScanner) (sb.Domain, error) {
	s.d = sb.Domain{}
	if err := row.Scan(s.dest...); err != nil {
		return sb.Domain{}, err
	}
	d := s.d
	d.CreatedAt = fromUnix(s.created)
	return d, nil
}

// CreateDomain inserts a domain and sets its id.
func (tx *Tx) CreateDomain(ctx context.Context, d *sb.Domain) error {
	err := tx.queryRow(ctx, `INSERT INTO domains (name, tenant_id, created_at) VALUES (?, ?, ?) RETURNING id`,
		d.Name, d.TenantID, unix(d.CreatedAt)).Scan(&d.ID)
	return classify("domain "+d.Name, err)
}

// DomainByID returns a domain with its account count.
func (tx *Tx) DomainByID(ctx context.Context, id int64) (*sb.Domain, error) {
	d, err := scanDomain(tx.queryRow(ctx, `SELECT `+domainColumns+` FROM domains d WHERE d.id = ?`, id))
	return d, classify("domain", err)
}

// DomainByName returns a domain with its account count.
func (tx *Tx) DomainByName(ctx context.Context, name string) (*sb.Domain, error) {
	d, err := scanDomain(tx.queryRow(ctx, `SELECT `+domainColumns+` FROM domains d WHERE d.name = ?`, name))
	return d, classify("domain", err)
}

// EachDomain calls fn for domains (of one tenant, or all when tenantID is 0)
// in id order, one keyset page, reading them in chunks (see eachChunk).
func (tx *Tx) EachDomain(ctx context.Context, tenantID int64, page sb.Page, fn func(sb.Domain) error) error {
	return eachChunk(ctx, tx, "list domains", page, func(after int64, limit int) (string, []any) {
		if tenantID != 0 {
			return `SELECT ` + domainColumns + ` FROM domains d WHERE d.id > ? AND d.tenant_id = ? ORDER BY d.id LIMIT ?`,
				[]any{after, tenantID, limit}
		}
		return `SELECT ` + domainColumns + ` FROM domains d WHERE d.id > ? ORDER BY d.id LIMIT ?`, []any{after, limit}
	}, newDomainScan().scan, func(d sb.Domain) int64 { return d.ID }, fn)
}

// readChunk appends the rows of one chunk's query to chunk: from the read
// cache while the database has not changed since it kept them (see
// readCache), from the database otherwise. plain is plainRows(T): such a
// chunk is kept and copied back whole, other rows are kept as columns and
// replayed through scan. Either way scan must be a function of the row
// alone, as the cache's rows are of the database alone.
func readChunk[T any](ctx context.Context, tx *Tx, what, q string, args []any, scan func(rowScanner) (T, error), chunk []T, plain bool) ([]T, error) {
	var buf [keyBuf]byte
	var key []byte
	var hdr walHeader
	keepable := false
	if tx.cache != nil {
		var cacheable bool
		if key, cacheable = tx.cache.appendKey(buf[:0], q, args); cacheable {
			var kept any
			var hit bool
			kept, hdr, keepable, hit = tx.cache.get(key)
			if hit {
				switch kept := kept.(type) {
				case []T:
					return append(chunk, kept...), nil
				case [][]any:
					if out, ok := replay(kept, scan, chunk); ok {
						return out, nil
					}
				}
			}
		}
	}
	rows, err := tx.query(ctx, what, q, args...)
	if err != nil {
		return chunk, err
	}
	start := len(chunk)
	rec := &recorder{rows: rows, ok: keepable && !plain}
	err = each(rows, what, func(*sql.Rows) error {
		v, err := scan(rec)
		if err == nil {
			chunk = append(chunk, v)
		}
		return err
	})
	switch {
	case err != nil:
	case keepable && plain:
		putChunk(tx.cache, string(key), hdr, chunk[start:])
	case rec.ok:
		tx.cache.put(string(key), hdr, rec.kept)
	}
	return chunk, err
}

// replay scans kept rows; ok is false when one does not fit scan's
// destinations (then the chunk is read from the database).
func replay[T any](kept [][]any, scan func(rowScanner) (T, error), chunk []T) ([]T, bool) {
	start := len(chunk)
	var row keptRow // one for the chunk: a row made an interface each time was an allocation per row
	for _, r := range kept {
		row = r
		v, err := scan(&row)
		if err != nil {
			return chunk[:start], false
		}
		chunk = append(chunk, v)
	}
	return chunk, true
}

// DeleteDomain deletes a domain; its accounts go with it (ON DELETE CASCADE).
func (tx *Tx) DeleteDomain(ctx context.Context, id int64) error {
	return tx.updateOne(ctx, "domain", `DELETE FROM domains WHERE id = ?`, id)
}

// each runs fn for every row and closes rows.
func each(rows *sql.Rows, what string, fn func(*sql.Rows) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return classify(what, err)
		}
	}
	return classify(what, rows.Err())
}

// chunkPools holds what eachChunk knows of each row type T: a
// *chunkType.
var chunkPools sync.Map

// chunkType is a row type's pool of *[]T buffers and whether its rows are
// plain (plainRows).
type chunkType struct {
	sync.Pool
	plain bool
}

func chunkPool[T any]() *chunkType {
	t := reflect.TypeFor[T]()
	if p, ok := chunkPools.Load(t); ok {
		return p.(*chunkType)
	}
	p, _ := chunkPools.LoadOrStore(t, &chunkType{plain: plainRows(t)})
	return p.(*chunkType)
}

// chunkRows is how many rows eachChunk reads per query.
const chunkRows = 1000

// eachChunk calls fn for the rows of a keyset query, chunkRows at a time:
// query(after, limit) returns the SQL and arguments for up to limit rows
// with a key above after, in key order, and key reads a row's key. Each
// chunk's rows are closed before fn sees any of them, so a caller that
// writes to a slow client between rows never holds a database connection
// while it waits (eight such clients held every SQLite read connection).
// page.After and page.Limit (0: no limit) apply to the whole walk. Outside
// a transaction the chunks are separate reads: every row is seen at most
// once and in key order, but rows written during the walk may or may not be
// seen; inside one (InTx, ReadTx) it is one snapshot, as before.
func eachChunk[T any](ctx context.Context, tx *Tx, what string, page sb.Page,
	query func(after int64, limit int) (string, []any), scan func(rowScanner) (T, error),
	key func(T) int64, fn func(T) error) error {
	after, left := page.After, page.Limit
	// A page of a few rows (the usual first page) needs no room for a
	// whole chunk; append grows it for the long lists. The buffer is the
	// last walk's of the same row type when one is free: making it was an
	// eighth of a page's walk.
	pool := chunkPool[T]()
	buf, _ := pool.Get().(*[]T)
	if buf == nil {
		buf = new([]T)
	}
	chunk := (*buf)[:0]
	if want := min(chunkRows, max(page.Limit, 16)); cap(chunk) < want {
		chunk = make([]T, 0, want)
	}
	defer func() {
		clear(chunk[:cap(chunk)]) // no row outlives the walk through the pool
		*buf = chunk[:0]
		pool.Put(buf)
	}()
	for {
		limit := chunkRows
		if page.Limit > 0 {
			limit = min(limit, left)
		}
		q, args := query(after, limit)
		var err error
		if chunk, err = readChunk(ctx, tx, what, q, args, scan, chunk[:0], pool.plain); err != nil {
			return err
		}
		for _, v := range chunk {
			if err := fn(v); err != nil {
				return classify(what, err)
			}
		}
		if len(chunk) < limit {
			return nil
		}
		after = key(chunk[len(chunk)-1])
		if page.Limit > 0 {
			if left -= len(chunk); left == 0 {
				return nil
			}
		}
	}
}
