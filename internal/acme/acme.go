// Package acme obtains certificates from an ACME CA (Let's Encrypt, or
// Pebble in tests) with github.com/mholt/acmez, answering HTTP-01 challenges
// through a store every Switchboard instance reads, so whichever instance
// the CA reaches can answer.
package acme

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/mholt/acmez/v3"
	acmeproto "github.com/mholt/acmez/v3/acme"
)

// LetsEncrypt is the production directory.
const LetsEncrypt = "https://acme-v02.api.letsencrypt.org/directory"

// State is where the issuer keeps what must be shared between instances.
type State interface {
	// PutChallenge publishes a key authorization for an HTTP-01 token, for
	// as long as a validation may take.
	PutChallenge(ctx context.Context, token, keyAuth string) error
	// DeleteChallenge withdraws it.
	DeleteChallenge(ctx context.Context, token string) error
	// AccountKey returns the PEM account key for a directory, if any.
	AccountKey(ctx context.Context, directory string) ([]byte, bool, error)
	// SaveAccountKey stores a new PEM account key (the first one wins).
	SaveAccountKey(ctx context.Context, directory, email string, keyPEM []byte) error
}

// Config configures an Issuer.
type Config struct {
	Directory string         // default LetsEncrypt
	Email     string         // contact for the account, optional
	Roots     *x509.CertPool // trusted roots for the CA's API; nil: the system's
	State     State
	Logger    *slog.Logger
}

// Issuer obtains certificates.
type Issuer struct {
	cfg    Config
	client *acmeproto.Client
	log    *slog.Logger
}

// New returns an Issuer.
func New(cfg Config) *Issuer {
	if cfg.Directory == "" {
		cfg.Directory = LetsEncrypt
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "acme")
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if cfg.Roots != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: cfg.Roots, MinVersion: tls.VersionTLS12}
	}
	return &Issuer{cfg: cfg, log: log, client: &acmeproto.Client{
		Directory:  cfg.Directory,
		HTTPClient: &http.Client{Transport: tr, Timeout: 30 * time.Second},
		Logger:     log,
	}}
}

// account loads or registers the ACME account of this server.
func (i *Issuer) account(ctx context.Context) (acmeproto.Account, error) {
	keyPEM, found, err := i.cfg.State.AccountKey(ctx, i.cfg.Directory)
	if err != nil {
		return acmeproto.Account{}, err
	}
	var key crypto.Signer
	if found {
		if key, err = parseKey(keyPEM); err != nil {
			return acmeproto.Account{}, fmt.Errorf("stored ACME account key: %w", err)
		}
	} else {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return acmeproto.Account{}, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return acmeproto.Account{}, err
		}
		keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
		if err := i.cfg.State.SaveAccountKey(ctx, i.cfg.Directory, i.cfg.Email, keyPEM); err != nil {
			return acmeproto.Account{}, err
		}
		// Another instance may have saved first: use whichever key won.
		if stored, ok, err := i.cfg.State.AccountKey(ctx, i.cfg.Directory); err == nil && ok {
			if key, err = parseKey(stored); err != nil {
				return acmeproto.Account{}, err
			}
		} else {
			key = k
		}
	}
	acct := acmeproto.Account{TermsOfServiceAgreed: true, PrivateKey: key}
	if i.cfg.Email != "" {
		acct.Contact = []string{"mailto:" + i.cfg.Email}
	}
	// NewAccount returns the existing account when the key is registered.
	return i.client.NewAccount(ctx, acct)
}

// Issue obtains a certificate for names and returns the chain (leaf first)
// and a fresh P-256 private key, both PEM.
func (i *Issuer) Issue(ctx context.Context, names []string) (chainPEM, keyPEM []byte, err error) {
	acct, err := i.account(ctx)
	if err != nil {
		return nil, nil, i.classify(fmt.Errorf("ACME account: %w", err))
	}
	certKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	c := acmez.Client{Client: i.client, ChallengeSolvers: map[string]acmez.Solver{
		acmeproto.ChallengeTypeHTTP01: &solver{state: i.cfg.State},
	}}
	certs, err := c.ObtainCertificateForSANs(ctx, acct, certKey, names)
	if err != nil {
		return nil, nil, i.classify(err)
	}
	if len(certs) == 0 {
		return nil, nil, errors.New("the CA returned no certificate")
	}
	der, err := x509.MarshalPKCS8PrivateKey(certKey)
	if err != nil {
		return nil, nil, err
	}
	i.log.InfoContext(ctx, "certificate issued", "names", names)
	return certs[0].ChainPEM, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// UnreachableError reports that the CA could not be reached at all: a DNS,
// dial, TLS or timeout failure talking to its API, as opposed to a CA that
// answered and refused (an ACME problem document).
type UnreachableError struct {
	Directory string // the directory URL of the CA
	Err       error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach the ACME CA at %s: %v", e.Directory, e.Err)
}

// Unwrap returns the transport error.
func (e *UnreachableError) Unwrap() error { return e.Err }

// Unreachable marks the error for consumers that do not import this
// package: they test for interface{ Unreachable() bool }.
func (e *UnreachableError) Unreachable() bool { return true }

// classify wraps a transport failure (acmez passes the *url.Error of
// net/http on, wrapped) in an *UnreachableError; a CA's answer, a problem
// document included, is returned as it is.
func (i *Issuer) classify(err error) error {
	if _, ok := errors.AsType[acmeproto.Problem](err); ok {
		return err
	}
	if _, ok := errors.AsType[*url.Error](err); ok {
		return &UnreachableError{Directory: i.cfg.Directory, Err: err}
	}
	return err
}

// solver publishes HTTP-01 key authorizations through the shared state.
type solver struct{ state State }

func (s *solver) Present(ctx context.Context, ch acmeproto.Challenge) error {
	return s.state.PutChallenge(ctx, ch.Token, ch.KeyAuthorization)
}

func (s *solver) CleanUp(ctx context.Context, ch acmeproto.Challenge) error {
	return s.state.DeleteChallenge(context.WithoutCancel(ctx), ch.Token)
}

func parseKey(keyPEM []byte) (crypto.Signer, error) {
	b, _ := pem.Decode(keyPEM)
	if b == nil {
		return nil, errors.New("no PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, err
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, errors.New("not a signing key")
	}
	return s, nil
}
