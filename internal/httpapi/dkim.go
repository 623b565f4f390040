package httpapi

import (
	"net/http"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/dkim"
)

func (s *Server) registerDKIM() {
	s.handle("POST /dkim/add-new-domain", s.mailAdmin(s.withTenant(s.postDKIM)))
	s.handle("GET /dkim", s.mailAdmin(s.withTenant(s.getDKIM)))
	s.handle("POST /dkim/activate", s.mailAdmin(s.withTenant(s.postDKIMActivate)))
	s.handle("DELETE /dkim", s.mailAdmin(s.withTenant(s.deleteDKIM)))
}

type dkimJSON struct {
	Selector  string `json:"selector"`
	Algorithm string `json:"algorithm"`
	Active    bool   `json:"active"`
	DNSName   string `json:"dns_name"`
	DNSValue  string `json:"dns_value"`
	Created   string `json:"created"`
}

func toDKIMJSON(k sb.DKIMKey) dkimJSON {
	return dkimJSON{Selector: k.Selector, Algorithm: k.Algorithm, Active: k.Active,
		DNSName: dkim.DNSName(k.Selector, k.Domain), DNSValue: dkim.DNSValue(k.Algorithm, k.Public),
		Created: k.CreatedAt.UTC().Format(time.RFC3339)}
}

func (s *Server) postDKIM(w http.ResponseWriter, r *http.Request) error {
	p, v, err := readRequired(r, "domain")
	if err != nil {
		return err
	}
	k, err := s.svc.AddDKIMKey(r.Context(), actorOf(r), v[0], p.Get("selector"), p.Get("algorithm"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"result": true, "domain": k.Key.Domain,
		"selector": k.Key.Selector, "algorithm": k.Key.Algorithm, "active": k.Key.Active,
		"dns_name": k.DNSName, "dns_value": k.DNSValue})
}

func (s *Server) getDKIM(w http.ResponseWriter, r *http.Request) error {
	_, v, err := readRequired(r, "domain")
	if err != nil {
		return err
	}
	keys, err := s.svc.ListDKIMKeys(r.Context(), actorOf(r), v[0])
	if err != nil {
		return err
	}
	out := make([]dkimJSON, 0, len(keys))
	for _, k := range keys {
		out = append(out, toDKIMJSON(k))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"result": true, "keys": out})
}

func (s *Server) postDKIMActivate(w http.ResponseWriter, r *http.Request) error {
	_, v, err := readRequired(r, "domain", "selector")
	if err != nil {
		return err
	}
	if err := s.svc.ActivateDKIMKey(r.Context(), actorOf(r), v[0], v[1]); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"result": true})
}

func (s *Server) deleteDKIM(w http.ResponseWriter, r *http.Request) error {
	_, v, err := readRequired(r, "domain", "selector")
	if err != nil {
		return err
	}
	if err := s.svc.DeleteDKIMKey(r.Context(), actorOf(r), v[0], v[1]); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"result": true})
}
