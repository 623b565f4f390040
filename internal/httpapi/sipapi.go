package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	sb "github.com/switchboard/switchboard"
)

// The SIP account API (flexisip-account-manager style) under /api: from:
// sip:user@domain, HTTP Digest (MD5, SHA-256) or x-api-key, JSON bodies,
// errors as {"message":...,"errors":{field:[...]}}.
func (s *Server) registerSIP() {
	s.handle("GET /api/ping", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "pong")
	}))
	s.handle("GET /api/accounts/{sip}/info", s.sipAPI(s.getSIPInfo))
	s.handle("GET /api/accounts/me", s.sipAPI(s.withSIP(true, s.getSIPMe)))
	s.handle("DELETE /api/accounts/me", s.sipAPI(s.withSIP(true, s.deleteSIPMe)))
	s.handle("POST /api/accounts/me/password", s.sipAPI(s.withSIP(true, s.postSIPPassword)))
	s.handle("POST /api/accounts", s.sipAPI(s.withSIP(false, s.postSIPAccount)))
	s.handle("GET /api/accounts", s.sipAPI(s.withSIP(false, s.getSIPAccounts)))
	s.handle("GET /api/accounts/{id}", s.sipAPI(s.withSIP(false, s.getSIPAccountByID)))
	s.handle("DELETE /api/accounts/{id}", s.sipAPI(s.withSIP(false, s.deleteSIPAccountByID)))
	// GET is the seed's; flexisip-account-manager 2.x sends POST.
	for _, m := range []string{"GET", "POST"} {
		s.handle(m+" /api/accounts/{id}/activate", s.sipAPI(s.withSIP(false, s.activateSIP(true))))
		s.handle(m+" /api/accounts/{id}/deactivate", s.sipAPI(s.withSIP(false, s.activateSIP(false))))
	}
}

// sipAPI adapts a handler to the family's error format; a 401 carries the
// Digest challenges the service chooses for the account in the from header.
func (s *Server) sipAPI(h handlerFunc) http.Handler { return s.adapt(s.writeSIPError, h) }

func (s *Server) writeSIPError(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := sipAnswer(err)
	if status == http.StatusUnauthorized && r.Header.Get("x-api-key") == "" {
		if chs, cerr := s.svc.SIPChallenges(r.Context(), r.Header.Get("From"), errors.Is(err, sb.ErrStale)); cerr == nil {
			for _, c := range chs {
				w.Header().Add("WWW-Authenticate", c)
			}
		}
	}
	writeJSON(w, status, fieldErrorBody(sb.ErrorField(err), msg))
}

type sipCaller struct {
	actor   sb.Actor
	account *sb.Account
}

// withSIP checks the headers, authenticates the caller and, for user
// endpoints, requires an activated account. Admin endpoints check the admin
// flag in the service.
func (s *Server) withSIP(user bool, h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := checkSIPHeaders(r); err != nil {
			return err
		}
		actor, a, err := s.svc.AuthenticateSIP(r.Context(), sb.SIPRequest{
			From: r.Header.Get("From"), Authorization: r.Header.Get("Authorization"), APIKey: r.Header.Get("x-api-key"),
			Method: r.Method, URI: r.URL.RequestURI(), IP: clientIP(r), RequireActivated: user,
		})
		if err != nil {
			s.countAuthFailure("sip", err)
			return err
		}
		r, st := stateOf(r)
		st.caller = sipCaller{actor, a}
		return h(w, r)
	}
}

func sipCallerOf(r *http.Request) sipCaller {
	if st, ok := r.Context().Value(requestStateKey{}).(*requestState); ok {
		return st.caller
	}
	return sipCaller{}
}

// checkSIPHeaders enforces the documented headers: from (unless an API key
// is used), a JSON content-type on bodies, and an accept that allows JSON.
func checkSIPHeaders(r *http.Request) error {
	if r.Header.Get("x-api-key") == "" {
		if _, ok := sb.SIPAddress(r.Header.Get("From")); !ok {
			return &sb.Error{Code: sb.EMALFORMED, Field: "from", Message: "The from header must be a SIP address: sip:user@domain."}
		}
	}
	return checkBodyHeaders(r)
}

