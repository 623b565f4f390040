package service

import (
	"context"
	"strings"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/profile"
)

// hostedDomain returns the hosted domain of an address (or of a bare domain
// name).
func (s *Service) hostedDomain(ctx context.Context, field, emailOrDomain string) (local, domain string, err error) {
	if !s.cc.opt.Servers.Configured() {
		return "", "", sb.Errorf(sb.EUNAVAILABLE, "mail autoconfiguration is not configured on this server")
	}
	if strings.Contains(emailOrDomain, "@") {
		local, domain, err = NormalizeEmail(field, emailOrDomain)
	} else {
		domain, err = NormalizeDomain(field, emailOrDomain)
	}
	if err != nil {
		return "", "", err
	}
	if _, err := s.store.Read().DomainByName(ctx, domain); sb.ErrorCode(err) == sb.ENOTFOUND {
		return "", "", notFound("domain")
	} else if err != nil {
		return "", "", err
	}
	return local, domain, nil
}

// MailAutoconfig returns the Thunderbird autoconfig document of a hosted
// domain.
func (s *Service) MailAutoconfig(ctx context.Context, email string) ([]byte, error) {
	_, domain, err := s.hostedDomain(ctx, "emailaddress", email)
	if err != nil {
		return nil, err
	}
	doc, err := profile.Autoconfig(domain, s.cc.opt.Servers)
	if err != nil {
		return nil, sb.Internal(err)
	}
	return doc, nil
}

// MailAutodiscover returns the Outlook autodiscover answer for an address
// in a hosted domain. Only the domain is checked, so that autodiscover does
// not tell which mailboxes exist.
func (s *Service) MailAutodiscover(ctx context.Context, email string) ([]byte, error) {
	local, domain, err := s.hostedDomain(ctx, "EMailAddress", email)
	if err != nil {
		return nil, err
	}
	if local == "" {
		return nil, sb.FieldError("EMailAddress", "EMailAddress must be an email address")
	}
	doc, err := profile.Autodiscover(local+"@"+domain, s.cc.opt.Servers)
	if err != nil {
		return nil, sb.Internal(err)
	}
	return doc, nil
}

// MailboxProfile checks a hosted mailbox's credentials and returns its
// Apple profile. The profile holds no password: it is a file that may be
// saved, mailed or left in a downloads folder, and the device asks for the
// password once when installing it.
func (s *Service) MailboxProfile(ctx context.Context, email, password, ip string) (*sb.ProfileFile, error) {
	if !s.cc.opt.Servers.Configured() {
		return nil, sb.Errorf(sb.EUNAVAILABLE, "mail autoconfiguration is not configured on this server")
	}
	a, err := s.CheckAccountPassword(ctx, email, password, ip)
	if err != nil {
		return nil, err
	}
	acct := profile.HostedAccount(a.Email, s.cc.opt.Servers)
	return s.profileFile([]sb.EmailAccount{acct}, "", "Mail: "+a.Email)
}
