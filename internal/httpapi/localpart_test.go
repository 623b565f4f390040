package httpapi_test

import (
	"fmt"
	"testing"

	sb "github.com/switchboard/switchboard"
)

func TestLocalPartRuleOnEveryPath(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		tok := e.tenant("acme", sb.RoleTenant)
		res := e.do("POST", "/domains", tok, form{"domain": "b.test", "username": "x@b.test", "password": "password123"}).want(201)
		user, alias := fmt.Sprintf("/user/%d", idOf(res, "domain", "id")), fmt.Sprintf("/alias/%d", idOf(res, "domain", "id"))
		tests := []struct {
			name, path string
			f          form
			msg        string
		}{
			{"a mailbox inside another one's Maildir is refused", user, form{"email": "x/cur@b.test", "password": "password123"},
				`email "x/cur@b.test" is not a valid email address`},
			{"a backslash in a mailbox is refused", user, form{"email": `x\cur@b.test`, "password": "password123"}, "not a valid email address"},
			{"a leading dot in a mailbox is refused", user, form{"email": ".x@b.test", "password": "password123"}, "not a valid email address"},
			{"a first account with a slash is refused", "/domains", form{"domain": "c.test", "username": "x/new@c.test", "password": "password123"},
				"not a valid email address"},
			{"an alias with a slash is refused", alias, form{"address": "x/tmp@b.test", "goto": "x@b.test"}, "not a valid email address"},
			{"a destination with a slash is refused", alias, form{"address": "fwd@b.test", "goto": "x/cur@b.test"}, "not a valid email address"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := e.snapshot()
				e.do("POST", tt.path, tok, tt.f).wantError(422, tt.msg)
				e.unchanged(before)
			})
		}
	})
}
