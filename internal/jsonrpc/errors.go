package jsonrpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/switchboard/switchboard"
)

// JSON-RPC error codes: the protocol's own, then the application's.
const (
	CodeParseError     = -32700 // the body is not valid JSON
	CodeInvalidRequest = -32600 // not a valid Request object
	CodeMethodNotFound = -32601 // no such method
	CodeInvalidParams  = -32602 // params of the wrong shape
	CodeInternalError  = -32603 // a bug or an outage
	CodeAccessDenied   = 2      // mailbox.org's "Access denied"
	CodeNotFound       = 3
	CodeConflict       = 4
	CodeInvalid        = 5
	CodeRateLimited    = 6
	CodeTooLarge       = 7
	CodeUnavailable    = 8
	CodeInvalidSession = 253 // mailbox.org's "This Auth-ID is invalid"
)

// Error is a JSON-RPC error object. A Handler may return one (see
// InvalidParams) to have it sent as it is.
type Error struct {
	Code    int        `json:"code"`
	Message string     `json:"message"`
	Data    *ErrorData `json:"data,omitempty"`
}

// ErrorData is the "data" member of an error: the field that is wrong.
type ErrorData struct {
	Field string `json:"field"`
}

// Error returns the code and message.
func (e *Error) Error() string {
	return fmt.Sprintf("jsonrpc error %d: %s", e.Code, e.Message)
}

// InvalidParams returns a -32602 error with a message safe to show the
// caller and, when field is not "", data naming the field.
func InvalidParams(msg, field string) *Error {
	if msg == "" {
		msg = "Invalid params"
	}
	return &Error{Code: CodeInvalidParams, Message: msg, Data: fieldData(field)}
}

func fieldData(field string) *ErrorData {
	if field == "" {
		return nil
	}
	return &ErrorData{Field: field}
}

func internalError() *Error {
	return &Error{Code: CodeInternalError, Message: "Internal error"}
}

// CodeDoc documents one JSON-RPC error code.
type CodeDoc struct {
	// Code is the JSON-RPC error code.
	Code int
	// Domain is the switchboard error code mapped to Code, "" for codes the
	// protocol layer produces itself or picks by the error's cause.
	Domain string
	// Message is the fixed message, or the default one when OwnMessage is set.
	Message string
	// OwnMessage says the message is the domain error's own user-safe
	// message, and that data.field names the wrong field when there is one.
	OwnMessage bool
	// Meaning says when the code is sent.
	Meaning string
}

// ErrorCodes returns the error-code table: every code a client may see, in
// order. The mapping of domain errors is read from it.
func ErrorCodes() []CodeDoc {
	return []CodeDoc{
		{CodeParseError, "", "Parse error", false, "the body is not valid JSON"},
		{CodeInvalidRequest, "", "Invalid Request", false,
			"not a valid Request object, an empty or too long batch, or a body over 1 MiB (then with HTTP 413)"},
		{CodeMethodNotFound, "", "Method not found", false, "no method of that name"},
		{CodeInvalidParams, "", "Invalid params", false,
			"params that are not an object, or unknown, missing, malformed or out-of-range members; data.field names the member when known"},
		{CodeInternalError, switchboard.EINTERNAL, "Internal error", false,
			"a bug or an outage, and any error that is not a domain error; details go only to the server log"},
		{CodeAccessDenied, switchboard.EUNAUTHORIZED, "Access denied", false, "bad credentials at auth"},
		{CodeInvalidSession, "", "This Auth-ID is invalid", false,
			"no session, or an unknown, expired or closed one, or one whose mailbox was switched off (an unauthorized error caused by switchboard.ErrInvalidSession)"},
		{CodeAccessDenied, switchboard.EFORBIDDEN, "Access denied", false,
			"authenticated but not allowed; deliberately indistinguishable from bad credentials"},
		{CodeNotFound, switchboard.ENOTFOUND, "Not found", true, "no such object, or not visible to the caller"},
		{CodeConflict, switchboard.ECONFLICT, "Conflict", true, "the object already exists"},
		{CodeInvalid, switchboard.EINVALID, "Invalid value", true, "a value is malformed or breaks a rule"},
		{CodeInvalid, switchboard.EMALFORMED, "Invalid value", true, "a value cannot be parsed"},
		{CodeRateLimited, switchboard.ERATELIMIT, "Too many requests", true, "too many attempts; try again later"},
		{CodeTooLarge, switchboard.ETOOLARGE, "Too large", true, "a value or upload is over its limit"},
		{CodeUnavailable, switchboard.EUNAVAILABLE, "Service unavailable", true, "an outside service failed"},
	}
}

