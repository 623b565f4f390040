package profile

import (
	"bytes"
	"encoding/xml"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"howett.net/plist"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/profile/profiletest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the golden file (go test -update rewrites it):\n%s", name, got)
	}
}

// counter is a deterministic UUID source.
func counter() func() string {
	n := 0
	return func() string {
		n++
		return fmt.Sprintf("00000000-0000-4000-8000-%012d", n)
	}
}

func sampleAccounts() []sb.EmailAccount {
	return []sb.EmailAccount{{
		Address: "my@email.com", AccountType: sb.EmailTypeIMAP, AccountName: "Testy McEmailface",
		IncomingAuth: sb.EmailAuthPassword, IncomingHost: "mail.email.com", IncomingPort: 993,
		IncomingUsername: "my@email.com", IncomingPassword: "mysecureemailpassword", IncomingSSL: true,
		OutgoingAuth: sb.EmailAuthPassword, OutgoingHost: "mail.email.com", OutgoingPort: 587,
		OutgoingUsername: "my@email.com", OutgoingPassword: "mysecureemailpassword", OutgoingSSL: true,
	}, {
		Address: "second@email.com", AccountType: sb.EmailTypePOP, AccountDescription: "Work <&>",
		IncomingAuth: sb.EmailAuthCRAMMD5, IncomingHost: "pop.email.com", IncomingPort: 995,
		IncomingUsername: "second", IncomingSSL: true,
		OutgoingAuth: sb.EmailAuthNone, OutgoingHost: "smtp.email.com", OutgoingPort: 25, OutgoingUsername: "second",
	}}
}

func TestMobileConfigMatchesGoldenFile(t *testing.T) {
	got, err := MobileConfig(sampleAccounts(), Options{Host: "config.example.net:8443", Organization: "Example",
		RemovalPassword: "remove-me", UUID: counter()})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "profile.mobileconfig", got)
}

func TestMobileConfigDecodesToTheSubmittedValues(t *testing.T) {
	data, err := MobileConfig(sampleAccounts(), Options{Host: "config.example.net"})
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if _, err := plist.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["PayloadType"] != "Configuration" || doc["PayloadIdentifier"] != "net.example.config.mail.my@email.com+second@email.com" {
		t.Fatalf("top level: %v", doc)
	}
	content := doc["PayloadContent"].([]any)
	if len(content) != 2 {
		t.Fatalf("%d payloads, want 2 (no removal password asked)", len(content))
	}
	p := content[0].(map[string]any)
	for k, want := range map[string]any{
		"PayloadType": "com.apple.mail.managed", "EmailAddress": "my@email.com", "EmailAccountName": "Testy McEmailface",
		"IncomingPassword": "mysecureemailpassword", "OutgoingMailServerPortNumber": uint64(587),
		"IncomingMailServerUseSSL": true, "PayloadIdentifier": "net.example.config.mail.account.my@email.com",
	} {
		if p[k] != want {
			t.Errorf("%s = %#v, want %#v", k, p[k], want)
		}
	}
	if content[1].(map[string]any)["IncomingPassword"] != nil {
		t.Error("an absent password was written")
	}
	// Fresh UUIDs, unique within the profile.
	seen := map[any]bool{doc["PayloadUUID"]: true}
	for _, c := range content {
		u := c.(map[string]any)["PayloadUUID"]
		if seen[u] || len(u.(string)) != 36 {
			t.Fatalf("bad or repeated UUID %v", u)
		}
		seen[u] = true
	}
}

