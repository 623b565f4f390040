package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/accountcsv"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/digest"
	"github.com/switchboard/switchboard/internal/store"
)

// Defaults of the account import bounds in ImportLimits. 64 MiB holds
// 250,000 lines of long hashes with room to spare; the accounts of a file
// are held in memory while it is checked, a few hundred bytes each.
const (
	DefaultAccountImportMaxBytes = 64 << 20
	DefaultAccountImportMaxRows  = 250_000
)

// importBatch is how many accounts go to the store between two progress
// reports; the store writes them in multi-row statements.
const importBatch = 5000

// importRow is one account of a file, checked and ready to write.
type importRow struct {
	line         int
	local, email string
	password     string // plaintext until hashed before the transaction
	creds        store.Credentials
	// kept: the hash is the file's; sip: a SIP identity (HA1s).
	kept, active, sip bool
	// quota is the file's storage quota in bytes (-1: none, the tenant's
	// default_quota); the tenant's limits are checked after the write.
	quota int64
}

func (r *importRow) toStore(now time.Time, defaultQuota int64) store.ImportAccount {
	q := sb.MailboxQuota{Bytes: defaultQuota}
	if r.quota >= 0 {
		q.Bytes = r.quota
	}
	return store.ImportAccount{Local: r.local, Email: r.email, Credentials: r.creds, Active: r.active,
		Activated: true, CreatedAt: now, UpdatedAt: now, Quota: q}
}

