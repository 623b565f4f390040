package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	sb "github.com/switchboard/switchboard"
)

// vacationJSON is a mailbox's vacation reply in the mail admin family's
// shape; the field names are JSON-RPC's (mailbox.org's) too.
type vacationJSON struct {
	UserID    int64    `json:"user_id"`
	Email     string   `json:"email"`
	Active    bool     `json:"active"`
	Subject   string   `json:"subject"`
	Body      string   `json:"body"`
	StartDate string   `json:"start_date"`
	EndDate   string   `json:"end_date"`
	Days      int      `json:"days"`
	Addresses []string `json:"additional_mail_addresses"`
}

func toVacationJSON(v sb.Vacation) vacationJSON {
	addrs := v.Addresses
	if addrs == nil {
		addrs = []string{}
	}
	return vacationJSON{UserID: v.AccountID, Email: v.Email, Active: v.Active, Subject: v.Subject, Body: v.Body,
		StartDate: v.Start, EndDate: v.End, Days: v.Days, Addresses: addrs}
}

func (s *Server) getVacation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "user_id")
	if err != nil {
		return err
	}
	v, err := s.svc.GetVacation(r.Context(), actorOf(r), sb.AccountRef{ID: id})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"result": true, "vacation": toVacationJSON(*v)})
}

// postVacation changes the fields given and keeps the others; it turns the
// reply on unless active is false.
func (s *Server) postVacation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "user_id")
	if err != nil {
		return err
	}
	p, err := ReadParams(r)
	if err != nil {
		return err
	}
	ch, err := vacationChange(p)
	if err != nil {
		return err
	}
	v, err := s.svc.SetVacation(r.Context(), actorOf(r), sb.AccountRef{ID: id}, ch)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"result": true, "vacation": toVacationJSON(*v)})
}

// vacationChange reads the fields of a vacation update.
func vacationChange(p Params) (sb.VacationChange, error) {
	field := func(name string) *string {
		if v, ok := p[name]; ok && len(v) > 0 {
			return &v[0]
		}
		return nil
	}
	ch := sb.VacationChange{Subject: field("subject"), Body: field("body"), Start: field("start_date"), End: field("end_date")}
	on := true
	if v := field("active"); v != nil {
		b, err := strconv.ParseBool(strings.TrimSpace(*v))
		if err != nil {
			return ch, sb.FieldError("active", "active must be true or false")
		}
		on = b
	}
	ch.Active = &on
	if v := field("days"); v != nil {
		n, err := strconv.Atoi(strings.TrimSpace(*v))
		if err != nil {
			return ch, sb.FieldError("days", "days must be a whole number")
		}
		ch.Days = &n
	}
	if _, ok := p["additional_mail_addresses"]; ok {
		list, err := addressList(p, "additional_mail_addresses")
		if err != nil {
			return ch, err
		}
		ch.Addresses = &list
	}
	return ch, nil
}
