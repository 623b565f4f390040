// Package jsonrpc is the JSON-RPC 2.0 transport of the mailbox.org-style API
// (POST /v1/ and POST /jsonrpc): it parses the envelope, dispatches calls to a
// table of methods and maps their errors to JSON-RPC error objects.
//
// Transport decisions, where the specification leaves a choice:
//   - Only POST is served; anything else gets HTTP 405 with "Allow: POST".
//     The request Content-Type is not checked, since curl-style clients send
//     JSON labelled as a form.
//   - A body over MaxBodyBytes gets HTTP 413 with a -32600 error object.
//   - Every JSON-RPC response, error or not, is sent with HTTP 200 and
//     Content-Type application/json. A request that yields no response (a
//     notification, or a batch of only notifications) gets HTTP 204 and no body.
//   - A batch holds at most MaxBatch elements; a longer one gets a single
//     -32600 error. Batch elements run one after the other, in order.
//   - "params" may be an object, absent, null or "" (mailbox.org's clients
//     send "" for methods without parameters); the last three all reach the
//     method as nil Params. Every method takes named parameters, so an array
//     (positional parameters) gives -32602, as does any other type.
//   - An invalid Request object is answered with -32600 even without an "id",
//     echoing the id when it is a valid one; errors found later (unknown
//     method, bad params, a failing method) are never answered for a
//     notification.
//
// The error-code table is ErrorCodes; it is the only place where domain error
// codes turn into JSON-RPC codes.
package jsonrpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"unicode/utf8"

	"github.com/switchboard/switchboard/internal/httpcork"
)

// MaxBodyBytes is the largest request body accepted.
const MaxBodyBytes = 1 << 20

// MaxBatch is the largest number of calls one batch may hold; it bounds the
// work and the response size one request can cause.
const MaxBatch = 100

// Request carries what a method sees of one call.
type Request struct {
	// Method is the method name as called.
	Method string
	// Params is the raw "params" member: an object, or nil when it was
	// absent, null or "".
	Params json.RawMessage
	// Session is the session token from the HPLS-AUTH header or an
	// "Authorization: Bearer" header; "" when there is none.
	Session string
	// RemoteIP is the client address without the port.
	RemoteIP string
}

// Handler runs one method. Its result is marshalled with encoding/json; an
// error is mapped through ErrorCodes, or sent as is when it is an *Error.
type Handler func(ctx context.Context, req *Request) (any, error)

// Server is an http.Handler that serves JSON-RPC 2.0 over a method table.
// Register every method before serving; the table is then only read, so the
// Server is safe for concurrent use.
type Server struct {
	log     *slog.Logger
	methods map[string]Handler
}

// New returns a Server with no methods that logs to logger (nil discards).
func New(logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Server{
		log:     logger.With("component", "jsonrpc"),
		methods: make(map[string]Handler),
	}
}

// Register adds a method. It is meant for start-up and panics on an empty or
// reserved ("rpc.") name, a nil handler or a name registered twice.
func (s *Server) Register(method string, h Handler) {
	switch {
	case method == "" || strings.HasPrefix(method, "rpc."):
		panic(fmt.Sprintf("jsonrpc: invalid method name %q", method))
	case h == nil:
		panic(fmt.Sprintf("jsonrpc: nil handler for %q", method))
	}
	if _, dup := s.methods[method]; dup {
		panic(fmt.Sprintf("jsonrpc: method %q registered twice", method))
	}
	s.methods[method] = h
}

