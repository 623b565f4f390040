package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	sb "github.com/switchboard/switchboard"
)

// App passwords of the mail admin family: a tenant lists, creates and
// revokes those of its domains' mailboxes, named by the user id that
// GET /users/{domain_id} shows.
func (s *Server) registerAppPasswords() {
	s.handle("GET /app-passwords/{user_id}", s.mailAdmin(s.withTenant(s.getAppPasswords)))
	s.handle("POST /app-password/{user_id}", s.mailAdmin(s.withTenant(s.postAppPassword)))
	s.handle("DELETE /app-passwords", s.mailAdmin(s.withTenant(s.deleteAppPassword)))
}

type appPasswordJSON struct {
	ID        int64    `json:"id"`
	UserID    int64    `json:"user_id"`
	Email     string   `json:"email"`
	Name      string   `json:"name"`
	Protocols []string `json:"protocols"` // []: every protocol
	CreatedAt string   `json:"created_at"`
}

func toAppPasswordJSON(p sb.AppPassword) appPasswordJSON {
	protocols := p.Protocols
	if protocols == nil {
		protocols = []string{}
	}
	return appPasswordJSON{ID: p.ID, UserID: p.AccountID, Email: p.Email, Name: p.Name, Protocols: protocols,
		CreatedAt: p.CreatedAt.UTC().Format(time.RFC3339)}
}

func (s *Server) getAppPasswords(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "user_id")
	if err != nil {
		return err
	}
	list, err := s.svc.ListAppPasswords(r.Context(), actorOf(r), sb.AccountRef{ID: id})
	if err != nil {
		return err
	}
	out := make([]appPasswordJSON, 0, len(list))
	for _, p := range list {
		out = append(out, toAppPasswordJSON(p))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"result": true, "app_passwords": out})
}

// postAppPassword creates one: name (optional) and protocols (optional:
// repeated fields, comma-separated, or a JSON array). The answer carries
// the password, the only time it is shown.
func (s *Server) postAppPassword(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "user_id")
	if err != nil {
		return err
	}
	p, err := ReadParams(r)
	if err != nil {
		return err
	}
	protocols, err := protocolList(p, "protocols")
	if err != nil {
		return err
	}
	created, err := s.svc.CreateAppPassword(r.Context(), actorOf(r), sb.AccountRef{ID: id},
		sb.NewAppPassword{Name: p.Get("name"), Protocols: protocols})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"result": true,
		"app_password": toAppPasswordJSON(created.AppPassword), "password": created.Password})
}

func (s *Server) deleteAppPassword(w http.ResponseWriter, r *http.Request) error {
	p, err := ReadParams(r)
	if err != nil {
		return err
	}
	id, err := p.ID("id")
	if err != nil {
		return err
	}
	if err := s.svc.RevokeAppPassword(r.Context(), actorOf(r), sb.AccountRef{}, id); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"result": true})
}

// protocolList reads a list of names: each value comma- or space-separated,
// or a JSON array of strings as a JSON body carries it.
func protocolList(p Params, name string) ([]string, error) {
	var out []string
	for _, v := range p[name] {
		if t := strings.TrimSpace(v); strings.HasPrefix(t, "[") {
			var items []string
			if err := json.Unmarshal([]byte(t), &items); err != nil {
				return nil, sb.FieldError(name, "%s must be a list of names", name)
			}
			out = append(out, items...)
			continue
		}
		out = append(out, strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' })...)
	}
	return out, nil
}