// checkBodyHeaders requires a JSON content-type on bodies and an accept
// header that allows JSON.
func checkBodyHeaders(r *http.Request) error {
	if accept := r.Header.Get("Accept"); accept != "" && !strings.Contains(accept, "json") && !strings.Contains(accept, "*/*") {
		return &sb.Error{Code: sb.EMALFORMED, Field: "accept", Message: "The accept header must allow application/json."}
	}
	if r.ContentLength > 0 || r.Header.Get("Transfer-Encoding") != "" {
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			return &sb.Error{Code: sb.EMALFORMED, Field: "content-type", Message: "The content-type header must be application/json."}
		}
	}
	return nil
}

// decodeSIPBody reads a JSON object body into v; an empty body is {}.
func decodeSIPBody(r *http.Request, v any) error {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return bodyError(err)
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return sb.FieldError(te.Field, "The %s field has the wrong type.", te.Field)
		}
		return sb.Errorf(sb.EMALFORMED, "The body must be a JSON object.")
	}
	return nil
}

type sipAccountJSON struct {
	ID              int64    `json:"id"`
	Username        string   `json:"username"`
	Domain          string   `json:"domain"`
	Email           string   `json:"email,omitempty"`
	Phone           string   `json:"phone,omitempty"`
	Activated       bool     `json:"activated"`
	Admin           bool     `json:"admin"`
	Provisioned     bool     `json:"provisioned"`
	Algorithms      []string `json:"algorithms"`
	ConfirmationKey string   `json:"confirmation_key,omitempty"`
	CreatedAt       string   `json:"created_at"`
	UpdatedAt       string   `json:"updated_at"`
}

func toSIPAccount(a *sb.Account) sipAccountJSON {
	algs := a.Algorithms
	if algs == nil {
		algs = []string{}
	}
	return sipAccountJSON{ID: a.ID, Username: a.Local, Domain: a.Email[len(a.Local)+1:], Email: a.ContactEmail,
		Phone: a.Phone, Activated: a.Activated, Admin: a.Admin, Provisioned: a.Provisioned, Algorithms: algs,
		CreatedAt: a.CreatedAt.UTC().Format(time.RFC3339), UpdatedAt: a.UpdatedAt.UTC().Format(time.RFC3339)}
}

func (s *Server) getSIPInfo(w http.ResponseWriter, r *http.Request) error {
	a, err := s.svc.PublicSIPAccount(r.Context(), r.PathValue("sip"))
	if err != nil {
		return err
	}
	// Public fields only.
	return writeJSON(w, http.StatusOK, map[string]any{"username": a.Local, "domain": a.Email[len(a.Local)+1:], "activated": a.Activated})
}

func (s *Server) getSIPMe(w http.ResponseWriter, r *http.Request) error {
	// The account AuthenticateSIP read to let the caller in, in this
	// request: reading it again was one of the request's three reads.
	c := sipCallerOf(r)
	a := c.account
	if a == nil {
		var err error
		if a, err = s.svc.SIPAccount(r.Context(), c.actor); err != nil {
			return err
		}
	}
	return writeJSON(w, http.StatusOK, toSIPAccount(a))
}

func (s *Server) deleteSIPMe(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.DeleteOwnSIPAccount(r.Context(), sipCallerOf(r).actor); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) postSIPPassword(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Algorithm   string `json:"algorithm"`
		OldPassword string `json:"old_password"`
		Password    string `json:"password"`
	}
	if err := decodeSIPBody(r, &in); err != nil {
		return err
	}
	a, err := s.svc.ChangeSIPPassword(r.Context(), sipCallerOf(r).actor, in.Algorithm, in.OldPassword, in.Password, clientIP(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toSIPAccount(a))
}

