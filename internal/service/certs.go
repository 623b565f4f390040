package service

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/seal"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/tlscert"
)

// CertIssuer obtains certificates from an ACME CA. An error of Issue that
// has an Unreachable() bool method returning true means the CA could not be
// reached at all, rather than that it refused.
type CertIssuer interface {
	Issue(ctx context.Context, names []string) (chainPEM, keyPEM []byte, err error)
}

// unreachable is the mark of an issuer error for a CA that could not be
// reached (acme.UnreachableError has it).
type unreachable interface {
	error
	Unreachable() bool
}

// RenewBefore is how long before expiry ACME certificates are renewed.
const RenewBefore = 30 * 24 * time.Hour

func certPurpose(hostname string) string { return "tls:" + hostname }

// withDaysLeft fills c.DaysLeft by the service's clock.
func (s *Service) withDaysLeft(c *sb.Certificate) *sb.Certificate {
	c.DaysLeft = daysLeft(c.NotAfter, s.now())
	return c
}

// daysLeft is the number of whole days until t.
func daysLeft(t, now time.Time) int {
	d := t.Sub(now)
	if d <= 0 {
		return 0
	}
	return int(d / (24 * time.Hour))
}

// ownedDomainFor finds the actor's domain that covers hostname: the host
// itself or its nearest parent held in the store. A name under nobody's or
// another tenant's domain is forbidden.
func ownedDomainFor(ctx context.Context, tx *store.Tx, actor sb.Actor, hostname string) (*sb.Domain, error) {
	name := strings.TrimPrefix(hostname, "*.")
	for {
		d, err := tx.DomainByName(ctx, name)
		if err == nil {
			if !actor.CanManageDomain(d) {
				break
			}
			return d, nil
		}
		if sb.ErrorCode(err) != sb.ENOTFOUND {
			return nil, err
		}
		i := strings.IndexByte(name, '.')
		if i < 0 || !strings.Contains(name[i+1:], ".") {
			break
		}
		name = name[i+1:]
	}
	return nil, notYourName(hostname)
}

// notYourName refuses a certificate name outside the actor's domains.
func notYourName(name string) error {
	return &sb.Error{Code: sb.EFORBIDDEN, Field: "hostname", Message: name + " is not under one of your domains"}
}

// certDomain is the coverage rule of certificates, for uploads, ACME and
// imports alike: every name of the certificate must lie under one of the
// actor's domains, which domainOf finds (or refuses with notYourName). It
// returns the domain of the first name, the hostname the certificate is
// stored under.
func certDomain(names []string, domainOf func(name string) (*sb.Domain, error)) (*sb.Domain, error) {
	var first *sb.Domain
	for i, n := range names {
		d, err := domainOf(n)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			first = d
		}
	}
	return first, nil
}

// UploadCertificate stores the actor's own certificate and key after
// validating them: parseable PEM, key matching the leaf, chain in order, not
// expired, and every name under one of the actor's domains.
func (s *Service) UploadCertificate(ctx context.Context, actor sb.Actor, chainPEM, keyPEM string) (*sb.Certificate, error) {
	if chainPEM == "" {
		return nil, sb.FieldError("ssl_certificate", "ssl_certificate is required")
	}
	if keyPEM == "" {
		return nil, sb.FieldError("ssl_certificate_key", "ssl_certificate_key is required")
	}
	b, err := tlscert.Parse([]byte(chainPEM), []byte(keyPEM), s.now())
	if err != nil {
		var ve *tlscert.Error
		if errors.As(err, &ve) {
			return nil, sb.FieldError("ssl_certificate", "%s", ve.Msg)
		}
		return nil, sb.Internal(err)
	}
	return s.storeBundle(ctx, actor, b, "upload")
}

