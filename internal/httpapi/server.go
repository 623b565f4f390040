// Package httpapi serves Switchboard's REST surfaces over the service layer:
// one file per API family, one error writer per family, shared middleware.
package httpapi

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"net"
	"net/http"
	"path"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/httpcork"
	"github.com/switchboard/switchboard/internal/httpstatus"
)

// Services is what the REST surfaces call.
type Services interface {
	sb.TenantService
	sb.DomainService
	sb.AccountService
	sb.AliasService
	sb.DKIMService
	sb.CertificateService
	sb.ExportService
	sb.AccountImportService
	sb.SIPService
	sb.LifecycleService
	sb.OAuthService
	sb.ClientConfigService
	sb.DeviceService
	sb.AppPasswordService
	sb.VacationService
	sb.QuotaService
	Ping(ctx context.Context) error
}

// Config wires a Server.
type Config struct {
	Services       Services
	Logger         *slog.Logger
	Registry       *prometheus.Registry // nil: a fresh one
	MaxBodyBytes   int64                // default 1 MiB
	RequestTimeout time.Duration        // default 60 s
	MaxImportBytes int64                // body limit of POST /import/domain, default 1 GiB
	// Panel serves the web panel under /panel/; nil leaves it out.
	Panel http.Handler
	// JSONRPC serves the mailbox.org-style API at POST /v1/ and /jsonrpc;
	// nil leaves those routes out.
	JSONRPC http.Handler
	// PublicURL is the base of the links /config/create returns, e.g.
	// https://config.example.com; empty: taken from each request's Host.
	PublicURL string
	// StreamStall is how long a streamed answer (a list, an export) waits
	// on a client that takes no data before dropping it (default
	// DefaultStreamStall).
	StreamStall time.Duration
}

// Server is the HTTP handler of every surface.
type Server struct {
	svc       Services
	log       *slog.Logger
	mux       *http.ServeMux
	routes    []string
	metrics   *metrics
	maxBody   int64
	maxImport int64
	timeout   time.Duration
	stall     time.Duration
	public    string
	rpc       bool // JSON-RPC is served under /v1/ and /jsonrpc
	// metricsRoute is the instrumented GET /metrics, which MetricsHandler
	// serves on a listener of its own.
	metricsRoute http.Handler
	// secretPrefixes are the literal paths before the secret wildcard of
	// each route registered by handleSecret.
	secretPrefixes []string
}

// New builds the server and registers every route.
func New(cfg Config) *Server {
	s := &Server{svc: cfg.Services, log: cfg.Logger, mux: http.NewServeMux(),
		maxBody: cfg.MaxBodyBytes, maxImport: cfg.MaxImportBytes, timeout: cfg.RequestTimeout,
		stall: cfg.StreamStall, public: strings.TrimRight(cfg.PublicURL, "/")}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "http")
	if s.maxBody <= 0 {
		s.maxBody = 1 << 20
	}
	if s.maxImport <= 0 {
		s.maxImport = 1 << 30
	}
	if s.timeout <= 0 {
		s.timeout = 60 * time.Second
	}
	if s.stall <= 0 {
		s.stall = DefaultStreamStall
	}
	reg := cfg.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	s.metrics = newMetrics(reg)

	s.handle("GET /healthz", s.plain(s.healthz))
	s.metricsRoute = s.register(metricsRoute, s.maxBody, "", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	s.handle("GET /openapi.json", s.plain(serveOpenAPI))
	s.registerMailAdmin()
	s.registerDKIM()
	s.registerCerts()
	s.registerExport()
	s.registerOAuth()
	s.registerConfigLinks()
	s.registerAutoconfig()
	s.registerSIP()
	s.registerDevices()
	s.registerAppPasswords()
	s.registerLifecycle()
	if cfg.JSONRPC != nil {
		s.handle("POST /v1/", s.jsonRPC(cfg.JSONRPC))
		s.handle("POST /jsonrpc", s.jsonRPC(cfg.JSONRPC))
	}
	s.rpc = cfg.JSONRPC != nil
	if cfg.Panel != nil {
		// The panel answers every path under /panel/ itself, in HTML.
		s.mux.Handle("/panel/", s.instrument("panel", s.maxBody, escapedPath, cfg.Panel))
	}
	// Every request no route takes comes here, so that it is answered in
	// its family's format rather than ServeMux's plain text.
	s.mux.Handle("/", s.instrument("unknown", s.maxBody, s.unmatchedPath, http.HandlerFunc(s.unmatched)))
	return s
}

