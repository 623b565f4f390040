package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	sb "github.com/switchboard/switchboard"
)

// The store side of mailbox.org's extras: mailbox profiles, memos, sorted
// mailbox pages, the aliases of a mailbox and substring searches.

// MailboxProfile is what SetMailboxProfile writes.
type MailboxProfile struct {
	FirstName, LastName string
	Forwards            []string // normalised addresses
	InboxSave           bool
}

// SetMailboxProfile replaces an account's names and forwarding; Postfix
// reads the forwarding through the mail_aliases view (migration 0023).
func (tx *Tx) SetMailboxProfile(ctx context.Context, id int64, p MailboxProfile, now time.Time) error {
	return tx.updateOne(ctx, "account", `UPDATE accounts SET first_name = ?, last_name = ?, forwards = ?, inboxsave = ?,
		updated_at = ? WHERE id = ?`, p.FirstName, p.LastName, strings.Join(p.Forwards, ","), p.InboxSave, unix(now), id)
}

// SetDomainMemo replaces a domain's memo.
func (tx *Tx) SetDomainMemo(ctx context.Context, id int64, memo string) error {
	return tx.updateOne(ctx, "domain", `UPDATE domains SET memo = ? WHERE id = ?`, memo, id)
}

// SetTenantMemo replaces a tenant's memo.
func (tx *Tx) SetTenantMemo(ctx context.Context, id int64, memo string, now time.Time) error {
	return tx.updateOne(ctx, "tenant", `UPDATE tenants SET memo = ?, updated_at = ? WHERE id = ?`, memo, unix(now), id)
}

