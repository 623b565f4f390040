package profile

import (
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
)

// LinphoneNS is the namespace of liblinphone remote-provisioning documents.
const LinphoneNS = "http://www.linphone.org/xsds/lpconfig.xsd"

// LinphoneConfig is a liblinphone remote-provisioning document:
// <config xmlns=...> with <section name=...><entry name=...>value</entry>.
type LinphoneConfig struct {
	XMLName  xml.Name          `xml:"config"`
	Xmlns    string            `xml:"xmlns,attr"`
	Sections []LinphoneSection `xml:"section"`
}

// LinphoneSection is one [section] of the configuration.
type LinphoneSection struct {
	Name      string          `xml:"name,attr"`
	Overwrite string          `xml:"overwrite,attr,omitempty"`
	Entries   []LinphoneEntry `xml:"entry"`
}

// LinphoneEntry is one key = value.
type LinphoneEntry struct {
	Name      string `xml:"name,attr"`
	Overwrite string `xml:"overwrite,attr,omitempty"`
	Value     string `xml:",chardata"`
}

// LinphoneAccount is what provisioning adds for an account: digest
// credentials as HA1, never a clear password.
type LinphoneAccount struct {
	Username, Domain, Realm string
	HA1, Algorithm          string
	// Registrar is the SIP URI the phone registers to and routes through
	// (CheckRegistrar); "": the account's domain over TLS, without a route.
	Registrar string
}

// CheckRegistrar reports whether uri can go in a phone's reg_proxy and
// reg_route: a sip: or sips: URI with a host, without the angle brackets
// (they are added) or spaces, e.g. "sip:sip.example.org;transport=tcp".
func CheckRegistrar(uri string) error {
	if strings.ContainsAny(uri, "<> \t\r\n\"") {
		return fmt.Errorf("registrar %q: give the bare URI, without angle brackets, quotes or spaces", uri)
	}
	scheme, rest, ok := strings.Cut(uri, ":")
	if !ok || !strings.EqualFold(scheme, "sip") && !strings.EqualFold(scheme, "sips") {
		return fmt.Errorf("registrar %q is not a sip: or sips: URI (e.g. sip:sip.example.org;transport=tcp)", uri)
	}
	host := rest
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	if i := strings.IndexAny(host, ";?"); i >= 0 {
		host = host[:i]
	}
	if host == "" || strings.HasPrefix(host, ":") {
		return fmt.Errorf("registrar %q has no host", uri)
	}
	return nil
}

// ParseLinphone reads a base configuration file.
func ParseLinphone(data []byte) (*LinphoneConfig, error) {
	var c LinphoneConfig
	if err := xml.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("provisioning base: %w", err)
	}
	if c.XMLName.Space != "" && c.XMLName.Space != LinphoneNS {
		return nil, errors.New("provisioning base: not an lpconfig document")
	}
	for _, s := range c.Sections {
		if s.Name == "proxy_0" || s.Name == "auth_info_0" {
			return nil, errors.New("provisioning base: proxy_0 and auth_info_0 are filled in per account; leave them out")
		}
	}
	return &c, nil
}

// Linphone builds the document: the base sections, then, for an account,
// its proxy_0 and auth_info_0 sections.
//
// liblinphone (xml2lpc) honours overwrite="true" on an <entry> only, never
// on a <section>, and keeps a key it already has otherwise; an empty value
// removes the key. So every account entry carries overwrite="true", and the
// keys a phone may hold from an earlier account 0 but that would send it
// elsewhere or make it log in as someone else (reg_route, userid, passwd)
// come as empty entries, which clears them. With a registrar, reg_proxy and
// reg_route both name it, as liblinphone's own account setup writes them
// (the outbound proxy is the server itself), so every request goes there.
func Linphone(base *LinphoneConfig, a *LinphoneAccount) LinphoneConfig {
	out := LinphoneConfig{Xmlns: LinphoneNS}
	if base != nil {
		out.Sections = append(out.Sections, base.Sections...)
	}
	if a == nil {
		return out
	}
	e := func(name, value string) LinphoneEntry {
		return LinphoneEntry{Name: name, Overwrite: "true", Value: value}
	}
	identity := "sip:" + a.Username + "@" + a.Domain
	proxy, route := "<sip:"+a.Domain+";transport=tls>", ""
	if a.Registrar != "" {
		proxy, route = "<"+a.Registrar+">", "<"+a.Registrar+">"
	}
	out.Sections = append(out.Sections,
		LinphoneSection{Name: "proxy_0", Entries: []LinphoneEntry{
			e("reg_identity", "<"+identity+">"),
			e("reg_proxy", proxy),
			e("reg_route", route),
			e("reg_sendregister", "1"),
			e("realm", a.Realm),
		}},
		LinphoneSection{Name: "auth_info_0", Entries: []LinphoneEntry{
			e("username", a.Username),
			e("userid", ""),
			e("passwd", ""),
			e("domain", a.Domain),
			e("realm", a.Realm),
			e("ha1", a.HA1),
			e("algorithm", a.Algorithm),
		}},
	)
	return out
}
