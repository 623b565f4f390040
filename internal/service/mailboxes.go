package service

import (
	"context"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/archive"
)

// Mailboxes keeps the accounts' mail storage (Dovecot's Maildirs, in
// internal/maildir) in step with the records: deletes, exports and imports
// carry the mail along.
type Mailboxes interface {
	// Discard sets aside the mail of local@domain, or with local "" of the
	// whole domain, after its delete has committed; failures are logged.
	Discard(ctx context.Context, domain, local string)
	// Purge removes mail discarded more than olderThan ago and returns how
	// many entries it removed.
	Purge(ctx context.Context, olderThan time.Duration) (int, error)
	// Export adds the mail of the domain's accounts to an export; isAccount
	// tells which local parts are accounts.
	Export(ctx context.Context, b *archive.Builder, domain string, isAccount func(local string) (bool, error)) error
	// Stage writes an import's mail aside and names it for Place; the
	// caller has checked it belongs to the archive's accounts.
	Stage(ctx context.Context, a *archive.Archive, domain string) (staged string, err error)
	// Place moves staged mail to the domain once its import has committed
	// (ok), or removes it.
	Place(ctx context.Context, staged, domain string, ok bool) error
	// PurgeStaged removes every staged import, however recent: the caller
	// knows that no import is running.
	PurgeStaged(ctx context.Context) (int, error)
}

// discardMail sets aside the mail of a deleted account or domain, if the
// service manages mail.
func (s *Service) discardMail(ctx context.Context, domain, local string) {
	if s.mail != nil {
		s.mail.Discard(ctx, domain, local)
	}
}

// PurgeMailTrash removes the mail of accounts deleted more than olderThan
// ago, and imports left staged by a crash, and returns how many entries it
// removed.
func (s *Service) PurgeMailTrash(ctx context.Context, olderThan time.Duration) (int, error) {
	if s.mail == nil {
		return 0, nil
	}
	return s.mail.Purge(ctx, olderThan)
}

// exportMail adds the Maildirs of the domain's accounts to an export.
// Directories without an account are left out.
func (s *Service) exportMail(ctx context.Context, b *archive.Builder, domain string) error {
	if s.mail == nil {
		return nil
	}
	return s.mail.Export(ctx, b, domain, func(local string) (bool, error) {
		_, _, err := s.store.Read().AccountByEmail(ctx, local+"@"+domain)
		if sb.ErrorCode(err) == sb.ENOTFOUND {
			return false, nil
		}
		return err == nil, err
	})
}

// stageMail checks the Maildirs of an import and has them staged, for
// placeMail once the import has committed or failed. It returns "" when the
// archive holds no Maildir. Every Maildir must belong to an account of the
// archive.
func (s *Service) stageMail(ctx context.Context, a *archive.Archive, domain string) (string, error) {
	var locals []string
	err := a.MaildirLocals(func(local string) error {
		locals = append(locals, local)
		return nil
	})
	if err != nil || len(locals) == 0 {
		return "", err
	}
	if s.mail == nil {
		return "", sb.Errorf(sb.EINVALID, "the archive holds Maildirs, but this server keeps no mail (no mail root)")
	}
	accounts := make(map[string]bool, len(locals))
	for _, l := range locals {
		accounts[l] = false
	}
	err = archive.EachLine(a, "accounts.jsonl", func(r *accountRecord) error {
		if _, ok := accounts[r.Local]; ok {
			accounts[r.Local] = true
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	for _, l := range locals {
		if !accounts[l] {
			return "", sb.Errorf(sb.EINVALID, "the archive holds a Maildir for %s@%s, which is not one of its accounts", l, domain)
		}
	}
	return s.mail.Stage(ctx, a, domain)
}

// placeMail puts a staged import's mail in place (ok) or removes it.
func (s *Service) placeMail(ctx context.Context, staged, domain string, ok bool) error {
	if s.mail == nil || staged == "" {
		return nil
	}
	return s.mail.Place(ctx, staged, domain, ok)
}
