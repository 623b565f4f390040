package panel

import (
	"net/http"
	"strings"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/httpstatus"
)

// loginPage is the data of login.html.
type loginPage struct {
	User, Next, Error string
}

func (p *Panel) getLogin(w http.ResponseWriter, r *http.Request) error {
	return p.render(w, r, http.StatusOK, "login.html", "Log in", loginPage{Next: safeNext(r.URL.Query().Get("next"))})
}

// postLogin checks the credentials through the one credential check (its
// rate limits and refusals are the APIs'), and starts a session kept in
// the store, so every instance knows it.
func (p *Panel) postLogin(w http.ResponseWriter, r *http.Request) error {
	user, password := strings.TrimSpace(r.PostFormValue("user")), r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	token, _, err := p.svc.OpenSession(r.Context(), user, password, clientIP(r))
	if err != nil {
		status, msg := httpstatus.Of(err), "Wrong user name or password."
		switch sb.ErrorCode(err) {
		case sb.EUNAUTHORIZED, sb.ENOTFOUND, sb.EFORBIDDEN, sb.EINVALID, sb.EMALFORMED:
			status = http.StatusUnauthorized
		case sb.ERATELIMIT:
			msg = "Too many attempts: wait a little, then try again."
			w.Header().Set("Retry-After", retryAfter(err))
		default:
			return err
		}
		return p.render(w, r, status, "login.html", "Log in", loginPage{User: user, Next: next, Error: msg})
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: Prefix, HttpOnly: true,
		Secure: p.secureFor(r), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// postLogout ends the session in the store at once.
func (p *Panel) postLogout(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		if err := p.svc.CloseSession(r.Context(), c.Value); err != nil {
			return err
		}
	}
	p.clearCookie(w, r, sessionCookie)
	http.Redirect(w, r, "/panel/login", http.StatusSeeOther)
	return nil
}

// safeNext keeps a post-login target inside the panel.
func safeNext(next string) string {
	if !strings.HasPrefix(next, Prefix) || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return Prefix
	}
	return next
}

func retryAfter(err error) string {
	wait := sb.RetryAfter(err)
	if wait <= 0 {
		wait = 10 * time.Second
	}
	return strings.TrimSuffix((wait + time.Second - 1).Truncate(time.Second).String(), "s")
}

// homePage is the data of home.html.
type homePage struct {
	Account *sb.Account // the logged-in account, for accounts
}

func (p *Panel) getHome(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	var data homePage
	if actor.IsMailbox() {
		a, err := p.svc.SIPAccount(r.Context(), actor)
		if err != nil {
			return err
		}
		data.Account = a
	}
	return p.render(w, r, http.StatusOK, "home.html", "Switchboard", data)
}