// ImportAccounts creates the accounts of a CSV file in a domain of the
// actor, all of them in one transaction or none: every line is checked
// first (the address and its domain, duplicates in the file and against
// the store's accounts and aliases, the password policy, the hash
// schemes auth.ImportHash keeps), and a file with any fault is refused
// with the report of every fault, writing nothing. Plaintext passwords
// are hashed on every core before the transaction; kept hashes cost
// nothing. One import runs at a time per tenant (the lease of domain
// imports).
func (s *Service) ImportAccounts(ctx context.Context, actor sb.Actor, ref sb.DomainRef, r io.Reader,
	progress func(sb.ImportProgress)) (*sb.AccountImportResult, error) {
	if actor.IsMailbox() {
		return nil, sb.Errorf(sb.EFORBIDDEN, "a mailbox may not import accounts")
	}
	if progress == nil {
		progress = func(sb.ImportProgress) {}
	}
	d, err := resolveDomain(ctx, s.store.Read(), actor, ref)
	if err != nil {
		return nil, err
	}
	release, _, err := s.takeImportLease(ctx, actor, d.TenantName)
	if err != nil {
		return nil, err
	}
	defer release()

	f, err := accountcsv.Read(r, accountcsv.Limits{MaxBytes: s.imports.AccountMaxBytes, MaxRows: s.imports.AccountMaxRows})
	if te, ok := errors.AsType[*accountcsv.TooLargeError](err); ok {
		return nil, sb.Errorf(sb.ETOOLARGE, "%s", te.Msg)
	}
	if err != nil {
		return nil, &sb.Error{Code: sb.EMALFORMED, Message: "the file could not be read", Err: err}
	}
	rows, faults := s.checkImportRows(d, f)
	if len(faults) > 0 || s.hasPlaintext(rows) {
		// For a report of every fault, and before the slow hashing;
		// the transaction checks again.
		taken, err := s.store.Read().TakenAddresses(ctx, importEmails(rows))
		if err != nil {
			return nil, err
		}
		if faults = append(faults, takenFaults(rows, taken)...); len(faults) > 0 {
			return nil, refuseFile(faults)
		}
	}
	if err := s.hashImportRows(ctx, d, rows, progress); err != nil {
		return nil, err
	}

	res := &sb.AccountImportResult{}
	now := s.now()
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		d2, err := resolveDomain(ctx, tx, actor, ref)
		if err != nil {
			return err
		}
		if d2.ID != d.ID || d2.Realm != d.Realm {
			return sb.Errorf(sb.ECONFLICT, "domain %s changed meanwhile, try again", d.Name)
		}
		// The tenant's limits: locked before the accounts are written,
		// checked after.
		t, err := lockTenant(ctx, tx, d2.TenantID)
		if err != nil {
			return err
		}
		if err := tx.LockAddresses(ctx, d.ID); err != nil {
			return err
		}
		taken, err := tx.TakenAddresses(ctx, importEmails(rows))
		if err != nil {
			return err
		}
		if faults := takenFaults(rows, taken); len(faults) > 0 {
			return refuseFile(faults)
		}
		batch := make([]store.ImportAccount, 0, importBatch)
		for i := range rows {
			batch = append(batch, rows[i].toStore(now, t.Limits.DefaultQuotaBytes))
			if rows[i].kept {
				res.Kept++
			}
			if rows[i].sip {
				res.SIP++
			}
			if len(batch) == cap(batch) || i == len(rows)-1 {
				if err := tx.InsertImportedAccounts(ctx, d.ID, batch); err != nil {
					if sb.ErrorCode(err) == sb.ECONFLICT {
						return sb.Errorf(sb.ECONFLICT, "an address of the file was taken meanwhile; nothing was imported, try again")
					}
					return err
				}
				batch = batch[:0]
				progress(sb.ImportProgress{Phase: sb.PhaseWriting, Done: i + 1, Total: len(rows)})
			}
		}
		if err := checkLimits(ctx, tx, t, limitMailboxes|limitQuota); err != nil {
			return err
		}
		res.Imported = int64(len(rows))
		if err := tx.Audit(ctx, now, actor.String(), "account.import", "domain:"+d.Name); err != nil {
			return err
		}
		res.Domain, err = tx.DomainByID(ctx, d.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	if res.Imported >= analyzeAfter {
		// The file is in; fresh statistics only speed up what reads it,
		// so a failure here is logged, not answered.
		if err := s.store.AnalyzeAccounts(ctx); err != nil {
			s.log.Warn("import: refreshing the accounts' statistics failed", "domain", d.Name, "err", err)
		}
	}
	return res, nil
}

// analyzeAfter is the size of an import after which the database's
// statistics of the accounts are refreshed (store.AnalyzeAccounts): from
// a few thousand rows in one domain, a plan made for a handful costs
// milliseconds a page.
const analyzeAfter = 5000

// checkImportRows checks the meaning of each good line of f, for domain
// d; it returns the rows to import and every fault of the file, the
// reader's included, in line order.
func (s *Service) checkImportRows(d *sb.Domain, f *accountcsv.File) ([]importRow, []sb.LineError) {
	faults := f.Errors
	rows := make([]importRow, 0, len(f.Rows))
	seen := make(map[string]int, len(f.Rows))
	for _, in := range f.Rows {
		bad := false
		fault := func(field, reason string) {
			faults = append(faults, sb.LineError{Line: in.Line, Field: field, Reason: reason})
			bad = true
		}
		r := importRow{line: in.Line, active: in.Active, quota: in.Quota}
		local, domain, err := NormalizeEmail(accountcsv.ColEmail, in.Email)
		switch {
		case err != nil:
			fault(accountcsv.ColEmail, "not a valid address")
		case domain != d.Name:
			fault(accountcsv.ColEmail, "the address is not in "+d.Name)
		default:
			r.local, r.email = local, local+"@"+domain
			if first, dup := seen[r.email]; dup {
				fault(accountcsv.ColEmail, "the address is on line "+strconv.Itoa(first)+" already")
			} else {
				seen[r.email] = in.Line
			}
		}
		if in.PasswordHash != "" {
			stored, err := auth.ImportHash(in.PasswordHash)
			if err != nil {
				fault(accountcsv.ColPasswordHash, err.Error())
			}
			r.creds.Hash, r.kept = stored, true
			if in.SIP == accountcsv.Yes {
				fault(accountcsv.ColSIP, "a SIP identity needs a plaintext password (its digest HA1s cannot be derived from a hash): "+
					"leave sip empty or false, and set a password later")
			}
		} else {
			if err := s.checkPassword(accountcsv.ColPassword, in.Password); err != nil {
				fault(accountcsv.ColPassword, sb.ErrorMessage(err))
			} else if _, err := auth.ImportHash(in.Password); err == nil {
				// Hashed as a password, it would lock the account out.
				fault(accountcsv.ColPassword, "the password is a password hash: give it in the password_hash column")
			}
			r.password = in.Password
			r.sip = in.SIP != accountcsv.No
		}
		if !bad {
			rows = append(rows, r)
		}
	}
	slices.SortStableFunc(faults, func(a, b sb.LineError) int { return a.Line - b.Line })
	return rows, faults
}

func (s *Service) hasPlaintext(rows []importRow) bool {
	for _, r := range rows {
		if !r.kept {
			return true
		}
	}
	return false
}

func importEmails(rows []importRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.email
	}
	return out
}

