package httpapi_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/maildir"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
	"github.com/switchboard/switchboard/internal/testenv"
)

func exists(p string) bool { _, err := os.Lstat(p); return err == nil }

func TestMaildirsFollowDeletes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		c := testenv.NewClock(time.Unix(1_700_000_000, 0))
		mail := t.TempDir()
		e := newEnvWith(t, st, 0, func(cfg *service.Config) {
			cfg.Now = c.Now
			cfg.Mailboxes = maildir.New(maildir.Config{Root: mail, Now: c.Now})
		})
		tok := e.tenant("acme", sb.RoleTenant)
		e.do("POST", "/domains", tok, form{"domain": "a.example", "username": "admin@a.example", "password": "password123"}).want(201)
		for _, u := range []string{"bob", "carol", "dave"} {
			e.do("POST", "/user/1", tok, form{"email": u + "@a.example", "password": "password123"}).want(201)
		}
		testenv.WriteFiles(t, mail, map[string]string{
			"a.example/bob/cur/1:2,S":     "bob's mail",
			"a.example/dave/new/2":        "dave's mail",
			"a.example/admin/.Sent/cur/3": "admin's mail",
		})
		bobDeleted := c.Now()

		t.Run("deleting an account moves its Maildir to the trash", func(t *testing.T) {
			e.do("DELETE", "/users", tok, form{"email": "bob@a.example"}).want(200)
			trashed := filepath.Join(mail, ".trash", "a.example", fmt.Sprintf("bob.%d", bobDeleted.UnixNano()))
			if exists(filepath.Join(mail, "a.example", "bob")) || testenv.ReadFiles(t, trashed)["cur/1:2,S"] != "bob's mail" {
				t.Fatalf("mail root after delete: %v", testenv.ReadFiles(t, mail))
			}
		})
		t.Run("deleting an account that never got mail succeeds", func(t *testing.T) {
			e.do("DELETE", "/users", tok, form{"email": "carol@a.example"}).want(200)
		})
		t.Run("deleting an account through the SIP service moves its Maildir too", func(t *testing.T) {
			a, _, err := e.store.Read().AccountByEmail(t.Context(), "dave@a.example")
			if err != nil {
				t.Fatal(err)
			}
			c.Add(time.Minute)
			if err := e.svc.DeleteOwnSIPAccount(t.Context(), sb.Actor{AccountID: a.ID}); err != nil {
				t.Fatal(err)
			}
			trashed := filepath.Join(mail, ".trash", "a.example", fmt.Sprintf("dave.%d", c.Now().UnixNano()))
			if exists(filepath.Join(mail, "a.example", "dave")) || testenv.ReadFiles(t, trashed)["new/2"] != "dave's mail" {
				t.Fatalf("mail root after delete: %v", testenv.ReadFiles(t, mail))
			}
		})
		c.Add(time.Hour)
		domainDeleted := c.Now()
		t.Run("deleting a domain moves its mail directory to the trash", func(t *testing.T) {
			e.do("DELETE", "/domain", tok, form{"domain": "a.example"}).want(200)
			trashed := filepath.Join(mail, ".trash", fmt.Sprintf("a.example.%d", domainDeleted.UnixNano()))
			if exists(filepath.Join(mail, "a.example")) || testenv.ReadFiles(t, trashed)["admin/.Sent/cur/3"] != "admin's mail" {
				t.Fatalf("mail root after delete: %v", testenv.ReadFiles(t, mail))
			}
		})
		t.Run("purging the trash removes only entries older than the cutoff", func(t *testing.T) {
			c.Add(48 * time.Hour)
			for _, tt := range []struct {
				olderThan time.Duration
				removed   int
				left      []string
			}{
				{50 * time.Hour, 0, []string{"a.example/bob.", "a.example/dave.", "a.example.1"}},
				{48*time.Hour + 30*time.Minute, 2, []string{"a.example.1"}},
				{47 * time.Hour, 1, nil},
			} {
				n, err := e.svc.PurgeMailTrash(t.Context(), tt.olderThan)
				if err != nil || n != tt.removed {
					t.Fatalf("older than %v: removed %d, %v; want %d", tt.olderThan, n, err, tt.removed)
				}
				var left []string
				for p := range testenv.ReadFiles(t, filepath.Join(mail, ".trash")) {
					left = append(left, p)
				}
				for _, want := range tt.left {
					if !strings.Contains(strings.Join(left, " "), want) {
						t.Fatalf("older than %v: %s is gone; left %v", tt.olderThan, want, left)
					}
				}
				if len(tt.left) == 0 && len(left) != 0 {
					t.Fatalf("older than %v: left %v", tt.olderThan, left)
				}
			}
			if exists(filepath.Join(mail, ".trash", "a.example")) {
				t.Fatal("the emptied trash directory of the domain's accounts is left")
			}
		})
	})
}