// errMethodNotAllowed marks, in an error's cause, a path served under other
// methods only: it is answered 405 with an Allow header.
var errMethodNotAllowed = errors.New("method not allowed")

// unmatched answers a request no route takes: 405 with Allow when the path
// is served under other methods, 404 otherwise, each in the format of the
// family whose prefix the path has.
func (s *Server) unmatched(w http.ResponseWriter, r *http.Request) {
	err := error(sb.Errorf(sb.ENOTFOUND, "no such endpoint: %s %s", r.Method, r.URL.Path))
	if allow := s.allowedMethods(r); len(allow) > 0 {
		list := strings.Join(allow, ", ")
		w.Header().Set("Allow", list)
		err = &sb.Error{Code: sb.EMALFORMED, Message: fmt.Sprintf("method %s is not allowed here; use %s", r.Method, list),
			Err: errMethodNotAllowed}
	}
	s.adapt(s.familyOf(r.URL.Path), func(http.ResponseWriter, *http.Request) error { return err }).ServeHTTP(w, r)
}

// allowedMethods lists the methods a route serves r's path with, by asking
// the mux about a copy of r under each method some route uses; the
// catch-all "/" does not count. GET routes serve HEAD too.
func (s *Server) allowedMethods(r *http.Request) []string {
	var allow []string
	for _, m := range s.methods() {
		probe := *r
		probe.Method = m
		if _, pattern := s.mux.Handler(&probe); pattern != "" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	return allow
}

// methods lists, sorted, every method a route is registered with, and HEAD.
func (s *Server) methods() []string {
	set := map[string]bool{http.MethodHead: true}
	for _, route := range s.routes {
		if m, _, ok := strings.Cut(route, " "); ok {
			set[m] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// familyOf is the error format of the family whose prefix path has; the
// mail admin API, which has no prefix, answers the rest.
func (s *Server) familyOf(path string) errorWriter {
	under := func(prefix string) bool { return path == prefix || strings.HasPrefix(path, prefix+"/") }
	switch {
	case under("/api"):
		return s.writeSIPError
	case s.rpc && (under("/v1") || path == "/jsonrpc"):
		return writeJSONRPCError
	case under("/config"):
		return writeIConfigError
	case under("/provisioning"):
		return writePlainError
	}
	return writeMailAdminError
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// metricsRoute is the Prometheus route.
const metricsRoute = "GET /metrics"

// WithoutMetrics serves every route but /metrics, which is 404 under any
// method, as if it did not exist: the handler of listeners open to the
// public (--tls-listen), and of the main listener when the metrics have
// one of their own.
func (s *Server) WithoutMetrics() http.Handler {
	notFound := s.instrument("unknown", s.maxBody, escapedPath, s.mailAdmin(func(w http.ResponseWriter, r *http.Request) error {
		return sb.Errorf(sb.ENOTFOUND, "no such endpoint: %s %s", r.Method, r.URL.Path)
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if path.Clean(r.URL.Path) == "/metrics" {
			notFound.ServeHTTP(w, r)
			return
		}
		s.mux.ServeHTTP(w, r)
	})
}

// MetricsHandler serves GET /metrics alone, for --metrics-listen; anything
// else gets ServeMux's plain 404 or 405.
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(metricsRoute, s.metricsRoute)
	return mux
}

// Routes lists the registered "METHOD /path" patterns (for the OpenAPI test).
func (s *Server) Routes() []string { return s.routes }

// handle registers an instrumented route with the default body limit.
func (s *Server) handle(pattern string, h http.Handler) {
	s.register(pattern, s.maxBody, "", h)
}

// handleLimit registers an instrumented route with its own body limit.
func (s *Server) handleLimit(pattern string, maxBody int64, h http.Handler) {
	s.register(pattern, maxBody, "", h)
}

// handleSecret registers an instrumented route whose wildcard secret
// carries a credential (a provisioning key, a configuration link's id):
// logs show that part of the path as REDACTED. Metrics are labelled with
// the pattern only, on every route.
func (s *Server) handleSecret(pattern, secret string, h http.Handler) {
	s.register(pattern, s.maxBody, secret, h)
}

func (s *Server) register(pattern string, maxBody int64, secret string, h http.Handler) http.Handler {
	s.routes = append(s.routes, pattern)
	logPath := escapedPath
	if secret != "" {
		at, prefix := secretSegment(pattern, secret)
		logPath = func(r *http.Request) string { return redactSegment(r.URL.EscapedPath(), at) }
		s.secretPrefixes = append(s.secretPrefixes, prefix)
	}
	h = s.instrument(pattern, maxBody, logPath, h)
	s.mux.Handle(pattern, h)
	return h
}

// redacted stands in the logs for a secret part of a path.
const redacted = "REDACTED"

// escapedPath is the path of r as logged when it holds no secret.
func escapedPath(r *http.Request) string { return r.URL.EscapedPath() }

// secretSegment returns the index, among the "/"-separated segments of
// pattern's path, of the wildcard named secret, and the literal path
// before it. A pattern without that wildcard is a bug.
func secretSegment(pattern, secret string) (int, string) {
	_, path, _ := strings.Cut(pattern, " ")
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		if seg == "{"+secret+"}" || seg == "{"+secret+"...}" {
			return i, strings.Join(segs[:i], "/") + "/"
		}
	}
	panic("httpapi: route " + pattern + " has no wildcard {" + secret + "}")
}

// redactSegment replaces the segment at of path, and every segment after
// it when at is the last one a route matched ({name...}), by REDACTED.
func redactSegment(path string, at int) string {
	segs := strings.Split(path, "/")
	if at >= len(segs) {
		return path
	}
	return strings.Join(append(segs[:at:at], redacted), "/")
}

// unmatchedPath is the logged path of a request no route takes: a path
// under a secret route's literal prefix (say /provisioning/ with the wrong
// method) is shown as that prefix and REDACTED, the longest prefix first.
func (s *Server) unmatchedPath(r *http.Request) string {
	path, best := r.URL.EscapedPath(), ""
	for _, p := range s.secretPrefixes {
		if strings.HasPrefix(path, p) && len(p) > len(best) {
			best = p
		}
	}
	if best == "" {
		return path
	}
	return best + redacted
}

// requestState is what instrument and the authenticating wrappers
// (withTenant, withOAuth, withSIP) know of a request, under one context
// key: instrument puts it in, the wrapper that authenticates the caller
// sets who it is, on the request's own goroutine before its handler runs.
// A context value and a copy of the request for each of them were two
// allocations and 300 bytes of every request.
type requestState struct {
	path   string    // as the logs show it, secrets redacted
	actor  sb.Actor  // the tenant of withTenant and withOAuth
	caller sipCaller // the account of withSIP
}

type requestStateKey struct{}

// stateOf returns r's state, putting a new one in r's context when r has
// none (a handler served without instrument, as some tests serve one).
func stateOf(r *http.Request) (*http.Request, *requestState) {
	if st, ok := r.Context().Value(requestStateKey{}).(*requestState); ok {
		return r, st
	}
	st := &requestState{path: redacted}
	return r.WithContext(context.WithValue(r.Context(), requestStateKey{}, st)), st
}

// loggedPath is the path of r as the logs show it, secrets redacted.
func loggedPath(r *http.Request) string {
	if st, ok := r.Context().Value(requestStateKey{}).(*requestState); ok {
		return st.path
	}
	return redacted
}

// handlerFunc is the shape of every handler: errors go to one writer.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// errorWriter writes an error answer in one family's format.
type errorWriter func(w http.ResponseWriter, r *http.Request, err error)

// adapt turns a handler into a route of the family whose format write
// is: errors are logged when internal and answered by write, and so is a
// panic, as an internal error.
func (s *Server) adapt(write errorWriter, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				s.answerPanic(w, r, p, write)
			}
		}()
		if err := h(w, r); err != nil {
			s.logError(r, err)
			if sb.ErrorCode(err) == sb.ERATELIMIT {
				w.Header().Set("Retry-After", retryAfter(err))
			}
			write(w, r, err)
		}
	})
}

