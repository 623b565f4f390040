package jsonrpc

import (
	"context"
	"encoding/json"

	sb "github.com/switchboard/switchboard"
)

// vacationJSON is mail.vacation.get's answer: mailbox.org's parameter
// names, and Switchboard's active and days.
type vacationJSON struct {
	Mail      string   `json:"mail"`
	Active    bool     `json:"active"`
	Subject   string   `json:"subject"`
	Body      string   `json:"body"`
	StartDate string   `json:"start_date"`
	EndDate   string   `json:"end_date"`
	Days      int      `json:"days"`
	Addresses []string `json:"additional_mail_addresses"`
}

func (m *methods) vacationGet(ctx context.Context, actor sb.Actor, p *struct {
	Mail string `json:"mail"`
}) (any, error) {
	mail, err := own(actor, p.Mail)
	if err != nil {
		return nil, err
	}
	v, err := m.svc.GetVacation(ctx, actor, sb.AccountRef{Email: mail})
	if err != nil {
		return nil, err
	}
	addrs := v.Addresses
	if addrs == nil {
		addrs = []string{}
	}
	return vacationJSON{Mail: v.Email, Active: v.Active, Subject: v.Subject, Body: v.Body,
		StartDate: v.Start, EndDate: v.End, Days: v.Days, Addresses: addrs}, nil
}

// vacationSet takes mailbox.org's parameters (mail, subject, body,
// start_date, end_date, additional_mail_addresses) and Switchboard's active
// (default true: setting a reply turns it on) and days. What is absent
// stays; an empty date clears that side of the window.
func (m *methods) vacationSet(ctx context.Context, actor sb.Actor, p *struct {
	Mail      string          `json:"mail"`
	Active    *bool           `json:"active"`
	Subject   *string         `json:"subject"`
	Body      *string         `json:"body"`
	StartDate *string         `json:"start_date"`
	EndDate   *string         `json:"end_date"`
	Days      *int            `json:"days"`
	Addresses json.RawMessage `json:"additional_mail_addresses"`
}) (any, error) {
	mail, err := own(actor, p.Mail)
	if err != nil {
		return nil, err
	}
	ch := sb.VacationChange{Active: p.Active, Subject: p.Subject, Body: p.Body, Start: p.StartDate, End: p.EndDate, Days: p.Days}
	if ch.Active == nil {
		ch.Active = new(bool)
		*ch.Active = true
	}
	// additional_mail_addresses is an array of addresses or one
	// comma-separated string, as alias.add's goto.
	var list []string
	var one string
	switch {
	case len(p.Addresses) == 0 || string(p.Addresses) == "null":
	case json.Unmarshal(p.Addresses, &one) == nil:
		list = sb.SplitAddresses(one)
		ch.Addresses = &list
	case json.Unmarshal(p.Addresses, &list) == nil:
		list = sb.SplitAddresses(list...)
		ch.Addresses = &list
	default:
		return nil, InvalidParams("Invalid params: additional_mail_addresses must be an array of addresses or a comma-separated string",
			"additional_mail_addresses")
	}
	if _, err := m.svc.SetVacation(ctx, actor, sb.AccountRef{Email: mail}, ch); err != nil {
		return nil, err
	}
	return true, nil
}
