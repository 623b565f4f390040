package profile

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"

	sb "github.com/switchboard/switchboard"
)

// Security is how a client secures a connection to a mail server.
type Security string

// The supported securities: TLS from the first byte, or STARTTLS.
const (
	SSL      Security = "SSL"
	STARTTLS Security = "STARTTLS"
)

// ParseSecurity reads "ssl"/"tls" or "starttls", in any case.
func ParseSecurity(s string) (Security, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "ssl", "tls":
		return SSL, nil
	case "starttls":
		return STARTTLS, nil
	}
	return "", errors.New(`security must be "ssl" or "starttls"`)
}

// Servers are the hosted mail servers every hosted domain uses.
type Servers struct {
	IMAPHost     string
	IMAPPort     int
	IMAPSecurity Security
	SMTPHost     string
	SMTPPort     int
	SMTPSecurity Security
}

// Configured reports whether the servers are known.
func (s Servers) Configured() bool { return s.IMAPHost != "" && s.SMTPHost != "" }

// HostedAccount is the mail account of a hosted mailbox, without a
// password: the device asks for it once, for both servers.
func HostedAccount(email string, s Servers) sb.EmailAccount {
	return sb.EmailAccount{
		Address:                        email,
		AccountType:                    sb.EmailTypeIMAP,
		AccountDescription:             email,
		IncomingAuth:                   sb.EmailAuthPassword,
		IncomingHost:                   s.IMAPHost,
		IncomingPort:                   s.IMAPPort,
		IncomingUsername:               email,
		IncomingSSL:                    true, // Apple's "SSL" covers STARTTLS on 143/587 too
		OutgoingAuth:                   sb.EmailAuthPassword,
		OutgoingHost:                   s.SMTPHost,
		OutgoingPort:                   s.SMTPPort,
		OutgoingUsername:               email,
		OutgoingSSL:                    true,
		OutgoingPasswordSameAsIncoming: true,
	}
}

// clientConfig is Thunderbird's autoconfig document, version 1.1.
type clientConfig struct {
	XMLName  xml.Name      `xml:"clientConfig"`
	Version  string        `xml:"version,attr"`
	Provider emailProvider `xml:"emailProvider"`
}

type emailProvider struct {
	ID               string     `xml:"id,attr"`
	Domain           string     `xml:"domain"`
	DisplayName      string     `xml:"displayName"`
	DisplayShortName string     `xml:"displayShortName"`
	Incoming         mailServer `xml:"incomingServer"`
	Outgoing         mailServer `xml:"outgoingServer"`
}

type mailServer struct {
	Type           string `xml:"type,attr"`
	Hostname       string `xml:"hostname"`
	Port           int    `xml:"port"`
	SocketType     string `xml:"socketType"`
	Username       string `xml:"username"`
	Authentication string `xml:"authentication"`
}

// Autoconfig returns the Thunderbird autoconfig document (clientConfig 1.1)
// of a hosted domain.
func Autoconfig(domain string, s Servers) ([]byte, error) {
	doc := clientConfig{Version: "1.1", Provider: emailProvider{
		ID: domain, Domain: domain, DisplayName: domain, DisplayShortName: domain,
		Incoming: mailServer{Type: "imap", Hostname: s.IMAPHost, Port: s.IMAPPort, SocketType: string(s.IMAPSecurity),
			Username: "%EMAILADDRESS%", Authentication: "password-cleartext"},
		Outgoing: mailServer{Type: "smtp", Hostname: s.SMTPHost, Port: s.SMTPPort, SocketType: string(s.SMTPSecurity),
			Username: "%EMAILADDRESS%", Authentication: "password-cleartext"},
	}}
	return marshalXML(doc)
}

// The namespaces of Outlook's POX autodiscover.
const (
	AutodiscoverRequestNS  = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
	AutodiscoverResponseNS = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
	OutlookResponseNS      = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
)

type autodiscoverResponse struct {
	XMLName  xml.Name        `xml:"Autodiscover"`
	NS       string          `xml:"xmlns,attr"`
	Response outlookResponse `xml:"Response"`
}

type outlookResponse struct {
	NS      string         `xml:"xmlns,attr"`
	User    outlookUser    `xml:"User"`
	Account outlookAccount `xml:"Account"`
}

type outlookUser struct {
	DisplayName string `xml:"DisplayName"`
}

type outlookAccount struct {
	AccountType string            `xml:"AccountType"`
	Action      string            `xml:"Action"`
	Protocols   []outlookProtocol `xml:"Protocol"`
}

type outlookProtocol struct {
	Type           string `xml:"Type"`
	Server         string `xml:"Server"`
	Port           int    `xml:"Port"`
	DomainRequired string `xml:"DomainRequired"`
	LoginName      string `xml:"LoginName"`
	SPA            string `xml:"SPA"`
	SSL            string `xml:"SSL"`
	Encryption     string `xml:"Encryption"`
	AuthRequired   string `xml:"AuthRequired"`
	UsePOPAuth     string `xml:"UsePOPAuth,omitempty"`
	SMTPLast       string `xml:"SMTPLast,omitempty"`
}

// Autodiscover returns the Outlook autodiscover answer (responseschema
// 2006a) for a hosted address.
func Autodiscover(email string, s Servers) ([]byte, error) {
	proto := func(typ, host string, port int, sec Security) outlookProtocol {
		enc := "SSL"
		if sec == STARTTLS {
			enc = "TLS"
		}
		return outlookProtocol{Type: typ, Server: host, Port: port, DomainRequired: "off", LoginName: email,
			SPA: "off", SSL: "on", Encryption: enc, AuthRequired: "on"}
	}
	smtp := proto("SMTP", s.SMTPHost, s.SMTPPort, s.SMTPSecurity)
	smtp.UsePOPAuth, smtp.SMTPLast = "on", "off"
	doc := autodiscoverResponse{NS: AutodiscoverResponseNS, Response: outlookResponse{
		NS:   OutlookResponseNS,
		User: outlookUser{DisplayName: email},
		Account: outlookAccount{AccountType: "email", Action: "settings", Protocols: []outlookProtocol{
			proto("IMAP", s.IMAPHost, s.IMAPPort, s.IMAPSecurity), smtp,
		}},
	}}
	return marshalXML(doc)
}

// ErrAutodiscoverRequest is the answer to a body that is not an
// autodiscover request with an address.
var ErrAutodiscoverRequest = errors.New("not an autodiscover request with an EMailAddress")

// ParseAutodiscoverRequest reads the EMailAddress of a POX autodiscover
// request; r must be size-limited by the caller.
func ParseAutodiscoverRequest(r io.Reader) (string, error) {
	var req struct {
		XMLName xml.Name `xml:"Autodiscover"`
		Request struct {
			EMailAddress string `xml:"EMailAddress"`
		} `xml:"Request"`
	}
	dec := xml.NewDecoder(r)
	dec.Strict = true
	if err := dec.Decode(&req); err != nil {
		return "", ErrAutodiscoverRequest
	}
	email := strings.TrimSpace(req.Request.EMailAddress)
	if email == "" || len(email) > 320 {
		return "", ErrAutodiscoverRequest
	}
	return email, nil
}

func marshalXML(v any) ([]byte, error) {
	out, err := xml.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), append(out, '\n')...), nil
}
