package dkim

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	msgdkim "github.com/emersion/go-msgauth/dkim"
)

const message = "From: alice@example.com\r\nTo: bob@example.org\r\nSubject: hello\r\nDate: Wed, 25 Nov 2026 10:00:00 +0000\r\nMessage-ID: <1@example.com>\r\n\r\nHello Bob.\r\n"

// verify checks a signed message against a published TXT record, the way a
// receiving server would (the DNS lookup is injected).
func verify(t *testing.T, signed []byte, name, record string) error {
	t.Helper()
	vs, err := msgdkim.VerifyWithOptions(bytes.NewReader(signed), &msgdkim.VerifyOptions{
		LookupTXT: func(domain string) ([]string, error) {
			if domain != name {
				return nil, fmt.Errorf("no TXT record for %s", domain)
			}
			return []string{record}, nil
		},
	})
	if err != nil {
		return err
	}
	if len(vs) != 1 {
		return fmt.Errorf("%d signatures", len(vs))
	}
	return vs[0].Err
}

func TestSignVerifiesWithPublishedRecord(t *testing.T) {
	for _, alg := range []string{RSA, Ed25519} {
		t.Run(alg+" keys sign mail that verifies against their DNS record", func(t *testing.T) {
			k, err := Generate(alg)
			if err != nil {
				t.Fatal(err)
			}
			record := DNSValue(alg, k.Public)
			if !strings.HasPrefix(record, "v=DKIM1; k="+alg+"; p=") {
				t.Fatalf("record %q", record)
			}
			var signed bytes.Buffer
			if err := Sign(&signed, strings.NewReader(message), "example.com", "s1", k.PrivatePEM); err != nil {
				t.Fatal(err)
			}
			if err := verify(t, signed.Bytes(), DNSName("s1", "example.com"), record); err != nil {
				t.Fatalf("verification failed: %v", err)
			}
			other, _ := Generate(alg)
			if err := verify(t, signed.Bytes(), DNSName("s1", "example.com"), DNSValue(alg, other.Public)); err == nil {
				t.Fatal("verified against another key's record")
			}
			tampered := bytes.Replace(signed.Bytes(), []byte("Hello Bob."), []byte("Hello Eve."), 1)
			if err := verify(t, tampered, DNSName("s1", "example.com"), record); err == nil {
				t.Fatal("a changed body verified")
			}
		})
	}
	if _, err := Generate("dsa"); err == nil {
		t.Fatal("an unknown algorithm was accepted")
	}
}

func TestZoneStrings(t *testing.T) {
	long := strings.Repeat("a", 300)
	for _, tc := range []struct{ name, in, want string }{
		{"a short value is one string", "v=DKIM1; k=ed25519; p=abc", `"v=DKIM1; k=ed25519; p=abc"`},
		{"255 bytes are still one string", long[:255], `"` + long[:255] + `"`},
		{"a longer value is split at 255 bytes", long, `"` + long[:255] + `" "` + long[255:] + `"`},
		{"nothing is nothing", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ZoneStrings(tc.in); got != tc.want {
				t.Fatalf("ZoneStrings = %q, want %q", got, tc.want)
			}
		})
	}
	if got := ZoneLine("s._domainkey.example.com", "v=DKIM1"); got != `s._domainkey.example.com. IN TXT ( "v=DKIM1" )` {
		t.Fatalf("ZoneLine = %q", got)
	}
}
