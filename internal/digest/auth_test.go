package digest_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/digest"
)

const apiURI = "/api/accounts/me"

func TestAuthenticate(t *testing.T) {
	for _, tc := range []struct {
		name      string
		header    func(t *testing.T, f *fixture) string
		method    string        // GET when empty
		uri       string        // apiURI when empty
		after     time.Duration // clock advance between challenge and check
		wantUser  string
		want      error
		wantAlso  error // a second error the chain must hold
		wantOther bool  // an error outside the sentinels (500)
	}{
		{name: "alice with the right password over MD5 is let in", wantUser: "alice",
			header: answer(digest.MD5, "alice", "secret")},
		{name: "alice with the right password over SHA-256 is let in", wantUser: "alice",
			header: answer(digest.SHA256, "alice", "secret")},
		{name: "a UTF-8 username sent as username* is let in", wantUser: "Jäsøn Doe",
			header: answer(digest.SHA256, "Jäsøn Doe", "pässword")},
		{name: "a nonce near the end of its lifetime is accepted", wantUser: "alice", after: testTTL - time.Second,
			header: answer(digest.MD5, "alice", "secret")},
		{name: "no header is no credentials", want: digest.ErrNoCredentials,
			header: func(*testing.T, *fixture) string { return "" }},
		{name: "a Basic header is no credentials", want: digest.ErrNoCredentials,
			header: func(*testing.T, *fixture) string { return "Basic YWxpY2U6c2VjcmV0" }},
		{name: "a garbled header is malformed", want: digest.ErrMalformed,
			header: func(*testing.T, *fixture) string { return `Digest username="alice", realm=` }},
		{name: "a wrong password is unauthorized", want: digest.ErrUnauthorized,
			header: answer(digest.MD5, "alice", "Secret")},
		{name: "an unknown user is unauthorized like a wrong password", want: digest.ErrUnauthorized,
			header: answer(digest.SHA256, "mallory", "secret")},
		{name: "another method than the one signed is unauthorized", method: "DELETE", want: digest.ErrUnauthorized,
			header: answer(digest.MD5, "alice", "secret")},
		{name: "a uri for another resource is malformed", uri: "/api/accounts/42", want: digest.ErrMalformed,
			header: answer(digest.MD5, "alice", "secret")},
		{name: "an answer for another realm is unauthorized", want: digest.ErrUnauthorized,
			header: func(t *testing.T, f *fixture) string {
				return respondTo(t, digest.Challenges("other.example.org", f.nonces.New(), f.nonces.Opaque("other.example.org"), false, digest.MD5)[0], "alice", "secret")
			}},
		{name: "an answer with another opaque is unauthorized", want: digest.ErrUnauthorized,
			header: func(t *testing.T, f *fixture) string {
				return respondTo(t, digest.Challenges(testRealm, f.nonces.New(), "forged", false, digest.MD5)[0], "alice", "secret")
			}},
		{name: "a forged nonce is unauthorized", want: digest.ErrUnauthorized, wantAlso: digest.ErrBadNonce,
			header: func(t *testing.T, f *fixture) string {
				return respondTo(t, digest.Challenges(testRealm, flip(f.nonces.New(), 5), f.nonces.Opaque(testRealm), false, digest.MD5)[0], "alice", "secret")
			}},
		{name: "an expired nonce with the right password is stale", after: testTTL + time.Second, want: digest.ErrStaleNonce,
			header: answer(digest.SHA256, "alice", "secret")},
		{name: "an expired nonce with a wrong password is unauthorized, not stale", after: testTTL + time.Second,
			want: digest.ErrUnauthorized, header: answer(digest.SHA256, "alice", "wrong")},
		{name: "an algorithm the server did not offer is unsupported", want: digest.ErrUnsupported,
			header: edited(func(c *digest.Credentials) { c.Algorithm = "SHA-512-256" })},
		{name: "an unknown algorithm name is unsupported", want: digest.ErrUnsupported,
			header: edited(func(c *digest.Credentials) { c.Algorithm = "SHA-1" })},
		{name: "a -sess algorithm is unsupported", want: digest.ErrUnsupported,
			header: edited(func(c *digest.Credentials) { c.Algorithm = "MD5-sess" })},
		{name: "qop=auth-int is unsupported", want: digest.ErrUnsupported,
			header: edited(func(c *digest.Credentials) { c.QOP = "auth-int" })},
		{name: "userhash=true is unsupported", want: digest.ErrUnsupported,
			header: edited(func(c *digest.Credentials) { c.UserHash = true })},
		{name: "a failing user store is an internal error", wantOther: true,
			header: answer(digest.MD5, "broken", "secret")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			h := tc.header(t, f)
			f.clock.Add(tc.after)
			user, err := f.auth.Authenticate(context.Background(), h, or(tc.method, "GET"), or(tc.uri, apiURI))
			if tc.wantOther {
				for _, s := range []error{digest.ErrNoCredentials, digest.ErrMalformed, digest.ErrUnauthorized,
					digest.ErrStaleNonce, digest.ErrReplay, digest.ErrUnsupported} {
					if err == nil || errors.Is(err, s) {
						t.Fatalf("error = %v, want an internal error", err)
					}
				}
				return
			}
			wantErr(t, err, tc.want)
			if tc.wantAlso != nil {
				wantErr(t, err, tc.wantAlso)
			}
			if user != tc.wantUser {
				t.Fatalf("user = %q, want %q", user, tc.wantUser)
			}
		})
	}
}

