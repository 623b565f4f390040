package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	sb "github.com/switchboard/switchboard"
)

// The mail admin REST API: /auth, then Auth-token on every call; bodies as
// multipart, urlencoded or JSON; answers {"result":...} JSON.
func (s *Server) registerMailAdmin() {
	s.handle("POST /auth", s.mailAdmin(s.postAuth))
	s.handle("DELETE /auth", s.mailAdmin(s.withTenant(s.deleteAuth)))
	s.handle("GET /domains", s.mailAdmin(s.withTenant(s.getDomains)))
	s.handle("POST /domains", s.mailAdmin(s.withTenant(s.postDomains)))
	s.handle("DELETE /domain", s.mailAdmin(s.withTenant(s.deleteDomain)))
	s.handle("GET /users/{domain_id}", s.mailAdmin(s.withTenant(s.getUsers)))
	s.handle("POST /user/{domain_id}", s.mailAdmin(s.withTenant(s.postUser)))
	s.handle("POST /user-change-password", s.mailAdmin(s.withTenant(s.postChangePassword)))
	s.handle("POST /user-quota", s.mailAdmin(s.withTenant(s.postUserQuota)))
	s.handle("DELETE /users", s.mailAdmin(s.withTenant(s.deleteUser)))
	s.handle("GET /aliases/{domain_id}", s.mailAdmin(s.withTenant(s.getAliases)))
	s.handle("POST /alias/{domain_id}", s.mailAdmin(s.withTenant(s.postAlias)))
	s.handle("DELETE /aliases", s.mailAdmin(s.withTenant(s.deleteAlias)))
	s.handle("GET /vacation/{user_id}", s.mailAdmin(s.withTenant(s.getVacation)))
	s.handle("POST /vacation/{user_id}", s.mailAdmin(s.withTenant(s.postVacation)))
}

// mailAdmin adapts a handler to the family's error format:
// {"result":false,"msg":"..."} with the status of the error's code.
func (s *Server) mailAdmin(h handlerFunc) http.Handler { return s.adapt(writeMailAdminError, h) }

func writeMailAdminError(w http.ResponseWriter, _ *http.Request, err error) {
	body := map[string]any{"result": false, "msg": sb.ErrorMessage(err)}
	if le, ok := errors.AsType[*sb.LineErrors](err); ok && sb.ErrorCode(err) == sb.EINVALID {
		// A refused import file: what is wrong, line by line.
		body["errors"], body["errors_total"] = le.Lines, le.Total
	}
	writeJSON(w, statusOf(err), body)
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// withTenant authenticates the Auth-token (or Bearer) header and puts the
// tenant actor in the request context.
func (s *Server) withTenant(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		token := r.Header.Get("Auth-token")
		if token == "" {
			token = bearer(r)
		}
		actor, err := s.svc.Authenticate(r.Context(), token, clientIP(r))
		if err != nil {
			s.countAuthFailure("mailadmin", err)
			return err
		}
		r, st := stateOf(r)
		st.actor = actor
		return h(w, r)
	}
}

func actorOf(r *http.Request) sb.Actor {
	if st, ok := r.Context().Value(requestStateKey{}).(*requestState); ok {
		return st.actor
	}
	return sb.Actor{}
}

type domainJSON struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	UsersCount int64  `json:"users_count"`
}

type userJSON struct {
	ID       int64  `json:"id"`
	DomainID int64  `json:"domain_id"`
	Email    string `json:"email"`
	quotaJSON
}

type aliasJSON struct {
	ID       int64    `json:"id"`
	DomainID int64    `json:"domain_id"`
	Address  string   `json:"address"`
	Goto     []string `json:"goto"`
}

func toAliasJSON(a sb.Alias) aliasJSON {
	return aliasJSON{ID: a.ID, DomainID: a.DomainID, Address: a.Email, Goto: a.Destinations}
}

func toDomainJSON(d sb.Domain) domainJSON {
	return domainJSON{ID: d.ID, Name: d.Name, UsersCount: d.UsersCount}
}

func toUserJSON(a sb.Account) userJSON {
	return userJSON{ID: a.ID, DomainID: a.DomainID, Email: a.Email, quotaJSON: toQuotaJSON(a)}
}

// usageUserJSON is toUserJSON of a listed mailbox.
func usageUserJSON(u sb.MailboxUsage) userJSON {
	return userJSON{ID: u.ID, DomainID: u.DomainID, Email: u.Email,
		quotaJSON: quotaJSON{Quota: u.Quota.Bytes, QuotaMessages: u.Quota.Messages, QuotaUsed: u.Used.Bytes, QuotaUsedMsgs: u.Used.Messages}}
}

func (s *Server) postAuth(w http.ResponseWriter, r *http.Request) error {
	p, err := ReadParams(r)
	if err != nil {
		return err
	}
	token, expires, err := s.svc.Login(r.Context(), p.Get("username"), p.Get("password"), clientIP(r))
	if err != nil {
		s.countAuthFailure("mailadmin", err)
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"result": true, "token": token,
		"expires_at": expires.UTC().Format(time.RFC3339)})
}

func (s *Server) deleteAuth(w http.ResponseWriter, r *http.Request) error {
	token := r.Header.Get("Auth-token")
	if token == "" {
		token = bearer(r)
	}
	if err := s.svc.Logout(r.Context(), token); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"result": true})
}

