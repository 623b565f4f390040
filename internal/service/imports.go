package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/archive"
	"github.com/switchboard/switchboard/internal/store"
)

// ImportLimits bound domain imports. A domain export is a gzip'd tar, and
// gzip expands up to about 1000:1: without bounds a 2 MB upload of zeros
// writes gigabytes of spool before its checksums fail.
type ImportLimits struct {
	// MaxBytes bounds an archive's expanded size (default
	// DefaultImportMaxBytes).
	MaxBytes int64
	// MaxRatio bounds the expansion, expanded bytes per compressed byte
	// read so far, past RatioAllowance (default DefaultImportMaxRatio;
	// negative: no ratio bound). Real exports (JSON lines, password hashes,
	// keys, mail) stay far below it.
	MaxRatio int64
	// RatioAllowance is the expanded size never held against MaxRatio
	// (default DefaultImportRatioAllowance), so that a small archive of
	// very compressible JSON passes.
	RatioAllowance int64
	// SpoolDir is where archives are unpacked while they are imported;
	// "" is os.TempDir(). Set it to a directory of this instance's own
	// for CleanImportStaging to clear what a killed import left there.
	SpoolDir string
	// LeaseTTL is how long an import's per-tenant lease lasts without
	// renewal (default DefaultImportLeaseTTL); a killed import blocks its
	// tenant's next one at most this long. It is renewed every LeaseTTL/4.
	LeaseTTL time.Duration
	// AccountMaxBytes and AccountMaxRows bound the CSV files of account
	// imports (ImportAccounts): their size, and their accounts (defaults
	// DefaultAccountImportMaxBytes and DefaultAccountImportMaxRows).
	AccountMaxBytes int64
	AccountMaxRows  int
}

// Defaults of ImportLimits.
const (
	DefaultImportMaxBytes       = 8 << 30
	DefaultImportMaxRatio       = 100
	DefaultImportRatioAllowance = 16 << 20
	DefaultImportLeaseTTL       = 2 * time.Minute
)

func (l ImportLimits) withDefaults() ImportLimits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultImportMaxBytes
	}
	if l.MaxRatio == 0 {
		l.MaxRatio = DefaultImportMaxRatio
	}
	if l.RatioAllowance <= 0 {
		l.RatioAllowance = DefaultImportRatioAllowance
	}
	if l.LeaseTTL <= 0 {
		l.LeaseTTL = DefaultImportLeaseTTL
	}
	if l.AccountMaxBytes <= 0 {
		l.AccountMaxBytes = DefaultAccountImportMaxBytes
	}
	if l.AccountMaxRows <= 0 {
		l.AccountMaxRows = DefaultAccountImportMaxRows
	}
	return l
}

func (l ImportLimits) archiveLimits(tag string) archive.Limits {
	return archive.Limits{MaxBytes: l.MaxBytes, MaxRatio: max(l.MaxRatio, 0), Allowance: l.RatioAllowance,
		Dir: l.SpoolDir, Tag: tag}
}

// importLeaseKey names the lease of a tenant's imports. It goes by the
// name as given, which the store matches exactly, so that an unknown tenant
// is still refused inside the import's transaction.
func importLeaseKey(tenant string) string { return "tenant:" + tenant }

// takeImportLease takes the import lease of the tenant an import is for,
// so that a tenant runs one import at a time on every instance sharing the
// store, and keeps it renewed until release is called. tag names the lease's
// owner, for the spool directory.
func (s *Service) takeImportLease(ctx context.Context, actor sb.Actor, tenant string) (release func(), tag string, err error) {
	if tenant == "" {
		if actor.System {
			return nil, "", sb.FieldError("tenant", "tenant is required")
		}
		tenant = actor.TenantName
	}
	var b [8]byte
	rand.Read(b[:])
	owner := hex.EncodeToString(b[:])
	key := importLeaseKey(tenant)
	ttl := s.imports.LeaseTTL
	now := s.now()
	var took bool
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		took, err = tx.TakeImportLease(ctx, key, owner, now, now.Add(ttl))
		return err
	})
	if err != nil {
		return nil, "", err
	}
	if !took {
		return nil, "", &sb.Error{Code: sb.ECONFLICT, Field: "tenant",
			Message: "an import for tenant " + tenant + " is already running; try again when it has finished"}
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(ttl / 4)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			var held bool
			err := s.store.InTx(context.WithoutCancel(ctx), func(tx *store.Tx) (err error) {
				held, err = tx.RenewImportLease(ctx, key, owner, s.now().Add(ttl))
				return err
			})
			if err != nil || !held {
				s.log.WarnContext(ctx, "import lease not renewed", "lease", key, "held", held, "err", err)
			}
		}
	}()
	release = func() {
		close(stop)
		<-done
		err := s.store.InTx(context.WithoutCancel(ctx), func(tx *store.Tx) error {
			return tx.ReleaseImportLease(ctx, key, owner)
		})
		if err != nil {
			s.log.ErrorContext(ctx, "import lease not released", "lease", key, "err", err)
		}
	}
	return release, owner, nil
}

// CleanImportStaging removes what killed imports left behind, and returns
// how many entries it removed. It is meant for start-up. Spool directories
// in ImportLimits.SpoolDir go unless a live lease owns them (so a running
// import on another instance keeps its own); the Maildirs staged below the
// mail root go only when no import runs on any instance, since they carry
// no owner. Without a SpoolDir the shared temporary directory is left
// alone: other programs' imports spool there.
func (s *Service) CleanImportStaging(ctx context.Context) (int, error) {
	live, err := s.store.Read().LiveImportOwners(ctx, s.now())
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	if dir := s.imports.SpoolDir; dir != "" {
		entries, err := os.ReadDir(dir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
		for _, e := range entries {
			tag, tagged := archive.SpoolTag(e.Name())
			if !tagged || live[tag] {
				continue
			}
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				errs = append(errs, err)
				continue
			}
			n++
		}
	}
	if len(live) == 0 && s.mail != nil {
		m, err := s.mail.PurgeStaged(ctx)
		n += m
		if err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return n, fmt.Errorf("clean import staging: %w", err)
	}
	return n, nil
}
