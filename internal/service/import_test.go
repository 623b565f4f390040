package service_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/archive"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
	"github.com/switchboard/switchboard/internal/testenv"
)

// memMailboxes keeps mail in memory, domain -> "<local>/<rel>" ->
// contents, and records the calls it gets. It stands in for
// internal/maildir, so that the service's side of deletes, exports and
// imports is checked without a file system.
type memMailboxes struct {
	spool string // where Export writes the files it hands the archive

	mu     sync.Mutex
	mail   map[string]map[string]string
	staged map[string]map[string]string
	calls  []string
}

var _ service.Mailboxes = (*memMailboxes)(nil)

func newMemMailboxes(t *testing.T) *memMailboxes {
	return &memMailboxes{spool: t.TempDir(), mail: map[string]map[string]string{}, staged: map[string]map[string]string{}}
}

func (m *memMailboxes) record(call string) {
	m.calls = append(m.calls, call)
}

// took returns the calls recorded since the last took.
func (m *memMailboxes) took() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.calls
	m.calls = nil
	return c
}

func (m *memMailboxes) domain(name string) map[string]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mail[name]
}

func (m *memMailboxes) Discard(_ context.Context, domain, local string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.record("discard " + domain + " " + local)
	for p := range m.mail[domain] {
		if local == "" || strings.HasPrefix(p, local+"/") {
			delete(m.mail[domain], p)
		}
	}
}

func (m *memMailboxes) Purge(context.Context, time.Duration) (int, error) { return 0, nil }

func (m *memMailboxes) PurgeStaged(context.Context) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.record("purge staged")
	n := len(m.staged)
	clear(m.staged)
	return n, nil
}

func (m *memMailboxes) Export(_ context.Context, b *archive.Builder, domain string, isAccount func(string) (bool, error)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.record("export " + domain)
	var paths []string
	for p := range m.mail[domain] {
		paths = append(paths, p)
	}
	slices.Sort(paths) // the order of a walk, which the archive wants
	for i, p := range paths {
		local, rel, _ := strings.Cut(p, "/")
		if ok, err := isAccount(local); err != nil || !ok {
			if err != nil {
				return err
			}
			continue
		}
		f, err := os.Create(filepath.Join(m.spool, domain+"-"+string(rune('a'+i))))
		if err != nil {
			return err
		}
		_, err = f.WriteString(m.mail[domain][p])
		if err == nil {
			_, err = f.Seek(0, io.SeekStart)
		}
		if err == nil {
			err = b.MaildirFile(local, rel, f.Name(), f)
		}
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func (m *memMailboxes) Stage(_ context.Context, a *archive.Archive, domain string) (string, error) {
	files := map[string]string{}
	err := a.Maildir(func(local, rel string, r io.Reader) error {
		data, err := io.ReadAll(r)
		files[local+"/"+rel] = string(data)
		return err
	})
	m.mu.Lock()
	defer m.mu.Unlock()
	m.record("stage " + domain)
	if err != nil {
		return "", err
	}
	m.staged["staged-"+domain] = files
	return "staged-" + domain, nil
}

func (m *memMailboxes) Place(_ context.Context, staged, domain string, ok bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if ok {
		m.record("place " + domain)
		m.mail[domain] = m.staged[staged]
	} else {
		m.record("remove " + domain)
	}
	delete(m.staged, staged)
	return nil
}

func TestImportStagesThenPlacesMail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		mail := newMemMailboxes(t)
		s, _ := testenv.Service(t, st, func(cfg *service.Config) { cfg.Mailboxes = mail })
		ten, err := s.CreateTenant(ctx, sb.SystemActor, "acme", "acme-password", sb.RoleTenant)
		if err != nil {
			t.Fatal(err)
		}
		acme := sb.Actor{TenantID: ten.ID, TenantName: ten.Name, Role: ten.Role}
		if _, _, err := s.CreateDomain(ctx, acme, sb.NewDomain{Name: "move.test", First: &sb.FirstAccount{Address: "admin@move.test", Password: "admin-password"}}); err != nil {
			t.Fatal(err)
		}
		mail.mail["move.test"] = map[string]string{"admin/cur/1:2,S": "hello", "admin/new/2": "unread", "ghost/cur/3": "no account"}
		exp, err := s.ExportDomain(ctx, acme, "move.test")
		if err != nil {
			t.Fatal(err)
		}
		var archived bytes.Buffer
		if err := exp.Stream(&archived); err != nil {
			t.Fatal(err)
		}
		exp.Close()
		if err := s.DeleteDomain(ctx, acme, "move.test"); err != nil {
			t.Fatal(err)
		}
		if got, want := mail.took(), []string{"export move.test", "discard move.test "}; !reflect.DeepEqual(got, want) {
			t.Fatalf("export and delete called %q, want %q", got, want)
		}
		moved := map[string]string{"admin/cur/1:2,S": "hello", "admin/new/2": "unread"}

		t.Run("an archive with mail is refused by a service that keeps none", func(t *testing.T) {
			none, _ := testenv.Service(t, st, nil)
			_, err := none.ImportDomain(ctx, acme, "", bytes.NewReader(archived.Bytes()))
			if sb.ErrorCode(err) != sb.EINVALID || !strings.Contains(sb.ErrorMessage(err), "keeps no mail") {
				t.Fatalf("import = %v, want the archive refused", err)
			}
		})
		t.Run("a refused import stages the mail, then discards it", func(t *testing.T) {
			// The tenant is looked up in the import's transaction, after
			// the staging.
			_, err := s.ImportDomain(ctx, sb.SystemActor, "nobody", bytes.NewReader(archived.Bytes()))
			if sb.ErrorCode(err) != sb.ENOTFOUND || sb.ErrorMessage(err) != "tenant nobody not found" {
				t.Fatalf("import = %v, want tenant not found", err)
			}
			if got, want := mail.took(), []string{"stage move.test", "remove move.test"}; !reflect.DeepEqual(got, want) {
				t.Fatalf("the refused import called %q, want %q", got, want)
			}
			if got := mail.domain("move.test"); len(got) != 0 || len(mail.staged) != 0 {
				t.Fatalf("a refused import left mail %v, staged %v", got, mail.staged)
			}
			if _, err := st.Read().DomainByName(ctx, "move.test"); sb.ErrorCode(err) != sb.ENOTFOUND {
				t.Fatalf("a refused import left the domain: %v", err)
			}
		})
		t.Run("an import stages the mail, then places it once committed", func(t *testing.T) {
			res, err := s.ImportDomain(ctx, acme, "", bytes.NewReader(archived.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if res.Accounts != 1 || res.Domain.Name != "move.test" {
				t.Fatalf("import restored %+v", res)
			}
			if got, want := mail.took(), []string{"stage move.test", "place move.test"}; !reflect.DeepEqual(got, want) {
				t.Fatalf("the import called %q, want %q", got, want)
			}
			if got := mail.domain("move.test"); !reflect.DeepEqual(got, moved) {
				t.Fatalf("the import placed %v, want %v", got, moved)
			}
		})
		t.Run("an import of a domain that exists stages nothing", func(t *testing.T) {
			_, err := s.ImportDomain(ctx, acme, "", bytes.NewReader(archived.Bytes()))
			if sb.ErrorCode(err) != sb.ECONFLICT {
				t.Fatalf("import = %v, want a conflict", err)
			}
			if got := mail.took(); len(got) != 0 {
				t.Fatalf("the refused import called %q", got)
			}
		})
	})
}
