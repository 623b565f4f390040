package httpapi

import (
	"net"
	"net/http"
	"strings"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/profile"
)

// The autoconfiguration documents mail clients fetch for hosted domains:
// Thunderbird's autoconfig, Outlook's autodiscover, and the Apple
// mobileconfig a mailbox user downloads through the HTML page.
func (s *Server) registerAutoconfig() {
	s.handle("GET /mail/config-v1.1.xml", s.plain(s.getAutoconfig))
	s.handle("GET /.well-known/autoconfig/mail/config-v1.1.xml", s.plain(s.getAutoconfig))
	s.handle("POST /autodiscover/autodiscover.xml", s.plain(s.postAutodiscover))
	s.handle("POST /Autodiscover/Autodiscover.xml", s.plain(s.postAutodiscover))
	s.handle("GET /mail/mobileconfig", s.page(s.getMailboxForm))
	s.handle("POST /mail/mobileconfig", s.page(s.postMailboxProfile))
}

func (s *Server) getMailboxForm(w http.ResponseWriter, r *http.Request) error {
	return writePage(w, http.StatusOK, pageData{Title: "Mail profile", Form: true, Email: true,
		Message: "Sign in with your mailbox to download a profile that configures your device."})
}

func (s *Server) postMailboxProfile(w http.ResponseWriter, r *http.Request) error {
	p, err := ReadParams(r)
	if err != nil {
		return err
	}
	f, err := s.svc.MailboxProfile(r.Context(), p.Get("email"), p.Get("password"), clientIP(r))
	if err != nil {
		s.countAuthFailure("mobileconfig", err)
		return err
	}
	return writeProfile(w, r, f)
}

// getAutoconfig serves Thunderbird's autoconfig. Thunderbird sends the
// address; without it the domain comes from the autoconfig.DOMAIN host the
// client asked.
func (s *Server) getAutoconfig(w http.ResponseWriter, r *http.Request) error {
	email := r.URL.Query().Get("emailaddress")
	if email == "" {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		email = strings.TrimPrefix(strings.ToLower(host), "autoconfig.")
	}
	doc, err := s.svc.MailAutoconfig(r.Context(), email)
	if err != nil {
		return err
	}
	return writeXML(w, r, "application/xml; charset=utf-8", doc)
}

func (s *Server) postAutodiscover(w http.ResponseWriter, r *http.Request) error {
	email, err := profile.ParseAutodiscoverRequest(r.Body)
	if err != nil {
		return sb.Errorf(sb.EMALFORMED, "%s", err.Error())
	}
	doc, err := s.svc.MailAutodiscover(r.Context(), email)
	if err != nil {
		return err
	}
	return writeXML(w, r, "text/xml; charset=utf-8", doc)
}

func writeXML(w http.ResponseWriter, r *http.Request, ctype string, doc []byte) error {
	w.Header().Set("Content-Type", ctype)
	return writeDocument(w, r, doc)
}
