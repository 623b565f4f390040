package jsonrpc

import (
	"errors"
	"strings"
	"testing"

	sb "github.com/switchboard/switchboard"
)

// FuzzMailSetParams feeds mail.set's params, the widest of mailbox.org's
// (address lists as arrays or strings, a date), through the decoding every
// call takes: a refusal is always -32602, and the lists that come out hold
// only trimmed, non-empty items without commas.
func FuzzMailSetParams(f *testing.F) {
	for _, s := range []string{
		`{"mail":"a@b.test","forwards":["x@y.test"," z@y.test "],"inboxsave":false}`,
		`{"aliases":"a@b.test, c@b.test,,","deletion_date":"2030-01-01","require_reset":true}`,
		`{"forwards":7}`, `{"aliases":[1,2]}`, `{"deletion_date":"2030-13-45"}`, `{"forwards":null,"aliases":""}`,
		`{"first_name":"Ada","last_name":null,"password":"x","active":true,"title":"Dr"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var p mailSetParams
		err := DecodeParams(raw, &p)
		var ch sb.MailboxChange
		if err == nil {
			err = p.change(&ch)
		}
		if err != nil {
			if e, ok := errors.AsType[*Error](err); !ok || e.Code != CodeInvalidParams {
				t.Fatalf("%q: %v, want -32602", raw, err)
			}
			return
		}
		for _, list := range []*[]string{ch.Forwards, ch.Aliases} {
			if list == nil {
				continue
			}
			for _, a := range *list {
				if a == "" || a != strings.TrimSpace(a) || strings.Contains(a, ",") {
					t.Fatalf("%q: item %q", raw, a)
				}
			}
		}
	})
}
