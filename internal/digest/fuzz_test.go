package digest_test

import (
	"errors"
	"testing"

	"github.com/switchboard/switchboard/internal/digest"
)

func FuzzParseAuthorization(f *testing.F) {
	for _, seed := range []string{
		base,
		unfold(rfcHeader(digest.SHA256, rfcSHA256)),
		`Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, realm="r", nonce="n", uri="/", response="x", qop=auth, nc=00000001, cnonce="c"`,
		`Digest username="a\"b\\c", realm="r", nonce=n, uri="/a,b", response=x, qop="auth", nc=0000000A, cnonce=c, userhash=true`,
		`Digest ,, username = "x" ,`,
		`Basic YWxpY2U6c2VjcmV0`,
		`Digest username="unterminated`,
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, header string) {
		c, err := digest.ParseAuthorization(header)
		if err != nil {
			if !errors.Is(err, digest.ErrMalformed) && !errors.Is(err, digest.ErrNoCredentials) {
				t.Fatalf("error %v is neither malformed nor no credentials", err)
			}
			return
		}
		s := c.String()
		if len(s) > digest.MaxHeaderLength {
			return // escaping can grow a header past the limit
		}
		again, err := digest.ParseAuthorization(s)
		if err != nil {
			t.Fatalf("re-parsing %q: %v", s, err)
		}
		if *again != *c {
			t.Fatalf("round trip changed the credentials:\n%+v\n%+v", *c, *again)
		}
	})
}
