package digest

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits on what ParseAuthorization accepts, to bound the work an
// unauthenticated client can cause.
const (
	MaxHeaderLength = 4096 // bytes in the whole header value
	MaxValueLength  = 1024 // bytes in one decoded parameter value
)

// Credentials is a parsed "Authorization: Digest" header.
type Credentials struct {
	Username  string // decoded from username* when the client sent that form
	Realm     string
	Nonce     string
	URI       string
	Algorithm string // canonical spelling for known names; MD5 when absent
	Response  string
	QOP       string // as sent, since it enters the response hash
	NC        string // eight hex digits, as sent
	CNonce    string
	Opaque    string // empty when absent
	UserHash  bool   // userhash=true: Username is H(username:realm)
}

// param is one auth-param of a challenge or credentials.
type param struct {
	name   string // lowercased
	value  string // unquoted and unescaped
	quoted bool
}

// ParseAuthorization parses the value of an Authorization header using the
// Digest scheme. A missing header or another scheme yields ErrNoCredentials;
// anything else wrong yields an error wrapping ErrMalformed.
func ParseAuthorization(header string) (*Credentials, error) {
	if len(header) > MaxHeaderLength {
		return nil, fmt.Errorf("%w: header longer than %d bytes", ErrMalformed, MaxHeaderLength)
	}
	rest, ok, err := cutScheme(header)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrNoCredentials
	}
	params, err := parseParams(rest)
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(params))
	c := &Credentials{}
	var usernameStar bool
	for _, p := range params {
		if seen[p.name] {
			return nil, fmt.Errorf("%w: duplicate parameter %q", ErrMalformed, p.name)
		}
		seen[p.name] = true
		if len(p.value) > MaxValueLength && p.name != "username*" {
			return nil, fmt.Errorf("%w: parameter %q longer than %d bytes", ErrMalformed, p.name, MaxValueLength)
		}
		switch p.name {
		case "username":
			c.Username = p.value
		case "username*":
			usernameStar = true
			u, err := decodeExtValue(p.value)
			if err != nil {
				return nil, err
			}
			c.Username = u
			if len(u) > MaxValueLength {
				return nil, fmt.Errorf("%w: username* longer than %d bytes", ErrMalformed, MaxValueLength)
			}
		case "realm":
			c.Realm = p.value
		case "nonce":
			c.Nonce = p.value
		case "uri":
			c.URI = p.value
		case "algorithm":
			c.Algorithm = canonicalAlgorithm(p.value)
		case "response":
			c.Response = p.value
		case "qop":
			c.QOP = p.value
		case "nc":
			c.NC = p.value
		case "cnonce":
			c.CNonce = p.value
		case "opaque":
			c.Opaque = p.value
		case "userhash":
			switch {
			case strings.EqualFold(p.value, "true"):
				c.UserHash = true
			case strings.EqualFold(p.value, "false"):
			default:
				return nil, fmt.Errorf("%w: userhash must be true or false", ErrMalformed)
			}
		}
		// Other parameters are ignored, as RFC 7616 §3.4 requires.
	}
	if seen["username"] && usernameStar {
		return nil, fmt.Errorf("%w: both username and username*", ErrMalformed)
	}
	if usernameStar && c.UserHash {
		return nil, fmt.Errorf("%w: username* with userhash", ErrMalformed)
	}
	if !seen["algorithm"] {
		c.Algorithm = MD5
	}
	for _, f := range [...]struct{ name, value string }{
		{"username", c.Username}, {"realm", c.Realm}, {"nonce", c.Nonce},
		{"uri", c.URI}, {"algorithm", c.Algorithm}, {"response", c.Response},
		{"qop", c.QOP}, {"nc", c.NC}, {"cnonce", c.CNonce},
	} {
		if f.value == "" {
			return nil, fmt.Errorf("%w: missing %s", ErrMalformed, f.name)
		}
	}
	if !validUsername(c.Username) {
		return nil, fmt.Errorf("%w: username has control characters", ErrMalformed)
	}
	if len(c.NC) != 8 || !isHex(c.NC) || c.NC == "00000000" {
		return nil, fmt.Errorf("%w: nc must be 8 hex digits, from 00000001", ErrMalformed)
	}
	return c, nil
}

// cutScheme splits "Digest params" into the params, reporting ok=false for
// an empty header or another scheme.
func cutScheme(header string) (rest string, ok bool, err error) {
	s := strings.TrimLeft(header, " \t")
	i := 0
	for i < len(s) && isTchar(s[i]) {
		i++
	}
	if i == 0 || !strings.EqualFold(s[:i], "Digest") {
		return "", false, nil
	}
	if i == len(s) || strings.TrimSpace(s[i:]) == "" {
		return "", false, fmt.Errorf("%w: no parameters", ErrMalformed)
	}
	if s[i] != ' ' && s[i] != '\t' {
		return "", false, nil // "Digestive ...", or "Digest=..."
	}
	return s[i:], true, nil
}

