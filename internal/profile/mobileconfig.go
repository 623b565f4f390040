// Package profile builds the documents mail clients configure themselves
// from: Apple configuration profiles (.mobileconfig, optionally signed as
// CMS SignedData), Thunderbird autoconfig and Outlook autodiscover XML.
package profile

import (
	"crypto/rand"
	"fmt"
	"net"
	"slices"
	"strings"

	"howett.net/plist"

	sb "github.com/switchboard/switchboard"
)

// ContentType is the media type of an Apple configuration profile.
const ContentType = "application/x-apple-aspen-config"

// Options are the profile-wide settings.
type Options struct {
	// Host is the server's public host name; reversed, it prefixes every
	// PayloadIdentifier, so that a profile installed again for the same
	// addresses replaces the previous one.
	Host         string
	Organization string
	// DisplayName defaults to "Mail: " and the addresses.
	DisplayName string
	// RemovalPassword, when set, adds a com.apple.profileRemovalPassword
	// payload.
	RemovalPassword string
	// UUID makes PayloadUUIDs; nil makes random (version 4) ones. Tests
	// inject a deterministic source.
	UUID func() string
}

// configuration is the top-level dictionary of a profile.
type configuration struct {
	PayloadContent           []any  `plist:"PayloadContent"`
	PayloadDescription       string `plist:"PayloadDescription,omitempty"`
	PayloadDisplayName       string `plist:"PayloadDisplayName"`
	PayloadIdentifier        string `plist:"PayloadIdentifier"`
	PayloadOrganization      string `plist:"PayloadOrganization,omitempty"`
	PayloadRemovalDisallowed bool   `plist:"PayloadRemovalDisallowed"`
	PayloadType              string `plist:"PayloadType"`
	PayloadUUID              string `plist:"PayloadUUID"`
	PayloadVersion           int    `plist:"PayloadVersion"`
}

// mailPayload is a com.apple.mail.managed payload.
type mailPayload struct {
	EmailAccountDescription                string `plist:"EmailAccountDescription,omitempty"`
	EmailAccountName                       string `plist:"EmailAccountName,omitempty"`
	EmailAccountType                       string `plist:"EmailAccountType"`
	EmailAddress                           string `plist:"EmailAddress"`
	IncomingMailServerAuthentication       string `plist:"IncomingMailServerAuthentication"`
	IncomingMailServerHostName             string `plist:"IncomingMailServerHostName"`
	IncomingMailServerPortNumber           int    `plist:"IncomingMailServerPortNumber"`
	IncomingMailServerUseSSL               bool   `plist:"IncomingMailServerUseSSL"`
	IncomingMailServerUsername             string `plist:"IncomingMailServerUsername"`
	IncomingPassword                       string `plist:"IncomingPassword,omitempty"`
	OutgoingMailServerAuthentication       string `plist:"OutgoingMailServerAuthentication"`
	OutgoingMailServerHostName             string `plist:"OutgoingMailServerHostName"`
	OutgoingMailServerPortNumber           int    `plist:"OutgoingMailServerPortNumber"`
	OutgoingMailServerUseSSL               bool   `plist:"OutgoingMailServerUseSSL"`
	OutgoingMailServerUsername             string `plist:"OutgoingMailServerUsername"`
	OutgoingPassword                       string `plist:"OutgoingPassword,omitempty"`
	OutgoingPasswordSameAsIncomingPassword bool   `plist:"OutgoingPasswordSameAsIncomingPassword"`
	PayloadDescription                     string `plist:"PayloadDescription"`
	PayloadDisplayName                     string `plist:"PayloadDisplayName"`
	PayloadIdentifier                      string `plist:"PayloadIdentifier"`
	PayloadType                            string `plist:"PayloadType"`
	PayloadUUID                            string `plist:"PayloadUUID"`
	PayloadVersion                         int    `plist:"PayloadVersion"`
}

// removalPasswordPayload is a com.apple.profileRemovalPassword payload.
type removalPasswordPayload struct {
	PayloadDescription string `plist:"PayloadDescription"`
	PayloadDisplayName string `plist:"PayloadDisplayName"`
	PayloadIdentifier  string `plist:"PayloadIdentifier"`
	PayloadType        string `plist:"PayloadType"`
	PayloadUUID        string `plist:"PayloadUUID"`
	PayloadVersion     int    `plist:"PayloadVersion"`
	RemovalPassword    string `plist:"RemovalPassword"`
}