// response is a JSON-RPC response object; the field order is the wire order.
type response struct {
	JSONRPC string          `json:"jsonrpc"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   *Error          `json:"error,omitempty"`
	ID      json.RawMessage `json:"id"` // nil marshals as null
}

// appendResult appends a successful response as encoding/json writes it.
// Its members are already JSON (the result from marshal, the id as the
// request had it); encoding them again only copied them, a tenth of a
// small call's time.
func (r *response) appendResult(b []byte) []byte {
	b = append(b, `{"jsonrpc":"2.0","result":`...)
	b = append(b, r.Result...)
	b = append(b, `,"id":`...)
	if r.ID == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, r.ID...)
	}
	return append(b, '}')
}

func errorResponse(id json.RawMessage, e *Error) *response {
	return &response{JSONRPC: "2.0", Error: e, ID: id}
}

// ServeHTTP reads one request or batch from the body and writes the answer.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, r, http.StatusMethodNotAllowed,
			errorResponse(nil, &Error{Code: CodeInvalidRequest, Message: "Invalid Request: use POST"}))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			writeJSON(w, r, http.StatusRequestEntityTooLarge,
				errorResponse(nil, &Error{Code: CodeInvalidRequest, Message: "Invalid Request: body too large"}))
			return
		}
		writeJSON(w, r, http.StatusBadRequest,
			errorResponse(nil, &Error{Code: CodeParseError, Message: "Parse error: cannot read body"}))
		return
	}
	base := Request{Session: sessionToken(r.Header), RemoteIP: remoteIP(r.RemoteAddr)}
	out := s.serveBody(r.Context(), base, body)
	if out == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, r, http.StatusOK, out)
}

// serveBody answers a whole body: a *response, a []*response, or nil when
// nothing is to be sent.
func (s *Server) serveBody(ctx context.Context, base Request, body []byte) any {
	body = trimSpace(body)
	if len(body) == 0 || !json.Valid(body) {
		return errorResponse(nil, &Error{Code: CodeParseError, Message: "Parse error"})
	}
	if body[0] != '[' {
		if res := s.serveOne(ctx, base, body); res != nil {
			return res
		}
		return nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(body, &elems); err != nil {
		return errorResponse(nil, &Error{Code: CodeParseError, Message: "Parse error"})
	}
	switch {
	case len(elems) == 0:
		return errorResponse(nil, &Error{Code: CodeInvalidRequest, Message: "Invalid Request: empty batch"})
	case len(elems) > MaxBatch:
		return errorResponse(nil, &Error{Code: CodeInvalidRequest,
			Message: fmt.Sprintf("Invalid Request: batch longer than %d", MaxBatch)})
	}
	var out []*response
	for _, e := range elems {
		if res := s.serveOne(ctx, base, e); res != nil {
			out = append(out, res)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// serveOne answers one Request object, already known to be valid JSON; nil
// means no response (a notification).
func (s *Server) serveOne(ctx context.Context, base Request, raw json.RawMessage) *response {
	raw = trimSpace(raw)
	invalid := func(id json.RawMessage, msg string) *response {
		return errorResponse(id, &Error{Code: CodeInvalidRequest, Message: "Invalid Request: " + msg})
	}
	if len(raw) == 0 || raw[0] != '{' {
		return invalid(nil, "not an object")
	}
	env, ok := readEnvelope(raw)
	if !ok {
		if env, ok = envelopeOfMap(raw); !ok {
			return invalid(nil, "not an object")
		}
	}
	id, ok := validID(env.id)
	if env.hasID && !ok {
		return invalid(nil, "id must be a string, a number or null")
	}
	if version, ok := jsonString(env.version); !ok || version != "2.0" {
		return invalid(id, `jsonrpc must be "2.0"`)
	}
	method, ok := jsonString(env.method)
	if !ok {
		return invalid(id, "method must be a string")
	}
	notification := !env.hasID
	params, perr := normalizeParams(env.params)
	if perr != nil {
		if notification {
			return nil
		}
		return errorResponse(id, perr)
	}
	h, ok := s.methods[method]
	if !ok {
		if notification {
			return nil
		}
		return errorResponse(id, &Error{Code: CodeMethodNotFound, Message: "Method not found"})
	}
	req := base
	req.Method = method
	req.Params = params
	result, rerr := s.call(ctx, h, &req)
	if notification {
		return nil
	}
	if rerr != nil {
		return errorResponse(id, rerr)
	}
	return &response{JSONRPC: "2.0", Result: result, ID: id}
}

// envelopeOfMap reads the members of raw through encoding/json: for the
// member names readEnvelope leaves to it.
func envelopeOfMap(raw []byte) (envelope, bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return envelope{}, false
	}
	id, hasID := m["id"]
	return envelope{id: id, hasID: hasID, version: m["jsonrpc"], method: m["method"], params: m["params"]}, true
}

// call runs h and turns its outcome into a marshalled result or an error
// object. A panic anywhere in there, marshalling included, becomes -32603.
func (s *Server) call(ctx context.Context, h Handler, req *Request) (result json.RawMessage, rerr *Error) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler {
			panic(v)
		}
		// The params are never logged: they carry passwords.
		s.log.ErrorContext(ctx, "method panicked", "method", req.Method,
			"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		result, rerr = nil, internalError()
	}()
	v, err := h(ctx, req)
	if err != nil {
		return nil, s.mapError(ctx, req.Method, err)
	}
	b, err := marshal(v)
	if err != nil {
		s.log.ErrorContext(ctx, "cannot marshal result", "method", req.Method, "err", err)
		return nil, internalError()
	}
	return b, nil
}

// validID reports whether raw is an id the specification allows (string,
// number or null) and returns it as it is to be echoed.
func validID(raw json.RawMessage) (json.RawMessage, bool) {
	if len(raw) == 0 {
		return nil, false
	}
	switch c := raw[0]; {
	case c == 'n':
		return raw, true
	case c == '-' || (c >= '0' && c <= '9'):
		return raw, true
	case c == '"':
		if utf8.Valid(raw) {
			return raw, true
		}
		// Echo invalid UTF-8 as the replacement characters encoding/json
		// reads it as, so that the response stays valid UTF-8.
		var str string
		if json.Unmarshal(raw, &str) != nil {
			return nil, false
		}
		b, err := marshal(str)
		return b, err == nil
	}
	return nil, false
}

// jsonString decodes raw, valid JSON, if it is a string: without
// encoding/json when it holds no escape and is valid UTF-8, as a method name
// does (then its bytes are the string).
func jsonString(raw json.RawMessage) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	if inner := raw[1 : len(raw)-1]; bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner), true
	}
	var str string
	return str, json.Unmarshal(raw, &str) == nil
}

// normalizeParams checks the type of the "params" member and returns nil for
// the forms that mean "no parameters".
func normalizeParams(raw json.RawMessage) (json.RawMessage, *Error) {
	raw = trimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	switch raw[0] {
	case '{':
		return raw, nil
	case '"':
		var str string
		if json.Unmarshal(raw, &str) == nil && str == "" {
			return nil, nil
		}
	}
	return nil, InvalidParams("Invalid params: params must be an object", "")
}

// sessionToken reads the session token from HPLS-AUTH or a Bearer
// Authorization header; HPLS-AUTH wins when both are sent.
func sessionToken(h http.Header) string {
	if t := strings.TrimSpace(h.Get("HPLS-AUTH")); t != "" {
		return t
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(h.Get("Authorization")), " ")
	if ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(token)
	}
	return ""
}

// remoteIP strips the port from an http.Request's RemoteAddr.
func remoteIP(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// trimSpace removes the whitespace JSON allows around a value.
func trimSpace(b []byte) []byte {
	return bytes.Trim(b, " \t\r\n")
}

// marshal encodes v without HTML escaping, so an echoed id keeps its bytes.
func marshal(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// writeJSON writes v as the JSON body with the given status, in one
// segment (httpcork).
func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	var b []byte
	var err error
	if r, ok := v.(*response); ok && r.Error == nil && len(r.Result) > 0 {
		b = r.appendResult(make([]byte, 0, len(r.Result)+len(r.ID)+32))
	} else {
		b, err = marshal(v)
	}
	if err != nil {
		// Every result was marshalled already; this is a bug.
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = httpcork.Write(w, r, status, b)
}
