package digest_test

import (
	"strings"
	"testing"

	"github.com/switchboard/switchboard/internal/digest"
)

// base is a well-formed header as curl sends it.
const base = `Digest username="alice", realm="sip.example.org", nonce="abc", uri="/api/accounts/me", ` +
	`cnonce="xyz", nc=00000001, qop=auth, response="0123456789abcdef0123456789abcdef", algorithm=MD5, opaque="op"`

var baseCreds = digest.Credentials{
	Username: "alice", Realm: "sip.example.org", Nonce: "abc", URI: "/api/accounts/me",
	Algorithm: digest.MD5, Response: "0123456789abcdef0123456789abcdef", QOP: "auth",
	NC: "00000001", CNonce: "xyz", Opaque: "op",
}

// with returns baseCreds changed by edit.
func with(edit func(c *digest.Credentials)) *digest.Credentials {
	c := baseCreds
	edit(&c)
	return &c
}

func TestParseAuthorization(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header string
		want   *digest.Credentials
		err    error
	}{
		{name: "a header as curl sends it parses", header: base, want: &baseCreds},
		{name: "the scheme and parameter names are case-insensitive",
			header: strings.Replace(strings.Replace(base, "Digest", "dIGEST", 1), "username=", "UserName=", 1), want: &baseCreds},
		{name: "whitespace around separators and empty list elements are allowed",
			header: "Digest  ,username = \"alice\" ,\trealm=\"sip.example.org\",, nonce=abc, uri=\"/api/accounts/me\"," +
				"cnonce=xyz,nc=00000001,qop=\"auth\",response=0123456789abcdef0123456789abcdef,algorithm=\"MD5\",opaque=op ,",
			want: &baseCreds},
		{name: "leading whitespace before the scheme is allowed", header: "  " + base, want: &baseCreds},
		{name: "escaped quotes and backslashes are unescaped",
			header: strings.Replace(base, `username="alice"`, `username="al\"i\\ce\x"`, 1),
			want:   with(func(c *digest.Credentials) { c.Username = `al"i\cex` })},
		{name: "a comma inside a quoted value is part of it",
			header: strings.Replace(base, `uri="/api/accounts/me"`, `uri="/a,b=c"`, 1),
			want:   with(func(c *digest.Credentials) { c.URI = "/a,b=c" })},
		{name: "an absent algorithm means MD5",
			header: strings.Replace(base, ", algorithm=MD5", "", 1), want: &baseCreds},
		{name: "an absent opaque is empty",
			header: strings.Replace(base, `, opaque="op"`, "", 1),
			want:   with(func(c *digest.Credentials) { c.Opaque = "" })},
		{name: "algorithm names are canonicalised",
			header: strings.Replace(base, "algorithm=MD5", "algorithm=sha-256", 1),
			want:   with(func(c *digest.Credentials) { c.Algorithm = digest.SHA256 })},
		{name: "unknown algorithm names are kept as sent",
			header: strings.Replace(base, "algorithm=MD5", "algorithm=SHA-1", 1),
			want:   with(func(c *digest.Credentials) { c.Algorithm = "SHA-1" })},
		{name: "unknown parameters are ignored",
			header: base + `, foo="bar", baz=1`, want: &baseCreds},
		{name: "username* is decoded from UTF-8",
			header: strings.Replace(base, `username="alice"`, `username*=UTF-8''J%C3%A4s%C3%B8n%20Doe`, 1),
			want:   with(func(c *digest.Credentials) { c.Username = "Jäsøn Doe" })},
		{name: "username* may carry a language tag and a lower-case charset",
			header: strings.Replace(base, `username="alice"`, `username*=utf-8'en'J%c3%a4s%c3%b8n`, 1),
			want:   with(func(c *digest.Credentials) { c.Username = "Jäsøn" })},
		{name: "raw UTF-8 in a quoted username is accepted, as curl sends it",
			header: strings.Replace(base, `username="alice"`, `username="Jäsøn"`, 1),
			want:   with(func(c *digest.Credentials) { c.Username = "Jäsøn" })},
		{name: "userhash=false is accepted",
			header: base + ", userhash=false", want: &baseCreds},
		{name: "userhash=true is parsed for the caller to refuse",
			header: base + ", userhash=TRUE", want: with(func(c *digest.Credentials) { c.UserHash = true })},

		{name: "an empty header is no credentials", header: "", err: digest.ErrNoCredentials},
		{name: "another scheme is no credentials", header: "Basic YWxpY2U6c2VjcmV0", err: digest.ErrNoCredentials},
		{name: "a scheme that only starts like Digest is no credentials", header: "Digestive x=1", err: digest.ErrNoCredentials},
		{name: "the scheme alone is malformed", header: "Digest ", err: digest.ErrMalformed},
		{name: "a missing username is malformed", header: strings.Replace(base, `username="alice", `, "", 1), err: digest.ErrMalformed},
		{name: "a missing response is malformed",
			header: strings.Replace(base, `response="0123456789abcdef0123456789abcdef", `, "", 1), err: digest.ErrMalformed},
		{name: "a missing nc is malformed", header: strings.Replace(base, "nc=00000001, ", "", 1), err: digest.ErrMalformed},
		{name: "a missing qop is malformed", header: strings.Replace(base, "qop=auth, ", "", 1), err: digest.ErrMalformed},
		{name: "a missing cnonce is malformed", header: strings.Replace(base, `cnonce="xyz", `, "", 1), err: digest.ErrMalformed},
		{name: "a missing uri is malformed", header: strings.Replace(base, `uri="/api/accounts/me", `, "", 1), err: digest.ErrMalformed},
		{name: "an empty username is malformed", header: strings.Replace(base, `"alice"`, `""`, 1), err: digest.ErrMalformed},
		{name: "a duplicate parameter is malformed", header: base + `, nonce="abc"`, err: digest.ErrMalformed},
		{name: "a duplicate parameter in other case is malformed", header: base + `, NONCE="abc"`, err: digest.ErrMalformed},
		{name: "username together with username* is malformed",
			header: base + `, username*=UTF-8''bob`, err: digest.ErrMalformed},
		{name: "username* in another charset is malformed",
			header: strings.Replace(base, `username="alice"`, `username*=ISO-8859-1''J%E4s`, 1), err: digest.ErrMalformed},
		{name: "username* with a broken percent-encoding is malformed",
			header: strings.Replace(base, `username="alice"`, `username*=UTF-8''J%C`, 1), err: digest.ErrMalformed},
		{name: "username* decoding to invalid UTF-8 is malformed",
			header: strings.Replace(base, `username="alice"`, `username*=UTF-8''J%E4s`, 1), err: digest.ErrMalformed},
		{name: "username* decoding to a control character is malformed",
			header: strings.Replace(base, `username="alice"`, `username*=UTF-8''a%0Ab`, 1), err: digest.ErrMalformed},
		{name: "an nc that is not 8 hex digits is malformed",
			header: strings.Replace(base, "nc=00000001", "nc=1", 1), err: digest.ErrMalformed},
		{name: "an nc of zero is malformed",
			header: strings.Replace(base, "nc=00000001", "nc=00000000", 1), err: digest.ErrMalformed},
		{name: "an nc with non-hex digits is malformed",
			header: strings.Replace(base, "nc=00000001", "nc=0000000g", 1), err: digest.ErrMalformed},
		{name: "a userhash that is not a boolean is malformed", header: base + ", userhash=maybe", err: digest.ErrMalformed},
		{name: "an unterminated quoted string is malformed", header: `Digest username="alice`, err: digest.ErrMalformed},
		{name: "a trailing backslash in a quoted string is malformed", header: `Digest username="alice\`, err: digest.ErrMalformed},
		{name: "a control character in a quoted string is malformed",
			header: strings.Replace(base, `"alice"`, "\"al\x01ice\"", 1), err: digest.ErrMalformed},
		{name: "a parameter without a value is malformed", header: base + ", stale", err: digest.ErrMalformed},
		{name: "a parameter with an empty value is malformed", header: base + ", stale=", err: digest.ErrMalformed},
		{name: "two values without a comma are malformed",
			header: strings.Replace(base, `realm="sip.example.org", `, `realm="sip.example.org" `, 1), err: digest.ErrMalformed},
		{name: "garbage after the scheme is malformed", header: "Digest @@@", err: digest.ErrMalformed},
		{name: "a token68 value is malformed", header: "Digest YWxpY2U6c2VjcmV0==", err: digest.ErrMalformed},
		{name: "invalid UTF-8 in a quoted value is malformed",
			header: strings.Replace(base, `"alice"`, "\"al\xffice\"", 1), err: digest.ErrMalformed},
		{name: "a header over 4 KiB is malformed",
			header: base + `, pad="` + strings.Repeat("a", digest.MaxHeaderLength) + `"`, err: digest.ErrMalformed},
		{name: "a value over the length limit is malformed",
			header: strings.Replace(base, `"alice"`, `"`+strings.Repeat("a", digest.MaxValueLength+1)+`"`, 1), err: digest.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := digest.ParseAuthorization(tc.header)
			if tc.err != nil {
				wantErr(t, err, tc.err)
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if *got != *tc.want {
				t.Fatalf("got  %+v\nwant %+v", *got, *tc.want)
			}
			again := mustParse(t, got.String())
			if *again != *got {
				t.Fatalf("String() does not round-trip:\n%s\ngives %+v", got.String(), *again)
			}
		})
	}
}

func TestCredentialsString(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    *digest.Credentials
		want string
	}{
		{name: "an ASCII username is quoted and algorithm, qop and nc are tokens", c: &baseCreds,
			want: `Digest username="alice", realm="sip.example.org", nonce="abc", uri="/api/accounts/me", algorithm=MD5, ` +
				`response="0123456789abcdef0123456789abcdef", qop=auth, nc=00000001, cnonce="xyz", opaque="op"`},
		{name: "a non-ASCII username is sent as username*",
			c: with(func(c *digest.Credentials) { c.Username = "Jäsøn Doe"; c.Opaque = "" }),
			want: `Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, realm="sip.example.org", nonce="abc", uri="/api/accounts/me", ` +
				`algorithm=MD5, response="0123456789abcdef0123456789abcdef", qop=auth, nc=00000001, cnonce="xyz"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.c.String(); got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}
