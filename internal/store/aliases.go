package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	sb "github.com/switchboard/switchboard"
)

// An address is either a mailbox or an alias, never both: Postfix would
// forward the mail of a mailbox that is also an alias. These causes sit in
// the chain of the ECONFLICT that CreateAccount and CreateAlias return, so
// callers that reword their own conflicts can leave these ones alone.
var (
	ErrAddressIsAlias   = errors.New("address is an alias")
	ErrAddressIsMailbox = errors.New("address is a mailbox")
)

const aliasColumns = `id, domain_id, local, email, destinations, created_at`

func scanAlias(row interface{ Scan(...any) error }) (*sb.Alias, error) {
	var a sb.Alias
	var dests string
	var created int64
	if err := row.Scan(&a.ID, &a.DomainID, &a.Local, &a.Email, &dests, &created); err != nil {
		return nil, err
	}
	a.Destinations = strings.Split(dests, ",")
	a.CreatedAt = fromUnix(created)
	return &a, nil
}

// lockAddresses serialises the writers of one domain's addresses until the
// transaction ends. On PostgreSQL, READ COMMITTED would otherwise let an
// account and an alias of the same address both pass their checks; NO KEY
// UPDATE leaves the foreign-key checks of other inserts alone. SQLite's
// single writer serialises them already.
func (tx *Tx) lockAddresses(ctx context.Context, domainID int64) error {
	if tx.dialect != Postgres {
		return nil
	}
	var id int64
	err := tx.queryRow(ctx, `SELECT id FROM domains WHERE id = ? FOR NO KEY UPDATE`, domainID).Scan(&id)
	return classify("domain", err)
}

func (tx *Tx) exists(ctx context.Context, what, query string, args ...any) (bool, error) {
	var n int
	err := tx.queryRow(ctx, `SELECT count(*) FROM (`+query+`) x`, args...).Scan(&n)
	if err != nil {
		return false, classify(what, err)
	}
	return n > 0, nil
}

// CreateAlias inserts an alias and sets its id. An address that is already
// an alias or a mailbox is ECONFLICT.
func (tx *Tx) CreateAlias(ctx context.Context, a *sb.Alias) error {
	if err := tx.lockAddresses(ctx, a.DomainID); err != nil {
		return err
	}
	taken, err := tx.exists(ctx, "alias "+a.Email, `SELECT 1 FROM accounts WHERE email = ?`, a.Email)
	if err != nil {
		return err
	}
	if taken {
		return &sb.Error{Code: sb.ECONFLICT, Field: "address", Message: "address " + a.Email + " is already a mailbox", Err: ErrAddressIsMailbox}
	}
	err = tx.queryRow(ctx, `INSERT INTO aliases (domain_id, local, email, destinations, created_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`,
		a.DomainID, a.Local, a.Email, strings.Join(a.Destinations, ","), unix(a.CreatedAt)).Scan(&a.ID)
	return classify("alias "+a.Email, err)
}

// AliasByEmail returns an alias.
func (tx *Tx) AliasByEmail(ctx context.Context, email string) (*sb.Alias, error) {
	a, err := scanAlias(tx.queryRow(ctx, `SELECT `+aliasColumns+` FROM aliases WHERE email = ?`, email))
	return a, classify("alias", err)
}

// EachAlias calls fn for the aliases of a domain in id order, one keyset
// page, reading them in chunks (see eachChunk).
func (tx *Tx) EachAlias(ctx context.Context, domainID int64, page sb.Page, fn func(sb.Alias) error) error {
	return eachChunk(ctx, tx, "list aliases", page, func(after int64, limit int) (string, []any) {
		return `SELECT ` + aliasColumns + ` FROM aliases WHERE domain_id = ? AND id > ? ORDER BY id LIMIT ?`,
			[]any{domainID, after, limit}
	}, func(r rowScanner) (sb.Alias, error) {
		a, err := scanAlias(r)
		if err != nil {
			return sb.Alias{}, err
		}
		return *a, nil
	}, func(a sb.Alias) int64 { return a.ID }, fn)
}

// DeleteAlias deletes an alias.
func (tx *Tx) DeleteAlias(ctx context.Context, id int64) error {
	return tx.updateOne(ctx, "alias", `DELETE FROM aliases WHERE id = ?`, id)
}

// DropAliasDestinations removes from the aliases of tenant tenantID's
// domains the destinations that gone reports as no longer existing (a
// deleted mailbox), and deletes aliases left with none: Postfix would
// otherwise accept mail for them and bounce it after the fact. Other
// tenants' aliases are never touched: to them the address is an outside
// destination like any other, and one tenant's delete must not edit what
// another tenant owns. like is an SQL LIKE pattern that every such alias's
// destinations match, to find them without reading every alias. It returns
// the addresses of the aliases changed and deleted.
func (tx *Tx) DropAliasDestinations(ctx context.Context, tenantID int64, like string, gone func(dest string) bool) (changed, deleted []string, err error) {
	rows, err := tx.query(ctx, "find aliases", `SELECT `+aliasColumns+` FROM aliases
		WHERE destinations LIKE ? AND domain_id IN (SELECT id FROM domains WHERE tenant_id = ?) ORDER BY id`, like, tenantID)
	if err != nil {
		return nil, nil, err
	}
	var hit []sb.Alias
	err = each(rows, "find aliases", func(r *sql.Rows) error {
		a, err := scanAlias(r)
		if err == nil {
			hit = append(hit, *a)
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	for _, a := range hit {
		var keep []string
		for _, d := range a.Destinations {
			if !gone(d) {
				keep = append(keep, d)
			}
		}
		switch {
		case len(keep) == len(a.Destinations):
			continue
		case len(keep) == 0:
			err = tx.DeleteAlias(ctx, a.ID)
			deleted = append(deleted, a.Email)
		default:
			err = tx.updateOne(ctx, "alias", `UPDATE aliases SET destinations = ? WHERE id = ?`, strings.Join(keep, ","), a.ID)
			changed = append(changed, a.Email)
		}
		if err != nil {
			return nil, nil, err
		}
	}
	return changed, deleted, nil
}