// defaultRetryAfter is the wait a 429 asks for when the error does not say.
const defaultRetryAfter = 10 * time.Second

// retryAfter is the Retry-After value of a rate-limit error: whole seconds,
// rounded up, at least 1.
func retryAfter(err error) string {
	d := sb.RetryAfter(err)
	if d <= 0 {
		d = defaultRetryAfter
	}
	return strconv.FormatInt(max(1, int64(math.Ceil(d.Seconds()))), 10)
}

// answerPanic logs a recovered panic with its stack and, unless the answer
// has begun, answers an internal error through write. http.ErrAbortHandler
// goes on up: net/http uses it to drop the connection.
func (s *Server) answerPanic(w http.ResponseWriter, r *http.Request, p any, write errorWriter) {
	if p == http.ErrAbortHandler {
		panic(p)
	}
	s.log.ErrorContext(r.Context(), "panic", "route", r.Pattern, "panic", p, "stack", string(debug.Stack()))
	if rec, ok := w.(*recorder); ok && rec.wrote {
		return
	}
	write(w, r, sb.Errorf(sb.EINTERNAL, "handler panicked"))
}

// plain adapts a handler whose errors are written as text.
func (s *Server) plain(h handlerFunc) http.Handler { return s.adapt(writePlainError, h) }

