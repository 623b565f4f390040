// Package accountcsv reads the CSV files of bulk account imports: a header
// line naming the columns, then one account a line. It checks the file's
// shape (columns, field counts, booleans, numbers) and reports every fault
// with its line; what the values mean (addresses, the password policy,
// hash schemes, duplicates) the service checks.
//
// Columns, in any order, case-insensitive:
//
//	email          the address (required)
//	password       a plaintext password, or
//	password_hash  a hash kept as it is (one of the two on each line; both
//	               columns may be present, each line fills one)
//	active         true/false, yes/no, 1/0 (default true)
//	quota          the mailbox's storage quota in bytes, 0 or more (default:
//	               none given)
//	sip            true/false: also a SIP identity (default: true with a
//	               plaintext password, false with a hash)
package accountcsv

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	sb "github.com/switchboard/switchboard"
)

// Column names.
const (
	ColEmail        = "email"
	ColPassword     = "password"
	ColPasswordHash = "password_hash"
	ColActive       = "active"
	ColQuota        = "quota"
	ColSIP          = "sip"
)

// Limits bound a file.
type Limits struct {
	MaxBytes int64 // the file's size
	MaxRows  int   // accounts (lines after the header)
}

// Row is one account line.
type Row struct {
	Line  int // of the account's first field; the header is line 1
	Email string
	// Exactly one of Password and PasswordHash is set.
	Password, PasswordHash string
	Active                 bool
	// SIP is what the sip column says: Default when it is empty or absent.
	SIP Choice
	// Quota is the storage quota in bytes, -1 when none is given.
	Quota int64
}

// Choice is a boolean column that may be left empty.
type Choice int8

// The values of a Choice.
const (
	Default Choice = iota
	Yes
	No
)

// File is what Read found: the good rows, and the faults of the others.
// A file with any fault must be refused whole.
type File struct {
	Rows   []Row
	Errors []sb.LineError
}

// TooLargeError is a file over one of the Limits.
type TooLargeError struct{ Msg string }

func (e *TooLargeError) Error() string { return e.Msg }

// errTooLarge is what the size limit's reader returns.
var errTooLarge = errors.New("file too large")

type limitReader struct {
	r    io.Reader
	left int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// One byte more tells a file of exactly MaxBytes from a larger one.
		var one [1]byte
		if n, _ := l.r.Read(one[:]); n > 0 {
			return 0, errTooLarge
		}
		return l.r.Read(p)
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// Read reads a whole file. Faults of lines land in File.Errors; the error
// is a *TooLargeError for a file over lim, or the reader's own error.
func Read(r io.Reader, lim Limits) (*File, error) {
	cr := csv.NewReader(&limitReader{r: r, left: lim.MaxBytes})
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	f := &File{}
	fault := func(line int, field, format string, a ...any) {
		f.Errors = append(f.Errors, sb.LineError{Line: line, Field: field, Reason: fmt.Sprintf(format, a...)})
	}
	header, err := cr.Read()
	if err != nil {
		if err == io.EOF {
			fault(1, "", "the file is empty: want a header line such as email,password_hash")
			return f, nil
		}
		return f, readError(f, err, lim)
	}
	cols, ok := readHeader(header, fault)
	if !ok {
		return f, nil
	}
	for n := 0; ; n++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return f, readError(f, err, lim)
		}
		line, _ := cr.FieldPos(0)
		if n >= lim.MaxRows {
			return f, &TooLargeError{Msg: fmt.Sprintf("the file has more than %d accounts", lim.MaxRows)}
		}
		if len(rec) != len(header) {
			fault(line, "", "the line has %d fields, the header %d", len(rec), len(header))
			continue
		}
		if row, ok := readRow(line, rec, cols, fault); ok {
			f.Rows = append(f.Rows, row)
		}
	}
	if len(f.Rows) == 0 && len(f.Errors) == 0 {
		fault(1, "", "the file has a header but no accounts")
	}
	return f, nil
}