// storeBundle checks ownership of every name, seals the key, stores the
// certificate in one transaction, then writes the cert directory.
func (s *Service) storeBundle(ctx context.Context, actor sb.Actor, b *tlscert.Bundle, source string) (*sb.Certificate, error) {
	hostname := b.Names[0]
	sealed, err := s.seal.Seal(certPurpose(hostname), b.KeyPEM)
	if err != nil {
		return nil, sb.Internal(err)
	}
	c := &sb.Certificate{Hostname: hostname, Source: source, Names: b.Names, ChainPEM: string(b.ChainPEM),
		Issuer: b.Issuer(), NotBefore: b.Leaf().NotBefore.UTC(), NotAfter: b.Leaf().NotAfter.UTC()}
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		d, err := certDomain(b.Names, func(n string) (*sb.Domain, error) { return ownedDomainFor(ctx, tx, actor, n) })
		if err != nil {
			return err
		}
		c.DomainID = d.ID
		if old, _, err := tx.CertificateByHostname(ctx, hostname); err == nil {
			if _, err := visibleDomain(ctx, tx, actor, old.DomainID); err != nil {
				return sb.Errorf(sb.EFORBIDDEN, "%s is not under one of your domains", hostname)
			}
		}
		now := s.now()
		if err := tx.PutCertificate(ctx, c, sealed, now); err != nil {
			return err
		}
		return tx.Audit(ctx, now, actor.String(), "certificate."+source, "certificate:"+hostname)
	})
	if err != nil {
		return nil, err
	}
	if s.certDir != "" {
		if err := tlscert.WriteFiles(s.certDir, hostname, b.ChainPEM, b.KeyPEM); err != nil {
			s.log.Error("write certificate files", "hostname", hostname, "err", err)
		}
	}
	return s.withDaysLeft(c), nil
}

// InstallACMECertificate obtains a certificate for hostname from the ACME CA
// (synchronously, within ctx) and stores it. The hostname must be one of the
// actor's domains or a name under one.
func (s *Service) InstallACMECertificate(ctx context.Context, actor sb.Actor, hostname string) (*sb.Certificate, error) {
	if strings.HasPrefix(strings.TrimSpace(hostname), "*.") {
		return nil, sb.FieldError("hostname", "wildcard names need the DNS-01 challenge, which is not supported: name the host")
	}
	name, err := NormalizeDomain("hostname", hostname)
	if err != nil {
		return nil, err
	}
	if _, err := ownedDomainFor(ctx, s.store.Read(), actor, name); err != nil {
		return nil, err
	}
	return s.issue(ctx, actor, name)
}

func (s *Service) issue(ctx context.Context, actor sb.Actor, hostname string) (*sb.Certificate, error) {
	if s.issuer == nil {
		return nil, sb.Errorf(sb.EUNAVAILABLE, "no ACME CA is configured")
	}
	chain, key, err := s.issuer.Issue(ctx, []string{hostname})
	if err != nil {
		s.log.Error("ACME issuance failed", "hostname", hostname, "err", err)
		if u, ok := errors.AsType[unreachable](err); ok && u.Unreachable() {
			return nil, &sb.Error{Code: sb.EUNAVAILABLE, Message: "the certificate authority could not be reached; try again later", Err: err}
		}
		return nil, &sb.Error{Code: sb.EUNAVAILABLE, Message: "the certificate authority did not issue a certificate for " + hostname, Err: err}
	}
	b, err := tlscert.Parse(chain, key, s.now())
	if err != nil {
		return nil, sb.Internal(fmt.Errorf("the CA's certificate for %s: %w", hostname, err))
	}
	return s.storeBundle(ctx, actor, b, "acme")
}

// Certificate returns the stored certificate of a host name of the actor.
func (s *Service) Certificate(ctx context.Context, actor sb.Actor, hostname string) (*sb.Certificate, error) {
	name := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(hostname), "."))
	if name == "" {
		return nil, sb.FieldError("hostname", "hostname is required")
	}
	tx := s.store.Read()
	c, _, err := tx.CertificateByHostname(ctx, name)
	if sb.ErrorCode(err) == sb.ENOTFOUND {
		return nil, notFound("certificate")
	}
	if err != nil {
		return nil, err
	}
	if _, err := visibleDomain(ctx, tx, actor, c.DomainID); err != nil {
		return nil, notFound("certificate")
	}
	return s.withDaysLeft(c), nil
}

// RenewDue renews the ACME certificates expiring within RenewBefore. With
// several instances, a lease row makes sure only one renews a certificate.
func (s *Service) RenewDue(ctx context.Context, owner string) (renewed int, err error) {
	now := s.now()
	due, err := s.store.Read().DueCertificates(ctx, now.Add(RenewBefore))
	if err != nil {
		return 0, err
	}
	for _, c := range due {
		var got bool
		err := s.store.InTx(ctx, func(tx *store.Tx) error {
			var err error
			got, err = tx.LeaseCertificate(ctx, c.ID, owner, now, now.Add(15*time.Minute))
			return err
		})
		if err != nil {
			return renewed, err
		}
		if !got {
			continue
		}
		if _, err := s.issue(ctx, sb.Actor{System: true}, c.Hostname); err != nil {
			s.log.Error("renewal failed", "hostname", c.Hostname, "err", err)
			continue
		}
		renewed++
	}
	return renewed, nil
}

