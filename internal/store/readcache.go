package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// readCache keeps the rows of reads on the SQLite read pool for as long as
// the database has not changed, and not a moment longer.
//
// It knows whether the database has changed from SQLite's own signal: the
// wal-index header at the start of the "-shm" file, which every connection
// to the database, in this process or any other (the CLI, Dovecot,
// Postfix, a second instance), rewrites as the last step of each commit
// (https://www.sqlite.org/walformat.html#the_wal_index_file_format): its
// change counter goes up, and its frame count and checksums move with the
// log. A SQLite reader reads the same header to learn what it may see. So
// a cached row is returned only while the header is byte for byte the one
// it was read under: what the query would return at that moment is exactly
// what it returned then. A commit that revokes a token, deletes an account
// or ends a session changes the header before the commit returns, and the
// next read after it goes to the database.
//
// Rows read while the header changed (a commit ran beside the read) are not
// kept. Every commit drops every entry, so the cache pays off on instances
// that read far more than they write, the API's usual load; a store that
// writes all the time reads as it did without it. PostgreSQL has no such
// signal and gets no cache.
type readCache struct {
	mapMu sync.RWMutex // held to read index, and to unmap it: a read after close sees nil, not unmapped memory
	index []byte       // the start of the wal-index file, mapped as SQLite maps it
	pin   *sql.DB      // holds one connection open while the cache watches (see openReadCache)
	conn  *sql.Conn

	mu   sync.Mutex
	hdr  walHeader
	rows map[string]any // a key's rows: [][]any (kept by recorder, replayed) or a []T (a chunk of plain rows, see plainRows)
	n    int            // rows held, over all entries
	size int            // bytes held, about: keys, strings, 16 a value

	queries  sync.Map // query text -> queryName
	nQueries atomic.Int64

	hits, misses atomic.Int64
}

// walHeader is one copy of the wal-index header. The file holds two; a
// writer writes the second and then the first, and a reader that finds them
// different has caught a commit writing them.
type walHeader [48]byte

// Bounds on what the cache holds: entries, rows and bytes in all, and rows
// per entry (a page; a full chunk of a streamed list is not kept).
const (
	maxCacheEntries  = 4096
	maxCacheRows     = 20000
	maxCacheBytes    = 16 << 20
	maxRowsPerRead   = 100
	keyBuf           = 128 // bytes of a key built on the stack; a longer one grows onto the heap
	walHeaderIsInit  = 12  // offset of isInit in the header
	walHeaderVersion = 3007000
	walIndexMapped   = 4096 // bytes of the wal-index file mapped: its first page, past both copies of the header
)

