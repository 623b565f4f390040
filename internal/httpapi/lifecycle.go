package httpapi

import (
	"net/http"

	qrcode "github.com/skip2/go-qrcode"

	sb "github.com/switchboard/switchboard"
)

func (s *Server) registerLifecycle() {
	s.handle("POST /api/tokens", s.sipAPI(s.checked(s.postTokens)))
	s.handle("POST /api/accounts/with-token", s.sipAPI(s.checked(s.postWithToken)))
	s.handle("POST /api/accounts/{sip}/activate/email", s.sipAPI(s.checked(s.activateCode("email"))))
	s.handle("POST /api/accounts/{sip}/activate/phone", s.sipAPI(s.checked(s.activateCode("phone"))))
	s.handle("POST /api/accounts/me/email/request", s.sipAPI(s.withSIP(true, s.postContactRequest("email"))))
	s.handle("POST /api/accounts/me/email", s.sipAPI(s.withSIP(true, s.postContactConfirm("email"))))
	s.handle("POST /api/accounts/me/phone/request", s.sipAPI(s.withSIP(true, s.postContactRequest("phone"))))
	s.handle("POST /api/accounts/me/phone", s.sipAPI(s.withSIP(true, s.postContactConfirm("phone"))))
	s.handleSecret("GET /provisioning/{confirmation_key}", "confirmation_key", s.plain(s.getProvisioning))
	s.handleSecret("GET /provisioning/qrcode/{confirmation_key}", "confirmation_key", s.plain(s.getProvisioningQR))
}

// checked applies the family's header checks to a public endpoint (no from
// header needed).
func (s *Server) checked(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := checkBodyHeaders(r); err != nil {
			return err
		}
		return h(w, r)
	}
}

func (s *Server) postTokens(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Provider string `json:"pn_provider"`
		Param    string `json:"pn_param"`
		PRID     string `json:"pn_prid"`
	}
	if err := decodeSIPBody(r, &in); err != nil {
		return err
	}
	if err := s.svc.SendAccountCreationToken(r.Context(), in.Provider, in.Param, in.PRID); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{})
}

func (s *Server) postWithToken(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Username  string `json:"username"`
		Password  string `json:"password"`
		Algorithm string `json:"algorithm"`
		Domain    string `json:"domain"`
		Token     string `json:"token"`
		Email     string `json:"email"`
		Phone     string `json:"phone"`
	}
	if err := decodeSIPBody(r, &in); err != nil {
		return err
	}
	out, err := s.svc.CreateAccountWithToken(r.Context(), sb.TokenAccount{Username: in.Username, Password: in.Password,
		Algorithm: in.Algorithm, Domain: in.Domain, Token: in.Token, Email: in.Email, Phone: in.Phone}, clientIP(r))
	if err != nil {
		return err
	}
	j := toSIPAccount(out.Account)
	j.ConfirmationKey = out.ConfirmationKey
	return writeJSON(w, http.StatusCreated, j)
}

func (s *Server) activateCode(channel string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in struct {
			Code string `json:"code"`
		}
		if err := decodeSIPBody(r, &in); err != nil {
			return err
		}
		a, err := s.svc.ActivateWithCode(r.Context(), r.PathValue("sip"), channel, in.Code, clientIP(r))
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, toSIPAccount(a))
	}
}

func (s *Server) postContactRequest(channel string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in struct {
			Email string `json:"email"`
			Phone string `json:"phone"`
		}
		if err := decodeSIPBody(r, &in); err != nil {
			return err
		}
		actor := sipCallerOf(r).actor
		var err error
		if channel == "phone" {
			err = s.svc.RequestPhoneChange(r.Context(), actor, in.Phone)
		} else {
			err = s.svc.RequestEmailChange(r.Context(), actor, in.Email)
		}
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, map[string]any{})
	}
}

func (s *Server) postContactConfirm(channel string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in struct {
			Code string `json:"code"`
		}
		if err := decodeSIPBody(r, &in); err != nil {
			return err
		}
		a, err := s.svc.ConfirmContactChange(r.Context(), sipCallerOf(r).actor, channel, in.Code, clientIP(r))
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, toSIPAccount(a))
	}
}

// getProvisioning serves the liblinphone remote-provisioning XML the
// service composes for the key.
func (s *Server) getProvisioning(w http.ResponseWriter, r *http.Request) error {
	doc, err := s.svc.Provision(r.Context(), r.PathValue("confirmation_key"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Cache-Control", "no-store")
	return writeDocument(w, r, doc)
}

// getProvisioningQR answers a PNG QR code of the absolute provisioning URL.
func (s *Server) getProvisioningQR(w http.ResponseWriter, r *http.Request) error {
	key := r.PathValue("confirmation_key")
	if key == "" || len(key) > 128 {
		return sb.Errorf(sb.ENOTFOUND, "no provisioning for this key")
	}
	png, err := qrcode.Encode(s.requestBase(r)+"/provisioning/"+key, qrcode.Medium, 512)
	if err != nil {
		return sb.Internal(err)
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	return writeDocument(w, r, png)
}
