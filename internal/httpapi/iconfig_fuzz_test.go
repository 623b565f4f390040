package httpapi

import (
	"net/http/httptest"
	"strings"
	"testing"

	sb "github.com/switchboard/switchboard"
)

func FuzzReadConfigBody(f *testing.F) {
	f.Add(`{"configs":{"email":[{"email_address":"a@b.c","IncomingMailServerPortNumber":"993","OutgoingMailServerUseSSL":true}]},"settings":{"password":"x"}}`)
	f.Add(`{"configs":{"email":[{"IncomingMailServerPortNumber":993.5,"IncomingMailServerUseSSL":{"a":1}}]}}`)
	f.Add(`{"configs":{"email":"x"}}`)
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/config/create", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		in, err := readConfigBody(r)
		if err != nil {
			if c := sb.ErrorCode(err); c != sb.EMALFORMED && c != sb.EINVALID {
				t.Fatalf("error code %s for %q", c, body)
			}
			return
		}
		for _, e := range in.Emails {
			if e.IncomingPort < -1 || e.OutgoingPort < -1 {
				t.Fatalf("negative port accepted: %+v", e)
			}
		}
	})
}
