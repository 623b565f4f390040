package profile_test

import (
	"encoding/xml"
	"maps"
	"testing"

	"github.com/switchboard/switchboard/internal/profile"
)

// applyXML2LPC applies a provisioning document to a phone's configuration
// the way liblinphone's xml2lpc does: a key the phone has is replaced only
// when its <entry> says overwrite="true" (a <section>'s attribute is not
// read), and an empty value removes the key.
func applyXML2LPC(conf map[string]map[string]string, doc []byte) error {
	var c profile.LinphoneConfig
	if err := xml.Unmarshal(doc, &c); err != nil {
		return err
	}
	for _, s := range c.Sections {
		for _, e := range s.Entries {
			if _, has := conf[s.Name][e.Name]; has && e.Overwrite != "true" {
				continue
			}
			if conf[s.Name] == nil {
				conf[s.Name] = map[string]string{}
			}
			if e.Value == "" {
				delete(conf[s.Name], e.Name)
			} else {
				conf[s.Name][e.Name] = e.Value
			}
		}
	}
	return nil
}

// TestLinphoneReplacesAnEarlierAccount: a phone that already had an
// account 0 ends up with the new account only, registering with the new
// identity to the new server.
func TestLinphoneReplacesAnEarlierAccount(t *testing.T) {
	doc, err := xml.Marshal(profile.Linphone(nil, &profile.LinphoneAccount{Username: "alice1", Domain: "sip.example.org",
		Realm: "sip.example.org", HA1: "0123abcd", Algorithm: "SHA-256"}))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]string{
		"proxy_0": {"reg_identity": "<sip:alice1@sip.example.org>", "reg_proxy": "<sip:sip.example.org;transport=tls>",
			"reg_sendregister": "1", "realm": "sip.example.org"},
		"auth_info_0": {"username": "alice1", "domain": "sip.example.org", "realm": "sip.example.org", "ha1": "0123abcd",
			"algorithm": "SHA-256"},
	}
	phones := []struct {
		name string
		conf map[string]map[string]string
	}{
		{"a new phone", map[string]map[string]string{}},
		{"a phone with an old account 0", map[string]map[string]string{
			"proxy_0": {"reg_identity": "<sip:old@old.example>", "reg_proxy": "<sip:old.example>", "reg_route": "<sip:old.example;lr>",
				"reg_sendregister": "0", "realm": "old.example"},
			"auth_info_0": {"username": "old", "userid": "old-id", "passwd": "old-password", "domain": "old.example",
				"realm": "old.example", "ha1": "ffff", "algorithm": "MD5"},
		}},
	}
	for _, p := range phones {
		t.Run(p.name+" ends up with the new account only", func(t *testing.T) {
			if err := applyXML2LPC(p.conf, doc); err != nil {
				t.Fatal(err)
			}
			for section, entries := range want {
				if !maps.Equal(p.conf[section], entries) {
					t.Errorf("[%s] = %v, want %v", section, p.conf[section], entries)
				}
			}
		})
	}
	t.Run("no section relies on an overwrite attribute liblinphone ignores", func(t *testing.T) {
		var c profile.LinphoneConfig
		if err := xml.Unmarshal(doc, &c); err != nil {
			t.Fatal(err)
		}
		for _, s := range c.Sections {
			if s.Overwrite != "" {
				t.Errorf("section %s has overwrite=%q", s.Name, s.Overwrite)
			}
			for _, e := range s.Entries {
				if e.Overwrite != "true" {
					t.Errorf("[%s] %s lacks overwrite=\"true\"", s.Name, e.Name)
				}
			}
		}
	})
}

// TestLinphoneRegistrar: with a registrar, a phone that had another
// account 0 ends up registering and routing through the registrar.
func TestLinphoneRegistrar(t *testing.T) {
	const reg = "sip:sip.example.org;transport=tcp"
	doc, err := xml.Marshal(profile.Linphone(nil, &profile.LinphoneAccount{Username: "alice1", Domain: "example.org",
		Realm: "example.org", HA1: "0123abcd", Algorithm: "SHA-256", Registrar: reg}))
	if err != nil {
		t.Fatal(err)
	}
	conf := map[string]map[string]string{"proxy_0": {"reg_proxy": "<sip:old.example>", "reg_route": "<sip:old.example;lr>"}}
	if err := applyXML2LPC(conf, doc); err != nil {
		t.Fatal(err)
	}
	if got := conf["proxy_0"]; got["reg_proxy"] != "<"+reg+">" || got["reg_route"] != "<"+reg+">" {
		t.Fatalf("proxy_0 = %v", got)
	}
}

// TestCheckRegistrar: what --sip-registrar accepts.
func TestCheckRegistrar(t *testing.T) {
	cases := []struct {
		uri string
		ok  bool
	}{
		{"sip:sip.example.org;transport=tcp", true},
		{"sip:sip.example.org", true},
		{"sips:sip.example.org:5061", true},
		{"SIP:[2001:db8::1]:5060;transport=udp", true},
		{"sip:proxy@sip.example.org", true},
		{"", false},
		{"sip.example.org", false},
		{"http://sip.example.org", false},
		{"tel:+33123456789", false},
		{"sip:", false},
		{"sip:;transport=tcp", false},
		{"sip::5060", false},
		{"<sip:sip.example.org>", false},
		{"sip:sip.example.org; transport=tcp", false},
	}
	for _, c := range cases {
		t.Run(c.uri, func(t *testing.T) {
			if err := profile.CheckRegistrar(c.uri); (err == nil) != c.ok {
				t.Fatalf("CheckRegistrar(%q) = %v, want ok=%v", c.uri, err, c.ok)
			}
		})
	}
}
