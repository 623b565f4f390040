package service

import (
	"strings"
	"testing"
	"unicode"

	sb "github.com/switchboard/switchboard"
)

// wantInvalid checks that err is code refusing field.
func wantInvalid(t *testing.T, err error, code, field string) {
	t.Helper()
	if err == nil {
		t.Fatal("accepted, want a refusal")
	}
	if sb.ErrorCode(err) != code || sb.ErrorField(err) != field {
		t.Fatalf("error %v (code %q, field %q), want code %q for field %q", err, sb.ErrorCode(err), sb.ErrorField(err), code, field)
	}
}

func TestNormalizeDomain(t *testing.T) {
	accepted := []struct {
		name, in, want string
	}{
		{"a plain name is kept", "a.test", "a.test"},
		{"upper case is folded", "A.TEST", "a.test"},
		{"surrounding space is trimmed", "  a.test\t", "a.test"},
		{"the root dot is dropped", "a.test.", "a.test"},
		{"a fullwidth letter maps to ASCII", "ａ.test", "a.test"},
		{"fullwidth letters and dot map to ASCII", "ＡＢＣ．ｔｅｓｔ", "abc.test"},
		{"an IDN becomes punycode", "Bücher.Example", "xn--bcher-kva.example"},
		{"punycode is kept", "xn--bcher-kva.example", "xn--bcher-kva.example"},
		{"digits and inner hyphens are allowed", "a-1.b2.test", "a-1.b2.test"},
		{"a 63-byte label is allowed", strings.Repeat("x", 63) + ".test", strings.Repeat("x", 63) + ".test"},
	}
	for _, tt := range accepted {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeDomain("domain", tt.in)
			if err != nil || got != tt.want {
				t.Fatalf("NormalizeDomain(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
	refused := []struct {
		name, in string
	}{
		{"an empty name is refused", ""},
		{"a blank name is refused", "   "},
		{"a single label is refused", "localhost"},
		{"an empty label is refused", "a..test"},
		{"two root dots are refused", "a.test.."},
		{"a leading dot is refused", ".a.test"},
		{"a label starting with a hyphen is refused", "-a.test"},
		{"a label ending with a hyphen is refused", "a-.test"},
		{"an underscore is refused", "a_b.test"},
		{"a space inside is refused", "a b.test"},
		{"a slash is refused", "a/b.test"},
		{"a backslash is refused", `a\b.test`},
		{"NUL is refused", "a\x00b.test"},
		{"a numeric top-level label is refused", "a.123"},
		{"invalid UTF-8 is refused", "\xff.test"},
		{"a 64-byte label is refused", strings.Repeat("x", 64) + ".test"},
		{"a name over 253 bytes is refused", strings.Repeat("abcdefghi.", 26) + "test"},
		{"an address is refused", "a@b.test"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeDomain("domain", tt.in)
			if err == nil {
				t.Fatalf("NormalizeDomain(%q) = %q, want a refusal", tt.in, got)
			}
			wantInvalid(t, err, sb.EINVALID, "domain")
		})
	}
}

func TestNormalizeEmail(t *testing.T) {
	t.Run("respelt identities normalise to the same key", func(t *testing.T) {
		for _, in := range []string{"d20@a.test", "D20@A.TEST", " d20@a.test", "d20@a.test.", "d20@ａ.test", "\td20@A.test.\n"} {
			local, domain, err := NormalizeEmail("email", in)
			if err != nil || local != "d20" || domain != "a.test" {
				t.Errorf("NormalizeEmail(%q) = %q, %q, %v; want d20, a.test", in, local, domain, err)
			}
		}
	})
	accepted := []struct {
		name, in, local, domain string
	}{
		{"dots, plus and atext symbols are allowed", "First.Last+tag!#$%&'*=?^_`{|}~-@example.com", "first.last+tag!#$%&'*=?^_`{|}~-", "example.com"},
		{"a 64-byte local part is allowed", strings.Repeat("x", 64) + "@a.test", strings.Repeat("x", 64), "a.test"},
		{"an IDN domain becomes punycode", "u@Bücher.example", "u", "xn--bcher-kva.example"},
	}
	for _, tt := range accepted {
		t.Run(tt.name, func(t *testing.T) {
			local, domain, err := NormalizeEmail("email", tt.in)
			if err != nil || local != tt.local || domain != tt.domain {
				t.Fatalf("NormalizeEmail(%q) = %q, %q, %v; want %q, %q", tt.in, local, domain, err, tt.local, tt.domain)
			}
		})
	}
	refused := []struct {
		name, in string
	}{
		{"an empty address is refused", ""},
		{"an address without @ is refused", "d20"},
		{"an empty local part is refused", "@a.test"},
		{"an empty domain is refused", "d20@"},
		{"a slash would nest one Maildir in another", "x/cur@b.test"},
		{"a leading slash is refused", "/x@b.test"},
		{"a backslash is refused", `x\cur@b.test`},
		{"NUL is refused", "x\x00@b.test"},
		{"a newline inside is refused", "x\ny@b.test"},
		{"a tab inside is refused", "x\ty@b.test"},
		{"DEL is refused", "x\x7f@b.test"},
		{"a leading dot is refused", ".x@b.test"},
		{"a trailing dot is refused", "x.@b.test"},
		{"a lone dot is refused", ".@b.test"},
		{"two dots are refused", "x..y@b.test"},
		{"a dot-dot local part is refused", "..@b.test"},
		{"a second @ is refused", "x@y@b.test"},
		{"a quoted local part is refused", `"x y"@b.test`},
		{"a space is refused", "x y@b.test"},
		{"a colon is refused", "sip:x@b.test"},
		{"a non-ASCII local part is refused", "ü@b.test"},
		{"a 65-byte local part is refused", strings.Repeat("x", 65) + "@a.test"},
		{"a single-label domain is refused", "x@localhost"},
		{"an invalid domain is refused", "x@a..test"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			local, domain, err := NormalizeEmail("email", tt.in)
			if err == nil {
				t.Fatalf("NormalizeEmail(%q) = %q, %q, want a refusal", tt.in, local, domain)
			}
			wantInvalid(t, err, sb.EINVALID, "email")
		})
	}
}

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"a long enough password is accepted", "password", true},
		{"length counts characters, not bytes", "ääääääää", true},
		{"the longest password is accepted", strings.Repeat("x", MaxPasswordLen), true},
		{"spaces and symbols are accepted", " pass word!€ ", true},
		{"an empty password is refused", "", false},
		{"a short password is refused", "s3cr3t!", false},
		{"a password over the byte limit is refused", strings.Repeat("x", MaxPasswordLen+1), false},
		{"NUL is refused", "pass\x00word", false},
		{"a carriage return is refused", "pass\rword", false},
		{"a newline is refused", "password\n", false},
		{"invalid UTF-8 is refused", strings.Repeat("\xff", 8), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPassword("password", tt.in, DefaultMinPasswordLen)
			if tt.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			wantInvalid(t, err, sb.EINVALID, "password")
			if tt.in != "" && strings.Contains(sb.ErrorMessage(err), tt.in) {
				t.Fatalf("the message %q repeats the password", sb.ErrorMessage(err))
			}
		})
	}
}

