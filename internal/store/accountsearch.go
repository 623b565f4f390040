package store

import (
	"context"
	"fmt"

	sb "github.com/switchboard/switchboard"
)

// Fields an account search may match by prefix.
const (
	SearchUsername = "local"
	SearchEmail    = "contact_email"
	SearchPhone    = "phone"
)

// AccountSearch asks for one keyset page of a domain's accounts: every
// account in id order when Field is "", or those whose Field starts with
// Prefix, in (Field, id) order. After a cursor (Key, ID) the page holds the
// rows that follow it, or with Backward the rows before it, nearest first.
type AccountSearch struct {
	DomainID int64
	Field    string
	Prefix   string
	Key      string // the cursor row's value of Field
	ID       int64  // the cursor row's id; 0: the first page
	Backward bool
	Limit    int
}

// SearchAccounts answers one page of an AccountSearch. Every variant is a
// range of one index (accounts_domain_id, or the domain's index on the
// field), read in order and cut at Limit: the cost does not grow with the
// domain.
func (tx *Tx) SearchAccounts(ctx context.Context, q AccountSearch) ([]sb.Account, error) {
	less, order := ">", ""
	if q.Backward {
		less, order = "<", " DESC"
	}
	var where string
	args := []any{q.DomainID}
	switch q.Field {
	case "":
		if q.ID != 0 {
			where = ` AND id ` + less + ` ?`
			args = append(args, q.ID)
		}
		where += ` ORDER BY id` + order
	case SearchUsername, SearchEmail, SearchPhone:
		col := q.Field
		if tx.dialect == Postgres {
			// The indexes of migration 0019 are in byte order.
			col += ` COLLATE "C"`
		}
		lo := q.Prefix
		if q.ID != 0 && !q.Backward {
			// The cursor's key is the range's start, so the index is
			// entered at the cursor rather than at the prefix.
			lo = max(lo, q.Key)
		}
		where = fmt.Sprintf(` AND %s >= ?`, col)
		args = append(args, lo)
		if hi, ok := prefixUpperBound(q.Prefix); ok {
			where += fmt.Sprintf(` AND %s < ?`, col)
			args = append(args, hi)
		}
		switch {
		case q.ID != 0 && q.Backward:
			where += fmt.Sprintf(` AND %s <= ? AND (%[1]s < ? OR id < ?)`, col)
			args = append(args, q.Key, q.Key, q.ID)
		case q.ID != 0:
			where += fmt.Sprintf(` AND (%s > ? OR id > ?)`, col)
			args = append(args, q.Key, q.ID)
		}
		where += fmt.Sprintf(` ORDER BY %s%s, id%[2]s`, col, order)
	default:
		return nil, fmt.Errorf("search accounts: unknown field %q", q.Field)
	}
	rows, err := tx.query(ctx, "search accounts", `SELECT `+accountColumns+` FROM accounts WHERE domain_id = ?`+where+` LIMIT ?`,
		append(args, q.Limit)...)
	if err != nil {
		return nil, err
	}
	out, err := collectAccounts(rows, "search accounts")
	return out, err
}
