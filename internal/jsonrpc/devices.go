package jsonrpc

import (
	"context"
	"time"

	sb "github.com/switchboard/switchboard"
)

// deviceJSON is a SIP account's registration, as the SIP API shows it.
type deviceJSON struct {
	UUID       string         `json:"uuid"`
	Contact    string         `json:"contact"`
	UserAgent  string         `json:"user_agent"`
	UpdateTime string         `json:"update_time"`
	ExpiresAt  *string        `json:"expires_at"` // null: a permanent binding
	Push       *pushTokenJSON `json:"push"`
}

type pushTokenJSON struct {
	Provider string `json:"provider"`
	Param    string `json:"param"`
	PRID     string `json:"prid"`
}

// deviceList answers the mailbox's devices keyed by uuid ({} for none).
func (m *methods) deviceList(ctx context.Context, actor sb.Actor, p *struct {
	Mail string `json:"mail"`
}) (any, error) {
	mail, err := own(actor, p.Mail)
	if err != nil {
		return nil, err
	}
	list, err := m.svc.ListDevices(ctx, actor, sb.AccountRef{Email: mail})
	if err != nil {
		return nil, err
	}
	out := make(map[string]deviceJSON, len(list))
	for _, d := range list {
		j := deviceJSON{UUID: d.UUID, Contact: d.Contact, UserAgent: d.UserAgent, UpdateTime: d.UpdatedAt.UTC().Format(time.RFC3339)}
		if !d.ExpiresAt.IsZero() {
			t := d.ExpiresAt.UTC().Format(time.RFC3339)
			j.ExpiresAt = &t
		}
		if d.Push != nil {
			j.Push = &pushTokenJSON{Provider: d.Push.Provider, Param: d.Push.Param, PRID: d.Push.PRID}
		}
		out[d.UUID] = j
	}
	return out, nil
}

func (m *methods) deviceDel(ctx context.Context, actor sb.Actor, p *struct {
	Mail string `json:"mail"`
	UUID string `json:"uuid"`
}) (any, error) {
	mail, err := own(actor, p.Mail)
	if err != nil {
		return nil, err
	}
	if err := need("uuid", p.UUID); err != nil {
		return nil, err
	}
	if err := m.svc.DeleteDevice(ctx, actor, sb.AccountRef{Email: mail}, p.UUID); err != nil {
		return nil, err
	}
	return true, nil
}
