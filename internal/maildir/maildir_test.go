package maildir_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/archive"
	"github.com/switchboard/switchboard/internal/maildir"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/testenv"
)

var _ service.Mailboxes = (*maildir.Store)(nil)

var epoch = time.Unix(1_700_000_000, 0)

func TestDiscard(t *testing.T) {
	at := fmt.Sprint(epoch.UnixNano())
	tests := []struct {
		name          string
		trash         time.Duration
		domain, local string
		want          map[string]string
	}{
		{"an account's Maildir moves to the trash, dated", 0, "a.example", "bob",
			map[string]string{"a.example/carol/cur/2": "c", ".trash/a.example/bob." + at + "/cur/1": "b"}},
		{"a domain's Maildirs move to the trash together", 0, "a.example", "",
			map[string]string{".trash/a.example." + at + "/bob/cur/1": "b", ".trash/a.example." + at + "/carol/cur/2": "c"}},
		{"with the trash off a Maildir is removed at once", -1, "a.example", "bob",
			map[string]string{"a.example/carol/cur/2": "c"}},
		{"an account that never had mail leaves everything alone", 0, "a.example", "dave",
			map[string]string{"a.example/bob/cur/1": "b", "a.example/carol/cur/2": "c"}},
		{"a name that is not one path component is left alone", 0, "a.example", "../carol",
			map[string]string{"a.example/bob/cur/1": "b", "a.example/carol/cur/2": "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			testenv.WriteFiles(t, root, map[string]string{"a.example/bob/cur/1": "b", "a.example/carol/cur/2": "c"})
			m := maildir.New(maildir.Config{Root: root, Trash: tt.trash, Now: testenv.NewClock(epoch).Now})
			m.Discard(t.Context(), tt.domain, tt.local)
			if got := testenv.ReadFiles(t, root); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("mail root holds %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("a mail root that does not exist yet is fine", func(t *testing.T) {
		m := maildir.New(maildir.Config{Root: filepath.Join(t.TempDir(), "none")})
		m.Discard(t.Context(), "a.example", "bob")
	})
}

func TestPurgeByAge(t *testing.T) {
	dated := func(d time.Duration) string { return fmt.Sprint(epoch.Add(-d).UnixNano()) }
	root := t.TempDir()
	testenv.WriteFiles(t, root, map[string]string{
		".trash/a.example/old." + dated(8*24*time.Hour) + "/cur/1":   "old account",
		".trash/a.example/young." + dated(24*time.Hour) + "/cur/1":   "young account",
		".trash/b.example." + dated(10*24*time.Hour) + "/bob/cur/1":  "old domain",
		".trash/c.example." + dated(time.Hour) + "/bob/cur/1":        "young domain",
		".staging/d.example." + dated(8*24*time.Hour) + "/bob/cur/1": "crashed import",
		".staging/e.example." + dated(2*24*time.Hour) + "/bob/cur/1": "import staged longer than a day, but less than the trash",
		"a.example/live/cur/1": "live mail",
		".trash/f.example/gone." + dated(30*24*time.Hour) + "/cur/1": "old account, domain emptied",
	})
	clock := testenv.NewClock(epoch)
	m := maildir.New(maildir.Config{Root: root, Now: clock.Now})
	n, err := m.Purge(t.Context(), 7*24*time.Hour)
	if err != nil || n != 4 {
		t.Fatalf("Purge = %d, %v; want 4 entries removed", n, err)
	}
	want := map[string]string{
		".trash/a.example/young." + dated(24*time.Hour) + "/cur/1":   "young account",
		".trash/c.example." + dated(time.Hour) + "/bob/cur/1":        "young domain",
		".staging/e.example." + dated(2*24*time.Hour) + "/bob/cur/1": "import staged longer than a day, but less than the trash",
		"a.example/live/cur/1": "live mail",
	}
	if got := testenv.ReadFiles(t, root); !reflect.DeepEqual(got, want) {
		t.Fatalf("after the purge the mail root holds %v, want %v", got, want)
	}
	if _, err := os.Stat(filepath.Join(root, ".trash", "f.example")); !os.IsNotExist(err) {
		t.Errorf("an emptied domain folder of the trash stays: %v", err)
	}
	t.Run("a mail root that does not exist yet purges nothing", func(t *testing.T) {
		m := maildir.New(maildir.Config{Root: filepath.Join(t.TempDir(), "none")})
		if n, err := m.Purge(t.Context(), 0); n != 0 || err != nil {
			t.Fatalf("Purge = %d, %v", n, err)
		}
	})
}

// export runs Export of domain below root into an archive and reads it back.
func export(t *testing.T, root, domain string, accounts ...string) *archive.Archive {
	t.Helper()
	b, err := archive.NewBuilder()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	m := maildir.New(maildir.Config{Root: root})
	isAccount := func(local string) (bool, error) {
		for _, a := range accounts {
			if a == local {
				return true, nil
			}
		}
		return false, nil
	}
	if err := m.Export(t.Context(), b, domain, isAccount); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := b.Write(&buf, domain, epoch); err != nil {
		t.Fatal(err)
	}
	a, err := archive.Read(&buf, archive.Limits{MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// listing is the Maildir files of an archive as <local>/<rel> -> contents.
func listing(t *testing.T, a *archive.Archive) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := a.Maildir(func(local, rel string, r io.Reader) error {
		data, err := io.ReadAll(r)
		out[local+"/"+rel] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestExportListsTheAccountsMail(t *testing.T) {
	root := t.TempDir()
	testenv.WriteFiles(t, root, map[string]string{
		"a.example/bob/cur/1:2,S":          "read",
		"a.example/bob/new/2":              "unread",
		"a.example/bob/tmp/3":              "being delivered",
		"a.example/bob/.Sent/cur/4:2,S":    "sent",
		"a.example/bob/.Sent/tmp/5":        "being saved",
		"a.example/bob/dovecot-uidlist":    "3 V1 N5",
		"a.example/stray/cur/6":            "no account",
		"b.example/bob/cur/7":              "another domain",
		".trash/a.example/bob.1/cur/8:2,S": "deleted",
	})
	got := listing(t, export(t, root, "a.example", "bob"))
	want := map[string]string{
		"bob/cur/1:2,S":       "read",
		"bob/new/2":           "unread",
		"bob/.Sent/cur/4:2,S": "sent",
		"bob/dovecot-uidlist": "3 V1 N5",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("export holds %v, want %v", got, want)
	}
	t.Run("a domain without mail exports none", func(t *testing.T) {
		if got := listing(t, export(t, root, "c.example", "bob")); len(got) != 0 {
			t.Fatalf("export holds %v", got)
		}
	})
}

func TestStageThenPlace(t *testing.T) {
	src := t.TempDir()
	testenv.WriteFiles(t, src, map[string]string{"a.example/bob/cur/1:2,S": "hello", "a.example/carol/new/2": "hi"})
	a := export(t, src, "a.example", "bob", "carol")
	want := map[string]string{"a.example/bob/cur/1:2,S": "hello", "a.example/carol/new/2": "hi"}

	t.Run("staged mail is set aside, then placed on commit", func(t *testing.T) {
		root := filepath.Join(t.TempDir(), "mail") // made by Stage
		m := maildir.New(maildir.Config{Root: root, Now: testenv.NewClock(epoch).Now})
		staged, err := m.Stage(t.Context(), a, "a.example")
		if err != nil {
			t.Fatal(err)
		}
		if wantStaged := fmt.Sprintf(".staging/a.example.%d", epoch.UnixNano()); staged != wantStaged {
			t.Fatalf("staged in %q, want %q", staged, wantStaged)
		}
		if _, err := os.Stat(filepath.Join(root, "a.example")); !os.IsNotExist(err) {
			t.Fatalf("staged mail is visible before the commit: %v", err)
		}
		if err := m.Place(t.Context(), staged, "a.example", true); err != nil {
			t.Fatal(err)
		}
		if got := testenv.ReadFiles(t, root); !reflect.DeepEqual(got, want) {
			t.Fatalf("mail root holds %v, want %v", got, want)
		}
	})
	t.Run("staged mail is removed when the import fails", func(t *testing.T) {
		root := t.TempDir()
		m := maildir.New(maildir.Config{Root: root})
		staged, err := m.Stage(t.Context(), a, "a.example")
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Place(t.Context(), staged, "a.example", false); err != nil {
			t.Fatal(err)
		}
		if got := testenv.ReadFiles(t, root); len(got) != 0 {
			t.Fatalf("mail root holds %v after a refused import", got)
		}
	})
	t.Run("a domain that has mail here already is refused", func(t *testing.T) {
		root := t.TempDir()
		testenv.WriteFiles(t, root, map[string]string{"a.example/dave/cur/9": "mine"})
		m := maildir.New(maildir.Config{Root: root})
		_, err := m.Stage(t.Context(), a, "a.example")
		if sb.ErrorCode(err) != sb.ECONFLICT || sb.ErrorMessage(err) != "mail of domain a.example already exists here" {
			t.Fatalf("Stage = %v, want the conflict", err)
		}
		if got := testenv.ReadFiles(t, root); !reflect.DeepEqual(got, map[string]string{"a.example/dave/cur/9": "mine"}) {
			t.Fatalf("mail root holds %v", got)
		}
	})
	t.Run("an archive without Maildirs stages nothing", func(t *testing.T) {
		root := t.TempDir()
		m := maildir.New(maildir.Config{Root: root})
		staged, err := m.Stage(t.Context(), export(t, src, "c.example"), "c.example")
		if err != nil || staged != "" {
			t.Fatalf("Stage = %q, %v", staged, err)
		}
		if err := m.Place(t.Context(), "", "c.example", true); err != nil {
			t.Fatal(err)
		}
	})
}
