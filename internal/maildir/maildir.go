// Package maildir keeps Dovecot's Maildirs in step with the accounts the
// service manages: it moves the mail of deleted accounts to a trash and
// purges it, adds Maildirs to domain exports, and stages the Maildirs of an
// import until its records have committed.
package maildir

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/archive"
)

// Dovecot keeps each mailbox as a Maildir at <mail-root>/<domain>/<local>/
// (mail_location = maildir:<mail-root>/%Ld/%Ln). Deleted Maildirs move to
// <mail-root>/.trash, on the same file system, so a delete is one atomic
// rename and a mistake can be undone until Purge runs; imports are staged
// in <mail-root>/.staging and renamed into place once committed. Neither
// name can clash with a domain's directory: domains never start with a dot.
const (
	trashDir   = ".trash"
	stagingDir = ".staging"

	// DefaultTrash is how long deleted Maildirs stay in the trash.
	DefaultTrash = 7 * 24 * time.Hour
)

// Config configures a Store.
type Config struct {
	// Root is where Dovecot keeps each mailbox, <Root>/<domain>/<local>/.
	Root string
	// Trash is how long deleted Maildirs stay in <Root>/.trash before Purge
	// removes them (0: DefaultTrash); negative removes them at once on
	// Discard.
	Trash time.Duration
	// Now is the clock dating trash and staging entries (default time.Now).
	Now func() time.Time
	// Logger receives the failures of Discard and Place, which are not
	// returned to the caller.
	Logger *slog.Logger
}

// Store manages the Maildirs below one mail root on the real file system.
type Store struct {
	root  string
	trash time.Duration
	now   func() time.Time
	log   *slog.Logger
}