func TestAutoconfigMatchesGoldenFileAndParsesBack(t *testing.T) {
	s := Servers{IMAPHost: "imap.host.example", IMAPPort: 993, IMAPSecurity: SSL,
		SMTPHost: "smtp.host.example", SMTPPort: 587, SMTPSecurity: STARTTLS}
	got, err := Autoconfig("example.com", s)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "autoconfig.xml", got)
	var doc clientConfig
	if err := xml.Unmarshal(got, &doc); err != nil {
		t.Fatal(err)
	}
	p := doc.Provider
	if doc.Version != "1.1" || p.ID != "example.com" || p.Incoming.Type != "imap" || p.Outgoing.SocketType != "STARTTLS" ||
		p.Incoming.Username != "%EMAILADDRESS%" || p.Outgoing.Authentication != "password-cleartext" {
		t.Fatalf("parsed back: %+v", doc)
	}

	got, err = Autodiscover("bob@example.com", s)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "autodiscover.xml", got)
	var ad struct {
		Response struct {
			XMLName xml.Name
			Account struct {
				Protocol []struct{ Type, Server, Port, LoginName, Encryption string }
			}
		}
	}
	if err := xml.Unmarshal(got, &ad); err != nil {
		t.Fatal(err)
	}
	if ad.Response.XMLName.Space != OutlookResponseNS || len(ad.Response.Account.Protocol) != 2 {
		t.Fatalf("parsed back: %+v", ad)
	}
	if pr := ad.Response.Account.Protocol[1]; pr.Type != "SMTP" || pr.Port != "587" || pr.Encryption != "TLS" || pr.LoginName != "bob@example.com" {
		t.Fatalf("SMTP protocol: %+v", pr)
	}
}

func TestParseAutodiscoverRequest(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"an Outlook request gives its address", `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="` + AutodiscoverRequestNS + `"><Request><EMailAddress> bob@example.com </EMailAddress>
<AcceptableResponseSchema>` + OutlookResponseNS + `</AcceptableResponseSchema></Request></Autodiscover>`, "bob@example.com"},
		{"a request without an address is refused", `<Autodiscover><Request/></Autodiscover>`, ""},
		{"another root element is refused", `<Other><Request><EMailAddress>a@b.c</EMailAddress></Request></Other>`, ""},
		{"garbage is refused", `not xml`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAutodiscoverRequest(strings.NewReader(tt.body))
			if got != tt.want || (tt.want == "") != (err != nil) {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func FuzzParseAutodiscoverRequest(f *testing.F) {
	f.Add(`<Autodiscover><Request><EMailAddress>a@b.c</EMailAddress></Request></Autodiscover>`)
	f.Add(`<Autodiscover xmlns="x"><Request><EMailAddress><![CDATA[a@b.c]]></EMailAddress></Request></Autodiscover>`)
	f.Fuzz(func(t *testing.T, body string) {
		email, err := ParseAutodiscoverRequest(strings.NewReader(body))
		if err == nil && (email == "" || len(email) > 320) {
			t.Fatalf("accepted %q", email)
		}
	})
}

// TestSignedProfileVerifiesWithOpenSSL checks the signature, the embedded
// chain and the content with an independent implementation.
func TestSignedProfileVerifiesWithOpenSSL(t *testing.T) {
	pki := profiletest.New(t)
	certPEM, _ := os.ReadFile(pki.ChainFile)
	keyPEM, _ := os.ReadFile(pki.KeyFile)
	signer, err := NewSigner(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	content, err := MobileConfig(sampleAccounts(), Options{Host: "config.example.net"})
	if err != nil {
		t.Fatal(err)
	}
	signed, err := signer.Sign(content)
	if err != nil {
		t.Fatal(err)
	}
	if got := pki.Verify(t, signed); !bytes.Equal(got, content) {
		t.Fatal("verified content differs from the profile")
	}
	t.Run("a foreign CA is refused", func(t *testing.T) {
		if _, err := profiletest.New(t).VerifyErr(signed); err == nil {
			t.Fatal("openssl verified against a foreign CA")
		}
	})
}

func TestNewSignerRefusesAMismatchedKey(t *testing.T) {
	certPEM, _ := os.ReadFile(profiletest.New(t).ChainFile)
	keyPEM, _ := os.ReadFile(profiletest.New(t).KeyFile)
	if _, err := NewSigner(certPEM, keyPEM); err == nil {
		t.Fatal("a key of another certificate was accepted")
	}
}
