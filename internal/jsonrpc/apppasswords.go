package jsonrpc

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	sb "github.com/switchboard/switchboard"
)

// App passwords, under mailbox.org's names: mail.apppassword.list|add|del
// with "mail" and "memo" (the name); "protocols" is Switchboard's, to limit
// one to some of imap, pop3, smtp, sieve.

// appPasswordJSON is an app password as list and add show it; the secret
// appears in add's answer only.
type appPasswordJSON struct {
	ID        int64    `json:"id"`
	Mail      string   `json:"mail"`
	Memo      string   `json:"memo"`
	Protocols []string `json:"protocols"` // [] : every protocol
	Created   string   `json:"created"`
	Password  string   `json:"password,omitempty"`
}

func toAppPasswordJSON(p sb.AppPassword) appPasswordJSON {
	protocols := p.Protocols
	if protocols == nil {
		protocols = []string{}
	}
	return appPasswordJSON{ID: p.ID, Mail: p.Email, Memo: p.Name, Protocols: protocols,
		Created: p.CreatedAt.UTC().Format(time.RFC3339)}
}

func (m *methods) appPasswordList(ctx context.Context, actor sb.Actor, p *struct {
	Mail string `json:"mail"`
}) (any, error) {
	mail, err := own(actor, p.Mail)
	if err != nil {
		return nil, err
	}
	list, err := m.svc.ListAppPasswords(ctx, actor, sb.AccountRef{Email: mail})
	if err != nil {
		return nil, err
	}
	out := make([]appPasswordJSON, 0, len(list))
	for _, a := range list {
		out = append(out, toAppPasswordJSON(a))
	}
	return out, nil
}

func (m *methods) appPasswordAdd(ctx context.Context, actor sb.Actor, p *struct {
	Mail      string          `json:"mail"`
	Memo      string          `json:"memo"`
	Protocols json.RawMessage `json:"protocols"`
}) (any, error) {
	mail, err := own(actor, p.Mail)
	if err != nil {
		return nil, err
	}
	// protocols is an array of names or one comma-separated string.
	var list []string
	var one string
	switch {
	case len(p.Protocols) == 0 || string(p.Protocols) == "null":
	case json.Unmarshal(p.Protocols, &one) == nil:
		list = splitList(one)
	case json.Unmarshal(p.Protocols, &list) == nil:
	default:
		return nil, InvalidParams("Invalid params: protocols must be an array of names or a comma-separated string", "protocols")
	}
	created, err := m.svc.CreateAppPassword(ctx, actor, sb.AccountRef{Email: mail}, sb.NewAppPassword{Name: p.Memo, Protocols: list})
	if err != nil {
		return nil, renameField(err, "name", "memo")
	}
	out := toAppPasswordJSON(created.AppPassword)
	out.Password = created.Password
	return out, nil
}

func (m *methods) appPasswordDel(ctx context.Context, actor sb.Actor, p *struct {
	ID   int64  `json:"id"`
	Mail string `json:"mail"`
}) (any, error) {
	if p.ID <= 0 {
		return nil, InvalidParams("id is required", "id")
	}
	// mail is optional (mailbox.org's del takes the id alone); named, it
	// must be the mailbox holding the app password.
	if err := m.svc.RevokeAppPassword(ctx, actor, sb.AccountRef{Email: p.Mail}, p.ID); err != nil {
		return nil, err
	}
	return true, nil
}

// splitList splits a comma- or space-separated list, dropping empty items.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}
