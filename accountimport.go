package switchboard

import (
	"context"
	"io"
	"strconv"
)

// AccountImportResult counts what a bulk import of accounts created.
type AccountImportResult struct {
	Domain *Domain // with its users_count after the import
	// Imported is the number of accounts created, Kept those of them whose
	// password hash came from the file as it was, SIP those that are SIP
	// identities too (HA1s from a plaintext password).
	Imported, Kept, SIP int64
}

// ImportProgress tells how far an import has come: Done of Total accounts
// through Phase, one of the phases below.
type ImportProgress struct {
	Phase       string
	Done, Total int
}

// The phases of an account import, in order: hashing the plaintext
// passwords (none when every line has a hash), then writing.
const (
	PhaseHashing = "hashing"
	PhaseWriting = "writing"
)

// LineError is one fault of an import file: the line it is on (1 is the
// header), the column it is in ("" for the whole line) and why, in words
// that never repeat a password or a hash.
type LineError struct {
	Line   int    `json:"line"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

// String is "line N: field: reason".
func (e LineError) String() string {
	s := "line " + strconv.Itoa(e.Line) + ": "
	if e.Field != "" {
		s += e.Field + ": "
	}
	return s + e.Reason
}

// LineErrors is the report of a file refused whole: the first faults
// (Lines, at most MaxLineErrors of them, in line order) and how many there
// were. It travels as the cause of an EINVALID Error, which the surfaces
// render with the list.
type LineErrors struct {
	Lines []LineError
	Total int
}

// MaxLineErrors bounds the faults a report lists.
const MaxLineErrors = 1000

func (e *LineErrors) Error() string {
	return strconv.Itoa(e.Total) + " bad lines"
}

// AccountImportService imports accounts in bulk.
type AccountImportService interface {
	// ImportAccounts creates the accounts of a CSV file (see
	// internal/accountcsv) in a domain of the actor, all or none; a bad
	// file is refused with an EINVALID Error whose cause is *LineErrors.
	// progress, when not nil, is called as the import goes on.
	ImportAccounts(ctx context.Context, actor Actor, domain DomainRef, r io.Reader, progress func(ImportProgress)) (*AccountImportResult, error)
}