// vocabulary rewords the service's neutral terms in mailbox.org's: what
// the rest of Switchboard calls a tenant, mailbox.org calls an account.
var vocabulary = strings.NewReplacer("tenants", "accounts", "tenant", "account")

// mapError turns a method's error into the error object sent, logging what
// the caller must not see.
func (s *Server) mapError(ctx context.Context, method string, err error) *Error {
	if e, ok := errors.AsType[*Error](err); ok && e != nil {
		return e
	}
	code := switchboard.ErrorCode(err)
	if code == switchboard.EUNAUTHORIZED && errors.Is(err, switchboard.ErrInvalidSession) {
		return &Error{Code: CodeInvalidSession, Message: "This Auth-ID is invalid"}
	}
	for _, d := range ErrorCodes() {
		if d.Domain != code || code == switchboard.EINTERNAL {
			continue
		}
		if !d.OwnMessage {
			return &Error{Code: d.Code, Message: d.Message}
		}
		if code == switchboard.EUNAVAILABLE {
			s.log.WarnContext(ctx, "method failed", "method", method, "err", err)
		}
		msg := vocabulary.Replace(switchboard.ErrorMessage(err))
		if msg == "" {
			msg = d.Message
		}
		return &Error{Code: d.Code, Message: msg, Data: fieldData(vocabulary.Replace(switchboard.ErrorField(err)))}
	}
	if ctx.Err() != nil {
		// The client went away or the request timed out: not a fault of ours.
		s.log.DebugContext(ctx, "method abandoned", "method", method, "err", err)
	} else {
		s.log.ErrorContext(ctx, "method failed", "method", method, "err", err)
	}
	return internalError()
}

// DecodeParams decodes named params (a JSON object) into v, which must be a
// non-nil pointer. Absent, null, "" and {} params leave v unchanged.
// Positional params (an array) give -32602: methods take named parameters
// only. Unknown members, wrong types and trailing data give
// -32602 with data.field naming the member when known. An invalid v gives a
// plain error, which the Server reports as -32603.
func DecodeParams(p json.RawMessage, v any) error {
	p = trimSpace(p)
	if len(p) == 0 || string(p) == "null" || string(p) == `""` {
		return nil
	}
	if p[0] != '{' {
		return InvalidParams("Invalid params: params must be an object", "")
	}
	if len(p) >= 2 && p[len(p)-1] == '}' && len(trimSpace(p[1:len(p)-1])) == 0 {
		return nil // {}: decoding it changes nothing, at a tenth of a small call's cost
	}
	dec := json.NewDecoder(bytes.NewReader(p))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return paramsError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return InvalidParams("Invalid params: trailing data after params", "")
	}
	return nil
}

// memberPath is a decoding error's path without the names of embedded Go
// structs (mailParams.quota -> quota): members are snake_case, the
// embedded structs' names camelCase.
func memberPath(path string) string {
	parts := strings.Split(path, ".")
	kept := parts[:0]
	for _, p := range parts {
		if strings.ToLower(p) != p {
			continue
		}
		kept = append(kept, p)
	}
	return strings.Join(kept, ".")
}

// paramsError maps a decoding error to -32602.
func paramsError(err error) error {
	if e, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		if e.Field == "" {
			return InvalidParams("Invalid params: params have the wrong type", "")
		}
		field := memberPath(e.Field)
		return InvalidParams(fmt.Sprintf("Invalid params: %s has the wrong type", field), field)
	}
	if _, ok := errors.AsType[*json.InvalidUnmarshalError](err); ok {
		return err
	}
	if _, ok := errors.AsType[*json.SyntaxError](err); ok {
		return InvalidParams("Invalid params: params are not valid JSON", "")
	}
	if _, ok := errors.AsType[*switchboard.Error](err); ok && switchboard.ErrorCode(err) == switchboard.EINVALID {
		return InvalidParams(switchboard.ErrorMessage(err), switchboard.ErrorField(err))
	}
	// encoding/json has no type for this one; its text is stable.
	if rest, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if name, uerr := strconv.Unquote(rest); uerr == nil {
			return InvalidParams(fmt.Sprintf("Invalid params: unknown field %q", name), name)
		}
	}
	return InvalidParams("", "")
}