// MobileConfig returns the unsigned XML plist of an Apple configuration
// profile with one com.apple.mail.managed payload per account.
func MobileConfig(accounts []sb.EmailAccount, opt Options) ([]byte, error) {
	if len(accounts) == 0 {
		return nil, fmt.Errorf("profile without accounts")
	}
	uuid := opt.UUID
	if uuid == nil {
		uuid = NewUUID
	}
	prefix := ReverseHost(opt.Host)
	addrs := make([]string, len(accounts))
	for i, a := range accounts {
		addrs[i] = strings.ToLower(a.Address)
	}
	sorted := slices.Sorted(slices.Values(addrs))
	top := configuration{
		PayloadDescription:  "Configures mail for " + strings.Join(addrs, ", "),
		PayloadDisplayName:  opt.DisplayName,
		PayloadIdentifier:   prefix + ".mail." + strings.Join(sorted, "+"),
		PayloadOrganization: opt.Organization,
		PayloadType:         "Configuration",
		PayloadUUID:         uuid(),
		PayloadVersion:      1,
	}
	if top.PayloadDisplayName == "" {
		top.PayloadDisplayName = "Mail: " + strings.Join(addrs, ", ")
	}
	for i, a := range accounts {
		top.PayloadContent = append(top.PayloadContent, mailPayload{
			EmailAccountDescription:                a.AccountDescription,
			EmailAccountName:                       a.AccountName,
			EmailAccountType:                       a.AccountType,
			EmailAddress:                           a.Address,
			IncomingMailServerAuthentication:       a.IncomingAuth,
			IncomingMailServerHostName:             a.IncomingHost,
			IncomingMailServerPortNumber:           a.IncomingPort,
			IncomingMailServerUseSSL:               a.IncomingSSL,
			IncomingMailServerUsername:             a.IncomingUsername,
			IncomingPassword:                       a.IncomingPassword,
			OutgoingMailServerAuthentication:       a.OutgoingAuth,
			OutgoingMailServerHostName:             a.OutgoingHost,
			OutgoingMailServerPortNumber:           a.OutgoingPort,
			OutgoingMailServerUseSSL:               a.OutgoingSSL,
			OutgoingMailServerUsername:             a.OutgoingUsername,
			OutgoingPassword:                       a.OutgoingPassword,
			OutgoingPasswordSameAsIncomingPassword: a.OutgoingPasswordSameAsIncoming,
			PayloadDescription:                     "Mail account " + a.Address,
			PayloadDisplayName:                     orDefault(a.AccountDescription, a.Address),
			PayloadIdentifier:                      prefix + ".mail.account." + addrs[i],
			PayloadType:                            "com.apple.mail.managed",
			PayloadUUID:                            uuid(),
			PayloadVersion:                         1,
		})
	}
	if opt.RemovalPassword != "" {
		top.PayloadContent = append(top.PayloadContent, removalPasswordPayload{
			PayloadDescription: "Password needed to remove this profile",
			PayloadDisplayName: "Removal password",
			PayloadIdentifier:  top.PayloadIdentifier + ".removal-password",
			PayloadType:        "com.apple.profileRemovalPassword",
			PayloadUUID:        uuid(),
			PayloadVersion:     1,
			RemovalPassword:    opt.RemovalPassword,
		})
	}
	return plist.MarshalIndent(top, plist.XMLFormat, "\t")
}

// Filename is the download name of a profile for the given addresses.
func Filename(accounts []sb.EmailAccount) string {
	name := "mail"
	if len(accounts) == 1 {
		name = accounts[0].Address
	}
	var b strings.Builder
	for _, r := range name {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".-_@+", r) {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String() + ".mobileconfig"
}

// ReverseHost turns "config.example.com:8443" into "com.example.config".
func ReverseHost(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(strings.ToLower(host), ".[]")
	if host == "" {
		return "switchboard"
	}
	labels := strings.Split(host, ".")
	slices.Reverse(labels)
	return strings.Join(labels, ".")
}

// NewUUID returns a random version 4 UUID in the upper case Apple uses.
func NewUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%X-%X-%X-%X-%X", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