// ACMEKeyAuthorization answers an HTTP-01 challenge from the shared store.
func (s *Service) ACMEKeyAuthorization(ctx context.Context, token string) (string, error) {
	if token == "" || len(token) > 256 {
		return "", notFound("challenge")
	}
	ka, err := s.store.Read().Challenge(ctx, token, s.now())
	if sb.ErrorCode(err) == sb.ENOTFOUND {
		return "", notFound("challenge")
	}
	return ka, err
}

// TLSCertificates loads every stored certificate for the TLS listener,
// keyed by each name it covers.
func (s *Service) TLSCertificates(ctx context.Context) (map[string]*tls.Certificate, error) {
	out := map[string]*tls.Certificate{}
	err := s.store.Read().EachCertificate(ctx, 0, func(c sb.Certificate, sealed string) error {
		key, err := s.openSealed(certPurpose(c.Hostname), sealed)
		if err != nil {
			return err
		}
		tc, err := tlscert.TLSCertificate([]byte(c.ChainPEM), key)
		if err != nil {
			return err
		}
		for _, n := range c.Names {
			out[n] = tc
		}
		return nil
	})
	return out, err
}

// SyncCertDir writes every stored certificate to the cert directory, so a
// fresh instance (or a restored one) gives Dovecot and Postfix their files.
func (s *Service) SyncCertDir(ctx context.Context) error {
	if s.certDir == "" {
		return nil
	}
	return s.store.Read().EachCertificate(ctx, 0, func(c sb.Certificate, sealed string) error {
		key, err := s.openSealed(certPurpose(c.Hostname), sealed)
		if err != nil {
			return err
		}
		return tlscert.WriteFiles(s.certDir, c.Hostname, []byte(c.ChainPEM), key)
	})
}

// ACMEState is the issuer's shared state (challenges, account key) in the
// store, with the account key sealed.
type ACMEState struct {
	Store *store.Store
	Seal  *seal.Box
	Now   func() time.Time
}

// PutChallenge publishes an HTTP-01 key authorization for an hour.
func (a *ACMEState) PutChallenge(ctx context.Context, token, keyAuth string) error {
	expires := a.Now().Add(time.Hour)
	return a.Store.InTx(ctx, func(tx *store.Tx) error { return tx.PutChallenge(ctx, token, keyAuth, expires) })
}

// DeleteChallenge withdraws an HTTP-01 key authorization.
func (a *ACMEState) DeleteChallenge(ctx context.Context, token string) error {
	return a.Store.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteChallenge(ctx, token, a.Now()) })
}

// AccountKey returns the ACME account key for a directory.
func (a *ACMEState) AccountKey(ctx context.Context, directory string) ([]byte, bool, error) {
	sealed, err := a.Store.Read().ACMEAccountKey(ctx, directory)
	if sb.ErrorCode(err) == sb.ENOTFOUND {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	k, err := a.Seal.Open("acme-account:"+directory, sealed)
	return k, err == nil, err
}

// SaveAccountKey stores a new account key, sealed.
func (a *ACMEState) SaveAccountKey(ctx context.Context, directory, email string, keyPEM []byte) error {
	sealed, err := a.Seal.Seal("acme-account:"+directory, keyPEM)
	if err != nil {
		return err
	}
	return a.Store.InTx(ctx, func(tx *store.Tx) error {
		return tx.PutACMEAccountKey(ctx, directory, email, sealed, a.Now())
	})
}

// ListCertificates lists the certificates held under a domain of the
// actor, with their days left.
func (s *Service) ListCertificates(ctx context.Context, actor sb.Actor, domain string) ([]sb.Certificate, error) {
	tx := s.store.Read()
	d, err := visibleDomainByName(ctx, tx, actor, domain)
	if err != nil {
		return nil, err
	}
	var out []sb.Certificate
	err = tx.EachCertificate(ctx, d.ID, func(c sb.Certificate, _ string) error {
		out = append(out, *s.withDaysLeft(&c))
		return nil
	})
	return out, err
}