func TestCheckTenantName(t *testing.T) {
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"letters and digits are accepted", "Acme42", true},
		{"dot, hyphen, underscore and @ are accepted", "a.b-c_d@e", true},
		{"64 characters are accepted", strings.Repeat("t", 64), true},
		{"an empty name is refused", "", false},
		{"65 characters are refused", strings.Repeat("t", 65), false},
		{"a space is refused", "a b", false},
		{"a slash is refused", "a/b", false},
		{"a colon is refused", "a:b", false},
		{"NUL is refused", "a\x00b", false},
		{"a non-ASCII letter is refused", "ä", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckTenantName(tt.in)
			if tt.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			wantInvalid(t, err, sb.EINVALID, "name")
		})
	}
}

func TestParseSIPAddress(t *testing.T) {
	accepted := []struct {
		name, in, local, domain string
	}{
		{"a sip URI is read", "sip:Alice@Example.COM", "alice", "example.com"},
		{"a sips URI is read", "sips:alice@example.com", "alice", "example.com"},
		{"a bare address is read", "alice@example.com", "alice", "example.com"},
		{"surrounding space is trimmed", " sip:alice@example.com. ", "alice", "example.com"},
		{"a fullwidth domain maps to ASCII", "sip:d20@ａ.test", "d20", "a.test"},
	}
	for _, tt := range accepted {
		t.Run(tt.name, func(t *testing.T) {
			local, domain, err := ParseSIPAddress("from", tt.in)
			if err != nil || local != tt.local || domain != tt.domain {
				t.Fatalf("ParseSIPAddress(%q) = %q, %q, %v; want %q, %q", tt.in, local, domain, err, tt.local, tt.domain)
			}
		})
	}
	refused := []struct {
		name, in string
	}{
		{"an empty value is refused", ""},
		{"a bare scheme is refused", "sip:"},
		{"a URI without a host is refused", "sip:alice"},
		{"a tel URI is refused", "tel:+4930123456"},
		{"URI parameters are refused", "sip:alice@example.com;transport=tcp"},
		{"a slash in the user is refused", "sip:x/cur@example.com"},
		{"a doubled scheme is refused", "sip:sip:alice@example.com"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			local, domain, err := ParseSIPAddress("from", tt.in)
			if err == nil {
				t.Fatalf("ParseSIPAddress(%q) = %q, %q, want a refusal", tt.in, local, domain)
			}
			wantInvalid(t, err, sb.EMALFORMED, "from")
		})
	}
}

