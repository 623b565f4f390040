package httpapi_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/archive"
	"github.com/switchboard/switchboard/internal/maildir"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
	"github.com/switchboard/switchboard/internal/testenv"
)

// zeroBomb is a well-formed domain export whose one file is size zero
// bytes, with its true size and digest in the manifest: only its expansion
// gives it away.
func zeroBomb(t *testing.T, size int64) []byte {
	t.Helper()
	zeros := make([]byte, 1<<20)
	each := func(fn func([]byte)) {
		for n := int64(0); n < size; n += int64(len(zeros)) {
			fn(zeros[:min(int64(len(zeros)), size-n)])
		}
	}
	h := sha256.New()
	each(func(b []byte) { h.Write(b) })
	m, _ := json.Marshal(archive.Manifest{Format: archive.Format, Version: archive.Version, Domain: "bomb.example",
		Files: map[string]archive.FileSum{"accounts.jsonl": {Size: size, SHA256: hex.EncodeToString(h.Sum(nil))}}})
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: "manifest.json", Size: int64(len(m)), Mode: 0o600, Typeflag: tar.TypeReg})
	tw.Write(m)
	tw.WriteHeader(&tar.Header{Name: "accounts.jsonl", Size: size, Mode: 0o600, Typeflag: tar.TypeReg})
	each(func(b []byte) { tw.Write(b) })
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

// countingBody counts what the server read of an upload.
type countingBody struct {
	r io.Reader
	n int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func TestImportRefusesCompressionBombs(t *testing.T) {
	bomb := zeroBomb(t, 256<<20) // 256 MiB of zeros in about 250 KB
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		spool := t.TempDir()
		tests := []struct {
			name   string
			limits service.ImportLimits
			msg    string
		}{
			{"the default expansion ratio refuses a bomb", service.ImportLimits{SpoolDir: spool},
				"expands more than 100 times over"},
			{"the total expanded size refuses a bomb", service.ImportLimits{SpoolDir: spool, MaxBytes: 8 << 20, MaxRatio: -1},
				"expands to more than 8388608 bytes"},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := newEnvWith(t, st, 0, func(c *service.Config) { c.Import = tt.limits })
				// Count what the handler reads of the upload (the server
				// itself drains some of what is left, after it).
				var body *countingBody
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					body = &countingBody{r: r.Body}
					r.Body = io.NopCloser(body)
					e.api.ServeHTTP(w, r)
				}))
				defer srv.Close()
				e.url = srv.URL
				tok := e.tenant(fmt.Sprintf("bomber%d", i), sb.RoleTenant)
				before := e.snapshot()
				e.raw("POST", "/import/domain", tok, "application/gzip", bytes.NewReader(bomb)).wantError(413, tt.msg)
				e.unchanged(before)
				// Refused as soon as a bound was crossed: most of the upload
				// was never read, so little was ever written.
				if body.n > int64(len(bomb))/2 {
					t.Errorf("the server read %d of %d bytes before refusing", body.n, len(bomb))
				}
				if left, _ := os.ReadDir(spool); len(left) != 0 {
					t.Errorf("the refused import left %v in the spool directory", left)
				}
			})
		}
	})
}

