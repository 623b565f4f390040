package accountcsv

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	sb "github.com/switchboard/switchboard"
)

var lim = Limits{MaxBytes: 1 << 20, MaxRows: 100}

func TestReadGoodFiles(t *testing.T) {
	tests := []struct {
		name, file string
		want       []Row
	}{
		{"plaintext passwords, defaults", "email,password\na@example.com,secret one\nb@example.com, spaced \n",
			[]Row{{Line: 2, Email: "a@example.com", Password: "secret one", Active: true, Quota: -1},
				{Line: 3, Email: "b@example.com", Password: " spaced ", Active: true, Quota: -1}}},
		{"hashes with every optional column, in any order and case", "\ufeffQuota, SIP ,Email,password_hash,ACTIVE\r\n" +
			"1073741824,false, a@example.com ,{SHA512-CRYPT}$6$x$y,no\r\n0,yes,b@example.com,\"$2y$05$a,b\",1\r\n,,c@example.com,h,\r\n",
			[]Row{{Line: 2, Email: "a@example.com", PasswordHash: "{SHA512-CRYPT}$6$x$y", Active: false, SIP: No, Quota: 1 << 30},
				{Line: 3, Email: "b@example.com", PasswordHash: "$2y$05$a,b", Active: true, SIP: Yes, Quota: 0},
				{Line: 4, Email: "c@example.com", PasswordHash: "h", Active: true, Quota: -1}}},
		{"both password columns, one filled on each line", "email,password,password_hash\na@example.com,pw,\nb@example.com,,hash\n",
			[]Row{{Line: 2, Email: "a@example.com", Password: "pw", Active: true, Quota: -1},
				{Line: 3, Email: "b@example.com", PasswordHash: "hash", Active: true, Quota: -1}}},
		{"a quoted field over two lines keeps the line numbers right", "email,password\n\"a@example.com\",\"two\nlines\"\nb@example.com,pw\n",
			[]Row{{Line: 2, Email: "a@example.com", Password: "two\nlines", Active: true, Quota: -1},
				{Line: 4, Email: "b@example.com", Password: "pw", Active: true, Quota: -1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Read(strings.NewReader(tt.file), lim)
			if err != nil || len(f.Errors) != 0 {
				t.Fatalf("Read = %v, %v", f.Errors, err)
			}
			if !reflect.DeepEqual(f.Rows, tt.want) {
				t.Fatalf("rows\n%+v\nwant\n%+v", f.Rows, tt.want)
			}
		})
	}
}

func TestReadReportsBadLines(t *testing.T) {
	tests := []struct {
		name, file string
		want       []sb.LineError
	}{
		{"an empty file", "", []sb.LineError{{Line: 1, Reason: "the file is empty: want a header line such as email,password_hash"}}},
		{"a header alone", "email,password\n", []sb.LineError{{Line: 1, Reason: "the file has a header but no accounts"}}},
		{"a header without email or password", "mail,pass\n", []sb.LineError{
			{Line: 1, Field: "mail", Reason: "unknown column (want email, password or password_hash, and optionally active, quota, sip)"},
			{Line: 1, Field: "pass", Reason: "unknown column (want email, password or password_hash, and optionally active, quota, sip)"},
			{Line: 1, Field: "email", Reason: "the header has no email column"},
			{Line: 1, Field: "password", Reason: "the header has neither a password nor a password_hash column"}}},
		{"a column named twice", "email,password,Email\n", []sb.LineError{{Line: 1, Field: "email", Reason: "the column is named twice"}}},
		{"every kind of bad field, and the good lines between", "email,password,password_hash,active,quota,sip\n" +
			"a@example.com,pw,,,,\n" +
			",pw,,maybe,-1,2\n" +
			"b@example.com,pw,hash,,+5,\n" +
			"c@example.com,,,,1.5,\n" +
			"d@example.com,pw,,,\n" +
			"e@example.com,,hash,false,99,no\n", []sb.LineError{
			{Line: 3, Field: "email", Reason: "the address is empty"},
			{Line: 3, Field: "active", Reason: `want true or false, not "maybe"`},
			{Line: 3, Field: "sip", Reason: `want true or false, not "2"`},
			{Line: 3, Field: "quota", Reason: `want a whole number of bytes, 0 or more, not "-1"`},
			{Line: 4, Field: "password", Reason: "give a password or a password_hash, not both"},
			{Line: 4, Field: "quota", Reason: `want a whole number of bytes, 0 or more, not "+5"`},
			{Line: 5, Field: "password", Reason: "give a password or a password_hash"},
			{Line: 5, Field: "quota", Reason: `want a whole number of bytes, 0 or more, not "1.5"`},
			{Line: 6, Reason: "the line has 5 fields, the header 6"}}},
		{"an empty password", "email,password\na@example.com,\n", []sb.LineError{{Line: 2, Field: "password", Reason: "the password is empty"}}},
		{"an empty hash", "email,password_hash\na@example.com, \n", []sb.LineError{{Line: 2, Field: "password_hash", Reason: "the password_hash is empty"}}},
		{"a CSV syntax error stops the reading", "email,password\na@example.com,pw\nb@example.com,p\"w\nc@example.com,\n",
			[]sb.LineError{{Line: 3, Reason: "the line is not valid CSV (bare \" in non-quoted-field); the rest of the file was not read"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Read(strings.NewReader(tt.file), lim)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(f.Errors, tt.want) {
				t.Fatalf("errors\n%+v\nwant\n%+v", f.Errors, tt.want)
			}
		})
	}
	t.Run("a password is never repeated in a reason", func(t *testing.T) {
		f, _ := Read(strings.NewReader("email,password,password_hash\na@example.com,S3cretPassw0rd,S3cretHash\n"), lim)
		for _, e := range f.Errors {
			if strings.Contains(e.Reason, "S3cret") {
				t.Fatalf("reason %q repeats a secret", e.Reason)
			}
		}
	})
}

func TestReadBounds(t *testing.T) {
	row := "a@example.com,password\n"
	tests := []struct {
		name string
		file string
		lim  Limits
		err  string // "" for a file within the limits
	}{
		{"a file of exactly MaxBytes is read", "email,password\n" + row, Limits{MaxBytes: int64(15 + len(row)), MaxRows: 5}, ""},
		{"one byte more is too large", "email,password\n" + row + "\n", Limits{MaxBytes: int64(15 + len(row)), MaxRows: 5}, "larger than 38 bytes"},
		{"MaxRows accounts are read", "email,password\n" + strings.Repeat(row, 3), Limits{MaxBytes: 1 << 20, MaxRows: 3}, ""},
		{"one account more is too many", "email,password\n" + strings.Repeat(row, 4), Limits{MaxBytes: 1 << 20, MaxRows: 3}, "more than 3 accounts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tt.file), tt.lim)
			var te *TooLargeError
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("Read = %v", err)
			case tt.err != "" && (!errors.As(err, &te) || !strings.Contains(te.Msg, tt.err)):
				t.Fatalf("Read = %v; want a TooLargeError saying %q", err, tt.err)
			}
		})
	}
}

