package switchboard

import "strings"

// SplitAddresses turns the surfaces' list forms into one list: each value
// may itself be a comma-separated list, as Postfix writes one; blank items
// are dropped.
func SplitAddresses(values ...string) []string {
	var out []string
	for _, v := range values {
		for item := range strings.SplitSeq(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}

// SIPAddress strips a SIP URI's scheme ("sip:" or "sips:") and reports
// whether what is left has the shape user@host: one '@' between two
// non-empty parts, and no space or control character. It checks the shape
// only; the service normalises the address (case, IDNA) and decides
// whether it is valid.
func SIPAddress(v string) (string, bool) {
	addr := strings.TrimSpace(v)
	addr = strings.TrimPrefix(strings.TrimPrefix(addr, "sip:"), "sips:")
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 || strings.Count(addr, "@") != 1 {
		return "", false
	}
	for _, r := range addr {
		if r <= ' ' || r == 0x7f {
			return "", false
		}
	}
	return addr, true
}
