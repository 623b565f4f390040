package service

import (
	"context"
	"strings"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/store"
)

// ErrAccessDenied is the one answer to bad session credentials.
var ErrAccessDenied = sb.Errorf(sb.EUNAUTHORIZED, "bad credentials or an expired session")

// ErrInvalidSession is the one answer to a session token that is missing,
// unknown, expired, or of a principal switched off or gone since: its
// cause, sb.ErrInvalidSession, lets JSON-RPC answer mailbox.org's code 253
// rather than the bad-credentials code.
var ErrInvalidSession = &sb.Error{Code: sb.EUNAUTHORIZED, Message: "This Auth-ID is invalid", Err: sb.ErrInvalidSession}

// touchEvery bounds how often a session's last-seen time is written: the
// store keeps seconds, so the idle timeout holds to the second.
const touchEvery = time.Second

// OpenSession logs a tenant (by name) or a mailbox (by address) in and
// returns a new session token and its level.
func (s *Service) OpenSession(ctx context.Context, user, password, ip string) (token, level string, err error) {
	var sess store.Session
	if strings.Contains(user, "@") {
		a, _, err := s.CheckMailboxPassword(ctx, user, password, ip)
		if err != nil {
			return "", "", err
		}
		sess = store.Session{AccountID: a.ID, Level: sb.LevelMail}
	} else {
		t, err := s.CheckTenantPassword(ctx, user, password, ip)
		if sb.ErrorCode(err) == sb.EUNAUTHORIZED {
			return "", "", ErrAccessDenied
		}
		if err != nil {
			return "", "", err
		}
		sess = store.Session{TenantID: t.ID, Level: sb.LevelAccount}
		if t.Role == sb.RoleOperator {
			sess.Level = sb.LevelAdmin
		}
	}
	token = auth.NewToken()
	now := s.now()
	sess.Expires = now.Add(s.sessionMax)
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		return tx.CreateSession(ctx, auth.HashToken(token), sess, now)
	})
	if err != nil {
		return "", "", err
	}
	return token, sess.Level, nil
}

// ResumeSession resolves a session token to its actor, enforcing the idle
// timeout and the absolute lifetime. Unknown tokens are rate-limited per IP.
func (s *Service) ResumeSession(ctx context.Context, token, ip string) (sb.Actor, error) {
	if token == "" {
		return sb.Actor{}, ErrInvalidSession
	}
	if wait := s.tokens.Wait("ip:" + ip); wait > 0 {
		return sb.Actor{}, sb.RateLimited(wait, "too many invalid sessions, try again later")
	}
	now := s.now()
	hash := auth.HashToken(token)
	tx := s.store.Read()
	sess, err := tx.SessionByHash(ctx, hash, now)
	if err == nil && now.Sub(sess.LastSeen) > s.sessionIdle {
		err = sb.Errorf(sb.ENOTFOUND, "session idle")
	}
	if sb.ErrorCode(err) == sb.ENOTFOUND {
		s.tokens.Fail("ip:" + ip)
		return sb.Actor{}, ErrInvalidSession
	}
	if err != nil {
		return sb.Actor{}, err
	}
	var actor sb.Actor
	if sess.AccountID != 0 {
		a, err := tx.AccountByID(ctx, sess.AccountID)
		if err != nil || !a.Active {
			return sb.Actor{}, ErrInvalidSession
		}
		d, err := tx.DomainByID(ctx, a.DomainID)
		if err != nil {
			return sb.Actor{}, ErrInvalidSession
		}
		actor = sb.Actor{AccountID: a.ID, Email: a.Email, TenantID: d.TenantID, TenantName: d.TenantName, Credential: hash}
	} else {
		if sess.TenantName == "" { // the tenant is gone
			return sb.Actor{}, ErrInvalidSession
		}
		actor = sb.Actor{TenantID: sess.TenantID, TenantName: sess.TenantName, Role: sess.TenantRole, Credential: hash}
	}
	if now.Sub(sess.LastSeen) >= touchEvery {
		if err := s.store.InTx(ctx, func(tx *store.Tx) error { return tx.TouchSession(ctx, hash, now) }); err != nil {
			return sb.Actor{}, err
		}
	}
	return actor, nil
}

// CloseSession ends a session at once.
func (s *Service) CloseSession(ctx context.Context, token string) error {
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		return tx.DeleteSession(ctx, auth.HashToken(token))
	})
}

// SessionLevel names the level of an actor.
func SessionLevel(a sb.Actor) string {
	switch {
	case a.AccountID != 0:
		return sb.LevelMail
	case a.IsOperator():
		return sb.LevelAdmin
	default:
		return sb.LevelAccount
	}
}
