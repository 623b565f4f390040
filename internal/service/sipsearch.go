package service

import (
	"context"
	"slices"
	"strings"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/store"
)

// SIP account list bounds.
const (
	DefaultSIPPage = 25
	MaxSIPPage     = 100
	maxPrefixLen   = 254
)

// sipSearchFields maps a SIPAccountList's Field to the store's.
var sipSearchFields = map[string]string{"username": store.SearchUsername, "email": store.SearchEmail, "phone": store.SearchPhone}

// sipSearchField says what a prefix matches: '+' starts a phone (E.164),
// '@' belongs to an email address, anything else is a username; usernames
// and addresses are stored in lower case.
func sipSearchField(prefix string) (field, value string) {
	prefix = strings.TrimSpace(prefix)
	switch {
	case prefix == "":
		return "", ""
	case prefix[0] == '+':
		return "phone", strings.ReplaceAll(prefix, " ", "")
	case strings.Contains(prefix, "@"):
		return "email", strings.ToLower(prefix)
	default:
		return "username", strings.ToLower(prefix)
	}
}

// SearchSIPAccounts answers one keyset page of the admin's domain, by id or
// by prefix (see sb.SIPAccountQuery). A cursor naming an account that is
// gone, or not in the domain, starts again at the first page.
func (s *Service) SearchSIPAccounts(ctx context.Context, actor sb.Actor, q sb.SIPAccountQuery) (*sb.SIPAccountList, error) {
	if len(q.Prefix) > maxPrefixLen {
		return nil, sb.FieldError("q", "The search may be at most %d characters.", maxPrefixLen)
	}
	limit := q.Limit
	switch {
	case limit == 0:
		limit = DefaultSIPPage
	case limit < 0 || limit > MaxSIPPage:
		return nil, sb.FieldError("limit", "The page size must be between 1 and %d.", MaxSIPPage)
	}
	tx := s.store.Read()
	admin, err := s.sipAdmin(ctx, tx, actor)
	if err != nil {
		return nil, err
	}
	field, prefix := sipSearchField(q.Prefix)
	sq := store.AccountSearch{DomainID: admin.DomainID, Field: sipSearchFields[field], Prefix: prefix, Limit: limit + 1}
	cursor := q.After
	if q.Before != 0 {
		cursor, sq.Backward = q.Before, true
	}
	if cursor != 0 {
		c, err := tx.AccountByID(ctx, cursor)
		switch {
		case sb.ErrorCode(err) == sb.ENOTFOUND || err == nil && c.DomainID != admin.DomainID:
			sq.Backward = false
		case err != nil:
			return nil, err
		default:
			sq.ID, sq.Key = c.ID, map[string]string{"username": c.Local, "email": c.ContactEmail, "phone": c.Phone}[field]
		}
	}
	list, err := tx.SearchAccounts(ctx, sq)
	if err != nil {
		return nil, err
	}
	if sq.Backward && len(list) == 0 {
		sq.ID, sq.Key, sq.Backward = 0, "", false
		if list, err = tx.SearchAccounts(ctx, sq); err != nil {
			return nil, err
		}
	}
	out := &sb.SIPAccountList{Field: field}
	more := len(list) > limit
	if more {
		list = list[:limit]
	}
	if sq.Backward {
		slices.Reverse(list)
	}
	out.Accounts = list
	if len(list) > 0 {
		first, last := list[0].ID, list[len(list)-1].ID
		switch {
		case sq.Backward:
			out.Next = last // the cursor row follows
			if more {
				out.Prev = first
			}
		default:
			if more {
				out.Next = last
			}
			if sq.ID != 0 {
				out.Prev = first // the cursor row precedes
			}
		}
	}
	return out, nil
}

// SIPProvisioningKey returns the confirmation key of an account of the
// admin's domain, or of oneself, while it can still provision a device:
// "" once it was used (the account is provisioned), revoked or expired.
func (s *Service) SIPProvisioningKey(ctx context.Context, actor sb.Actor, id int64) (string, time.Time, error) {
	tx := s.store.Read()
	a, err := s.sipTarget(ctx, tx, actor, id)
	if err != nil {
		return "", time.Time{}, err
	}
	key, exp, err := tx.AccountConfirmation(ctx, a.ID)
	if err != nil {
		return "", time.Time{}, err
	}
	if !exp.IsZero() && s.now().After(exp) {
		return "", exp, nil
	}
	return key, exp, nil
}
