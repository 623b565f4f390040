package panel

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	sb "github.com/switchboard/switchboard"
)

// registerSIPAdmin registers the pages of a SIP account admin: the
// accounts of its domains and its API keys.
func (p *Panel) registerSIPAdmin() {
	p.mux.Handle("GET /panel/sip/accounts", p.sipAdmin(p.getSIPAccounts))
	p.mux.Handle("POST /panel/sip/accounts", p.sipAdmin(p.postSIPAccount))
	p.mux.Handle("GET /panel/sip/accounts/{id}", p.sipAdmin(p.getSIPAccount))
	p.mux.Handle("POST /panel/sip/accounts/{id}/activate", p.sipAdmin(p.postSIPActivated(true)))
	p.mux.Handle("POST /panel/sip/accounts/{id}/deactivate", p.sipAdmin(p.postSIPActivated(false)))
	p.mux.Handle("GET /panel/sip/accounts/{id}/delete", p.sipAdmin(p.getSIPDelete))
	p.mux.Handle("POST /panel/sip/accounts/{id}/delete", p.sipAdmin(p.postSIPDelete))
	p.mux.Handle("POST /panel/sip/accounts/{id}/devices/remove", p.sipAdmin(p.postSIPDeviceRemove))
	p.mux.Handle("GET /panel/apikeys", p.sipAdmin(p.getAPIKeys))
	p.mux.Handle("POST /panel/apikeys", p.sipAdmin(p.postAPIKey))
	p.mux.Handle("POST /panel/apikeys/{id}/revoke", p.sipAdmin(p.postAPIKeyRevoke))
}

// sipAdmin adapts a handler of an activated SIP admin's page. Everyone
// else gets 404, as for a page that does not exist: the pages are the
// admin's, and say nothing to others. The services check the admin's
// rights again at every call, in their transaction.
func (p *Panel) sipAdmin(h handlerFunc) http.Handler {
	return p.authed(func(w http.ResponseWriter, r *http.Request) error {
		actor := actorOf(r)
		if !actor.IsMailbox() {
			return sb.Errorf(sb.ENOTFOUND, "no such page")
		}
		a, err := p.svc.SIPAccount(r.Context(), actor)
		if err != nil {
			return err
		}
		if !a.Admin || !a.Activated || !a.Active {
			return sb.Errorf(sb.ENOTFOUND, "no such page")
		}
		return h(w, r)
	})
}

// pathID is the {id} of a route; anything but a positive number names
// nothing.
func pathID(r *http.Request) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || n <= 0 {
		return 0, sb.Errorf(sb.ENOTFOUND, "no such page")
	}
	return n, nil
}

// queryID is an optional id of the query string (a page cursor).
func queryID(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, sb.Errorf(sb.EMALFORMED, "The %s parameter must be a positive number.", name)
	}
	return n, nil
}

// sipAccountsPage is the data of sip_accounts.html.
type sipAccountsPage struct {
	Q        string
	Field    string
	Accounts []sb.Account
	Pager    pager
}