func TestAuthenticateOnlyOffersConfiguredAlgorithms(t *testing.T) {
	f := newFixture(t, digest.SHA256)
	ch := f.auth.Challenges(false)
	if len(ch) != 1 || !strings.Contains(ch[0], "algorithm=SHA-256") {
		t.Fatalf("challenges = %q, want SHA-256 only", ch)
	}
	md5 := respondTo(t, digest.Challenges(testRealm, f.nonces.New(), f.nonces.Opaque(testRealm), false, digest.MD5)[0], "alice", "secret")
	_, err := f.auth.Authenticate(context.Background(), md5, "GET", apiURI)
	wantErr(t, err, digest.ErrUnsupported)
}

func TestAuthenticateRefusesReplayedCounts(t *testing.T) {
	type step struct {
		nc   uint64
		want error
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{name: "the same header twice is refused the second time",
			steps: []step{{1, nil}, {1, digest.ErrReplay}}},
		{name: "increasing counts on one nonce are accepted",
			steps: []step{{1, nil}, {2, nil}, {5, nil}}},
		{name: "a count lower than one already seen is refused",
			steps: []step{{1, nil}, {3, nil}, {2, digest.ErrReplay}, {4, nil}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			ch, _ := digest.FindChallenge(f.auth.Challenges(false), digest.SHA256)
			for i, s := range tc.steps {
				h, err := digest.Respond(ch, "GET", apiURI, "alice", "secret", s.nc, "")
				if err != nil {
					t.Fatal(err)
				}
				_, err = f.auth.Authenticate(context.Background(), h, "GET", apiURI)
				if (s.want == nil) != (err == nil) || (s.want != nil && !errors.Is(err, s.want)) {
					t.Fatalf("step %d (nc=%d): error = %v, want %v", i, s.nc, err, s.want)
				}
			}
		})
	}
}

func TestAuthenticateWrongPasswordDoesNotBurnTheCount(t *testing.T) {
	f := newFixture(t)
	ch, _ := digest.FindChallenge(f.auth.Challenges(false), digest.MD5)
	bad, _ := digest.Respond(ch, "GET", apiURI, "alice", "wrong", 1, "")
	good, _ := digest.Respond(ch, "GET", apiURI, "alice", "secret", 1, "")
	_, err := f.auth.Authenticate(context.Background(), bad, "GET", apiURI)
	wantErr(t, err, digest.ErrUnauthorized)
	_, err = f.auth.Authenticate(context.Background(), good, "GET", apiURI)
	wantErr(t, err, nil)
}

