package switchboard

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestInstance(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"quotes and angle brackets go", `"<urn:uuid:0a1b2c3d-0000-4000-8000-00000000000a>"`, "urn:uuid:0a1b2c3d-0000-4000-8000-00000000000a"},
		{"angle brackets go", `<urn:uuid:f00>`, "urn:uuid:f00"},
		{"a bare value stays", `urn:uuid:f00`, "urn:uuid:f00"},
		{"blanks around go", "  <urn:gsma:imei:35-209900-176148-1>  ", "urn:gsma:imei:35-209900-176148-1"},
		{"none is empty", "", ""},
		{"a lone quote stays", `"`, `"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Instance(tt.in); got != tt.want {
				t.Fatalf("Instance(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestDeviceID(t *testing.T) {
	t.Run("the instance is the id", func(t *testing.T) {
		if got := DeviceID(`"<urn:uuid:abc>"`, "sip:a@1.2.3.4"); got != "urn:uuid:abc" {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("without an instance the id is the contact's digest, stable and distinct", func(t *testing.T) {
		a, b := DeviceID("", "sip:a@1.2.3.4:5060"), DeviceID("", "sip:a@1.2.3.4:5061")
		if a != DeviceID("", "sip:a@1.2.3.4:5060") || a == b {
			t.Fatalf("ids %q %q", a, b)
		}
		if !strings.HasPrefix(a, "contact-") || len(a) != len("contact-")+32 {
			t.Fatalf("id %q", a)
		}
	})
}

func TestContactPush(t *testing.T) {
	tests := []struct {
		name, in string
		want     *PushToken
	}{
		{"RFC 8599 parameters are read", "sip:alice@10.0.0.7:5060;transport=tcp;pn-provider=fcm;pn-param=ABCD1234.org.linphone.phone;pn-prid=tok123",
			&PushToken{Provider: "fcm", Param: "ABCD1234.org.linphone.phone", PRID: "tok123"}},
		{"angle brackets and header params around the URI", `<sip:alice@10.0.0.7;pn-provider=apns;pn-prid=dev;pn-param=TEAM.org.app.voip>;expires=3600`,
			&PushToken{Provider: "apns", Param: "TEAM.org.app.voip", PRID: "dev"}},
		{"names are case-insensitive and values unescaped", "sip:a@h;PN-Provider=fcm;Pn-Prid=a%3Ab%3ac;pn-param=p%zz",
			&PushToken{Provider: "fcm", Param: "p%zz", PRID: "a:b:c"}},
		{"URI headers are not parameters", "sip:a@h;pn-provider=fcm?pn-prid=x", &PushToken{Provider: "fcm"}},
		{"a ';' in the user part is no parameter", "sip:alice;pn-provider=evil@h;transport=udp", nil},
		{"no pn-provider, no push", "sip:alice@10.0.0.7;pn-prid=orphan", nil},
		{"a plain contact has none", "sip:alice@10.0.0.7:5060", nil},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ContactPush(tt.in)
			if (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want {
				t.Fatalf("ContactPush(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzContactPush(f *testing.F) {
	for _, s := range []string{"sip:alice@10.0.0.7:5060;transport=tcp;pn-provider=fcm;pn-param=X;pn-prid=Y",
		"<sip:a@h;pn-provider=apns>", "sip:a@h;pn-prid=%", "sip:a;b@h;pn-provider=%41"} {
		f.Add(s, `"<urn:uuid:1>"`)
	}
	f.Fuzz(func(t *testing.T, contact, instance string) {
		p := ContactPush(contact)
		if p != nil && p.Provider == "" {
			t.Fatalf("a push token without a provider from %q", contact)
		}
		if p != nil && utf8.ValidString(contact) && !strings.Contains(contact, "%") && !strings.Contains(contact, p.Provider) {
			t.Fatalf("provider %q is not in %q", p.Provider, contact)
		}
		id := DeviceID(instance, contact)
		if id == "" || id != DeviceID(instance, contact) {
			t.Fatalf("DeviceID(%q, %q) = %q, not stable", instance, contact, id)
		}
		if inst := Instance(instance); inst != "" && id != inst {
			t.Fatalf("DeviceID(%q, ...) = %q, not the instance %q", instance, id, inst)
		}
	})
}