// New returns a Store; zero fields of cfg get defaults.
func New(cfg Config) *Store {
	m := &Store{root: cfg.Root, trash: cfg.Trash, now: cfg.Now, log: cfg.Logger}
	if m.trash == 0 {
		m.trash = DefaultTrash
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	m.log = m.log.With("component", "maildir")
	return m
}

// safeComponent reports whether a local part or domain name can be used as
// one path component below the mail root: the service validates both on
// the way in, this checks again before a path is built from them.
func safeComponent(s string) bool {
	return s != "" && s[0] != '.' && !strings.ContainsAny(s, "/\\\x00")
}

// openMailRoot opens the mail root; nil, nil when none is managed or it
// does not exist yet.
func (s *Store) openMailRoot() (*os.Root, error) {
	if s.root == "" {
		return nil, nil
	}
	root, err := os.OpenRoot(s.root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return root, err
}

// Discard moves the Maildir of local@domain, or with local "" every
// Maildir of the domain, to the trash (or removes it, if the trash is off).
// It runs after the delete has committed: a failure is logged, never
// returned, and a Maildir that does not exist (no mail ever came) is fine.
func (s *Store) Discard(ctx context.Context, domain, local string) {
	if s.root == "" {
		return
	}
	log := s.log.With("domain", domain, "local", local)
	if !safeComponent(domain) || local != "" && !safeComponent(local) {
		log.WarnContext(ctx, "Maildir left in place: its name is not a safe path component")
		return
	}
	root, err := s.openMailRoot()
	if root == nil {
		if err != nil {
			log.ErrorContext(ctx, "open the mail root", "err", err)
		}
		return
	}
	defer root.Close()
	src, dst := domain, path.Join(trashDir, domain)
	if local != "" {
		src, dst = path.Join(domain, local), path.Join(trashDir, domain, local)
	}
	dst += "." + strconv.FormatInt(s.now().UnixNano(), 10)
	if _, err := root.Lstat(src); errors.Is(err, fs.ErrNotExist) {
		return
	}
	if s.trash < 0 {
		err = root.RemoveAll(src)
	} else if err = root.MkdirAll(path.Dir(dst), 0o700); err == nil {
		err = root.Rename(src, dst)
	}
	if err != nil {
		log.ErrorContext(ctx, "deleted account's Maildir not moved to the trash", "err", err)
	}
}

// trashTime is the deletion time in the name of a trash entry,
// <name>.<unix nanoseconds>.
func trashTime(name string) (time.Time, bool) {
	i := strings.LastIndexByte(name, '.')
	if i < 0 || i == len(name)-1 || strings.Trim(name[i+1:], "0123456789") != "" {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(name[i+1:], 10, 64)
	return time.Unix(0, n), err == nil
}

// PurgeStaged removes every import staged in <mail-root>/.staging, however
// recent, and returns how many it removed. It is for start-up, when the
// caller knows that no import is running on any instance sharing the mail
// root: what is staged then was left by a killed import.
func (s *Store) PurgeStaged(ctx context.Context) (int, error) {
	root, err := s.openMailRoot()
	if root == nil {
		return 0, err
	}
	defer root.Close()
	staged, err := fs.ReadDir(root.FS(), stagingDir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, e := range staged {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		if err := root.RemoveAll(path.Join(stagingDir, e.Name())); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// Purge removes the Maildirs deleted more than olderThan ago from
// the trash, and imports left staged by a crash more than a day (or
// olderThan, if longer) ago, and returns how many it removed. Entries are
// dated by the time in their name, or else by their modification time.
func (s *Store) Purge(ctx context.Context, olderThan time.Duration) (int, error) {
	root, err := s.openMailRoot()
	if root == nil {
		return 0, err
	}
	defer root.Close()
	cutoff := s.now().Add(-olderThan)
	n := 0
	var errs []error
	// purge removes entry p of a trash directory if it is old enough.
	purge := func(p string, e fs.DirEntry, at time.Time, dated bool, cutoff time.Time) {
		if !dated {
			fi, err := e.Info()
			if err != nil {
				return
			}
			at = fi.ModTime()
		}
		if !at.Before(cutoff) {
			return
		}
		if err := root.RemoveAll(p); err != nil {
			errs = append(errs, err)
			return
		}
		n++
	}
	// An import that crashed between staging and commit leaves its staging
	// directory behind (<domain>.<nanos>): it goes with the trash.
	// A running import is never that old: a day at least.
	if staged, err := fs.ReadDir(root.FS(), stagingDir); err == nil {
		stagedCutoff := s.now().Add(-max(olderThan, 24*time.Hour))
		for _, e := range staged {
			at, dated := trashTime(e.Name())
			purge(path.Join(stagingDir, e.Name()), e, at, dated, stagedCutoff)
		}
	}
	entries, err := fs.ReadDir(root.FS(), trashDir)
	if errors.Is(err, fs.ErrNotExist) {
		return n, errors.Join(errs...)
	} else if err != nil {
		return n, err
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		p := path.Join(trashDir, e.Name())
		if at, dated := trashTime(e.Name()); dated || !e.IsDir() {
			purge(p, e, at, dated, cutoff) // a deleted domain
			continue
		}
		// The deleted accounts of a domain: <domain>/<local>.<nanos>.
		accounts, err := fs.ReadDir(root.FS(), p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, a := range accounts {
			at, dated := trashTime(a.Name())
			purge(path.Join(p, a.Name()), a, at, dated, cutoff)
		}
		root.Remove(p) // only once empty
	}
	if err := errors.Join(errs...); err != nil {
		return n, fmt.Errorf("purge mail trash: %w", err)
	}
	return n, nil
}

// Export adds the Maildirs of the domain's accounts to an export: every
// regular file except the contents of tmp/ folders, which hold messages
// still being delivered. Directories for which isAccount reports false
// (no account of that local part) are left out.
func (s *Store) Export(ctx context.Context, b *archive.Builder, domain string, isAccount func(local string) (bool, error)) error {
	if !safeComponent(domain) {
		return nil
	}
	root, err := s.openMailRoot()
	if root == nil {
		return err
	}
	defer root.Close()
	locals, err := fs.ReadDir(root.FS(), domain)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	for _, le := range locals {
		local := le.Name()
		if !le.IsDir() || !safeComponent(local) {
			continue
		}
		if ok, err := isAccount(local); err != nil {
			return err
		} else if !ok {
			continue
		}
		base := path.Join(domain, local)
		err := fs.WalkDir(root.FS(), base, func(p string, d fs.DirEntry, err error) error {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // a folder deleted meanwhile
			} else if err != nil {
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if p == base {
				return nil
			}
			rel := strings.TrimPrefix(p, base+"/")
			if d.IsDir() {
				if isTmpFolder(rel) {
					return fs.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() {
				return nil
			}
			if !archive.ValidMaildirPath(local, rel) {
				s.log.WarnContext(ctx, "Maildir file left out of the export: unusual name", "domain", domain, "local", local)
				return nil
			}
			f, at, err := openMaildirFile(root, p)
			if f == nil {
				return err // nil: expunged meanwhile
			}
			defer f.Close()
			return b.MaildirFile(local, rel, filepath.Join(s.root, filepath.FromSlash(at)), f)
		})
		if err != nil {
			return fmt.Errorf("export Maildir of %s@%s: %w", local, domain, err)
		}
	}
	return nil
}

// isTmpFolder reports whether rel is the tmp/ of a Maildir folder: of the
// INBOX (the Maildir itself) or of a subfolder .Name/.
func isTmpFolder(rel string) bool {
	dir, base := path.Split(rel)
	dir = strings.TrimSuffix(dir, "/")
	return base == "tmp" && (dir == "" || dir[0] == '.' && !strings.Contains(dir, "/"))
}

// openMaildirFile opens a message that a client may have renamed since the
// directory was read (a flag change renames cur/U:2,S to cur/U:2,RS, and
// reading a new message moves new/U to cur/U:2,): it looks for the same
// unique name U in cur/ and new/. at is the path opened. A file gone for
// good is nil, "", nil.
func openMaildirFile(root *os.Root, p string) (f *os.File, at string, err error) {
	f, err = root.Open(p)
	if !errors.Is(err, fs.ErrNotExist) {
		return f, p, err
	}
	dir, name := path.Split(p)
	unique, _, _ := strings.Cut(name, ":")
	folder, sub := path.Split(strings.TrimSuffix(dir, "/"))
	if sub != "cur" && sub != "new" {
		return nil, "", nil
	}
	for _, d := range []string{"cur", "new"} {
		entries, err := fs.ReadDir(root.FS(), path.Join(folder, d))
		if err != nil {
			continue
		}
		for _, e := range entries {
			if u, _, _ := strings.Cut(e.Name(), ":"); u == unique && e.Type().IsRegular() {
				at := path.Join(folder, d, e.Name())
				if f, err := root.Open(at); err == nil {
					return f, at, nil
				}
			}
		}
	}
	return nil, "", nil
}

// Stage writes the Maildirs of an import to a staging directory under the
// mail root and returns its name, for Place once the import's records have
// committed or failed; "" when the archive holds no Maildir. The caller has
// checked that every Maildir belongs to an account of the archive; the
// domain must have no mail here yet.
func (s *Store) Stage(ctx context.Context, a *archive.Archive, domain string) (string, error) {
	if !safeComponent(domain) {
		return "", sb.Errorf(sb.EINVALID, "domain %q cannot name a mail directory", domain)
	}
	if s.root == "" {
		return "", sb.Errorf(sb.EINVALID, "the archive holds Maildirs, but this server keeps no mail (no mail root)")
	}
	empty := true
	if err := a.MaildirLocals(func(string) error { empty = false; return nil }); err != nil || empty {
		return "", err
	}
	if err := os.MkdirAll(s.root, 0o700); err != nil {
		return "", sb.Internal(err)
	}
	root, err := os.OpenRoot(s.root)
	if err != nil {
		return "", sb.Internal(err)
	}
	defer root.Close()
	if entries, err := fs.ReadDir(root.FS(), domain); err == nil && len(entries) > 0 || err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", &sb.Error{Code: sb.ECONFLICT, Field: "domain", Message: "mail of domain " + domain + " already exists here"}
	}
	own, err := mailOwner(s.root)
	if err != nil {
		return "", sb.Internal(err)
	}
	staged := path.Join(stagingDir, domain+"."+strconv.FormatInt(s.now().UnixNano(), 10))
	if err := root.MkdirAll(stagingDir, 0o700); err != nil {
		return "", sb.Internal(err)
	}
	made := map[string]bool{}
	mkdir := func(p string) error {
		if made[p] {
			return nil
		}
		if err := root.Mkdir(p, 0o700); err != nil {
			return err
		}
		made[p] = true
		return own(root, p)
	}
	err = mkdir(staged)
	if err == nil {
		err = a.Maildir(func(local, rel string, r io.Reader) error {
			p := path.Join(staged, local, rel)
			parts := strings.Split(path.Dir(p), "/")
			for i := 3; i <= len(parts); i++ { // below .staging/<domain>.<n>
				if err := mkdir(strings.Join(parts[:i], "/")); err != nil {
					return err
				}
			}
			f, err := root.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, r)
			return errors.Join(err, f.Close(), own(root, p))
		})
	}
	if err != nil {
		root.RemoveAll(staged)
		return "", sb.Internal(fmt.Errorf("stage Maildirs of %s: %w", domain, err))
	}
	return staged, nil
}

// Place renames a staged import to the domain's mail directory, or with ok
// false removes it. Only a failure to put committed mail in place is
// returned; any other is logged.
func (s *Store) Place(ctx context.Context, staged, domain string, ok bool) error {
	if staged == "" {
		return nil
	}
	root, err := os.OpenRoot(s.root)
	if err == nil {
		defer root.Close()
		if !ok {
			err = root.RemoveAll(staged)
		} else {
			// Replaces an empty directory, which Stage allowed.
			err = root.Rename(staged, domain)
		}
	}
	if err != nil {
		s.log.ErrorContext(ctx, "imported Maildirs not put in place", "domain", domain, "staged", staged, "err", err)
		if ok {
			return sb.Internal(fmt.Errorf("domain %s imported, but its Maildirs remain in %s: %w", domain, staged, err))
		}
	}
	return nil
}
