package store

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
)

// Keys spell the argument's type and length: no two different calls share
// one, and only SELECTs with plain arguments are cached.
func TestReadCacheKey(t *testing.T) {
	type call struct {
		q    string
		args []any
	}
	distinct := []call{
		{"SELECT a FROM t WHERE x = ? AND y = ?", []any{"a b", ""}},
		{"SELECT a FROM t WHERE x = ? AND y = ?", []any{"a", " b"}},
		{"SELECT a FROM t WHERE x = ? AND y = ?", []any{"a", "b"}},
		{"SELECT a FROM t WHERE x = ? AND y = ?", []any{"ab", ""}},
		{"SELECT a FROM t WHERE x = ? AND y = ?", []any{"1", int64(1)}},
		{"SELECT a FROM t WHERE x = ? AND y = ?", []any{int64(1), "1"}},
		{"SELECT a FROM t WHERE x = ? AND y = ?", []any{int64(11), ""}},
		{"SELECT a FROM t WHERE x = ? AND y = ?", []any{true, ""}},
		{"SELECT a FROM t WHERE x = ? AND y = ?", []any{"s1:x", ""}},
		{"SELECT a FROM t WHERE x = ?", []any{"a\x00sb"}},
		{"SELECT a FROM t WHERE x = ?", []any{"a"}},
	}
	// A fresh cache names each query; one about to run out of names spells
	// the later ones in full, so that both forms meet in one cache. Each
	// call is keyed twice: the second time the query's name is known.
	fresh, mixed := &readCache{}, &readCache{}
	mixed.nQueries.Store(maxQueryNames - 1) // the first query is named, the second spelled in full
	for _, rc := range []*readCache{fresh, mixed} {
		seen := map[string]int{}
		for i, c := range distinct {
			kb, ok := rc.appendKey(nil, c.q, c.args)
			k := string(kb)
			if !ok {
				t.Fatalf("call %d (%q %v) not cacheable", i, c.q, c.args)
			}
			if again, _ := rc.appendKey([]byte("prefix"), c.q, c.args); string(again[len("prefix"):]) != k {
				t.Errorf("call %d keyed %q, then %q", i, k, again)
			}
			if j, dup := seen[k]; dup {
				t.Errorf("calls %d and %d share the key %q", j, i, k)
			}
			seen[k] = i
		}
	}
	rc := &readCache{}
	for _, c := range []call{
		{"INSERT INTO t (a) VALUES (?) RETURNING id", []any{"a"}},
		{"  UPDATE t SET a = 1 RETURNING a", nil},
		{"SELECT abs(random()) FROM t", nil},
		{"select abs(RANDOM()) from t", nil},
		{"SELECT a FROM t WHERE x = ?", []any{1.5}},
		{"SELECT a FROM t WHERE x = ?", []any{[]byte("a")}},
		{"SELECT a FROM t WHERE x = ?", []any{nil}},
	} {
		for range 2 {
			if k, ok := rc.appendKey(nil, c.q, c.args); ok {
				t.Errorf("%q %v is cached as %q", c.q, c.args, k)
			}
		}
	}
}

// A kept row is only replayed into destinations of its own types, and a
// scan that could share memory with the next reader is not kept.
func TestKeptRow(t *testing.T) {
	var id int64
	var name string
	raw := []byte("ab")
	row, ok := keep([]any{&id, &name, &raw})
	if !ok {
		t.Fatal("plain values not kept")
	}
	raw[0] = 'x'
	var id2 int64
	var name2 string
	var raw2 []byte
	if err := row.Scan(&id2, &name2, &raw2); err != nil {
		t.Fatal(err)
	}
	raw2 = append(raw2[:0], 'y')
	var raw3 []byte
	if err := row.Scan(&id2, &name2, &raw3); err != nil || string(raw3) != "ab" {
		t.Fatalf("a reader's bytes reached the kept row: %q, %v", raw3, err)
	}
	var wrong int32
	if err := row.Scan(&wrong, &name2, &raw2); err == nil {
		t.Error("kept int64 scanned into an int32")
	}
	if err := row.Scan(&id2, &name2); err == nil {
		t.Error("kept row of 3 columns scanned into 2")
	}
	var p *string
	var m map[string]int
	var a any
	for _, dest := range [][]any{{&p}, {&m}, {&a}} {
		if _, ok := keep(dest); ok {
			t.Errorf("%T kept", dest[0])
		}
	}
}

