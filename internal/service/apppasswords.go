package service

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/store"
)

// App password bounds: a name is for its owner's eyes; the count keeps the
// list one short page (and Dovecot's lookups cheap).
const (
	MaxAppPasswordName        = 64
	MaxAppPasswordsPerMailbox = 20
)

var _ sb.AppPasswordService = (*Service)(nil)

// appPasswordAccount loads the mailbox an app password operation acts on:
// a mailbox reaches only itself, a tenant the mailboxes of its domains
// (operators: all); anything else is not found, so nobody learns which
// addresses others host.
func appPasswordAccount(ctx context.Context, tx *store.Tx, actor sb.Actor, ref sb.AccountRef) (*sb.Account, error) {
	var a *sb.Account
	var err error
	switch {
	case ref.Email != "":
		local, domain, nerr := NormalizeEmail("mail", ref.Email)
		if nerr != nil {
			return nil, nerr
		}
		a, _, err = tx.AccountByEmail(ctx, local+"@"+domain)
	case ref.ID > 0:
		a, err = tx.AccountByID(ctx, ref.ID)
	default:
		return nil, sb.FieldError("mail", "name the mailbox")
	}
	if sb.ErrorCode(err) == sb.ENOTFOUND {
		return nil, notFound("mail")
	}
	if err != nil {
		return nil, err
	}
	if actor.IsMailbox() {
		if a.ID != actor.AccountID {
			return nil, notFound("mail")
		}
		return a, nil
	}
	if _, err := visibleDomain(ctx, tx, actor, a.DomainID); err != nil {
		return nil, notFound("mail")
	}
	return a, nil
}

// checkAppPasswordName trims a name and checks it; "" is allowed (the
// app password is then named by its creation time).
func checkAppPasswordName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if !utf8.ValidString(name) || strings.ContainsFunc(name, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return "", sb.FieldError("name", "The app password's name may hold only printable characters.")
	}
	if utf8.RuneCountInString(name) > MaxAppPasswordName {
		return "", sb.FieldError("name", "The app password's name may be at most %d characters.", MaxAppPasswordName)
	}
	return name, nil
}

// CheckAppPasswordProtocols normalises a protocol list: lower-cased, each
// one of sb.AppPasswordProtocols, without duplicates, in that order. Empty
// means every protocol.
func CheckAppPasswordProtocols(protocols []string) ([]string, error) {
	seen := map[string]bool{}
	for _, p := range protocols {
		p = strings.ToLower(strings.TrimSpace(p))
		if !slices.Contains(sb.AppPasswordProtocols, p) {
			return nil, sb.FieldError("protocols", "Unknown protocol %q: use %s.", p, strings.Join(sb.AppPasswordProtocols, ", "))
		}
		seen[p] = true
	}
	var out []string
	for _, p := range sb.AppPasswordProtocols {
		if seen[p] {
			out = append(out, p)
		}
	}
	return out, nil
}

// CreateAppPassword generates an app password for a mailbox the actor may
// manage; the secret is in the answer only. The rights and the count are
// checked in the transaction that writes.
func (s *Service) CreateAppPassword(ctx context.Context, actor sb.Actor, ref sb.AccountRef, in sb.NewAppPassword) (*sb.CreatedAppPassword, error) {
	name, err := checkAppPasswordName(in.Name)
	if err != nil {
		return nil, err
	}
	protocols, err := CheckAppPasswordProtocols(in.Protocols)
	if err != nil {
		return nil, err
	}
	// A handle is 40 random bits: a clash is all but impossible, and a
	// retry with a fresh password settles it.
	for attempt := 0; ; attempt++ {
		password, handle := auth.NewAppPassword()
		hash, err := s.hash(ctx, password)
		if err != nil {
			return nil, err
		}
		out, err := s.createAppPassword(ctx, actor, ref, store.NewAppPassword{Handle: handle, Name: name, Protocols: protocols, Hash: hash})
		if sb.ErrorCode(err) == sb.ECONFLICT && attempt < 2 {
			continue
		}
		if err != nil {
			return nil, err
		}
		out.Password = password
		return out, nil
	}
}

func (s *Service) createAppPassword(ctx context.Context, actor sb.Actor, ref sb.AccountRef, row store.NewAppPassword) (*sb.CreatedAppPassword, error) {
	var out *sb.CreatedAppPassword
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		a, err := appPasswordAccount(ctx, tx, actor, ref)
		if err != nil {
			return err
		}
		have, err := tx.AppPasswords(ctx, a.ID)
		if err != nil {
			return err
		}
		if len(have) >= MaxAppPasswordsPerMailbox {
			return sb.Errorf(sb.ECONFLICT, "A mailbox may hold at most %d app passwords: revoke one first.", MaxAppPasswordsPerMailbox)
		}
		now := s.now()
		if row.Name == "" {
			row.Name = "App password of " + now.UTC().Format("2006-01-02 15:04")
		}
		row.AccountID = a.ID
		id, err := tx.CreateAppPassword(ctx, row, now)
		if err != nil {
			return err
		}
		out = &sb.CreatedAppPassword{AppPassword: sb.AppPassword{ID: id, AccountID: a.ID, Email: a.Email,
			Name: row.Name, Protocols: row.Protocols, CreatedAt: now}}
		return tx.Audit(ctx, now, actor.String(), "apppassword.create", "account:"+a.Email)
	})
	return out, err
}

// ListAppPasswords lists the app passwords of a mailbox the actor may
// manage; secrets are never stored, so never shown.
func (s *Service) ListAppPasswords(ctx context.Context, actor sb.Actor, ref sb.AccountRef) ([]sb.AppPassword, error) {
	var out []sb.AppPassword
	err := s.store.ReadTx(ctx, func(tx *store.Tx) error {
		a, err := appPasswordAccount(ctx, tx, actor, ref)
		if err != nil {
			return err
		}
		out, err = tx.AppPasswords(ctx, a.ID)
		return err
	})
	return out, err
}

// RevokeAppPassword deletes an app password of a mailbox the actor may
// manage; Dovecot reads the view on every login, so the next one with it
// fails. When ref names a mailbox, the app password must be its.
func (s *Service) RevokeAppPassword(ctx context.Context, actor sb.Actor, ref sb.AccountRef, id int64) error {
	if id <= 0 {
		return sb.FieldError("id", "id must be a positive integer")
	}
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		p, err := tx.AppPasswordByID(ctx, id)
		if sb.ErrorCode(err) == sb.ENOTFOUND {
			return notFound("app password")
		}
		if err != nil {
			return err
		}
		a, err := appPasswordAccount(ctx, tx, actor, sb.AccountRef{ID: p.AccountID})
		if sb.ErrorCode(err) == sb.ENOTFOUND {
			return notFound("app password")
		}
		if err != nil {
			return err
		}
		if ref != (sb.AccountRef{}) {
			named, err := appPasswordAccount(ctx, tx, actor, ref)
			if err != nil || named.ID != a.ID {
				return notFound("app password")
			}
		}
		if err := tx.DeleteAppPassword(ctx, id); err != nil {
			return err
		}
		return tx.Audit(ctx, s.now(), actor.String(), "apppassword.revoke", fmt.Sprintf("apppassword:%d", id))
	})
}

// revokeAppPasswords ends every app password of an account, in the
// caller's transaction: a password change revokes them with the other
// logins, since whoever knew the old password could have made some.
func revokeAppPasswords(ctx context.Context, tx *store.Tx, a *sb.Account) error {
	_, err := tx.DeleteAccountAppPasswords(ctx, a.ID)
	return err
}
