package httpapi_test

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/acme"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/httpapi"
	"github.com/switchboard/switchboard/internal/seal"
	"github.com/switchboard/switchboard/internal/service"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/store/storetest"
)

// TestLetsEncryptSaysWhyTheCAFailed checks that a CA that cannot be reached
// and a CA that refuses get different 503 messages, and that neither changes
// anything.
func TestLetsEncryptSaysWhyTheCAFailed(t *testing.T) {
	// A CA that answers every request with an ACME problem document.
	refusing := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"type":"urn:ietf:params:acme:error:unauthorized","detail":"this CA issues nothing today","status":403}`)
	}))
	defer refusing.Close()
	refusingRoots := x509.NewCertPool()
	refusingRoots.AddCert(refusing.Certificate())
	// An HTTPS server whose certificate the issuer does not trust.
	untrusted := httptest.NewUnstartedServer(http.NotFoundHandler())
	untrusted.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are expected
	untrusted.StartTLS()
	defer untrusted.Close()

	tests := []struct {
		name      string
		directory string
		roots     *x509.CertPool
		msg       string
	}{
		{"a directory on a closed local port could not be reached",
			fmt.Sprintf("https://127.0.0.1:%d/dir", freePort(t)), nil, "the certificate authority could not be reached"},
		{"a directory whose TLS certificate is not trusted could not be reached",
			untrusted.URL + "/dir", nil, "the certificate authority could not be reached"},
		{"a directory on an unknown host could not be reached",
			"https://ca.invalid/dir", nil, "the certificate authority could not be reached"},
		{"a CA answering with a problem document did not issue",
			refusing.URL + "/dir", refusingRoots, "the certificate authority did not issue a certificate for www.ex3.example"},
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				box, _ := seal.New(bytes.Repeat([]byte{9}, seal.KeySize))
				issuer := acme.New(acme.Config{Directory: tt.directory, Roots: tt.roots,
					State: &service.ACMEState{Store: st, Seal: box, Now: time.Now}})
				svc := service.New(service.Config{Store: st, Hasher: auth.NewHasher(auth.TestParams), Seal: box, Issuer: issuer})
				api := httpapi.New(httpapi.Config{Services: svc})
				srv := httptest.NewServer(api)
				defer srv.Close()
				e := &env{t: t, url: srv.URL, store: st, svc: svc, api: api}
				tok := e.tenant(fmt.Sprintf("acme%d", i), sb.RoleTenant)
				domain := fmt.Sprintf("ex%d.example", i)
				e.do("POST", "/domains", tok, form{"domain": domain, "username": "a@" + domain, "password": "password123"}).want(201)
				before := e.snapshot()
				res := e.do("POST", "/ssl/letsencrypt/install", tok, form{"hostname": "www." + domain})
				res.wantError(503, tt.msg)
				if bytes.Contains([]byte(res.body), []byte("127.0.0.1")) || bytes.Contains([]byte(res.body), []byte("attempt")) {
					t.Fatalf("transport detail in the answer: %s", res.body)
				}
				e.unchanged(before)
			})
		}
	})
}