func TestImportsRunOneAtATimePerTenant(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		clock := testenv.NewClock(time.Now())
		e := newEnvWith(t, st, 0, func(c *service.Config) { c.Now = clock.Now })
		tok := e.tenant("acme", sb.RoleTenant)
		other := e.tenant("other", sb.RoleTenant)
		e.do("POST", "/domains", tok, form{"domain": "one.example", "username": "a@one.example", "password": "password123"}).want(201)
		e.do("POST", "/domains", other, form{"domain": "two.example", "username": "a@two.example", "password": "password123"}).want(201)
		_, one := e.export(tok, "one.example")
		_, two := e.export(other, "two.example")
		e.do("DELETE", "/domain", tok, form{"domain": "one.example"}).want(200)
		e.do("DELETE", "/domain", other, form{"domain": "two.example"}).want(200)

		t.Run("a second import by the same tenant is refused while the first runs", func(t *testing.T) {
			pr, pw := io.Pipe()
			req, _ := http.NewRequest("POST", e.url+"/import/domain", pr)
			req.Header.Set("Content-Type", "application/gzip")
			req.Header.Set("Auth-token", tok)
			first := make(chan int, 1)
			go func() {
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					first <- 0
					return
				}
				res.Body.Close()
				first <- res.StatusCode
			}()
			pw.Write(one[:10]) // the import has begun, and waits for the rest
			waitFor(t, func() bool {
				live, err := st.Read().LiveImportOwners(context.Background(), clock.Now())
				return err == nil && len(live) == 1
			})
			before := e.snapshot()
			e.raw("POST", "/import/domain", tok, "application/gzip", bytes.NewReader(one)).wantError(409, "already running")
			e.unchanged(before)
			// Another tenant's import is not held up.
			e.raw("POST", "/import/domain", other, "application/gzip", bytes.NewReader(two)).want(201)
			pw.Write(one[10:])
			pw.Close()
			if status := <-first; status != 201 {
				t.Fatalf("the first import answered %d", status)
			}
		})
		t.Run("a finished import frees its tenant", func(t *testing.T) {
			e.do("DELETE", "/domain", tok, form{"domain": "one.example"}).want(200)
			e.raw("POST", "/import/domain", tok, "application/gzip", bytes.NewReader(one)).want(201)
		})
		t.Run("the lease of a killed import expires", func(t *testing.T) {
			e.do("DELETE", "/domain", tok, form{"domain": "one.example"}).want(200)
			st.InTx(context.Background(), func(tx *store.Tx) error {
				_, err := tx.TakeImportLease(context.Background(), "tenant:acme", "killed", clock.Now(),
					clock.Now().Add(service.DefaultImportLeaseTTL))
				return err
			})
			e.raw("POST", "/import/domain", tok, "application/gzip", bytes.NewReader(one)).wantError(409, "already running")
			clock.Add(service.DefaultImportLeaseTTL + time.Second)
			tok := e.login("acme", "pw-acme-secret")
			e.raw("POST", "/import/domain", tok, "application/gzip", bytes.NewReader(one)).want(201)
		})
	})
}

// waitFor polls cond until it holds, failing the test after a while.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not reached")
}

func TestStaleImportStagingIsCleanedAtStart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		spool, mailRoot := t.TempDir(), t.TempDir()
		clock := testenv.NewClock(time.Now())
		e := newEnvWith(t, st, 0, func(c *service.Config) {
			c.Now = clock.Now
			c.Import = service.ImportLimits{SpoolDir: spool}
			c.Mailboxes = maildir.New(maildir.Config{Root: mailRoot, Now: clock.Now})
		})
		mk := func(p string) {
			if err := os.MkdirAll(p, 0o700); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(p, "blob"), []byte("743 MB, in spirit"), 0o600)
		}
		killed := filepath.Join(spool, archive.SpoolPrefix+"deadbeefdeadbeef-123")
		running := filepath.Join(spool, archive.SpoolPrefix+"0123456789abcdef-456")
		unrelated := filepath.Join(spool, "keep-me")
		staged := filepath.Join(mailRoot, ".staging", "x.example."+fmt.Sprint(clock.Now().UnixNano()))
		for _, p := range []string{killed, running, unrelated, staged} {
			mk(p)
		}
		exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
		ctx := context.Background()
		// An import on another instance holds a lease: its spool and the
		// staged mail (which carries no owner) stay.
		st.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.TakeImportLease(ctx, "tenant:elsewhere", "0123456789abcdef", clock.Now(), clock.Now().Add(time.Minute))
			return err
		})
		if _, err := e.svc.CleanImportStaging(ctx); err != nil {
			t.Fatal(err)
		}
		if exists(killed) || !exists(running) || !exists(unrelated) || !exists(staged) {
			t.Fatalf("with an import running: killed %v, running %v, unrelated %v, staged %v",
				exists(killed), exists(running), exists(unrelated), exists(staged))
		}
		// Once that lease has lapsed, everything stale goes.
		clock.Add(2 * time.Minute)
		n, err := e.svc.CleanImportStaging(ctx)
		if err != nil || n != 2 {
			t.Fatalf("removed %d, %v; want 2", n, err)
		}
		if exists(running) || !exists(unrelated) || exists(staged) {
			t.Fatalf("after the lease: running %v, unrelated %v, staged %v", exists(running), exists(unrelated), exists(staged))
		}
	})
}