func writePlainError(w http.ResponseWriter, _ *http.Request, err error) {
	http.Error(w, sb.ErrorMessage(err), statusOf(err))
}

// jsonRPC wraps the JSON-RPC transport, which answers its methods' errors
// and panics itself, so that a panic of the transport still gets a
// JSON-RPC answer.
func (s *Server) jsonRPC(h http.Handler) http.Handler {
	return s.adapt(writeJSONRPCError, func(w http.ResponseWriter, r *http.Request) error {
		h.ServeHTTP(w, r)
		return nil
	})
}

// writeJSONRPCError answers a failure of the transport itself with an
// Internal error (-32603) response, and a request no JSON-RPC route takes
// (a wrong method: JSON-RPC is POST only) with Invalid Request (-32600),
// as the transport itself does; the request's id is unknown here, so it is
// null, as JSON-RPC 2.0 (section 5) has it for an id not read.
func writeJSONRPCError(w http.ResponseWriter, _ *http.Request, err error) {
	type rpcError struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	status := statusOf(err)
	e := rpcError{-32603, "Internal error"}
	if status == http.StatusMethodNotAllowed || status == http.StatusNotFound {
		e = rpcError{-32600, "Invalid Request: " + sb.ErrorMessage(err)}
	}
	writeJSON(w, status, struct {
		JSONRPC string   `json:"jsonrpc"`
		Error   rpcError `json:"error"`
		ID      any      `json:"id"`
	}{"2.0", e, nil})
}

// fieldErrorBody is the {"message":...,"errors":{field:[...]}} body of the
// SIP API and the iConfig API.
func fieldErrorBody(field, message string) map[string]any {
	body := map[string]any{"message": message}
	if field != "" {
		body["errors"] = map[string][]string{field: {message}}
	}
	return body
}

// statusOf is the HTTP status of a domain error code, shared by the REST
// families whose bodies differ.
func statusOf(err error) int {
	if errors.Is(err, errMethodNotAllowed) {
		return http.StatusMethodNotAllowed
	}
	return httpstatus.Of(err)
}

// logError logs internal errors with detail; user errors need no log line.
func (s *Server) logError(r *http.Request, err error) {
	if sb.ErrorCode(err) != sb.EINTERNAL {
		return
	}
	if r.Context().Err() != nil {
		// The client went away or the request timed out: not a fault of ours.
		s.log.DebugContext(r.Context(), "request abandoned", "method", r.Method, "path", loggedPath(r), "err", err)
		return
	}
	s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", loggedPath(r), "err", err)
}

