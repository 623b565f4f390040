package httpapi

import (
	"crypto/tls"
	"net/http"
	"time"

	sb "github.com/switchboard/switchboard"
)

func (s *Server) registerCerts() {
	s.handle("POST /ssl/letsencrypt/install", s.mailAdmin(s.withTenant(s.postLetsEncrypt)))
	s.handle("POST /ssl/get-left-days", s.mailAdmin(s.withTenant(s.postLeftDays)))
	s.handle("POST /ssl/upload", s.mailAdmin(s.withTenant(s.postUpload)))
	s.handle("GET /.well-known/acme-challenge/{token}", s.plain(s.getChallenge))
}

func certJSON(c *sb.Certificate) map[string]any {
	return map[string]any{"result": true, "hostname": c.Hostname, "names": c.Names, "issuer": c.Issuer,
		"not_after": c.NotAfter.UTC().Format(time.RFC3339), "days_left": c.DaysLeft}
}

func (s *Server) postLetsEncrypt(w http.ResponseWriter, r *http.Request) error {
	_, v, err := readRequired(r, "hostname")
	if err != nil {
		return err
	}
	c, err := s.svc.InstallACMECertificate(r.Context(), actorOf(r), v[0])
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, certJSON(c))
}

func (s *Server) postLeftDays(w http.ResponseWriter, r *http.Request) error {
	_, v, err := readRequired(r, "hostname")
	if err != nil {
		return err
	}
	c, err := s.svc.Certificate(r.Context(), actorOf(r), v[0])
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, certJSON(c))
}

func (s *Server) postUpload(w http.ResponseWriter, r *http.Request) error {
	p, err := ReadParams(r)
	if err != nil {
		return err
	}
	c, err := s.svc.UploadCertificate(r.Context(), actorOf(r), p.Get("ssl_certificate"), p.Get("ssl_certificate_key"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, certJSON(c))
}

// getChallenge answers the ACME CA's HTTP-01 request, on any instance.
func (s *Server) getChallenge(w http.ResponseWriter, r *http.Request) error {
	ka, err := s.svc.ACMEKeyAuthorization(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain")
	_, err = w.Write([]byte(ka))
	return err
}

// ChallengeHandler serves only the HTTP-01 route, for --acme-http-listen
// (port 80 in production).
func (s *Server) ChallengeHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /.well-known/acme-challenge/{token}", s.instrument("acme-http", 0, escapedPath, s.plain(s.getChallenge)))
	return mux
}

// GetCertificate picks the stored certificate for a TLS client's SNI name,
// for --tls-listen. Certificates are reloaded at most every refresh.
func (s *Server) GetCertificate(refresh time.Duration) func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c := &certCache{svc: s.svc, refresh: refresh}
	return c.get
}
