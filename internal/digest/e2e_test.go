package digest_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/digest"
)

// get performs GET url with an optional Authorization header.
func get(t *testing.T, client *http.Client, url, authorization string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

func TestEndToEndWithGoClient(t *testing.T) {
	const path = "/api/accounts/me?fields=sip"
	for _, alg := range []string{digest.MD5, digest.SHA256} {
		t.Run("a Go client answering the "+alg+" challenge is let in, and a replay is not", func(t *testing.T) {
			f := newFixture(t)
			srv := httptest.NewServer(f.handler())
			defer srv.Close()
			client := srv.Client()

			resp, _ := get(t, client, srv.URL+path, "")
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status without credentials = %d, want 401", resp.StatusCode)
			}
			challenges := resp.Header.Values("WWW-Authenticate")
			if len(challenges) != 2 {
				t.Fatalf("got %d challenges, want 2: %q", len(challenges), challenges)
			}
			ch, ok := digest.FindChallenge(challenges, alg)
			if !ok {
				t.Fatalf("no %s challenge in %q", alg, challenges)
			}
			for nc := uint64(1); nc <= 2; nc++ {
				h, err := digest.Respond(ch, "GET", path, "alice", "secret", nc, "")
				if err != nil {
					t.Fatal(err)
				}
				resp, body := get(t, client, srv.URL+path, h)
				if resp.StatusCode != http.StatusOK || body != "hello alice "+alg {
					t.Fatalf("nc=%d: status %d, body %q; want 200 and hello alice %s", nc, resp.StatusCode, body, alg)
				}
				if nc == 2 {
					if resp, _ := get(t, client, srv.URL+path, h); resp.StatusCode != http.StatusUnauthorized {
						t.Fatalf("replayed header: status %d, want 401", resp.StatusCode)
					}
				}
			}

			// After the nonce expires the server asks for a retry with stale=true.
			f.clock.Add(testTTL + time.Second)
			h, _ := digest.Respond(ch, "GET", path, "alice", "secret", 3, "")
			resp, _ = get(t, client, srv.URL+path, h)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("expired nonce: status %d, want 401", resp.StatusCode)
			}
			fresh, ok := digest.FindChallenge(resp.Header.Values("WWW-Authenticate"), alg)
			if !ok || !strings.Contains(fresh, "stale=true") {
				t.Fatalf("challenge after expiry = %q, want stale=true", fresh)
			}
			h, _ = digest.Respond(fresh, "GET", path, "alice", "secret", 1, "")
			if resp, _ := get(t, client, srv.URL+path, h); resp.StatusCode != http.StatusOK {
				t.Fatalf("retry with the fresh nonce: status %d, want 200", resp.StatusCode)
			}
		})
	}
}

func TestEndToEndWithCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not on PATH")
	}
	for _, tc := range []struct {
		name       string
		algorithms []string
		user       string
		wantStatus string
		wantBody   string
	}{
		{name: "curl answers an MD5-first challenge with MD5 and is let in", user: "alice:secret",
			algorithms: []string{digest.MD5, digest.SHA256}, wantStatus: "200", wantBody: "hello alice MD5"},
		{name: "curl answers a SHA-256-first challenge with SHA-256 and is let in", user: "alice:secret",
			algorithms: []string{digest.SHA256, digest.MD5}, wantStatus: "200", wantBody: "hello alice SHA-256"},
		{name: "curl with a UTF-8 username is let in", user: "Jäsøn Doe:pässword",
			algorithms: []string{digest.SHA256}, wantStatus: "200", wantBody: "hello Jäsøn Doe SHA-256"},
		{name: "curl with a wrong password is refused", user: "alice:wrong",
			algorithms: []string{digest.MD5, digest.SHA256}, wantStatus: "401"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.algorithms...)
			srv := httptest.NewServer(f.handler())
			defer srv.Close()
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, curl, "-sS", "--digest", "-u", tc.user,
				"-w", "\n%{http_code}", srv.URL+"/api/accounts/me?x=1").Output()
			if err != nil {
				t.Fatalf("curl: %v\n%s", err, out)
			}
			// -w appends "\n<status>" after the body.
			i := strings.LastIndexByte(string(out), '\n')
			if i < 0 {
				t.Fatalf("curl output %q lacks the status line", out)
			}
			body, status := string(out[:i]), string(out[i+1:])
			if status != tc.wantStatus {
				t.Fatalf("status %s, want %s (body %q)", status, tc.wantStatus, body)
			}
			if tc.wantBody != "" && body != tc.wantBody {
				t.Fatalf("body %q, want %q", body, tc.wantBody)
			}
		})
	}
}
