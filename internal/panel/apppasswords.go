package panel

import (
	"net/http"
	"strconv"

	sb "github.com/switchboard/switchboard"
)

// registerAppPasswords registers a mailbox's self-service page for its app
// passwords: one per mail client, shown once, revocable.
func (p *Panel) registerAppPasswords() {
	p.mux.Handle("GET /panel/account/app-passwords", p.self(p.getAppPasswords))
	p.mux.Handle("POST /panel/account/app-passwords", p.self(p.postAppPassword))
	p.mux.Handle("POST /panel/account/app-passwords/{id}/revoke", p.self(p.postAppPasswordRevoke))
}

// appPasswordsPage is the data of app_passwords.html; New is set only in
// the answer to the post that created it.
type appPasswordsPage struct {
	List      []sb.AppPassword
	Protocols []string
	New       *sb.CreatedAppPassword
}

func (p *Panel) appPasswordsPage(r *http.Request, created *sb.CreatedAppPassword) (appPasswordsPage, error) {
	actor := actorOf(r)
	list, err := p.svc.ListAppPasswords(r.Context(), actor, sb.AccountRef{ID: actor.AccountID})
	return appPasswordsPage{List: list, Protocols: sb.AppPasswordProtocols, New: created}, err
}

func (p *Panel) getAppPasswords(w http.ResponseWriter, r *http.Request) error {
	page, err := p.appPasswordsPage(r, nil)
	if err != nil {
		return err
	}
	return p.render(w, r, http.StatusOK, "app_passwords.html", "App passwords", page)
}

// postAppPassword makes an app password and shows it in this answer only:
// never in a URL, a cookie or a flash.
func (p *Panel) postAppPassword(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	if err := r.ParseForm(); err != nil {
		return p.done(w, r, "/panel/account/app-passwords", sb.Errorf(sb.EMALFORMED, "malformed form"), "")
	}
	created, err := p.svc.CreateAppPassword(r.Context(), actor, sb.AccountRef{ID: actor.AccountID},
		sb.NewAppPassword{Name: r.PostFormValue("name"), Protocols: r.PostForm["protocol"]})
	if err != nil {
		return p.done(w, r, "/panel/account/app-passwords", err, "")
	}
	page, err := p.appPasswordsPage(r, created)
	if err != nil {
		return err
	}
	return p.render(w, r, http.StatusOK, "app_passwords.html", "App passwords", page)
}

func (p *Panel) postAppPasswordRevoke(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return sb.Errorf(sb.ENOTFOUND, "no such app password")
	}
	err = p.svc.RevokeAppPassword(r.Context(), actor, sb.AccountRef{ID: actor.AccountID}, id)
	return p.done(w, r, "/panel/account/app-passwords", err, "App password revoked.")
}