// readError turns a read failure into the file's last fault (a CSV syntax
// error: nothing after it can be read reliably) or the error Read returns.
func readError(f *File, err error, lim Limits) error {
	if errors.Is(err, errTooLarge) {
		return &TooLargeError{Msg: fmt.Sprintf("the file is larger than %d bytes", lim.MaxBytes)}
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		f.Errors = append(f.Errors, sb.LineError{Line: pe.StartLine,
			Reason: "the line is not valid CSV (" + pe.Err.Error() + "); the rest of the file was not read"})
		return nil
	}
	return err
}

// columns maps each known column to its index in a record, -1 if absent.
type columns struct {
	email, password, hash, active, quota, sip int
}

func readHeader(header []string, fault func(int, string, string, ...any)) (columns, bool) {
	c := columns{-1, -1, -1, -1, -1, -1}
	ok := true
	for i, name := range header {
		if i == 0 {
			name = strings.TrimPrefix(name, "\ufeff") // a spreadsheet's byte order mark
		}
		name = strings.ToLower(strings.TrimSpace(name))
		var at *int
		switch name {
		case ColEmail:
			at = &c.email
		case ColPassword:
			at = &c.password
		case ColPasswordHash:
			at = &c.hash
		case ColActive:
			at = &c.active
		case ColQuota:
			at = &c.quota
		case ColSIP:
			at = &c.sip
		default:
			fault(1, clip(name), "unknown column (want email, password or password_hash, and optionally active, quota, sip)")
			ok = false
			continue
		}
		if *at >= 0 {
			fault(1, name, "the column is named twice")
			ok = false
		}
		*at = i
	}
	if c.email < 0 {
		fault(1, ColEmail, "the header has no email column")
		ok = false
	}
	if c.password < 0 && c.hash < 0 {
		fault(1, ColPassword, "the header has neither a password nor a password_hash column")
		ok = false
	}
	return c, ok
}

// clip bounds a value repeated in a message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return strings.ToValidUTF8(s, "?")
}

func field(rec []string, i int) string {
	if i < 0 {
		return ""
	}
	return rec[i]
}

func readRow(line int, rec []string, c columns, fault func(int, string, string, ...any)) (Row, bool) {
	r := Row{Line: line, Active: true, Quota: -1}
	ok := true
	bad := func(f, format string, a ...any) {
		fault(line, f, format, a...)
		ok = false
	}
	r.Email = strings.TrimSpace(field(rec, c.email))
	if r.Email == "" {
		bad(ColEmail, "the address is empty")
	}
	// A password is taken as it is: spaces may be part of it.
	r.Password = field(rec, c.password)
	r.PasswordHash = strings.TrimSpace(field(rec, c.hash))
	switch {
	case r.Password != "" && r.PasswordHash != "":
		bad(ColPassword, "give a password or a password_hash, not both")
	case r.Password != "" || r.PasswordHash != "":
	case c.hash < 0:
		bad(ColPassword, "the password is empty")
	case c.password < 0:
		bad(ColPasswordHash, "the password_hash is empty")
	default:
		bad(ColPassword, "give a password or a password_hash")
	}
	if v := strings.TrimSpace(field(rec, c.active)); v != "" {
		switch parseBool(v) {
		case Yes:
			r.Active = true
		case No:
			r.Active = false
		default:
			bad(ColActive, "want true or false, not %q", clip(v))
		}
	}
	if v := strings.TrimSpace(field(rec, c.sip)); v != "" {
		if r.SIP = parseBool(v); r.SIP == Default {
			bad(ColSIP, "want true or false, not %q", clip(v))
		}
	}
	if v := strings.TrimSpace(field(rec, c.quota)); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || v[0] == '+' {
			bad(ColQuota, "want a whole number of bytes, 0 or more, not %q", clip(v))
		} else {
			r.Quota = n
		}
	}
	return r, ok
}

func parseBool(v string) Choice {
	switch strings.ToLower(v) {
	case "true", "yes", "1", "t", "y", "on":
		return Yes
	case "false", "no", "0", "f", "n", "off":
		return No
	}
	return Default
}