func TestNewAuthenticatorRefusesBadConfig(t *testing.T) {
	f := newFixture(t)
	counter := digest.NewMemoryCounter(f.clock.Now)
	for _, tc := range []struct {
		name       string
		realm      string
		algorithms []string
	}{
		{name: "an empty realm is refused", realm: ""},
		{name: "a realm with a newline is refused", realm: "a\nb"},
		{name: "an unsupported algorithm is refused", realm: testRealm, algorithms: []string{"SHA-512-256"}},
		{name: "an algorithm listed twice is refused", realm: testRealm, algorithms: []string{"MD5", "md5"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := digest.NewAuthenticator(tc.realm, f.nonces, counter, testUsers.lookup, tc.algorithms...); err == nil {
				t.Fatal("NewAuthenticator accepted the configuration")
			}
		})
	}
}

func TestChallenges(t *testing.T) {
	for _, tc := range []struct {
		name       string
		stale      bool
		opaque     string
		algorithms []string
		want       []string
	}{
		{name: "MD5 then SHA-256 are offered by default", opaque: "op", want: []string{
			`Digest realm="sip.example.org", qop="auth", algorithm=MD5, nonce="n", opaque="op"`,
			`Digest realm="sip.example.org", qop="auth", algorithm=SHA-256, nonce="n", opaque="op"`,
		}},
		{name: "the caller's order is kept and stale is marked", stale: true, algorithms: []string{digest.SHA256, digest.MD5}, want: []string{
			`Digest realm="sip.example.org", qop="auth", algorithm=SHA-256, nonce="n", stale=true`,
			`Digest realm="sip.example.org", qop="auth", algorithm=MD5, nonce="n", stale=true`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := digest.Challenges(testRealm, "n", tc.opaque, tc.stale, tc.algorithms...)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestRespond(t *testing.T) {
	for _, tc := range []struct {
		name      string
		challenge string
		nc        uint64
		wantErr   bool
		want      string // a substring of the answer
	}{
		{name: "a challenge without algorithm is answered with MD5", nc: 1,
			challenge: `Digest realm="r", nonce="n", qop="auth"`, want: "algorithm=MD5"},
		{name: "a qop list including auth is answered with auth", nc: 1,
			challenge: `Digest realm="r", nonce="n", qop="auth-int, auth", algorithm=SHA-256`, want: "qop=auth, nc=00000001"},
		{name: "the nonce count is written as 8 hex digits", nc: 26,
			challenge: `Digest realm="r", nonce="n", qop="auth"`, want: "nc=0000001a"},
		{name: "a challenge without qop=auth is refused", nc: 1, wantErr: true,
			challenge: `Digest realm="r", nonce="n", qop="auth-int"`},
		{name: "a challenge for an unsupported algorithm is refused", nc: 1, wantErr: true,
			challenge: `Digest realm="r", nonce="n", qop="auth", algorithm=SHA-512-256`},
		{name: "a Basic challenge is refused", nc: 1, wantErr: true, challenge: `Basic realm="r"`},
		{name: "a challenge without nonce is refused", nc: 1, wantErr: true, challenge: `Digest realm="r", qop="auth"`},
		{name: "a zero nonce count is refused", nc: 0, wantErr: true, challenge: `Digest realm="r", nonce="n", qop="auth"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := digest.Respond(tc.challenge, "GET", "/", "u", "p", tc.nc, "")
			if tc.wantErr {
				if err == nil {
					t.Fatalf("Respond = %s, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(got, tc.want) {
				t.Fatalf("Respond = %s, want it to contain %s", got, tc.want)
			}
			mustParse(t, got)
		})
	}
}

// answer returns a header builder answering the fixture's own challenge.
func answer(algorithm, username, password string) func(*testing.T, *fixture) string {
	return func(t *testing.T, f *fixture) string {
		return f.respond(t, algorithm, "GET", apiURI, username, password, 1)
	}
}

// edited returns a header builder for alice's SHA-256 answer changed by edit.
func edited(edit func(c *digest.Credentials)) func(*testing.T, *fixture) string {
	return func(t *testing.T, f *fixture) string {
		c := mustParse(t, f.respond(t, digest.SHA256, "GET", apiURI, "alice", "secret", 1))
		edit(c)
		return c.String()
	}
}

// respondTo answers a given challenge for GET apiURI.
func respondTo(t *testing.T, challenge, username, password string) string {
	t.Helper()
	h, err := digest.Respond(challenge, "GET", apiURI, username, password, 1, "")
	if err != nil {
		t.Fatal(err)
	}
	return h
}