func TestValidE164(t *testing.T) {
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"a German mobile number is valid", "+491701234567", true},
		{"eight digits are valid", "+12345678", true},
		{"fifteen digits are valid", "+123456789012345", true},
		{"seven digits are too few", "+1234567", false},
		{"sixteen digits are too many", "+1234567890123456", false},
		{"a number without + is refused", "491701234567", false},
		{"a country code starting with 0 is refused", "+0123456789", false},
		{"spaces are refused", "+49 170 1234567", false},
		{"a letter is refused", "+49170123456a", false},
		{"an empty number is refused", "", false},
		{"a lone + is refused", "+", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := validE164(tt.in); got != tt.ok {
				t.Fatalf("validE164(%q) = %v, want %v", tt.in, got, tt.ok)
			}
		})
	}
}

// checkLocal fails unless local obeys the local-part rule.
func checkLocal(t *testing.T, in, local string) {
	t.Helper()
	if local == "" || len(local) > 64 || strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") ||
		strings.ContainsAny(local, "/\\\x00@ ") || strings.ContainsFunc(local, func(r rune) bool { return unicode.IsControl(r) || r > unicode.MaxASCII }) ||
		local != strings.ToLower(local) {
		t.Fatalf("%q gave the local part %q, which breaks the rule", in, local)
	}
}

func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"d20@a.test", "D20@ａ.test.", " x/cur@b.test", `x\y@b.test`, "x\x00@b.test", "a..b@c.test", ".a@b.test",
		"u@Bücher.example", "x@y@b.test", "first.last+tag@example.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		local, domain, err := NormalizeEmail("email", in)
		if err != nil {
			return
		}
		checkLocal(t, in, local)
		l2, d2, err := NormalizeEmail("email", local+"@"+domain)
		if err != nil || l2 != local || d2 != domain {
			t.Fatalf("%q normalised to %q@%q, which normalises to %q@%q, %v", in, local, domain, l2, d2, err)
		}
	})
}

func FuzzNormalizeDomain(f *testing.F) {
	for _, s := range []string{"a.test", "A.TEST.", "ａ.test", "ＡＢＣ．ｔｅｓｔ", "Bücher.example", "xn--bcher-kva.example", "a..test", "a.123",
		"ß.test", "a\u00adb.test", "ｘｎ--bcher-kva.example", "a.xn--kgbechtv", "1a.xn--mgbh0fb", "a.test\u3002"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		d, err := NormalizeDomain("domain", in)
		if err != nil {
			return
		}
		if strings.ContainsFunc(d, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.') }) {
			t.Fatalf("%q normalised to %q, which is not lower-case ASCII", in, d)
		}
		d2, err := NormalizeDomain("domain", d)
		if err != nil || d2 != d {
			t.Fatalf("%q normalised to %q, which normalises to %q, %v", in, d, d2, err)
		}
	})
}

func FuzzParseSIPAddress(f *testing.F) {
	for _, s := range []string{"sip:Alice@Example.COM", "sips:alice@example.com", "alice@example.com", "sip:x/cur@example.com", "sip:sip:a@b.test",
		"sip:alice@example.com;transport=tcp"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		local, domain, err := ParseSIPAddress("from", in)
		if err != nil {
			return
		}
		checkLocal(t, in, local)
		for _, again := range []string{"sip:" + local + "@" + domain, local + "@" + domain} {
			l2, d2, err := ParseSIPAddress("from", again)
			if err != nil || l2 != local || d2 != domain {
				t.Fatalf("%q parsed to %q@%q; %q parses to %q@%q, %v", in, local, domain, again, l2, d2, err)
			}
		}
	})
}
