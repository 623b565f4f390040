package httpapi

import (
	"fmt"
	"net/http"
)

// HandleInFamily registers, for tests only, a route whose handler is h
// behind the adapter of family: "mailadmin", "sip", "oauth", "iconfig",
// "page", "plain", "jsonrpc", or "bare" for a route with no adapter (as
// /metrics). Call it before the server takes requests.
func (s *Server) HandleInFamily(family, pattern string, h func(http.ResponseWriter, *http.Request) error) {
	adapters := map[string]func(handlerFunc) http.Handler{
		"mailadmin": s.mailAdmin,
		"sip":       s.sipAPI,
		"oauth":     s.oauth,
		"iconfig":   s.iconfig,
		"page":      s.page,
		"plain":     s.plain,
		"jsonrpc": func(h handlerFunc) http.Handler {
			return s.jsonRPC(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h(w, r) }))
		},
		"bare": func(h handlerFunc) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h(w, r) })
		},
	}
	adapt, ok := adapters[family]
	if !ok {
		panic(fmt.Sprintf("HandleInFamily: no family %q", family))
	}
	s.handle(pattern, adapt(h))
}
