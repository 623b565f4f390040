package httpapi

import (
	"net/http"
	"time"

	sb "github.com/switchboard/switchboard"
)

// Devices are a SIP account's registrations, in flexisip-account-manager's
// shape: an object keyed by device uuid. The SIP API serves them to the
// account and its domain's admins, the mail admin REST to the tenant.
func (s *Server) registerDevices() {
	s.handle("GET /api/accounts/me/devices", s.sipAPI(s.withSIP(true, s.getSIPDevices(true))))
	s.handle("DELETE /api/accounts/me/devices/{uuid}", s.sipAPI(s.withSIP(true, s.deleteSIPDevice(true))))
	s.handle("GET /api/accounts/{id}/devices", s.sipAPI(s.withSIP(false, s.getSIPDevices(false))))
	s.handle("DELETE /api/accounts/{id}/devices/{uuid}", s.sipAPI(s.withSIP(false, s.deleteSIPDevice(false))))
	s.handle("GET /devices/{account_id}", s.mailAdmin(s.withTenant(s.getTenantDevices)))
	s.handle("DELETE /devices/{account_id}/{uuid}", s.mailAdmin(s.withTenant(s.deleteTenantDevice)))
}

type pushJSON struct {
	Provider string `json:"provider"`
	Param    string `json:"param"`
	PRID     string `json:"prid"`
}

type deviceJSON struct {
	UUID       string    `json:"uuid"`
	Contact    string    `json:"contact"`
	UserAgent  string    `json:"user_agent"`
	UpdateTime string    `json:"update_time"`
	ExpiresAt  *string   `json:"expires_at"` // null: a permanent binding
	Push       *pushJSON `json:"push"`
}

// devicesJSON renders devices keyed by uuid, {} for none; times are RFC
// 3339 UTC like every time of the SIP API.
func devicesJSON(list []sb.Device) map[string]deviceJSON {
	out := make(map[string]deviceJSON, len(list))
	for _, d := range list {
		j := deviceJSON{UUID: d.UUID, Contact: d.Contact, UserAgent: d.UserAgent, UpdateTime: d.UpdatedAt.UTC().Format(time.RFC3339)}
		if !d.ExpiresAt.IsZero() {
			t := d.ExpiresAt.UTC().Format(time.RFC3339)
			j.ExpiresAt = &t
		}
		if d.Push != nil {
			j.Push = &pushJSON{Provider: d.Push.Provider, Param: d.Push.Param, PRID: d.Push.PRID}
		}
		out[d.UUID] = j
	}
	return out
}

// sipDeviceAccount is the account a devices route names: the caller's own
// under /me, the path's id otherwise.
func sipDeviceAccount(r *http.Request, me bool) (sb.AccountRef, error) {
	if me {
		return sb.AccountRef{ID: sipCallerOf(r).actor.AccountID}, nil
	}
	id, err := sipPathID(r)
	return sb.AccountRef{ID: id}, err
}

func (s *Server) getSIPDevices(me bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ref, err := sipDeviceAccount(r, me)
		if err != nil {
			return err
		}
		list, err := s.svc.ListDevices(r.Context(), sipCallerOf(r).actor, ref)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, devicesJSON(list))
	}
}

func (s *Server) deleteSIPDevice(me bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ref, err := sipDeviceAccount(r, me)
		if err != nil {
			return err
		}
		if err := s.svc.DeleteDevice(r.Context(), sipCallerOf(r).actor, ref, r.PathValue("uuid")); err != nil {
			return err
		}
		w.WriteHeader(http.StatusOK)
		return nil
	}
}

func (s *Server) getTenantDevices(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "account_id")
	if err != nil {
		return err
	}
	list, err := s.svc.ListDevices(r.Context(), actorOf(r), sb.AccountRef{ID: id})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"result": true, "devices": devicesJSON(list)})
}

func (s *Server) deleteTenantDevice(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "account_id")
	if err != nil {
		return err
	}
	if err := s.svc.DeleteDevice(r.Context(), actorOf(r), sb.AccountRef{ID: id}, r.PathValue("uuid")); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"result": true})
}
