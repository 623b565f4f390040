package service

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"

	sb "github.com/switchboard/switchboard"
)

// MaxPasswordLen bounds the work a password can cause.
const MaxPasswordLen = 1024

var idnaProfile = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.Transitional(false))

// NormalizeDomain lower-cases a domain name, converts IDNs to punycode and
// checks that the result is a valid DNS host name with at least two labels.
func NormalizeDomain(field, name string) (string, error) {
	name = strings.TrimSuffix(strings.TrimSpace(name), ".")
	if name == "" {
		return "", sb.FieldError(field, "%s is required", field)
	}
	if len(name) > 253 || !utf8.ValidString(name) {
		return "", sb.FieldError(field, "%s is not a valid domain name", field)
	}
	ascii, err := idnaProfile.ToASCII(name)
	if err != nil {
		return "", sb.FieldError(field, "%s %q is not a valid domain name", field, name)
	}
	ascii = strings.ToLower(ascii)
	labels := strings.Split(ascii, ".")
	if len(ascii) > 253 || len(labels) < 2 {
		return "", sb.FieldError(field, "%s %q is not a valid domain name", field, name)
	}
	for _, l := range labels {
		if !validLabel(l) {
			return "", sb.FieldError(field, "%s %q is not a valid domain name", field, name)
		}
	}
	if tld := labels[len(labels)-1]; strings.Trim(tld, "0123456789") == "" {
		return "", sb.FieldError(field, "%s %q is not a valid domain name", field, name)
	}
	return ascii, nil
}

func validLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// localChars are the characters a (lower-cased) local part may hold: RFC
// 5322 atext without '/'. A local part names the mailbox's Maildir
// (<mail-root>/<domain>/<local>/), so "x/cur" would nest inside x's Maildir;
// '\', NUL and control characters are not atext, and dots are checked
// apart (not first, not last, never two in a row).
const localChars = "abcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-=?^_`{|}~"

// NormalizeEmail splits an address into a validated, lower-cased local part
// and a normalized domain. It is the one local-part rule of every surface:
// a dot-atom of localChars, at most 64 bytes.
func NormalizeEmail(field, email string) (local, domain string, err error) {
	email = strings.TrimSpace(email)
	at := strings.LastIndexByte(email, '@')
	if email == "" {
		return "", "", sb.FieldError(field, "%s is required", field)
	}
	if at <= 0 || at == len(email)-1 {
		return "", "", sb.FieldError(field, "%s %q is not a valid email address", field, email)
	}
	local = strings.ToLower(email[:at])
	if len(local) > 64 || strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return "", "", sb.FieldError(field, "%s %q is not a valid email address", field, email)
	}
	for i := 0; i < len(local); i++ {
		if local[i] != '.' && strings.IndexByte(localChars, local[i]) < 0 {
			return "", "", sb.FieldError(field, "%s %q is not a valid email address", field, email)
		}
	}
	domain, err = NormalizeDomain(field, email[at+1:])
	if err != nil {
		return "", "", sb.FieldError(field, "%s %q is not a valid email address", field, email)
	}
	return local, domain, nil
}

// CheckPassword enforces the password rules.
func CheckPassword(field, password string, minLen int) error {
	switch {
	case password == "":
		return sb.FieldError(field, "%s is required", field)
	case utf8.RuneCountInString(password) < minLen:
		return sb.FieldError(field, "%s must be at least %d characters", field, minLen)
	case len(password) > MaxPasswordLen:
		return sb.FieldError(field, "%s must be at most %d bytes", field, MaxPasswordLen)
	case !utf8.ValidString(password) || strings.ContainsAny(password, "\x00\r\n"):
		return sb.FieldError(field, "%s contains characters that are not allowed", field)
	}
	return nil
}

// CheckTenantName enforces the tenant name rules: 1–64 characters of
// letters, digits, '.', '-', '_' and '@'.
func CheckTenantName(name string) error {
	if name == "" || len(name) > 64 {
		return sb.FieldError("name", "tenant name must be 1 to 64 characters")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._-@", c) >= 0) {
			return sb.FieldError("name", "tenant name may hold only letters, digits, '.', '-', '_' and '@'")
		}
	}
	return nil
}