// instrument adds the body limit, the request timeout, the access log, the
// metrics and a last panic recovery to a route. Logs show the path as
// logPath words it (secrets redacted); metrics are labelled by route only.
func (s *Server) instrument(route string, maxBody int64, logPath func(*http.Request) string, h http.Handler) http.Handler {
	// The route's latency series and its count of 200s are looked up on
	// their first use and kept, not looked up on every request (a lookup
	// hashes the labels under a lock); other statuses take the lookup.
	// A series appears in /metrics only once used, as before.
	var latency atomic.Pointer[prometheus.Observer]
	var ok atomic.Pointer[prometheus.Counter]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		path := logPath(r)
		client := r.Context() // net/http ends it when the client closes the connection
		ctx, cancel := context.WithTimeout(context.WithValue(client, requestStateKey{}, &requestState{path: path}), s.timeout)
		defer cancel()
		r = r.WithContext(ctx)
		if r.Body != nil {
			r.Body = http.MaxBytesReader(rec, r.Body, maxBody)
		}
		defer func() {
			// The family adapters answer their routes' panics; this is for
			// the routes without one (metrics, ping), answered as text.
			if p := recover(); p != nil {
				s.answerPanic(rec, r, p, writePlainError)
			}
			d := time.Since(start)
			status := rec.status
			if status >= 500 && client.Err() != nil {
				// The client closed the connection before its answer: the
				// error is its leaving (a request abandoned mid-query, a
				// hash it no longer waits for), not a fault of ours, and
				// must not count among the 5xx an operator alerts on.
				// nginx's 499, "client closed request".
				status = statusClientClosed
			}
			if status == http.StatusOK {
				c := ok.Load()
				if c == nil {
					c = new(prometheus.Counter)
					*c = s.metrics.requests.WithLabelValues(route, "200")
					ok.Store(c)
				}
				(*c).Inc()
			} else {
				s.metrics.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
			}
			o := latency.Load()
			if o == nil {
				o = new(prometheus.Observer)
				*o = s.metrics.latency.WithLabelValues(route)
				latency.Store(o)
			}
			(*o).Observe(d.Seconds())
			// The same line as Info with key-value pairs, built here: no
			// value boxed, no caller's PC looked up (no handler of ours
			// adds the source), no second reading of the clock (the
			// access log is on every request).
			if h := s.log.Handler(); h.Enabled(r.Context(), slog.LevelInfo) {
				line := slog.NewRecord(start.Add(d), slog.LevelInfo, "request", 0)
				line.AddAttrs(slog.String("method", r.Method), slog.String("route", route),
					slog.String("path", path), slog.Int("status", status), slog.Int64("bytes", rec.bytes),
					slog.Float64("duration_ms", float64(d.Microseconds())/1000), slog.String("remote", clientIP(r)))
				_ = h.Handle(r.Context(), line)
			}
		}()
		h.ServeHTTP(rec, r)
	})
}

// statusClientClosed is the status the access log and the metrics give a
// request whose client left before its answer (nginx's 499); the client
// never sees it.
const statusClientClosed = 499

// recorder remembers the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush on the real writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// clientIP is the peer address of the request, without the port.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

type metrics struct {
	requests     *prometheus.CounterVec
	latency      *prometheus.HistogramVec
	authFailures *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_http_requests_total", Help: "HTTP requests by route and status.",
		}, []string{"route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "switchboard_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"route"}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_auth_failures_total", Help: "Refused credential checks by surface and reason.",
		}, []string{"surface", "reason"}),
	}
	reg.MustRegister(m.requests, m.latency, m.authFailures)
	return m
}

// countAuthFailure records a refused credential check.
func (s *Server) countAuthFailure(surface string, err error) {
	s.metrics.authFailures.WithLabelValues(surface, sb.ErrorCode(err)).Inc()
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.Ping(r.Context()); err != nil {
		s.log.Error("health check failed", "err", err)
		return &sb.Error{Code: sb.EUNAVAILABLE, Message: "store unreachable", Err: err}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err := w.Write([]byte("ok\n"))
	return err
}

// writeDocument writes doc, a whole answer already made (a profile, a
// provisioning document, a QR code), in one segment (httpcork), after the
// header w holds.
func writeDocument(w http.ResponseWriter, r *http.Request, doc []byte) error {
	return httpcork.Write(w, r, http.StatusOK, doc)
}

//go:embed openapi.json
var openAPI []byte

func serveOpenAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	return writeDocument(w, r, openAPI)
}

// bearer returns the token of an "Authorization: Bearer" header.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}