func TestMaildirRemovedAtOnceWithoutTrash(t *testing.T) {
	st := storetest.Open(t, storetest.Backends()[0])
	mail := t.TempDir()
	e := newEnvWith(t, st, 0, func(cfg *service.Config) { cfg.Mailboxes = maildir.New(maildir.Config{Root: mail, Trash: -1}) })
	tok := e.tenant("acme", sb.RoleTenant)
	e.do("POST", "/domains", tok, form{"domain": "a.example", "username": "admin@a.example", "password": "password123"}).want(201)
	testenv.WriteFiles(t, mail, map[string]string{"a.example/admin/cur/1": "x"})
	e.do("DELETE", "/users", tok, form{"email": "admin@a.example"}).want(200)
	if got := testenv.ReadFiles(t, mail); len(got) != 0 || exists(filepath.Join(mail, ".trash")) {
		t.Fatalf("mail root after delete: %v", got)
	}
}

func TestMaildirExportImport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		srcMail := t.TempDir()
		src := newEnvWith(t, st, 0, func(cfg *service.Config) { cfg.Mailboxes = maildir.New(maildir.Config{Root: srcMail}) })
		tok := src.tenant("acme", sb.RoleTenant)
		src.do("POST", "/domains", tok, form{"domain": "move.example", "username": "admin@move.example", "password": "admin-password"}).want(201)
		src.do("POST", "/user/1", tok, form{"email": "u0@move.example", "password": "user-password"}).want(201)
		moved := map[string]string{
			"admin/cur/1700000000.M1P1.host,S=18:2,S": "Subject: hi\r\n\r\nhello",
			"admin/.Sent Items/cur/1700000001.M2:2,S": "sent",
			"admin/dovecot-uidlist":                   "3 V1 N3\n1 1700000000.M1P1.host\n",
			"admin/dovecot.index.log":                 "\x00\x01binary",
			"u0/new/1700000002.M3":                    "",
		}
		all := map[string]string{
			"admin/tmp/1700000003.M4":         "still being delivered",
			"admin/.Sent Items/tmp/170000005": "still being delivered",
			"ghost/cur/1":                     "a Maildir without an account",
		}
		for p, data := range moved {
			all[p] = data
		}
		for p, data := range all {
			testenv.WriteFiles(t, srcMail, map[string]string{"move.example/" + p: data})
		}
		os.Symlink("/etc/passwd", filepath.Join(srcMail, "move.example", "admin", "cur", "link"))

		res, data := src.export(tok, "move.example")
		if res.StatusCode != 200 {
			t.Fatalf("export: %d %s", res.StatusCode, data)
		}
		files, order := untar(t, data)
		t.Run("the export holds the Maildir files, and nothing else of the mail root", func(t *testing.T) {
			var m struct{ Counts map[string]int }
			json.Unmarshal(files["manifest.json"], &m)
			if m.Counts["maildir_files"] != len(moved) {
				t.Fatalf("manifest %s", files["manifest.json"])
			}
			var got []string
			for _, n := range order {
				if p, ok := strings.CutPrefix(n, "maildir/"); ok {
					got = append(got, p)
					if string(files[n]) != moved[p] {
						t.Errorf("%s holds %q, want %q", n, files[n], moved[p])
					}
				}
			}
			if len(got) != len(moved) {
				t.Fatalf("maildir entries %v", got)
			}
			sum := sha256.Sum256([]byte(moved["admin/dovecot-uidlist"]))
			if !strings.Contains(string(files["maildir.jsonl"]), fmt.Sprintf(`"name":"maildir/admin/dovecot-uidlist","size":%d,"sha256":"%x"`, len(moved["admin/dovecot-uidlist"]), sum)) {
				t.Fatalf("maildir.jsonl:\n%s", files["maildir.jsonl"])
			}
		})

		fresh := func(t *testing.T) (*env, string, string) {
			mail := t.TempDir()
			e := newEnvWith(t, storetest.Open(t, backendOf(t, st)), 0, func(cfg *service.Config) { cfg.Mailboxes = maildir.New(maildir.Config{Root: mail}) })
			return e, e.tenant("newhome", sb.RoleTenant), mail
		}
		t.Run("an import into a fresh store recreates the same files", func(t *testing.T) {
			dst, dtok, mail := fresh(t)
			dst.importArchive(dtok, data).want(201)
			got := testenv.ReadFiles(t, filepath.Join(mail, "move.example"))
			if len(got) != len(moved) {
				t.Fatalf("imported %v", got)
			}
			for p, want := range moved {
				if got[p] != want {
					t.Errorf("%s holds %q, want %q", p, got[p], want)
				}
			}
			fi, _ := os.Stat(filepath.Join(mail, "move.example", "admin", "cur"))
			fl, _ := os.Stat(filepath.Join(mail, "move.example", "u0", "new", "1700000002.M3"))
			if fi.Mode().Perm() != 0o700 || fl.Mode().Perm() != 0o600 {
				t.Fatalf("modes %v %v", fi.Mode(), fl.Mode())
			}
			if left := testenv.ReadFiles(t, filepath.Join(mail, ".staging")); len(left) != 0 {
				t.Fatalf("staging left %v", left)
			}
		})

		withMail := func(name, content string) []byte {
			f := map[string][]byte{}
			for k, v := range files {
				f[k] = v
			}
			sum := sha256.Sum256([]byte(content))
			line, _ := json.Marshal(map[string]any{"name": name, "size": len(content), "sha256": hex.EncodeToString(sum[:])})
			f["maildir.jsonl"] = append(append([]byte{}, files["maildir.jsonl"]...), append(line, '\n')...)
			f[name] = []byte(content)
			var m map[string]any
			json.Unmarshal(files["manifest.json"], &m)
			isum := sha256.Sum256(f["maildir.jsonl"])
			m["files"].(map[string]any)["maildir.jsonl"] = map[string]any{"size": len(f["maildir.jsonl"]), "sha256": hex.EncodeToString(isum[:])}
			f["manifest.json"], _ = json.Marshal(m)
			return retar(t, f, append(append([]string{}, order...), name))
		}
		for _, tt := range []struct {
			name    string
			archive []byte
			before  map[string]string
			status  int
			msg     string
		}{
			{"a Maildir of an address that is not an account is refused", withMail("maildir/zed/cur/1", "x"), nil, 422, "zed@move.example"},
			{"a path-traversing Maildir entry is refused", withMail("maildir/../x", "x"), nil, 422, "unexpected entry"},
			{"a traversing local part is refused", withMail("maildir/zz/../../x", "x"), nil, 422, "unexpected entry"},
			{"a domain whose mail directory holds files here is a conflict", data,
				map[string]string{"move.example/admin/cur/old": "kept"}, 409, "already exists"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				dst, dtok, mail := fresh(t)
				testenv.WriteFiles(t, mail, tt.before)
				before := dst.snapshot()
				dst.importArchive(dtok, tt.archive).wantError(tt.status, tt.msg)
				dst.unchanged(before)
				if got := testenv.ReadFiles(t, mail); len(got) != len(tt.before) || got["move.example/admin/cur/old"] != tt.before["move.example/admin/cur/old"] {
					t.Fatalf("a refused import changed the mail root: %v", got)
				}
			})
		}
	})
}

func TestPurgeRemovesImportsLeftStagedByACrash(t *testing.T) {
	st := storetest.Open(t, storetest.Backends()[0])
	c := testenv.NewClock(time.Unix(1_700_000_000, 0))
	mail := t.TempDir()
	e := newEnvWith(t, st, 0, func(cfg *service.Config) {
		cfg.Now = c.Now
		cfg.Mailboxes = maildir.New(maildir.Config{Root: mail, Now: c.Now})
	})
	stale := fmt.Sprintf(".staging/a.example.%d", c.Now().Add(-25*time.Hour).UnixNano())
	running := fmt.Sprintf(".staging/b.example.%d", c.Now().Add(-time.Hour).UnixNano())
	testenv.WriteFiles(t, mail, map[string]string{stale + "/admin/cur/1": "x", running + "/admin/cur/1": "y"})
	// Even with the trash off (remove at once), a running import is kept.
	n, err := e.svc.PurgeMailTrash(t.Context(), 0)
	if err != nil || n != 1 {
		t.Fatalf("purged %d, %v; want 1", n, err)
	}
	if exists(filepath.Join(mail, stale)) || !exists(filepath.Join(mail, running)) {
		t.Fatalf("left %v", testenv.ReadFiles(t, mail))
	}
}