func (s *Server) postSIPAccount(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Username               string `json:"username"`
		Password               string `json:"password"`
		Algorithm              string `json:"algorithm"`
		Activated              bool   `json:"activated"`
		Admin                  bool   `json:"admin"`
		Phone                  string `json:"phone"`
		Email                  string `json:"email"`
		ConfirmationKeyExpires string `json:"confirmation_key_expires"`
	}
	if err := decodeSIPBody(r, &in); err != nil {
		return err
	}
	var expires time.Time
	if in.ConfirmationKeyExpires != "" {
		t, err := time.ParseInLocation("2006-01-02 15:04:05", in.ConfirmationKeyExpires, time.UTC)
		if err != nil {
			return sb.FieldError("confirmation_key_expires", "The confirmation_key_expires must be a date of the form Y-m-d H:i:s.")
		}
		expires = t
	}
	out, err := s.svc.CreateSIPAccount(r.Context(), sipCallerOf(r).actor, sb.NewSIPAccount{
		Username: in.Username, Password: in.Password, Algorithm: in.Algorithm, Activated: in.Activated, Admin: in.Admin,
		Phone: in.Phone, Email: in.Email, ConfirmationKeyExpires: expires,
	})
	if err != nil {
		return err
	}
	j := toSIPAccount(out.Account)
	j.ConfirmationKey = out.ConfirmationKey
	return writeJSON(w, http.StatusCreated, j)
}

// getSIPAccounts answers a Laravel-style page object.
func (s *Server) getSIPAccounts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	page, perPage := 1, 15
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return sb.FieldError("page", "The page must be a positive integer.")
		}
		page = n
	}
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return sb.FieldError("per_page", "The per_page must be between 1 and 100.")
		}
		perPage = n
	}
	list, total, err := s.svc.SIPAccountsPage(r.Context(), sipCallerOf(r).actor, page, perPage)
	if err != nil {
		return err
	}
	data := make([]sipAccountJSON, 0, len(list))
	for i := range list {
		data = append(data, toSIPAccount(&list[i]))
	}
	last := int((total + int64(perPage) - 1) / int64(perPage))
	if last < 1 {
		last = 1
	}
	base := s.requestBase(r) + r.URL.Path
	pageURL := func(n int) any {
		if n < 1 || n > last {
			return nil
		}
		v := url.Values{"page": {strconv.Itoa(n)}}
		if q.Get("per_page") != "" {
			v.Set("per_page", strconv.Itoa(perPage))
		}
		return base + "?" + v.Encode()
	}
	var from, to any
	if len(data) > 0 {
		from, to = (page-1)*perPage+1, (page-1)*perPage+len(data)
	}
	return writeJSON(w, http.StatusOK, map[string]any{
		"current_page": page, "data": data, "first_page_url": pageURL(1), "from": from, "last_page": last,
		"last_page_url": pageURL(last), "next_page_url": pageURL(page + 1), "path": base, "per_page": perPage,
		"prev_page_url": pageURL(page - 1), "to": to, "total": total,
	})
}

// requestBase is the scheme and host the client used, or --public-url.
func (s *Server) requestBase(r *http.Request) string {
	if s.public != "" {
		return s.public
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func sipPathID(r *http.Request) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || n <= 0 {
		return 0, sb.Errorf(sb.ENOTFOUND, "account not found")
	}
	return n, nil
}

func (s *Server) getSIPAccountByID(w http.ResponseWriter, r *http.Request) error {
	id, err := sipPathID(r)
	if err != nil {
		return err
	}
	a, err := s.svc.GetSIPAccount(r.Context(), sipCallerOf(r).actor, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toSIPAccount(a))
}

func (s *Server) deleteSIPAccountByID(w http.ResponseWriter, r *http.Request) error {
	id, err := sipPathID(r)
	if err != nil {
		return err
	}
	if err := s.svc.DeleteSIPAccount(r.Context(), sipCallerOf(r).actor, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) activateSIP(on bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := sipPathID(r)
		if err != nil {
			return err
		}
		a, err := s.svc.SetSIPActivated(r.Context(), sipCallerOf(r).actor, id, on)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, toSIPAccount(a))
	}
}