// takenFaults are the faults of rows whose address taken holds.
func takenFaults(rows []importRow, taken map[string]string) []sb.LineError {
	var out []sb.LineError
	for _, r := range rows {
		if kind, ok := taken[r.email]; ok {
			out = append(out, sb.LineError{Line: r.line, Field: accountcsv.ColEmail, Reason: "the address is already an " + kind})
		}
	}
	return out
}

// refuseFile is the refusal of a file with faults: EINVALID with the
// report (the first sb.MaxLineErrors faults and their number) as cause.
func refuseFile(faults []sb.LineError) error {
	slices.SortStableFunc(faults, func(a, b sb.LineError) int { return a.Line - b.Line })
	le := &sb.LineErrors{Total: len(faults), Lines: faults[:min(len(faults), sb.MaxLineErrors)]}
	what := "faults"
	if len(faults) == 1 {
		what = "fault"
	}
	return &sb.Error{Code: sb.EINVALID, Message: fmt.Sprintf("the file has %d %s; nothing was imported", len(faults), what), Err: le}
}

// hashImportRows hashes the plaintext passwords of rows, on every core,
// with the SIP HA1s of those that are SIP identities.
func (s *Service) hashImportRows(ctx context.Context, d *sb.Domain, rows []importRow, progress func(sb.ImportProgress)) error {
	var todo []int
	for i := range rows {
		if rows[i].password != "" {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	step := max(1, len(todo)/100)
	next := make(chan int)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		done     int
		firstErr error
	)
	for range min(runtime.GOMAXPROCS(0), len(todo)) {
		wg.Go(func() {
			for i := range next {
				err := s.hashImportRow(ctx, d, &rows[i])
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				done++
				if done%step == 0 || done == len(todo) {
					progress(sb.ImportProgress{Phase: sb.PhaseHashing, Done: done, Total: len(todo)})
				}
				mu.Unlock()
			}
		})
	}
	var err error
feed:
	for _, i := range todo {
		select {
		case next <- i:
		case <-ctx.Done():
			err = sb.Internal(fmt.Errorf("account import: %w", ctx.Err()))
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err != nil {
		return err
	}
	return firstErr
}

// hashImportRow sets the credentials of a row with a plaintext password
// and forgets the password.
func (s *Service) hashImportRow(ctx context.Context, d *sb.Domain, r *importRow) error {
	h, err := s.hash(ctx, r.password)
	if err != nil {
		return err
	}
	r.creds = store.Credentials{Hash: h}
	if r.sip {
		if r.creds.HA1MD5, err = digest.HA1(digest.MD5, r.local, d.Realm, r.password); err != nil {
			return sb.Internal(err)
		}
		if r.creds.HA1SHA256, err = digest.HA1(digest.SHA256, r.local, d.Realm, r.password); err != nil {
			return sb.Internal(err)
		}
	}
	r.password = ""
	return nil
}

var _ sb.AccountImportService = (*Service)(nil)
