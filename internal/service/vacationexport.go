package service

import (
	"context"
	"errors"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/archive"
	"github.com/switchboard/switchboard/internal/sieve"
	"github.com/switchboard/switchboard/internal/store"
)

// vacationRecord is one line of a domain export's vacations.jsonl: a
// mailbox's vacation settings. The script is not exported: the importing
// server generates it again from the settings.
type vacationRecord struct {
	Email     string    `json:"email"`
	Active    bool      `json:"active"`
	Subject   string    `json:"subject"`
	Body      string    `json:"body"`
	StartDate string    `json:"start_date"`
	EndDate   string    `json:"end_date"`
	Days      int       `json:"days"`
	Addresses []string  `json:"additional_mail_addresses,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// exportVacations adds the domain's vacation settings to an export.
func exportVacations(ctx context.Context, tx *store.Tx, b *archive.Builder, d *sb.Domain) error {
	lines, err := b.Lines("vacations.jsonl")
	if err != nil {
		return err
	}
	err = tx.EachVacation(ctx, d.ID, func(v sb.Vacation) error {
		return lines.Add(vacationRecord{Email: v.Email, Active: v.Active, Subject: v.Subject, Body: v.Body,
			StartDate: v.Start, EndDate: v.End, Days: v.Days, Addresses: v.Addresses, UpdatedAt: v.UpdatedAt})
	})
	return errors.Join(err, lines.Close("vacations"))
}

// importVacations restores the vacation settings of an import's accounts,
// after the accounts, checked by the rules of SetVacation. Archives from
// before vacations have no vacations.jsonl and import all the same.
func importVacations(ctx context.Context, tx *store.Tx, a *archive.Archive, d *sb.Domain) error {
	return archive.EachLine(a, "vacations.jsonl", func(r *vacationRecord) error {
		acc, _, err := tx.AccountByEmail(ctx, r.Email)
		if sb.ErrorCode(err) == sb.ENOTFOUND || err == nil && acc.DomainID != d.ID {
			return &archive.Error{Msg: "vacation of " + r.Email + ", which is not one of the archive's accounts"}
		}
		if err != nil {
			return err
		}
		v := &sb.Vacation{AccountID: acc.ID, Email: acc.Email, Days: DefaultVacationDays}
		addrs := r.Addresses
		err = applyVacation(v, sb.VacationChange{Active: &r.Active, Subject: &r.Subject, Body: &r.Body,
			Start: &r.StartDate, End: &r.EndDate, Days: &r.Days, Addresses: &addrs})
		if err != nil {
			return &archive.Error{Msg: "vacation of " + r.Email + ": " + sb.ErrorMessage(err)}
		}
		v.UpdatedAt = r.UpdatedAt.UTC().Truncate(time.Second)
		return tx.PutVacation(ctx, v, sieve.Vacation(*v), v.UpdatedAt)
	})
}