func (p *Panel) getSIPAccounts(w http.ResponseWriter, r *http.Request) error {
	after, err := queryID(r, "after")
	if err != nil {
		return err
	}
	before, err := queryID(r, "before")
	if err != nil {
		return err
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	list, err := p.svc.SearchSIPAccounts(r.Context(), actorOf(r), sb.SIPAccountQuery{Prefix: q, After: after, Before: before})
	if err != nil {
		return err
	}
	link := func(dir string, id int64) string {
		if id == 0 {
			return ""
		}
		v := url.Values{dir: {strconv.FormatInt(id, 10)}}
		if q != "" {
			v.Set("q", q)
		}
		return "/panel/sip/accounts?" + v.Encode()
	}
	return p.render(w, r, http.StatusOK, "sip_accounts.html", "SIP accounts", sipAccountsPage{Q: q, Field: list.Field,
		Accounts: list.Accounts, Pager: pager{Prev: link("before", list.Prev), Next: link("after", list.Next)}})
}

// expiryLayouts are what a datetime-local input sends, with or without
// seconds; the panel reads them as UTC, as the SIP API does.
var expiryLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05"}

func parseExpiry(v string) (time.Time, error) {
	if v = strings.TrimSpace(v); v == "" {
		return time.Time{}, nil
	}
	for _, l := range expiryLayouts {
		if t, err := time.ParseInLocation(l, v, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, sb.FieldError("confirmation_key_expires", "The confirmation key expiry must be a date and time.")
}

func (p *Panel) postSIPAccount(w http.ResponseWriter, r *http.Request) error {
	const back = "/panel/sip/accounts"
	expires, err := parseExpiry(r.PostFormValue("confirmation_key_expires"))
	if err != nil {
		return p.done(w, r, back, err, "")
	}
	in := sb.NewSIPAccount{
		Username: strings.TrimSpace(r.PostFormValue("username")), Password: r.PostFormValue("password"),
		Algorithm: r.PostFormValue("algorithm"), Activated: r.PostFormValue("activated") != "",
		Admin: r.PostFormValue("admin") != "", Phone: strings.TrimSpace(r.PostFormValue("phone")),
		Email: strings.TrimSpace(r.PostFormValue("email")), ConfirmationKeyExpires: expires,
	}
	out, err := p.svc.CreateSIPAccount(r.Context(), actorOf(r), in)
	if err != nil {
		return p.done(w, r, back, err, "")
	}
	return p.done(w, r, "/panel/sip/accounts/"+strconv.FormatInt(out.Account.ID, 10), nil, "Account "+out.Account.Email+" created.")
}

// sipAccountPage is the data of sip_account.html.
type sipAccountPage struct {
	Account *sb.Account
	Self    bool // the admin's own account
	// Provisioning is the confirmation key while it can provision a
	// device; URL the provisioning URL it makes.
	Provisioning string
	URL          string
	Expires      time.Time
	Devices      []sb.Device
}

func (p *Panel) getSIPAccount(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	actor := actorOf(r)
	a, err := p.svc.GetSIPAccount(r.Context(), actor, id)
	if err != nil {
		return err
	}
	key, exp, err := p.svc.SIPProvisioningKey(r.Context(), actor, id)
	if err != nil {
		return err
	}
	devices, err := p.svc.ListDevices(r.Context(), actor, sb.AccountRef{ID: id})
	if err != nil {
		return err
	}
	data := sipAccountPage{Account: a, Self: a.ID == actor.AccountID, Provisioning: key, Expires: exp, Devices: devices}
	if key != "" {
		data.URL = requestBase(r) + "/provisioning/" + url.PathEscape(key)
	}
	return p.render(w, r, http.StatusOK, "sip_account.html", a.Email, data)
}

// requestBase is the scheme and host the browser used.
func requestBase(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

func accountURL(id int64) string { return "/panel/sip/accounts/" + strconv.FormatInt(id, 10) }

func (p *Panel) postSIPActivated(on bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		a, err := p.svc.SetSIPActivated(r.Context(), actorOf(r), id, on)
		msg := ""
		if err == nil {
			msg = "Account " + a.Email + " deactivated."
			if on {
				msg = "Account " + a.Email + " activated."
			}
		}
		return p.done(w, r, accountURL(id), err, msg)
	}
}

func (p *Panel) getSIPDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	actor := actorOf(r)
	a, err := p.svc.GetSIPAccount(r.Context(), actor, id)
	if err != nil {
		return err
	}
	return p.render(w, r, http.StatusOK, "sip_delete.html", "Delete "+a.Email, sipAccountPage{Account: a, Self: a.ID == actor.AccountID})
}

func (p *Panel) postSIPDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	actor := actorOf(r)
	a, err := p.svc.GetSIPAccount(r.Context(), actor, id)
	if err != nil {
		return err
	}
	if err := p.svc.DeleteSIPAccount(r.Context(), actor, id); err != nil {
		return p.done(w, r, accountURL(id), err, "")
	}
	return p.done(w, r, "/panel/sip/accounts", nil, "Account "+a.Email+" deleted.")
}

func (p *Panel) postSIPDeviceRemove(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	actor := actorOf(r)
	// A foreign account is 404 here; an unknown device of one's own is a
	// stale page, said on the account's page.
	if _, err := p.svc.GetSIPAccount(r.Context(), actor, id); err != nil {
		return err
	}
	err = p.svc.DeleteDevice(r.Context(), actor, sb.AccountRef{ID: id}, r.PostFormValue("uuid"))
	if sb.ErrorCode(err) == sb.ENOTFOUND {
		err = sb.Errorf(sb.EINVALID, "That device is not registered any more.")
	}
	return p.done(w, r, accountURL(id), err, "Device removed.")
}

// apiKeysPage is the data of apikeys.html; NewKey is set only in the
// answer to the POST that made it.
type apiKeysPage struct {
	Keys   []sb.APIKey
	NewKey string
	Name   string
}

func (p *Panel) getAPIKeys(w http.ResponseWriter, r *http.Request) error {
	keys, err := p.svc.ListAPIKeys(r.Context(), actorOf(r))
	if err != nil {
		return err
	}
	return p.render(w, r, http.StatusOK, "apikeys.html", "API keys", apiKeysPage{Keys: keys})
}

// postAPIKey makes a key and shows it in this answer only: it is never put
// in a URL, a cookie or a log, and the store keeps its digest alone.
func (p *Panel) postAPIKey(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	k, err := p.svc.CreateAPIKey(r.Context(), actor, "", r.PostFormValue("name"))
	if err != nil {
		return p.done(w, r, "/panel/apikeys", err, "")
	}
	keys, err := p.svc.ListAPIKeys(r.Context(), actor)
	if err != nil {
		return err
	}
	return p.render(w, r, http.StatusOK, "apikeys.html", "API keys", apiKeysPage{Keys: keys, NewKey: k.Key, Name: k.Name})
}

func (p *Panel) postAPIKeyRevoke(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return p.done(w, r, "/panel/apikeys", p.svc.RevokeAPIKey(r.Context(), actorOf(r), id), "API key revoked.")
}