// AliasesTo returns, for each of the addresses, the aliases whose only
// destination it is, in id order; the aliases_destinations index makes it
// one index probe per address.
func (tx *Tx) AliasesTo(ctx context.Context, addrs []string) (map[string][]sb.Alias, error) {
	out := make(map[string][]sb.Alias, len(addrs))
	for len(addrs) > 0 {
		n := min(len(addrs), 500)
		args := make([]any, n)
		for i, a := range addrs[:n] {
			args[i] = a
		}
		rows, err := tx.query(ctx, "aliases of mailboxes", `SELECT `+aliasColumns+` FROM aliases
			WHERE destinations IN (?`+strings.Repeat(", ?", n-1)+`) ORDER BY id`, args...)
		if err != nil {
			return nil, err
		}
		err = each(rows, "aliases of mailboxes", func(r *sql.Rows) error {
			a, err := scanAlias(r)
			if err == nil {
				out[a.Destinations[0]] = append(out[a.Destinations[0]], *a)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		addrs = addrs[n:]
	}
	return out, nil
}

// mailboxSortColumn returns the column of an sb.Sort* order; each has an
// index (domain_id, column, id) (migrations 0001, 0019 and 0023), so a page
// is one range of it.
func mailboxSortColumn(sort string) (string, bool) {
	switch sort {
	case sb.SortByID:
		return "", true
	case sb.SortByMail:
		return "local", true
	case sb.SortByFirstName:
		return "first_name", true
	case sb.SortByLastName:
		return "last_name", true
	case sb.SortByStatus:
		return "active", true
	case sb.SortByCreated:
		return "created_at", true
	}
	return "", false
}

// MailboxesPage returns one offset page of a domain's accounts in the order
// p.Sort names, ties broken by id.
func (tx *Tx) MailboxesPage(ctx context.Context, domainID int64, p sb.MailboxPage) ([]sb.Account, error) {
	col, ok := mailboxSortColumn(p.Sort)
	if !ok {
		return nil, fmt.Errorf("mailboxes page: unknown order %q", p.Sort)
	}
	dir := ""
	if p.Desc {
		dir = " DESC"
	}
	order := "id" + dir
	if col != "" {
		if col == "local" && tx.dialect == Postgres {
			// Byte order, the accounts_domain_local_c index's (0019).
			col += ` COLLATE "C"`
		}
		order = col + dir + ", " + order
	}
	rows, err := tx.query(ctx, "list mailboxes", `SELECT `+accountColumns+` FROM accounts WHERE domain_id = ?
		ORDER BY `+order+` LIMIT ? OFFSET ?`, domainID, p.Limit, p.Offset)
	if err != nil {
		return nil, err
	}
	out, err := collectAccounts(rows, "list mailboxes")
	return out, err
}

// ContainsPattern returns the LIKE pattern (with ESCAPE '\') that matches
// strings holding s, lower-cased.
func ContainsPattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(s)) + "%"
}

// FindTenants returns the tenants whose name holds the LIKE pattern like
// (see ContainsPattern), in id order, at most limit (0: all).
func (tx *Tx) FindTenants(ctx context.Context, like string, limit int) ([]sb.Tenant, error) {
	return tx.listTenants(ctx, like, limit)
}

// EachDomainMatching calls fn, in id order, for the domains (of one tenant,
// or all when tenantID is 0) whose name is LIKE like, reading them in
// chunks. Domain names are few per tenant, so the scan of the tenant's
// domains is bounded by what it holds.
func (tx *Tx) EachDomainMatching(ctx context.Context, tenantID int64, like string, limit int, fn func(sb.Domain) error) error {
	return eachChunk(ctx, tx, "find domains", sb.Page{Limit: limit}, func(after int64, limit int) (string, []any) {
		if tenantID != 0 {
			return `SELECT ` + domainColumns + ` FROM domains d WHERE d.id > ? AND d.tenant_id = ? AND d.name LIKE ? ESCAPE '\'
				ORDER BY d.id LIMIT ?`, []any{after, tenantID, like, limit}
		}
		return `SELECT ` + domainColumns + ` FROM domains d WHERE d.id > ? AND d.name LIKE ? ESCAPE '\' ORDER BY d.id LIMIT ?`,
			[]any{after, like, limit}
	}, newDomainScan().scan, func(d sb.Domain) int64 { return d.ID }, fn)
}

// SearchMailboxes returns up to limit accounts (of tenant tenantID's
// domains, or of all when 0; of the one domain domainID when not 0) whose
// local part starts with prefix, in (domain, local part) order. Within each
// domain it is a range of the (domain_id, local) index; across domains the
// database stops at the limit rather than sort every match (a one-letter
// prefix matches most of a million), so which matches come is its choice.
func (tx *Tx) SearchMailboxes(ctx context.Context, tenantID, domainID int64, prefix string, limit int) ([]sb.Account, error) {
	col := "local"
	if tx.dialect == Postgres {
		col += ` COLLATE "C"`
	}
	where := col + ` >= ?`
	args := []any{prefix}
	if hi, ok := prefixUpperBound(prefix); ok {
		where += ` AND ` + col + ` < ?`
		args = append(args, hi)
	}
	order := ""
	switch {
	case domainID != 0:
		where += ` AND domain_id = ?`
		args = append(args, domainID)
		order = ` ORDER BY ` + col + `, id`
	case tenantID != 0:
		where += ` AND domain_id IN (SELECT id FROM domains WHERE tenant_id = ?)`
		args = append(args, tenantID)
	default:
		where += ` AND domain_id IN (SELECT id FROM domains)`
	}
	rows, err := tx.query(ctx, "search mailboxes", `SELECT `+accountColumns+` FROM accounts WHERE `+where+order+` LIMIT ?`,
		append(args, limit)...)
	if err != nil {
		return nil, err
	}
	out, err := collectAccounts(rows, "search mailboxes")
	slices.SortFunc(out, func(a, b sb.Account) int {
		return cmp.Or(cmp.Compare(a.DomainID, b.DomainID), strings.Compare(a.Local, b.Local), cmp.Compare(a.ID, b.ID))
	})
	return out, err
}

// DropForwardTarget removes addr (a deleted mailbox) from the forwards of
// the accounts of tenant tenantID's domains, as DropAliasDestinations does
// for aliases, and returns the addresses of the accounts changed. like is
// an SQL LIKE pattern every such forwards value matches.
func (tx *Tx) DropForwardTarget(ctx context.Context, tenantID int64, addr, like string, now time.Time) ([]string, error) {
	rows, err := tx.query(ctx, "find forwards", `SELECT id, email, forwards FROM accounts
		WHERE forwards LIKE ? AND domain_id IN (SELECT id FROM domains WHERE tenant_id = ?) ORDER BY id`, like, tenantID)
	if err != nil {
		return nil, err
	}
	type hit struct {
		id          int64
		email, fwds string
	}
	var hits []hit
	err = each(rows, "find forwards", func(r *sql.Rows) error {
		var h hit
		err := r.Scan(&h.id, &h.email, &h.fwds)
		hits = append(hits, h)
		return err
	})
	if err != nil {
		return nil, err
	}
	var changed []string
	for _, h := range hits {
		all := strings.Split(h.fwds, ",")
		keep := make([]string, 0, len(all))
		for _, f := range all {
			if f != addr {
				keep = append(keep, f)
			}
		}
		if len(keep) == len(all) {
			continue
		}
		if err := tx.updateOne(ctx, "account", `UPDATE accounts SET forwards = ?, updated_at = ? WHERE id = ?`,
			strings.Join(keep, ","), unix(now), h.id); err != nil {
			return nil, err
		}
		changed = append(changed, h.email)
	}
	return changed, nil
}
