package profile

import (
	"encoding/xml"
	"testing"
)

// TestLinphoneGolden: the provisioning document of an account, with the
// default proxy (the domain over TLS, reg_route cleared) and with a
// registrar (reg_proxy and reg_route both name it).
func TestLinphoneGolden(t *testing.T) {
	base := &LinphoneConfig{Sections: []LinphoneSection{{Name: "sip", Entries: []LinphoneEntry{{Name: "default_proxy", Value: "0"}}}}}
	cases := []struct {
		name, file, registrar string
	}{
		{"without a registrar the phone registers to its domain over TLS", "linphone.xml", ""},
		{"with a registrar the phone registers and routes through it", "linphone-registrar.xml", "sip:sip.example.org;transport=tcp"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := Linphone(base, &LinphoneAccount{Username: "alice1", Domain: "example.org", Realm: "example.org",
				HA1: "0123abcd", Algorithm: "SHA-256", Registrar: c.registrar})
			out, err := xml.MarshalIndent(doc, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, c.file, append(append([]byte(xml.Header), out...), '\n'))
		})
	}
}
