package digest_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/internal/digest"
)

// RFC 7616 §3.9.1.
const (
	rfcUser     = "Mufasa"
	rfcPassword = "Circle of Life"
	rfcRealm    = "http-auth@example.org"
	rfcURI      = "/dir/index.html"
	rfcNonce    = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
	rfcCNonce   = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
	rfcOpaque   = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
	rfcMD5      = "8ca523f5e9506fed4657c9700eebdbec"
	rfcSHA256   = "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
)

// rfcHeader is the RFC's Authorization example with its line folding removed.
func rfcHeader(algorithm, response string) string {
	return `Digest username="Mufasa",
       realm="http-auth@example.org",
       uri="/dir/index.html",
       algorithm=` + algorithm + `,
       nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
       nc=00000001,
       cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
       qop=auth,
       response="` + response + `",
       opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`
}

func unfold(s string) string { return strings.ReplaceAll(s, "\n", "") }

func TestRFC7616Examples(t *testing.T) {
	for _, tc := range []struct {
		algorithm, response string
	}{
		{digest.MD5, rfcMD5},
		{digest.SHA256, rfcSHA256},
	} {
		t.Run("the "+tc.algorithm+" example verifies against its stored HA1", func(t *testing.T) {
			ha1, err := digest.HA1(tc.algorithm, rfcUser, rfcRealm, rfcPassword)
			if err != nil {
				t.Fatal(err)
			}
			c := mustParse(t, unfold(rfcHeader(tc.algorithm, tc.response)))
			if err := digest.Verify(c, "GET", rfcURI, ha1); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		})
		t.Run("Respond reproduces the "+tc.algorithm+" example", func(t *testing.T) {
			challenge := digest.Challenges(rfcRealm, rfcNonce, rfcOpaque, false, tc.algorithm)[0]
			h, err := digest.Respond(challenge, "GET", rfcURI, rfcUser, rfcPassword, 1, rfcCNonce)
			if err != nil {
				t.Fatal(err)
			}
			got, want := mustParse(t, h), mustParse(t, unfold(rfcHeader(tc.algorithm, tc.response)))
			if *got != *want {
				t.Fatalf("Respond = %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	md5HA1, _ := digest.HA1(digest.MD5, rfcUser, rfcRealm, rfcPassword)
	shaHA1, _ := digest.HA1(digest.SHA256, rfcUser, rfcRealm, rfcPassword)
	wrongHA1, _ := digest.HA1(digest.SHA256, rfcUser, rfcRealm, "circle of life")
	for _, tc := range []struct {
		name       string
		clientURI  string // uri the client signs; rfcURI when empty
		requestURI string // target the server received; rfcURI when empty
		method     string // method the server received; GET when empty
		edit       func(c *digest.Credentials)
		ha1        string
		want       error
		wantOther  bool // an error outside the sentinels
	}{
		{name: "the right password is accepted", ha1: shaHA1},
		{name: "an upper-case response is accepted", ha1: shaHA1,
			edit: func(c *digest.Credentials) { c.Response = strings.ToUpper(c.Response) }},
		{name: "an upper-case stored HA1 is accepted", ha1: strings.ToUpper(shaHA1)},
		{name: "an absolute-form uri for the same resource is accepted", ha1: shaHA1,
			clientURI: "http://example.org/dir/index.html"},
		{name: "a request target with a query must be signed with it", ha1: shaHA1,
			clientURI: "/dir/index.html?x=1", requestURI: "/dir/index.html?x=1"},
		{name: "a wrong password is refused", ha1: wrongHA1, want: digest.ErrUnauthorized},
		{name: "another method is refused", ha1: shaHA1, method: "POST", want: digest.ErrUnauthorized},
		{name: "a uri naming another resource is malformed", ha1: shaHA1,
			requestURI: "/dir/other.html", want: digest.ErrMalformed},
		{name: "a uri with another query is malformed", ha1: shaHA1,
			requestURI: "/dir/index.html?a=1", want: digest.ErrMalformed},
		{name: "an absolute-form uri for another resource is malformed", ha1: shaHA1,
			clientURI: "http://example.org/secret", want: digest.ErrMalformed},
		{name: "a response changed after signing is refused", ha1: shaHA1,
			edit: func(c *digest.Credentials) { c.CNonce += "x" }, want: digest.ErrUnauthorized},
		{name: "a stored HA1 for the other algorithm is an internal error", ha1: md5HA1, wantOther: true},
		{name: "an unknown algorithm name is unsupported", ha1: shaHA1,
			edit: func(c *digest.Credentials) { c.Algorithm = "SHA-1" }, want: digest.ErrUnsupported},
		{name: "a -sess algorithm is unsupported", ha1: shaHA1,
			edit: func(c *digest.Credentials) { c.Algorithm = "SHA-256-sess" }, want: digest.ErrUnsupported},
		{name: "qop=auth-int is unsupported", ha1: shaHA1,
			edit: func(c *digest.Credentials) { c.QOP = "auth-int" }, want: digest.ErrUnsupported},
		{name: "a truncated response is refused", ha1: shaHA1,
			edit: func(c *digest.Credentials) { c.Response = c.Response[:32] }, want: digest.ErrUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clientURI, requestURI, method := or(tc.clientURI, rfcURI), or(tc.requestURI, rfcURI), or(tc.method, "GET")
			challenge := digest.Challenges(rfcRealm, rfcNonce, rfcOpaque, false, digest.SHA256)[0]
			h, err := digest.Respond(challenge, "GET", clientURI, rfcUser, rfcPassword, 1, rfcCNonce)
			if err != nil {
				t.Fatal(err)
			}
			c := mustParse(t, h)
			if tc.edit != nil {
				tc.edit(c)
			}
			err = digest.Verify(c, method, requestURI, tc.ha1)
			if tc.wantOther {
				if err == nil || errors.Is(err, digest.ErrUnauthorized) || errors.Is(err, digest.ErrMalformed) {
					t.Fatalf("error = %v, want an internal error", err)
				}
				return
			}
			wantErr(t, err, tc.want)
		})
	}
}

// or returns s, or def when s is empty.
func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func TestHA1(t *testing.T) {
	for _, tc := range []struct {
		name, algorithm, want string
		wantErr               bool
	}{
		{name: "MD5 gives 32 hex digits", algorithm: "MD5", want: "3d78807defe7de2157e2b0b6573a855f"},
		{name: "algorithm names are case-insensitive", algorithm: "md5", want: "3d78807defe7de2157e2b0b6573a855f"},
		{name: "SHA-256 gives 64 hex digits", algorithm: "SHA-256"},
		{name: "SHA-512-256 is refused", algorithm: "SHA-512-256", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := digest.HA1(tc.algorithm, rfcUser, rfcRealm, rfcPassword)
			if tc.wantErr {
				wantErr(t, err, digest.ErrUnsupported)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.want != "" && got != tc.want {
				t.Fatalf("HA1 = %s, want %s", got, tc.want)
			}
			if tc.algorithm == "SHA-256" && len(got) != 64 {
				t.Fatalf("HA1 = %s, want 64 hex digits", got)
			}
		})
	}
}
