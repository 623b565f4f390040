package httpapi

import (
	"encoding/json"
	"strconv"
)

// jsonAppender is a row of a hot list that writes its own JSON, byte for
// byte what encoding/json writes for it (TestRowsEncodeAsEncodingJSON,
// FuzzRowJSON): a page of a hundred mailboxes spent a sixth of its time in
// encoding/json's reflection.
type jsonAppender interface {
	appendJSON(dst []byte) []byte
}

// appendJSONString appends s as encoding/json writes a string (HTML-safe,
// invalid UTF-8 replaced): printable ASCII without a character it escapes
// is copied between quotes, anything else is left to encoding/json. The
// check is one table lookup a byte (a 24-byte address: 31 -> 22 ns); the
// seven comparisons a byte it replaces were a twentieth of GET /users.
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if !plainJSON[s[i]] {
			b, _ := json.Marshal(s) // a string always encodes
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// plainJSON holds the bytes encoding/json copies into a string as they
// are: printable ASCII but '"', '\\', '<', '>' and '&'.
var plainJSON = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

func (d *domainJSON) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"id":`...)
	dst = strconv.AppendInt(dst, d.ID, 10)
	dst = append(dst, `,"name":`...)
	dst = appendJSONString(dst, d.Name)
	dst = append(dst, `,"users_count":`...)
	dst = strconv.AppendInt(dst, d.UsersCount, 10)
	return append(dst, '}')
}

func (u *userJSON) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"id":`...)
	dst = strconv.AppendInt(dst, u.ID, 10)
	dst = append(dst, `,"domain_id":`...)
	dst = strconv.AppendInt(dst, u.DomainID, 10)
	dst = append(dst, `,"email":`...)
	dst = appendJSONString(dst, u.Email)
	dst = append(dst, `,"quota":`...)
	dst = strconv.AppendInt(dst, u.Quota, 10)
	dst = append(dst, `,"quota_messages":`...)
	dst = strconv.AppendInt(dst, u.QuotaMessages, 10)
	dst = append(dst, `,"quota_used":`...)
	dst = strconv.AppendInt(dst, u.QuotaUsed, 10)
	dst = append(dst, `,"quota_used_messages":`...)
	dst = strconv.AppendInt(dst, u.QuotaUsedMsgs, 10)
	return append(dst, '}')
}
