package httpapi

import (
	"net/http"
	"strings"

	sb "github.com/switchboard/switchboard"
)

// quotaJSON is a mailbox's quota in the mail admin's user rows: limits in
// bytes and messages (0: unlimited) and what Dovecot recorded it holds.
type quotaJSON struct {
	Quota         int64 `json:"quota"`
	QuotaMessages int64 `json:"quota_messages"`
	QuotaUsed     int64 `json:"quota_used"`
	QuotaUsedMsgs int64 `json:"quota_used_messages"`
}

func toQuotaJSON(a sb.Account) quotaJSON {
	return quotaJSON{Quota: a.Quota.Bytes, QuotaMessages: a.Quota.Messages, QuotaUsed: a.QuotaUsed.Bytes, QuotaUsedMsgs: a.QuotaUsed.Messages}
}

// readQuota reads the optional quota (a size: bytes, or with a K, M, G or
// T unit) and quota_messages fields; nil when neither is given.
func readQuota(p Params) (*sb.QuotaChange, error) {
	var ch sb.QuotaChange
	if v := p.Get("quota"); strings.TrimSpace(v) != "" {
		n, err := sb.ParseSize("quota", v)
		if err != nil {
			return nil, err
		}
		ch.Bytes = &n
	}
	if v := p.Get("quota_messages"); strings.TrimSpace(v) != "" {
		n, err := p.Int("quota_messages", 0)
		if err != nil {
			return nil, err
		}
		ch.Messages = &n
	}
	if ch == (sb.QuotaChange{}) {
		return nil, nil
	}
	return &ch, nil
}

// postUserQuota changes a mailbox's quota, as user-change-password
// changes its password: the account by id in the domain domain_id.
func (s *Server) postUserQuota(w http.ResponseWriter, r *http.Request) error {
	p, err := ReadParams(r)
	if err != nil {
		return err
	}
	id, err := p.ID("id")
	if err != nil {
		return err
	}
	domainID, err := p.ID("domain_id")
	if err != nil {
		return err
	}
	q, err := readQuota(p)
	if err != nil {
		return err
	}
	if q == nil {
		return sb.FieldError("quota", "quota is required")
	}
	a, err := s.svc.SetAccountQuota(r.Context(), actorOf(r), domainID, id, *q)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"result": true, "user": toUserJSON(*a)})
}