func (s *Server) getDomains(w http.ResponseWriter, r *http.Request) error {
	p, err := ReadParams(r)
	if err != nil {
		return err
	}
	page, err := p.Page()
	if err != nil {
		return err
	}
	st := s.newStream(w, r, "domains")
	var j domainJSON
	err = s.svc.ListDomains(r.Context(), actorOf(r), "", page, func(d sb.Domain) error {
		j = toDomainJSON(d)
		return st.item(&j)
	})
	return st.finish(err)
}

func (s *Server) postDomains(w http.ResponseWriter, r *http.Request) error {
	_, v, err := readRequired(r, "domain", "username", "password")
	if err != nil {
		return err
	}
	d, a, err := s.svc.CreateDomain(r.Context(), actorOf(r), sb.NewDomain{Name: v[0], First: &sb.FirstAccount{Address: v[1], Password: v[2]}})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"result": true, "domain": toDomainJSON(*d), "user": toUserJSON(*a)})
}

func (s *Server) deleteDomain(w http.ResponseWriter, r *http.Request) error {
	_, v, err := readRequired(r, "domain")
	if err != nil {
		return err
	}
	if err := s.svc.DeleteDomain(r.Context(), actorOf(r), v[0]); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"result": true})
}

// pathID reads a positive integer path parameter; anything else is a
// malformed request.
func pathID(r *http.Request, name string) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || n <= 0 {
		return 0, sb.Errorf(sb.EMALFORMED, "%s must be a positive integer", name)
	}
	return n, nil
}

// listByDomain streams one page of the list named key of the domain in
// the path: list is the service's lister, toJSON the family's shape of an
// entry.
func listByDomain[T, J any](s *Server, w http.ResponseWriter, r *http.Request, key string,
	list func(ctx context.Context, actor sb.Actor, domain sb.DomainRef, page sb.Page, fn func(T) error) error,
	toJSON func(T) J) error {
	domainID, err := pathID(r, "domain_id")
	if err != nil {
		return err
	}
	p, err := ReadParams(r)
	if err != nil {
		return err
	}
	page, err := p.Page()
	if err != nil {
		return err
	}
	st := s.newStream(w, r, key)
	var j J // one for the list: each row boxed into an interface was an allocation
	return st.finish(list(r.Context(), actorOf(r), sb.DomainRef{ID: domainID}, page, func(v T) error {
		j = toJSON(v)
		return st.item(&j)
	}))
}

// readInDomain reads the domain in the path, then the body with the named
// fields required.
func readInDomain(r *http.Request, names ...string) (int64, Params, []string, error) {
	domainID, err := pathID(r, "domain_id")
	if err != nil {
		return 0, nil, nil, err
	}
	p, v, err := readRequired(r, names...)
	return domainID, p, v, err
}

func (s *Server) getUsers(w http.ResponseWriter, r *http.Request) error {
	return listByDomain(s, w, r, "users", s.svc.ListMailboxUsage, usageUserJSON)
}

func (s *Server) postUser(w http.ResponseWriter, r *http.Request) error {
	domainID, p, v, err := readInDomain(r, "email", "password")
	if err != nil {
		return err
	}
	q, err := readQuota(p)
	if err != nil {
		return err
	}
	a, err := s.svc.CreateMailbox(r.Context(), actorOf(r), sb.NewMailbox{Domain: sb.DomainRef{ID: domainID},
		Address: v[0], Password: v[1], Active: true, InboxSave: true, Quota: q})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"result": true, "user": toUserJSON(*a)})
}

func (s *Server) postChangePassword(w http.ResponseWriter, r *http.Request) error {
	p, err := ReadParams(r)
	if err != nil {
		return err
	}
	id, err := p.ID("id")
	if err != nil {
		return err
	}
	domainID, err := p.ID("domain_id")
	if err != nil {
		return err
	}
	password, err := p.Required("password")
	if err != nil {
		return err
	}
	if err := s.svc.SetAccountPassword(r.Context(), actorOf(r), domainID, id, password); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"result": true})
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) error {
	_, v, err := readRequired(r, "email")
	if err != nil {
		return err
	}
	if err := s.svc.DeleteAccount(r.Context(), actorOf(r), v[0]); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"result": true})
}

func (s *Server) getAliases(w http.ResponseWriter, r *http.Request) error {
	return listByDomain(s, w, r, "aliases", s.svc.ListAliases, toAliasJSON)
}

// postAlias takes goto as a comma-separated list, as the field repeated, or
// as a JSON array.
func (s *Server) postAlias(w http.ResponseWriter, r *http.Request) error {
	domainID, p, v, err := readInDomain(r, "address")
	if err != nil {
		return err
	}
	dests, err := addressList(p, "goto")
	if err != nil {
		return err
	}
	a, err := s.svc.CreateAlias(r.Context(), actorOf(r), sb.DomainRef{ID: domainID}, v[0], dests)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"result": true, "alias": toAliasJSON(*a)})
}

// addressList reads a list field: each value a comma-separated list, or a
// JSON array of strings as a JSON body carries it.
func addressList(p Params, name string) ([]string, error) {
	var vals []string
	for _, v := range p[name] {
		if t := strings.TrimSpace(v); strings.HasPrefix(t, "[") {
			var items []string
			if err := json.Unmarshal([]byte(t), &items); err != nil {
				return nil, sb.FieldError(name, "%s must be a list of addresses", name)
			}
			vals = append(vals, items...)
			continue
		}
		vals = append(vals, v)
	}
	return sb.SplitAddresses(vals...), nil
}

func (s *Server) deleteAlias(w http.ResponseWriter, r *http.Request) error {
	_, v, err := readRequired(r, "address")
	if err != nil {
		return err
	}
	if err := s.svc.DeleteAlias(r.Context(), actorOf(r), v[0]); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"result": true})
}
