package panel

import (
	"net/http"
	"strings"

	sb "github.com/switchboard/switchboard"
)

// registerSelf registers the self-service pages of any account: password,
// contact change with its code, devices, provisioning QR code, deleting
// one's own account.
func (p *Panel) registerSelf() {
	p.mux.Handle("GET /panel/account", p.self(p.getAccount))
	p.mux.Handle("POST /panel/account/password", p.self(p.postAccountPassword))
	for _, ch := range []string{"email", "phone"} {
		p.mux.Handle("POST /panel/account/"+ch, p.self(p.postContactRequest(ch)))
		p.mux.Handle("GET /panel/account/"+ch+"/confirm", p.self(p.getContactConfirm(ch)))
		p.mux.Handle("POST /panel/account/"+ch+"/confirm", p.self(p.postContactConfirm(ch)))
	}
	p.mux.Handle("POST /panel/account/devices/remove", p.self(p.postRemoveOwnDevice))
	p.mux.Handle("POST /panel/account/provisioning", p.self(p.postOwnProvisioning))
	p.mux.Handle("GET /panel/account/delete", p.self(p.getDeleteAccount))
	p.mux.Handle("POST /panel/account/delete", p.self(p.postDeleteAccount))
}

// self adapts a handler for account principals: tenants (and operators)
// have no account of their own, so these pages do not exist for them.
func (p *Panel) self(h handlerFunc) http.Handler {
	return p.authed(func(w http.ResponseWriter, r *http.Request) error {
		if !actorOf(r).IsMailbox() {
			return sb.Errorf(sb.ENOTFOUND, "no such page")
		}
		return h(w, r)
	})
}

// accountPage is the data of account.html.
type accountPage struct {
	Account *sb.Account
	Devices []sb.Device
}

func (p *Panel) getAccount(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	a, err := p.svc.SIPAccount(r.Context(), actor)
	if err != nil {
		return err
	}
	devices, err := p.svc.ListDevices(r.Context(), actor, sb.AccountRef{ID: actor.AccountID})
	if err != nil {
		return err
	}
	return p.render(w, r, http.StatusOK, "account.html", "My account", accountPage{Account: a, Devices: devices})
}

// postAccountPassword changes the password through the one password path:
// the old one is checked by the mailbox check (its rate limit), the
// argon2id hash and the HA1s are rewritten together, and every other login
// of the account ends; this session stays.
func (p *Panel) postAccountPassword(w http.ResponseWriter, r *http.Request) error {
	_, err := p.svc.ChangeOwnPassword(r.Context(), actorOf(r), r.PostFormValue("old_password"), r.PostFormValue("password"), clientIP(r))
	return p.done(w, r, "/panel/account", err, "Password changed.")
}

// contactWords names a contact channel on the pages.
var contactWords = map[string]string{"email": "email address", "phone": "phone number"}

func (p *Panel) postContactRequest(channel string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		actor, value := actorOf(r), strings.TrimSpace(r.PostFormValue(channel))
		var err error
		if channel == "phone" {
			err = p.svc.RequestPhoneChange(r.Context(), actor, value)
		} else {
			err = p.svc.RequestEmailChange(r.Context(), actor, value)
		}
		if err != nil {
			return p.selfDone(w, r, "/panel/account", err, "")
		}
		return p.done(w, r, "/panel/account/"+channel+"/confirm", nil, "A code was sent to "+value+".")
	}
}

// contactPage is the data of account_confirm.html.
type contactPage struct {
	Channel, Words string
}

func (p *Panel) getContactConfirm(channel string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return p.render(w, r, http.StatusOK, "account_confirm.html", "Confirm your new "+contactWords[channel],
			contactPage{Channel: channel, Words: contactWords[channel]})
	}
}

func (p *Panel) postContactConfirm(channel string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		_, err := p.svc.ConfirmContactChange(r.Context(), actorOf(r), channel, strings.TrimSpace(r.PostFormValue("code")), clientIP(r))
		if err != nil {
			return p.selfDone(w, r, "/panel/account/"+channel+"/confirm", err, "")
		}
		words := contactWords[channel]
		return p.done(w, r, "/panel/account", nil, strings.ToUpper(words[:1])+words[1:]+" changed.")
	}
}

// selfDone is done, where a code the server could not send (no mailer or
// SMS gateway configured, the provider down) and a wrong code are told on
// the form rather than as an error page: the user may try another channel
// or code.
func (p *Panel) selfDone(w http.ResponseWriter, r *http.Request, next string, err error, msg string) error {
	switch sb.ErrorCode(err) {
	case sb.EUNAVAILABLE, sb.ENOTFOUND:
		p.flash(w, r, "!"+sb.ErrorMessage(err))
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	return p.done(w, r, next, err, msg)
}

func (p *Panel) postRemoveOwnDevice(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	err := p.svc.DeleteDevice(r.Context(), actor, sb.AccountRef{ID: actor.AccountID}, r.PostFormValue("uuid"))
	if sb.ErrorCode(err) == sb.ENOTFOUND {
		// Gone already (it expired, or another tab removed it): say so on
		// the page rather than as an error.
		return p.done(w, r, "/panel/account", sb.Errorf(sb.EINVALID, "That device is not registered (any more)."), "")
	}
	return p.done(w, r, "/panel/account", err, "Device removed.")
}

// provisioningPage is the data of account_provisioning.html.
type provisioningPage struct {
	Key  *sb.ProvisioningKey
	Link string
}

// postOwnProvisioning issues a fresh provisioning key and shows it in this
// answer only: it hands out the account's HA1 once, so it never goes into
// a panel URL, a cookie or a log.
func (p *Panel) postOwnProvisioning(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	k, err := p.svc.NewProvisioningKey(r.Context(), actor, actor.AccountID)
	if err != nil {
		return p.done(w, r, "/panel/account", err, "")
	}
	scheme := "http"
	if p.secureFor(r) {
		scheme = "https"
	}
	return p.render(w, r, http.StatusOK, "account_provisioning.html", "Provision a device",
		provisioningPage{Key: k, Link: scheme + "://" + r.Host + "/provisioning/" + k.Key})
}

// deletePage is the data of account_delete.html.
type deletePage struct {
	Account *sb.Account
}

// getDeleteAccount is the confirmation step of deleting one's account
// (it works without JavaScript): what goes, and the form that does it.
func (p *Panel) getDeleteAccount(w http.ResponseWriter, r *http.Request) error {
	a, err := p.svc.SIPAccount(r.Context(), actorOf(r))
	if err != nil {
		return err
	}
	return p.render(w, r, http.StatusOK, "account_delete.html", "Delete my account", deletePage{Account: a})
}

// postDeleteAccount deletes the account once the box is ticked and the
// current password checked; the account's sessions, this one included,
// die with it.
func (p *Panel) postDeleteAccount(w http.ResponseWriter, r *http.Request) error {
	if r.PostFormValue("confirm") != "yes" {
		return p.done(w, r, "/panel/account/delete", sb.FieldError("confirm", "Tick the box to confirm that the account is to be deleted."), "")
	}
	if err := p.svc.DeleteOwnAccount(r.Context(), actorOf(r), r.PostFormValue("password"), clientIP(r)); err != nil {
		return p.done(w, r, "/panel/account/delete", err, "")
	}
	p.clearCookie(w, r, sessionCookie)
	return p.done(w, r, "/panel/login", nil, "Your account was deleted.")
}