// parseParams parses a comma-separated list of auth-params (RFC 7235 §2.1),
// allowing empty list elements and optional whitespace.
func parseParams(s string) ([]param, error) {
	var out []param
	i := 0
	skipWS := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
	}
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == ',') {
			i++
		}
		if i == len(s) {
			return out, nil
		}
		start := i
		for i < len(s) && isTchar(s[i]) {
			i++
		}
		if i == start {
			return nil, fmt.Errorf("%w: unexpected character at offset %d", ErrMalformed, i)
		}
		p := param{name: strings.ToLower(s[start:i])}
		skipWS()
		if i == len(s) || s[i] != '=' {
			return nil, fmt.Errorf("%w: parameter %q has no value", ErrMalformed, p.name)
		}
		i++
		skipWS()
		if i < len(s) && s[i] == '"' {
			v, n, err := unquote(s[i:])
			if err != nil {
				return nil, fmt.Errorf("%w: parameter %q: %v", ErrMalformed, p.name, err)
			}
			p.value, p.quoted = v, true
			i += n
		} else {
			start = i
			for i < len(s) && isTchar(s[i]) {
				i++
			}
			if i == start {
				return nil, fmt.Errorf("%w: parameter %q has no value", ErrMalformed, p.name)
			}
			p.value = s[start:i]
		}
		if !utf8.ValidString(p.value) {
			return nil, fmt.Errorf("%w: parameter %q is not UTF-8", ErrMalformed, p.name)
		}
		out = append(out, p)
		skipWS()
		if i < len(s) && s[i] != ',' {
			return nil, fmt.Errorf("%w: expected a comma after parameter %q", ErrMalformed, p.name)
		}
	}
}

// unquote decodes the quoted-string at the start of s and returns it with
// the number of bytes consumed.
func unquote(s string) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			return b.String(), i + 1, nil
		case c == '\\':
			i++
			if i == len(s) {
				return "", 0, errors.New("unterminated quoted string")
			}
			if !isQuotable(s[i]) {
				return "", 0, errors.New("bad escaped character")
			}
			b.WriteByte(s[i])
		case isQuotable(c):
			b.WriteByte(c)
		default:
			return "", 0, errors.New("control character in quoted string")
		}
	}
	return "", 0, errors.New("unterminated quoted string")
}

// decodeExtValue decodes an RFC 8187 ext-value such as UTF-8'en'J%C3%A4s%C3%B8n.
// Only the UTF-8 charset is accepted.
func decodeExtValue(v string) (string, error) {
	charset, rest, ok := strings.Cut(v, "'")
	if !ok || !strings.EqualFold(charset, "UTF-8") {
		return "", fmt.Errorf("%w: username* must use the UTF-8 charset", ErrMalformed)
	}
	_, enc, ok := strings.Cut(rest, "'") // the language tag is ignored
	if !ok {
		return "", fmt.Errorf("%w: username* lacks a language part", ErrMalformed)
	}
	var b strings.Builder
	for i := 0; i < len(enc); i++ {
		c := enc[i]
		switch {
		case c == '%':
			if i+2 >= len(enc) || !isHex(enc[i+1:i+3]) {
				return "", fmt.Errorf("%w: bad percent-encoding in username*", ErrMalformed)
			}
			b.WriteByte(unhex(enc[i+1])<<4 | unhex(enc[i+2]))
			i += 2
		case isAttrChar(c):
			b.WriteByte(c)
		default:
			return "", fmt.Errorf("%w: bad character in username*", ErrMalformed)
		}
	}
	u := b.String()
	if !utf8.ValidString(u) {
		return "", fmt.Errorf("%w: username* is not UTF-8", ErrMalformed)
	}
	return u, nil
}

// validUsername rejects control characters other than HTAB.
func validUsername(u string) bool {
	for i := 0; i < len(u); i++ {
		if c := u[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// String formats the credentials as an Authorization header value that
// ParseAuthorization reads back to the same Credentials. Usernames that are
// not printable ASCII are sent as username*.
func (c *Credentials) String() string {
	ps := make([]string, 0, 11)
	add := func(name, value string, quoted bool) {
		if quoted {
			value = quote(value)
		}
		ps = append(ps, name+"="+value)
	}
	if printableASCII(c.Username) {
		add("username", c.Username, true)
	} else {
		add("username*", encodeExtValue(c.Username), false)
	}
	add("realm", c.Realm, true)
	add("nonce", c.Nonce, true)
	add("uri", c.URI, true)
	add("algorithm", c.Algorithm, !isToken(c.Algorithm))
	add("response", c.Response, true)
	add("qop", c.QOP, !isToken(c.QOP))
	add("nc", c.NC, !isToken(c.NC))
	add("cnonce", c.CNonce, true)
	if c.Opaque != "" {
		add("opaque", c.Opaque, true)
	}
	if c.UserHash {
		add("userhash", "true", false)
	}
	return "Digest " + strings.Join(ps, ", ")
}

// quote returns s as a quoted-string, escaping '"' and '\'.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// encodeExtValue encodes s as an RFC 8187 ext-value in UTF-8.
func encodeExtValue(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.WriteString("UTF-8''")
	for i := 0; i < len(s); i++ {
		if c := s[i]; isAttrChar(c) {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xf])
		}
	}
	return b.String()
}

// isTchar reports whether c may appear in an RFC 9110 token.
func isTchar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// isToken reports whether s is a non-empty token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTchar(s[i]) {
			return false
		}
	}
	return true
}

// isAttrChar reports whether c may appear unencoded in an RFC 8187 value.
func isAttrChar(c byte) bool {
	return isTchar(c) && c != '*' && c != '\'' && c != '%'
}

// isQuotable reports whether c may appear in a quoted-string: HTAB, SP,
// visible ASCII or obs-text.
func isQuotable(c byte) bool {
	return c == '\t' || (c >= 0x20 && c != 0x7f)
}

// printableASCII reports whether s can be sent as a plain quoted-string.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '\t' && (c < 0x20 || c > 0x7e) {
			return false
		}
	}
	return true
}

// isHex reports whether s is made of hex digits only.
func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if unhex(s[i]) == 0xff {
			return false
		}
	}
	return true
}

// unhex returns the value of a hex digit, or 0xff.
func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10
	}
	return 0xff
}
