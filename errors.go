// Package switchboard is the domain of the Switchboard provisioning server:
// tenants, domains and accounts, the service interfaces every API surface
// translates to, and the one error type they all map to their own format.
package switchboard

import (
	"errors"
	"fmt"
	"time"
)

// Error codes: a small closed set that every surface maps to its own format.
const (
	EMALFORMED    = "malformed"    // the request itself cannot be parsed
	EINVALID      = "invalid"      // a value is missing, malformed or breaks a rule
	ENOTFOUND     = "not_found"    // no such object (or not visible to the caller)
	ECONFLICT     = "conflict"     // the object already exists
	EUNAUTHORIZED = "unauthorized" // no or bad credentials
	EFORBIDDEN    = "forbidden"    // authenticated, but not allowed
	ERATELIMIT    = "rate_limited" // too many attempts
	ETOOLARGE     = "too_large"    // request body over the limit
	EUNAVAILABLE  = "unavailable"  // an outside service failed
	EINTERNAL     = "internal"     // a bug or an outage; details only in the log
)

// ErrStale marks, in an Error's cause, credentials that were right but
// presented with an expired nonce: the client should retry with a fresh
// challenge (HTTP Digest's stale=true).
var ErrStale = errors.New("stale credentials")

// ErrNotPermitted marks, in an Error's cause, a refusal of rights as such
// (the actor lacks the role), which a surface may word in its own fixed
// phrase, as Laravel's "This action is unauthorized.".
var ErrNotPermitted = errors.New("not permitted")

// ErrInvalidSession marks, in an EUNAUTHORIZED's cause, a session token
// that is missing, unknown, expired or of a principal gone since (mailbox.org's
// "This Auth-ID is invalid"), as opposed to bad login credentials.
var ErrInvalidSession = errors.New("invalid session")

// ErrTaken marks, in an ECONFLICT's cause, a name already held by another
// object of the same kind (a validation error in some surfaces' terms).
var ErrTaken = errors.New("already taken")

// Error is the domain error: a code, a message safe to show a user, and the
// field that is wrong when one is.
type Error struct {
	Code    string
	Message string
	Field   string
	Err     error // the cause, for logs only; never shown
	// RetryAfter is, for ERATELIMIT, how long the caller should wait
	// before trying again; 0 when unknown.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// RateLimited returns an ERATELIMIT error asking the caller to wait
// retryAfter before trying again.
func RateLimited(retryAfter time.Duration, format string, args ...any) *Error {
	return &Error{Code: ERATELIMIT, Message: fmt.Sprintf(format, args...), RetryAfter: retryAfter}
}

// FieldError returns an EINVALID error naming the field that is wrong.
func FieldError(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Internal wraps an unexpected error; users see only a generic message.
func Internal(err error) *Error {
	return &Error{Code: EINTERNAL, Message: "internal error", Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-safe message of err.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Message
	}
	return "internal error"
}

// ErrorField returns the field named by err, if any.
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// RetryAfter returns how long err asks the caller to wait before trying
// again, 0 when it does not say.
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}
