package jsonrpc

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	sb "github.com/switchboard/switchboard"
)

// Quotas in mailbox.org's terms: mail.add and mail.set take quota (bytes,
// or a size string such as "100M"), quota_messages, plan (a mailbox quota
// preset) and additional_mail_quota (MiB on top of it); account.add and
// account.set take plan (a tenant limit preset) and limits outright.

// quota is the quota change mail.add's and mail.set's members ask for;
// nil for none.
func (p *mailParams) quota() (*sb.QuotaChange, error) {
	var ch sb.QuotaChange
	var err error
	if ch.Bytes, err = sizeParam("quota", p.Quota, 1); err != nil {
		return nil, err
	}
	if ch.ExtraBytes, err = sizeParam("additional_mail_quota", p.AdditionalMailQuota, sb.MiB); err != nil {
		return nil, err
	}
	ch.Messages, ch.Plan = p.QuotaMessages, p.Plan
	if ch == (sb.QuotaChange{}) {
		return nil, nil
	}
	return &ch, nil
}

// sizeParam reads a size member: a JSON number counted in unit bytes, or
// a string, which is a number in unit bytes too or, for bytes, a size
// with a K, M, G or T unit. Absent or null is nil.
func sizeParam(field string, raw json.RawMessage, unit int64) (*int64, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	bad := InvalidParams("Invalid params: "+field+" must be a non-negative number", field)
	var s string
	if json.Unmarshal(raw, &s) != nil {
		var n json.Number
		if json.Unmarshal(raw, &n) != nil {
			return nil, bad
		}
		s = n.String()
	}
	if unit != 1 {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || n < 0 || n > sb.MaxQuotaBytes/unit {
			return nil, bad
		}
		n *= unit
		return &n, nil
	}
	n, err := sb.ParseSize(field, s)
	if err != nil {
		return nil, InvalidParams(sb.ErrorMessage(err), field)
	}
	return &n, nil
}

// mailQuotaJSON is the quota of a mail.* answer: limits in bytes (0:
// unlimited), the plan ("" for a limit given outright) and its additional
// MiB.
type mailQuotaJSON struct {
	Quota               int64  `json:"quota"`
	QuotaMessages       int64  `json:"quota_messages"`
	Plan                string `json:"plan"`
	AdditionalMailQuota int64  `json:"additional_mail_quota"`
}

func toMailQuotaJSON(a sb.Account) mailQuotaJSON {
	return mailQuotaJSON{Quota: a.Quota.Bytes, QuotaMessages: a.Quota.Messages, Plan: a.Quota.Plan,
		AdditionalMailQuota: a.Quota.ExtraBytes / sb.MiB}
}

// quotaUsageJSON is mail.get's quota_usage with include_quota_usage: what
// Dovecot recorded the mailbox holds, against its limits.
type quotaUsageJSON struct {
	Storage       int64 `json:"storage"`
	StorageLimit  int64 `json:"storage_limit"`
	Messages      int64 `json:"messages"`
	MessagesLimit int64 `json:"messages_limit"`
}

func quotaUsage(a sb.Account) *quotaUsageJSON {
	return &quotaUsageJSON{Storage: a.QuotaUsed.Bytes, StorageLimit: a.Quota.Bytes,
		Messages: a.QuotaUsed.Messages, MessagesLimit: a.Quota.Messages}
}

// limits is the limits change account.add's and account.set's members
// ask for; nil for none.
func (p *accountParams) limits() (*sb.TenantLimitsChange, error) {
	ch := sb.TenantLimitsChange{Plan: p.Plan, MaxDomains: p.MaxDomains, MaxMailboxes: p.MaxMailboxes}
	var err error
	if ch.MaxQuotaBytes, err = sizeParam("max_quota", p.MaxQuota, 1); err != nil {
		return nil, err
	}
	if ch.DefaultQuotaBytes, err = sizeParam("default_quota", p.DefaultQuota, 1); err != nil {
		return nil, err
	}
	if ch == (sb.TenantLimitsChange{}) {
		return nil, nil
	}
	return &ch, nil
}

// limitsJSON is a tenant's limits in account.* answers (0: unlimited).
type limitsJSON struct {
	Plan         string `json:"plan"`
	MaxDomains   int64  `json:"max_domains"`
	MaxMailboxes int64  `json:"max_mailboxes"`
	MaxQuota     int64  `json:"max_quota"`
	DefaultQuota int64  `json:"default_quota"`
}

func toLimitsJSON(l sb.TenantLimits) limitsJSON {
	return limitsJSON{Plan: l.Plan, MaxDomains: l.MaxDomains, MaxMailboxes: l.MaxMailboxes, MaxQuota: l.MaxQuotaBytes,
		DefaultQuota: l.DefaultQuotaBytes}
}

// createTenant is account.add's create: with limits when any are given.
func (m *methods) createTenant(ctx context.Context, actor sb.Actor, p *accountParams, role string) (*sb.Tenant, error) {
	ch, err := p.limits()
	if err != nil {
		return nil, err
	}
	if ch == nil {
		return m.svc.CreateTenant(ctx, actor, p.Account, p.Password, role)
	}
	return m.svc.CreateTenantWithLimits(ctx, actor, p.Account, p.Password, role, *ch)
}

// usageJSON is what a tenant holds against its limits, in account.get.
type usageJSON struct {
	Domains   int64 `json:"domains"`
	Mailboxes int64 `json:"mailboxes"`
	Quota     int64 `json:"quota"` // the sum of its mailboxes' quotas
}

func withUsage(t sb.Tenant, u sb.TenantUsage) any {
	return struct {
		accountJSON
		Usage usageJSON `json:"usage"`
	}{toAccountJSON(t), usageJSON{Domains: u.Domains, Mailboxes: u.Mailboxes, Quota: u.QuotaBytes}}
}
