package switchboard

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Device is one registration of a SIP account: a binding the registrar
// (Kamailio's usrloc) keeps for it, as flexisip-account-manager shows them.
type Device struct {
	// UUID identifies the device: its +sip.instance without quotes or
	// angle brackets (urn:uuid:...), or for a contact without one an id
	// derived from the contact (see DeviceID).
	UUID      string
	Contact   string // the contact URI with its parameters
	UserAgent string
	UpdatedAt time.Time
	ExpiresAt time.Time  // zero: a permanent binding
	Push      *PushToken // nil when the contact carries no pn-provider
}

// PushToken is a contact's RFC 8599 push parameters.
type PushToken struct {
	Provider string // pn-provider: apns, fcm, ...
	Param    string // pn-param
	PRID     string // pn-prid
}

// AccountRef names an account by id (the REST surfaces) or by address
// (JSON-RPC).
type AccountRef struct {
	ID    int64
	Email string
}

// DeviceService shows and removes the registrations of SIP accounts. The
// account itself, an admin of its domain, and the tenant owning the domain
// (operators: any) may do both; others learn nothing (ENOTFOUND).
type DeviceService interface {
	// ListDevices lists an account's live registrations, by UUID.
	ListDevices(ctx context.Context, actor Actor, account AccountRef) ([]Device, error)
	// DeleteDevice removes every binding of one device of the account at
	// once (ENOTFOUND for an unknown uuid).
	DeleteDevice(ctx context.Context, actor Actor, account AccountRef, uuid string) error
}

// DeviceID is the id of a binding: its +sip.instance value, unquoted and
// without angle brackets, or, when there is none, "contact-" and 32 hex
// digits of the SHA-256 of the contact, which stays the same as long as the
// device registers the same contact.
func DeviceID(instance, contact string) string {
	if id := Instance(instance); id != "" {
		return id
	}
	sum := sha256.Sum256([]byte(contact))
	return "contact-" + hex.EncodeToString(sum[:16])
}

// Instance normalises a +sip.instance value as a registrar stores it,
// `"<urn:uuid:...>"`, `<urn:uuid:...>` or bare, to `urn:uuid:...`.
func Instance(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = strings.TrimSpace(v[1 : len(v)-1])
	}
	if len(v) >= 2 && v[0] == '<' && v[len(v)-1] == '>' {
		v = strings.TrimSpace(v[1 : len(v)-1])
	}
	return v
}

// ContactPush reads the RFC 8599 push parameters (pn-provider, pn-param,
// pn-prid) from a contact URI's parameters, `sip:u@host;pn-provider=fcm;...`,
// optionally in angle brackets; names are case-insensitive and values are
// %-unescaped. It returns nil without a pn-provider.
func ContactPush(contact string) *PushToken {
	uri := strings.TrimSpace(contact)
	if i := strings.IndexByte(uri, '<'); i >= 0 {
		uri = uri[i+1:]
		if j := strings.IndexByte(uri, '>'); j >= 0 {
			uri = uri[:j]
		}
	}
	if i := strings.IndexByte(uri, '?'); i >= 0 { // URI headers follow
		uri = uri[:i]
	}
	// The user part may hold ';' (RFC 3261 user-unreserved): parameters
	// start after the host's '@'.
	if i := strings.IndexByte(uri, '@'); i >= 0 {
		uri = uri[i:]
	}
	var p PushToken
	params := strings.Split(uri, ";")
	for _, kv := range params[1:] {
		name, value, _ := strings.Cut(kv, "=")
		value = unescapeParam(strings.TrimSpace(value))
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "pn-provider":
			p.Provider = value
		case "pn-param":
			p.Param = value
		case "pn-prid":
			p.PRID = value
		}
	}
	if p.Provider == "" {
		return nil
	}
	return &p
}

// unescapeParam decodes %XX escapes of a URI parameter value; a malformed
// escape stays as it is.
func unescapeParam(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