// The cache holds at most maxCacheBytes: an entry that would pass it is
// not kept, and the next commit empties it.
func TestReadCacheBytes(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, "sqlite:"+t.TempDir()+"/switchboard.db", "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := st.cache
	if c == nil {
		t.Fatal("no read cache")
	}
	big := [][]any{{string(make([]byte, maxCacheBytes*2/5))}}
	for i, want := range []bool{true, true, false} {
		key := fmt.Sprint("key", i)
		_, hdr, keepable, _ := c.get([]byte(key))
		if !keepable {
			t.Fatal("header unreadable")
		}
		c.put(key, hdr, big)
		if _, _, _, hit := c.get([]byte(key)); hit != want {
			t.Errorf("entry %d of %d bytes, %d held before it: kept %v, want %v", i, sizeOf(key, big), c.size, hit, want)
		}
	}
	if err := st.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, "test", `INSERT INTO auth_attempts (bucket, tokens, updated_at) VALUES ('test', 1, 0)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, hit := c.get([]byte("key0")); hit || c.size != 0 {
		t.Errorf("after a commit: hit %v, %d bytes held", hit, c.size)
	}
}

// The cache's own connection keeps the wal-index file it maps: the last
// other connection to the database closing leaves it (without that
// connection SQLite deletes it then), and commits made after, by a
// connection opened anew, move the header the cache reads.
func TestReadCacheKeepsItsIndexFile(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/keep.db"
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)"
	commit := func(q string) {
		t.Helper()
		db, err := openSQLite(dsn)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	commit(`CREATE TABLE t (x INTEGER)`)
	if _, err := os.Stat(path + "-shm"); !os.IsNotExist(err) {
		t.Fatalf("the wal-index file outlived the last connection (%v): this test shows nothing here", err)
	}
	// openReadCache needs the file, as Open has it after Migrate.
	db, err := openSQLite(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `INSERT INTO t VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	c := openReadCache(ctx, path, dsn)
	if c == nil {
		t.Fatal("no read cache")
	}
	defer c.close()
	if err := db.Close(); err != nil { // the last connection but the cache's
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-shm"); err != nil {
		t.Fatalf("the cache's wal-index file is gone: %v", err)
	}
	before, ok := c.version()
	if !ok {
		t.Fatal("header unreadable")
	}
	commit(`INSERT INTO t VALUES (2)`)
	if after, ok := c.version(); !ok || after == before {
		t.Fatalf("a commit by a new connection did not move the header the cache reads (ok %v)", ok)
	}
}

// Rows whose values are all values, down to their fields, are kept as a
// chunk and copied back whole; a row with anything a reader could change
// in place for the next reader is replayed.
func TestPlainRows(t *testing.T) {
	type inner struct {
		N    int64
		Name string
	}
	for _, c := range []struct {
		typ  reflect.Type
		want bool
	}{
		{reflect.TypeFor[sb.MailboxUsage](), true},
		{reflect.TypeFor[sb.Domain](), true}, // a time.Time is a value
		{reflect.TypeFor[struct {
			A [2]inner
			B float64
			C bool
		}](), true},
		{reflect.TypeFor[int64](), true},
		{reflect.TypeFor[sb.Alias](), false},   // its destinations are a slice
		{reflect.TypeFor[sb.Account](), false}, // its forwards are a slice
		{reflect.TypeFor[struct{ P *int64 }](), false},
		{reflect.TypeFor[struct{ M map[string]int }](), false},
		{reflect.TypeFor[struct{ B []byte }](), false},
		{reflect.TypeFor[struct{ I any }](), false},
		{reflect.TypeFor[struct{ A [1]*int }](), false},
		{reflect.TypeFor[struct{ In struct{ S []string } }](), false},
	} {
		if got := plainRows(c.typ); got != c.want {
			t.Errorf("plainRows(%v) = %v, want %v", c.typ, got, c.want)
		}
	}
}

// A plain chunk is kept as a copy: the walk's own buffer, cleared after
// it, is not what the cache holds, and the second walk is answered from
// the chunk with the same rows.
func TestPlainChunkKept(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "sqlite:"+t.TempDir()+"/switchboard.db", "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ten := &sb.Tenant{Name: "acme", Role: sb.RoleTenant, CreatedAt: time.Now()}
	err = s.InTx(ctx, func(tx *Tx) error {
		if err := tx.CreateTenant(ctx, ten, "hash"); err != nil {
			return err
		}
		for _, name := range []string{"a.example", "b.example", "c.example"} {
			if err := tx.CreateDomain(ctx, &sb.Domain{Name: name, TenantID: ten.ID, CreatedAt: time.Unix(1_700_000_000, 0).UTC()}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	walk := func() []sb.Domain {
		var out []sb.Domain
		if err := s.Read().EachDomain(ctx, ten.ID, sb.Page{Limit: 10}, func(d sb.Domain) error { out = append(out, d); return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	first := walk()
	hits, _, _ := s.ReadCacheStats()
	second := walk()
	if h, _, _ := s.ReadCacheStats(); h != hits+1 {
		t.Fatalf("the second walk made %d hits, want 1", h-hits)
	}
	if len(first) != 3 || !reflect.DeepEqual(first, second) {
		t.Fatalf("first walk %+v, second %+v", first, second)
	}
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	var chunks int
	for _, v := range s.cache.rows {
		if kept, ok := v.([]sb.Domain); ok {
			chunks++
			if !reflect.DeepEqual(kept, first) {
				t.Errorf("the cache holds %+v, want %+v", kept, first)
			}
		}
	}
	if chunks != 1 {
		t.Errorf("the cache holds %d chunks of domains, want 1", chunks)
	}
}