// FuzzRead checks that Read never panics and that what it returns keeps
// its promises: rows in line order after the header, exactly one password
// form each, quotas of -1 or more; faults with a line and a reason.
func FuzzRead(f *testing.F) {
	for _, s := range []string{"email,password\na@b.c,pw\n", "email,password_hash,active,quota,sip\na@b.c,h,yes,5,no\n",
		"email,password\n\"a\nb\",\"c\"\"d\"\n", "\ufeffemail,password\n", "email\n", "a,b,\"c\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		file, err := Read(strings.NewReader(in), Limits{MaxBytes: 4096, MaxRows: 50})
		if err != nil {
			var te *TooLargeError
			if !errors.As(err, &te) {
				t.Fatalf("Read = %v", err)
			}
			return
		}
		last := 1
		for _, r := range file.Rows {
			if r.Line <= last || (r.Password == "") == (r.PasswordHash == "") || r.Email == "" || r.Quota < -1 {
				t.Fatalf("bad row %+v after line %d", r, last)
			}
			last = r.Line
		}
		if len(file.Rows) == 0 && len(file.Errors) == 0 {
			t.Fatal("no rows and no faults")
		}
		for _, e := range file.Errors {
			if e.Line < 1 || e.Reason == "" {
				t.Fatalf("bad fault %+v", e)
			}
		}
	})
}