// openReadCache opens the read cache of the SQLite database at path, or
// returns nil when the database keeps no wal-index file (not in WAL mode,
// or in exclusive locking mode, where the index lives in the process's
// heap) or it cannot be mapped: then there is nothing to watch and no cache.
//
// The header is read from memory, as SQLite's own connections read it: the
// first page of the file, mapped shared. The cache holds a connection of
// its own open for as long as it watches: while one is open, no connection
// anywhere takes the lock SQLite needs to truncate or delete the file (it
// does so only as the first to open the database or the last to close
// it), so the mapping stays the file every connection writes. Its reads
// are exactly as fresh as this process's own connections' reads: they watch
// the same pages (a file deleted by hand under a running database is left
// behind by both).
func openReadCache(ctx context.Context, path, dsn string) *readCache {
	pin, err := openSQLite(dsn)
	if err != nil {
		return nil
	}
	pin.SetMaxOpenConns(1)
	c := &readCache{pin: pin, rows: make(map[string]any)}
	if c.conn, err = pin.Conn(ctx); err != nil {
		c.close()
		return nil
	}
	// A read maps the wal-index file and takes the shared lock that keeps it.
	var n int
	if err := c.conn.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema`).Scan(&n); err != nil {
		c.close()
		return nil
	}
	if c.index, err = mapIndex(path + "-shm"); err != nil {
		c.close()
		return nil
	}
	h, ok := c.version()
	if !ok || uint32(h[0])|uint32(h[1])<<8|uint32(h[2])<<16|uint32(h[3])<<24 != walHeaderVersion &&
		uint32(h[3])|uint32(h[2])<<8|uint32(h[1])<<16|uint32(h[0])<<24 != walHeaderVersion {
		c.close()
		return nil
	}
	return c
}

func (c *readCache) close() error {
	if c == nil {
		return nil
	}
	var err error
	c.mapMu.Lock()
	if c.index != nil {
		err = unmapIndex(c.index)
		c.index = nil
	}
	c.mapMu.Unlock()
	if c.conn != nil {
		err = errors.Join(err, c.conn.Close())
	}
	return errors.Join(err, c.pin.Close())
}

// version reads the header; ok is false when its two copies differ (a
// commit is writing it) or it is not initialised. The copies are read as
// SQLite's walIndexTryHdr reads them, the first before the second (atomic
// loads order them), so a commit caught writing them shows as a difference.
func (c *readCache) version() (h walHeader, ok bool) {
	var b [2 * len(walHeader{})]byte
	c.mapMu.RLock()
	if c.index == nil { // closed
		c.mapMu.RUnlock()
		return h, false
	}
	loadIndex(c.index, b[:])
	c.mapMu.RUnlock()
	if !bytes.Equal(b[:len(h)], b[len(h):]) || b[walHeaderIsInit] != 1 {
		return h, false
	}
	copy(h[:], b[:len(h)])
	return h, true
}

// get returns the rows kept for key if the database has not changed since
// they were read. hdr is the header read before looking, for put; keep is
// false when the header could not be read whole, and nothing read now may
// be kept.
func (c *readCache) get(key []byte) (rows any, hdr walHeader, keep, hit bool) {
	hdr, keep = c.version()
	if !keep {
		return nil, hdr, false, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hdr != hdr {
		clear(c.rows)
		c.n, c.size = 0, 0
		c.hdr = hdr
		c.misses.Add(1)
		return nil, hdr, true, false
	}
	rows, hit = c.rows[string(key)]
	if hit {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
	return rows, hdr, true, hit
}

// put keeps rows read under hdr (from get, read before the query ran) if
// the database still has not changed: then no commit landed while the query
// ran, and rows are what the database held at hdr.
func (c *readCache) put(key string, hdr walHeader, rows [][]any) {
	if len(rows) > maxRowsPerRead {
		return
	}
	c.keep(key, hdr, rows, len(rows), sizeOf(key, rows))
}

// putChunk keeps a chunk of plain rows (see plainRows) as put keeps rows:
// a copy, which the cache shares with every reader after it.
func putChunk[T any](c *readCache, key string, hdr walHeader, chunk []T) {
	if len(chunk) > maxRowsPerRead {
		return
	}
	c.keep(key, hdr, slices.Clone(chunk), len(chunk), len(key)+plainSize(reflect.ValueOf(chunk)))
}

// keep is put's and putChunk's: v holds n rows of about size bytes.
func (c *readCache) keep(key string, hdr walHeader, v any, n, size int) {
	if now, ok := c.version(); !ok || now != hdr {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hdr != hdr || len(c.rows) >= maxCacheEntries || c.n+n > maxCacheRows || c.size+size > maxCacheBytes {
		return
	}
	if _, ok := c.rows[key]; !ok {
		c.rows[key] = v
		c.n += n
		c.size += size
	}
}

// plainRows reports whether a row type holds values only, all the way
// down: numbers, booleans, strings (immutable), times (their *Location is
// never changed) and structs or arrays of those. A chunk of such rows can
// be copied out of the cache as it is, without replaying each row through
// its scan function: a replayed page of 100 mailboxes was a tenth of
// GET /users. A row with a slice, map or pointer is replayed instead, so
// that no reader can change what the next one reads.
func plainRows(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64, reflect.String:
		return true
	case reflect.Array:
		return plainRows(t.Elem())
	case reflect.Struct:
		if t == reflect.TypeFor[time.Time]() {
			return true
		}
		for i := range t.NumField() {
			if !plainRows(t.Field(i).Type) {
				return false
			}
		}
		return true
	}
	return false
}

// plainSize is about how many bytes a plain value holds: its own and its
// strings'.
func plainSize(v reflect.Value) int {
	switch v.Kind() {
	case reflect.String:
		return 16 + v.Len()
	case reflect.Slice, reflect.Array:
		n := 24
		for i := range v.Len() {
			n += plainSize(v.Index(i))
		}
		return n
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return int(v.Type().Size())
		}
		n := 0
		for i := range v.NumField() {
			n += plainSize(v.Field(i))
		}
		return n
	}
	return int(v.Type().Size())
}

// sizeOf is about how many bytes an entry holds.
func sizeOf(key string, rows [][]any) int {
	n := len(key)
	for _, r := range rows {
		for _, v := range r {
			n += 16
			switch v := v.(type) {
			case string:
				n += len(v)
			case []byte:
				n += len(v)
			case sql.NullString:
				n += len(v.String)
			}
		}
	}
	return n
}

// appendKey spells, after dst, a query and its arguments as one key, each
// argument with its type and, for strings, its length, so that no two
// different calls share a key. ok is false for a statement that is not a plain SELECT or an
// argument of another type: those are not cached.
//
// The query is spelled by a short name the cache gives each query text the
// first time it sees it, with whether it is a plain SELECT: copying and
// scanning a query's few hundred bytes on every read was a twentieth of a
// cached request. Past maxQueryNames texts (the store's queries are a few
// hundred) a query is spelled in full, behind a different first byte. The
// key is built in the caller's buffer and looked up as it is: a map lookup
// by string(key) does not copy it, so a hit allocates nothing for its key.
func (c *readCache) appendKey(dst []byte, query string, args []any) (key []byte, ok bool) {
	q := c.name(query)
	if !q.cacheable {
		return dst, false
	}
	dst = append(dst, q.name...)
	for _, a := range args {
		dst = append(dst, 0)
		switch v := a.(type) {
		case int64:
			dst = append(dst, 'i')
			dst = strconv.AppendInt(dst, v, 10)
		case int:
			dst = append(dst, 'i')
			dst = strconv.AppendInt(dst, int64(v), 10)
		case string:
			dst = append(dst, 's')
			dst = strconv.AppendInt(dst, int64(len(v)), 10)
			dst = append(dst, ':')
			dst = append(dst, v...)
		case bool:
			dst = append(dst, 'b')
			dst = strconv.AppendBool(dst, v)
		default:
			return dst, false
		}
	}
	return dst, true
}

// queryName is what the cache knows of a query text.
type queryName struct {
	name      string
	cacheable bool
}

// name returns what the cache knows of query, learning it the first time.
func (c *readCache) name(query string) queryName {
	if v, seen := c.queries.Load(query); seen {
		return v.(queryName)
	}
	q := queryName{cacheable: isSelect(query)}
	n := c.nQueries.Add(1)
	if n > maxQueryNames {
		q.name = "\x02" + query
		return q
	}
	q.name = "\x01" + strconv.FormatInt(n, 36)
	v, _ := c.queries.LoadOrStore(query, q)
	return v.(queryName)
}

const maxQueryNames = 4096

// isSelect reports whether query is a SELECT. The store's reads use no
// function whose value changes without a commit (no random(), no 'now':
// the time is always an argument), so a SELECT's rows depend on its
// arguments and the database alone.
func isSelect(query string) bool {
	q := strings.TrimLeft(query, " \t\r\n")
	return len(q) > 6 && strings.EqualFold(q[:6], "SELECT") && !containsFold(q, "random(")
}

// containsFold reports whether s holds sub (lower-case ASCII) in any case,
// without copying s: isSelect runs on every cacheable read.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// rowScanner is what scan functions read a row from: *sql.Row, *sql.Rows,
// or a row the cache kept.
type rowScanner interface {
	Scan(dest ...any) error
}

// keptRow replays a kept row into a scan function's destinations.
type keptRow []any

func (r keptRow) Scan(dest ...any) error {
	if len(dest) != len(r) {
		return fmt.Errorf("kept row has %d columns, scan wants %d", len(r), len(dest))
	}
	// The store's columns are these few types: assigned without reflect,
	// a third of a replayed page's time otherwise.
	for i, d := range dest {
		if !assign(d, r[i]) {
			return r.scanReflect(dest)
		}
	}
	return nil
}

// scanReflect is Scan for any destination types, checking each.
func (r keptRow) scanReflect(dest []any) error {
	for i, d := range dest {
		v := reflect.ValueOf(d)
		if v.Kind() != reflect.Pointer || v.IsNil() || !reflect.TypeOf(r[i]).AssignableTo(v.Elem().Type()) {
			return fmt.Errorf("kept row's column %d is a %T, scan wants %T", i, r[i], d)
		}
	}
	for i, d := range dest {
		v := reflect.ValueOf(r[i])
		if b, ok := r[i].([]byte); ok {
			v = reflect.ValueOf(bytes.Clone(b))
		}
		reflect.ValueOf(d).Elem().Set(v)
	}
	return nil
}

// assign sets *d to v when both are one of the store's usual column types;
// false otherwise (then Scan falls back to reflect, which checks types).
func assign(d, v any) bool {
	switch d := d.(type) {
	case *int64:
		return set(d, v)
	case *string:
		return set(d, v)
	case *bool:
		return set(d, v)
	case *int:
		return set(d, v)
	case *float64:
		return set(d, v)
	case *sql.NullInt64:
		return set(d, v)
	case *sql.NullString:
		return set(d, v)
	}
	return false
}

// set sets *d to v if v is a T.
func set[T any](d *T, v any) bool {
	x, ok := v.(T)
	*d = x
	return ok
}

// keep copies the values a Scan wrote into dest, or returns false when one
// of them could share memory with the next reader (a pointer, a slice but
// []byte, which is copied, a map): those rows are not kept.
func keep(dest []any) (keptRow, bool) {
	row := make(keptRow, len(dest))
	for i, d := range dest {
		v := reflect.ValueOf(d)
		if v.Kind() != reflect.Pointer || v.IsNil() {
			return nil, false
		}
		e := v.Elem()
		switch e.Kind() {
		case reflect.Pointer, reflect.Map, reflect.Interface, reflect.Chan, reflect.Func, reflect.UnsafePointer:
			return nil, false
		case reflect.Slice:
			b, ok := e.Interface().([]byte)
			if !ok {
				return nil, false
			}
			row[i] = bytes.Clone(b)
			continue
		case reflect.Struct:
			if !plainStruct(e.Type()) {
				return nil, false
			}
		}
		row[i] = e.Interface()
	}
	return row, true
}

// plainStruct reports whether a struct (sql.NullInt64 and the like) holds
// only values.
func plainStruct(t reflect.Type) bool {
	for i := range t.NumField() {
		switch t.Field(i).Type.Kind() {
		case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
			reflect.Float32, reflect.Float64, reflect.String:
		default:
			return false
		}
	}
	return true
}

// cachedRow is a one-row read on the read pool: Scan answers from the cache
// while the database has not changed, and reads it otherwise.
type cachedRow struct {
	tx    *Tx
	query string
	args  []any
	run   func() *sql.Row
}

func (r *cachedRow) Scan(dest ...any) error {
	c := r.tx.cache
	var buf [keyBuf]byte
	key, cacheable := c.appendKey(buf[:0], r.query, r.args)
	if !cacheable {
		return r.run().Scan(dest...)
	}
	v, hdr, keepable, hit := c.get(key)
	if rows, ok := v.([][]any); hit && ok && len(rows) == 1 && keptRow(rows[0]).Scan(dest...) == nil {
		return nil
	}
	if err := r.run().Scan(dest...); err != nil {
		return err
	}
	if keepable {
		if row, ok := keep(dest); ok {
			c.put(string(key), hdr, [][]any{row})
		}
	}
	return nil
}

// recorder passes Scan to rows and keeps what each row scanned.
type recorder struct {
	rows *sql.Rows
	kept [][]any
	ok   bool
}

func (r *recorder) Scan(dest ...any) error {
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	if r.ok {
		row, ok := keep(dest)
		r.ok = ok && len(r.kept) < maxRowsPerRead
		if r.ok {
			r.kept = append(r.kept, row)
		}
	}
	return nil
}
