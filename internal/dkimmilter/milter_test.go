package dkimmilter

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/emersion/go-milter"
	msgdkim "github.com/emersion/go-msgauth/dkim"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/dkim"
)

// keys holds one domain's key, as the store would.
type keys struct {
	domain string
	pem    []byte
}

func (k keys) ActiveDKIMKey(ctx context.Context, domain string) (string, []byte, error) {
	if domain != k.domain {
		return "", nil, sb.Errorf(sb.ENOTFOUND, "no key")
	}
	return "s1", k.pem, nil
}

// TestMilter drives the milter with go-milter's client, the way Postfix
// does, and checks which messages get a valid signature.
func TestMilter(t *testing.T) {
	key, err := dkim.Generate("rsa")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go Serve(ctx, ln, Config{Keys: keys{"example.org", key.PrivatePEM},
		Trusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})

	for _, tc := range []struct {
		name, client, authUser, from string
		signed                       bool
	}{
		{"signs mail from a trusted network", "10.1.2.3", "", "Alice <alice@example.org>", true},
		{"signs mail from an authenticated client anywhere", "203.0.113.9", "alice@example.org", "alice@EXAMPLE.org", true},
		{"leaves incoming mail from outside alone", "203.0.113.9", "", "alice@example.org", false},
		{"leaves mail of a domain without a key alone", "10.1.2.3", "", "bob@other.example", false},
		{"leaves mail without a From header alone", "10.1.2.3", "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			header := "To: bob@example.net\r\nSubject: Hello\r\n"
			if tc.from != "" {
				header = "From: " + tc.from + "\r\n" + header
			}
			body := "Hi Bob,\r\n\r\n  see you.\r\n"
			sig := exchange(t, ln.Addr().String(), tc.client, tc.authUser, header, body)
			if !tc.signed {
				if sig != "" {
					t.Fatalf("signed: %s", sig)
				}
				return
			}
			if sig == "" {
				t.Fatal("no DKIM-Signature added")
			}
			raw := "DKIM-Signature: " + strings.ReplaceAll(sig, "\n", "\r\n") + "\r\n" + header + "\r\n" + body
			vs, err := msgdkim.VerifyWithOptions(strings.NewReader(raw), &msgdkim.VerifyOptions{
				LookupTXT: func(string) ([]string, error) { return []string{dkim.DNSValue("rsa", key.Public)}, nil }})
			if err != nil || len(vs) != 1 || vs[0].Err != nil || vs[0].Domain != "example.org" {
				t.Fatalf("verify: %v %+v", err, vs)
			}
		})
	}
}

// exchange sends one message through the milter and returns the value of
// the DKIM-Signature header it inserts, if any.
func exchange(t *testing.T, addr, clientIP, authUser, header, body string) string {
	t.Helper()
	c := milter.NewClientWithOptions("tcp", addr, milter.ClientOptions{
		ActionMask: milter.OptAddHeader, ProtocolMask: 0})
	defer c.Close()
	s, err := c.Session()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Conn("client.example", milter.FamilyInet, 25, clientIP); err != nil {
		t.Fatal(err)
	}
	if authUser != "" {
		if err := s.Macros(milter.CodeMail, "{auth_authen}", authUser); err != nil {
			t.Fatal(err)
		}
	}
	act, err := s.Mail("<sender@example.org>", nil)
	if err != nil {
		t.Fatal(err)
	}
	if act.Code == milter.ActAccept {
		return ""
	}
	for _, line := range strings.Split(strings.TrimSuffix(header, "\r\n"), "\r\n") {
		k, v, _ := strings.Cut(line, ": ")
		if _, err := s.HeaderField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.HeaderEnd(); err != nil {
		t.Fatal(err)
	}
	mods, _, err := s.BodyReadFrom(bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mods {
		if m.Code == milter.ActInsertHeader && m.HeaderName == "DKIM-Signature" {
			return m.HeaderValue
		}
	}
	return ""
}

// BenchmarkSignature is the milter's per-message cost beyond the key
// lookup: one signature over a 10 KiB message.
func BenchmarkSignature(b *testing.B) {
	header := []byte("From: alice@example.org\r\nTo: bob@example.net\r\nSubject: Hello\r\n")
	body := bytes.Repeat([]byte("A line of a longer message body.\r\n"), 300)
	for _, alg := range []string{"rsa", "ed25519"} {
		key, err := dkim.Generate(alg)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(alg, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := Signature(header, body, "example.org", "s1", key.PrivatePEM); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
