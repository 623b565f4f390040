package httpapi

import (
	"net/http"
	"time"

	sb "github.com/switchboard/switchboard"
)

// OAuth: client management in the mail admin API (tenant actors only) and
// the token endpoint the iConfig-style API authenticates with, whose errors
// follow RFC 6749.
func (s *Server) registerOAuth() {
	s.handle("POST /oauth-clients", s.mailAdmin(s.withTenant(s.postOAuthClient)))
	s.handle("GET /oauth-clients", s.mailAdmin(s.withTenant(s.getOAuthClients)))
	s.handle("DELETE /oauth-clients", s.mailAdmin(s.withTenant(s.deleteOAuthClient)))
	s.handle("POST /oauth/token", s.oauth(s.postOAuthToken))
}

// oauth adapts a handler to RFC 6749's error format (section 5.2).
func (s *Server) oauth(h handlerFunc) http.Handler { return s.adapt(writeOAuthError, h) }

func writeOAuthError(w http.ResponseWriter, _ *http.Request, err error) {
	code, status := "invalid_request", http.StatusBadRequest
	switch sb.ErrorCode(err) {
	case sb.EUNAUTHORIZED:
		code, status = "invalid_client", http.StatusUnauthorized
		w.Header().Set("WWW-Authenticate", `Basic realm="oauth"`)
	case sb.EINVALID:
		if sb.ErrorField(err) == "grant_type" {
			code = "unsupported_grant_type"
		}
	case sb.EMALFORMED:
	case sb.ERATELIMIT:
		// slow_down is registered for the token endpoint by RFC 8628.
		code, status = "slow_down", http.StatusTooManyRequests
	case sb.ETOOLARGE:
		status = http.StatusRequestEntityTooLarge
	default:
		code, status = "server_error", statusOf(err)
	}
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, status, map[string]string{"error": code, "error_description": sb.ErrorMessage(err)})
}

type oauthClientJSON struct {
	ID        int64  `json:"id"`
	ClientID  string `json:"client_id"`
	Tenant    string `json:"tenant"`
	CreatedAt string `json:"created_at"`
}

func toOAuthClientJSON(c sb.OAuthClient) oauthClientJSON {
	return oauthClientJSON{ID: c.ID, ClientID: c.ClientID, Tenant: c.TenantName, CreatedAt: c.CreatedAt.UTC().Format(time.RFC3339)}
}

func (s *Server) postOAuthClient(w http.ResponseWriter, r *http.Request) error {
	p, err := ReadParams(r)
	if err != nil {
		return err
	}
	c, secret, err := s.svc.CreateOAuthClient(r.Context(), actorOf(r), p.Get("tenant"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"result": true, "client": toOAuthClientJSON(*c),
		"client_id": c.ClientID, "client_secret": secret})
}

func (s *Server) getOAuthClients(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.svc.ListOAuthClients(r.Context(), actorOf(r))
	if err != nil {
		return err
	}
	out := make([]oauthClientJSON, 0, len(cs))
	for _, c := range cs {
		out = append(out, toOAuthClientJSON(c))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"oauth_clients": out})
}

func (s *Server) deleteOAuthClient(w http.ResponseWriter, r *http.Request) error {
	p, err := ReadParams(r)
	if err != nil {
		return err
	}
	id, err := p.Required("client_id")
	if err != nil {
		return err
	}
	if err := s.svc.RevokeOAuthClient(r.Context(), actorOf(r), id); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"result": true})
}

func (s *Server) postOAuthToken(w http.ResponseWriter, r *http.Request) error {
	p, err := ReadParams(r)
	if err != nil {
		return err
	}
	id, secret := p.Get("client_id"), p.Get("client_secret")
	// RFC 6749 2.3.1: client credentials may come as HTTP Basic instead.
	if u, pw, ok := r.BasicAuth(); ok && id == "" && secret == "" {
		id, secret = u, pw
	}
	token, expiresIn, err := s.svc.IssueOAuthToken(r.Context(), p.Get("grant_type"), id, secret, clientIP(r))
	if err != nil {
		s.countAuthFailure("oauth", err)
		return err
	}
	w.Header().Set("Pragma", "no-cache")
	return writeJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer",
		"expires_in": int64(expiresIn.Seconds()), "access_token": token})
}
