package digest_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/digest"
	"github.com/switchboard/switchboard/internal/testenv"
)

const (
	testRealm = "sip.example.org"
	testTTL   = 5 * time.Minute
)

// newClock is the clock shared by the server and the test.
func newClock() *testenv.Clock { return testenv.NewClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)) }

// users maps username to password; lookup derives HA1 as a store would hold it.
type users map[string]string

func (u users) lookup(_ context.Context, username, realm, algorithm string) (string, bool, error) {
	if username == "broken" {
		return "", false, errors.New("database is down")
	}
	pw, ok := u[username]
	if !ok {
		return "", false, nil
	}
	ha1, err := digest.HA1(algorithm, username, realm, pw)
	return ha1, err == nil, err
}

// fixture is an Authenticator with its clock, nonces and counter.
type fixture struct {
	auth    *digest.Authenticator
	clock   *testenv.Clock
	nonces  *digest.Nonces
	counter *digest.MemoryCounter
}

var testUsers = users{"alice": "secret", "Jäsøn Doe": "pässword"}

func newFixture(t testing.TB, algorithms ...string) *fixture {
	t.Helper()
	clk := newClock()
	nonces, err := digest.NewNonces([]byte("0123456789abcdef0123456789abcdef"), testTTL, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	counter := digest.NewMemoryCounter(clk.Now)
	auth, err := digest.NewAuthenticator(testRealm, nonces, counter, testUsers.lookup, algorithms...)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{auth: auth, clock: clk, nonces: nonces, counter: counter}
}

// respond answers the fixture's challenge for algorithm.
func (f *fixture) respond(t testing.TB, algorithm, method, uri, username, password string, nc uint64) string {
	t.Helper()
	ch, ok := digest.FindChallenge(f.auth.Challenges(false), algorithm)
	if !ok {
		t.Fatalf("no %s challenge offered", algorithm)
	}
	h, err := digest.Respond(ch, method, uri, username, password, nc, "")
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// handler serves "hello <user> <algorithm>" to authenticated requests.
func (f *fixture) handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		header := r.Header.Get("Authorization")
		user, err := f.auth.Authenticate(r.Context(), header, r.Method, r.URL.RequestURI())
		switch {
		case err == nil:
			c, _ := digest.ParseAuthorization(header)
			w.Write([]byte("hello " + user + " " + c.Algorithm))
		case errors.Is(err, digest.ErrMalformed):
			http.Error(w, "bad request", http.StatusBadRequest)
		case errors.Is(err, digest.ErrNoCredentials), errors.Is(err, digest.ErrUnauthorized),
			errors.Is(err, digest.ErrStaleNonce), errors.Is(err, digest.ErrReplay),
			errors.Is(err, digest.ErrUnsupported):
			f.auth.SetChallenge(w.Header(), errors.Is(err, digest.ErrStaleNonce))
			http.Error(w, "unauthorized", http.StatusUnauthorized)
		default:
			http.Error(w, "internal error", http.StatusInternalServerError)
		}
	})
}

// mustParse parses an Authorization header or fails the test.
func mustParse(t testing.TB, header string) *digest.Credentials {
	t.Helper()
	c, err := digest.ParseAuthorization(header)
	if err != nil {
		t.Fatalf("ParseAuthorization(%q): %v", header, err)
	}
	return c
}

// wantErr fails the test unless err matches want (nil meaning success).
func wantErr(t testing.TB, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("error = %v, want %v", err, want)
	}
}
