// Package panel serves the web panel under /panel/: server-rendered pages
// (html/template, embedded templates, one stylesheet, no inline script) over
// the same service calls as the APIs. One login form takes three kinds of
// principal: a tenant (a hosting customer, or an operator who sees every
// tenant), a SIP account admin (the accounts of its domains and its API
// keys) and any account (self-service).
package panel

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/httpcork"
	"github.com/switchboard/switchboard/internal/httpstatus"
)

// Services is what the panel calls: the same contract as the APIs'.
type Services interface {
	sb.SessionService
	sb.TenantService
	sb.DomainService
	sb.AccountService
	sb.AliasService
	sb.DKIMService
	sb.CertificateService
	sb.ExportService
	sb.SIPService
	sb.LifecycleService
	sb.OAuthService
	sb.ClientConfigService
	sb.DeviceService
	sb.APIKeyService
	sb.AppPasswordService
}

// Config wires a Panel.
type Config struct {
	Services Services
	Logger   *slog.Logger
	// SecureCookies marks the session cookie Secure on plain-HTTP requests
	// too, for a panel behind a TLS-terminating proxy; requests that came
	// over TLS always get Secure cookies.
	SecureCookies bool
}

// Panel is the web panel's handler, mounted at /panel/.
type Panel struct {
	svc     Services
	log     *slog.Logger
	mux     *http.ServeMux
	pages   map[string]*template.Template
	secure  bool
	handler http.Handler
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Prefix is where the panel is mounted.
const Prefix = "/panel/"

const (
	sessionCookie = "sb_panel"
	flashCookie   = "sb_flash"
)

// New builds the panel and parses every page.
func New(cfg Config) *Panel {
	p := &Panel{svc: cfg.Services, log: cfg.Logger, mux: http.NewServeMux(), secure: cfg.SecureCookies}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	p.log = p.log.With("component", "panel")
	p.pages = parsePages()

	static, _ := fs.Sub(staticFS, "static")
	p.mux.Handle("GET /panel/static/", http.StripPrefix("/panel/static/", http.FileServerFS(static)))
	p.mux.Handle("GET /panel/login", p.public(p.getLogin))
	p.mux.Handle("POST /panel/login", p.public(p.postLogin))
	p.mux.Handle("POST /panel/logout", p.public(p.postLogout))
	p.mux.Handle("GET /panel/{$}", p.authed(p.getHome))
	p.registerSelf()
	p.registerAppPasswords()
	p.registerSIPAdmin()
	p.registerTenant()
	p.mux.Handle("/panel/", p.public(func(w http.ResponseWriter, r *http.Request) error {
		return sb.Errorf(sb.ENOTFOUND, "no such page")
	}))

	// Cross-origin state changes are refused (403) before any handler:
	// browsers say where a request comes from (Sec-Fetch-Site, Origin).
	p.handler = securityHeaders(http.NewCrossOriginProtection().Handler(p.mux))
	return p
}

// ServeHTTP implements http.Handler.
func (p *Panel) ServeHTTP(w http.ResponseWriter, r *http.Request) { p.handler.ServeHTTP(w, r) }

// securityHeaders sets the headers every panel answer carries: no inline
// script or style, no framing, no referrer leaving the site, no caching.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		if !strings.HasPrefix(r.URL.Path, "/panel/static/") {
			hd.Set("Cache-Control", "no-store")
		}
		h.ServeHTTP(w, r)
	})
}

// parsePages parses each page template with the layout.
func parsePages() map[string]*template.Template {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" {
			continue
		}
		pages[base] = template.Must(template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n))
	}
	return pages
}

// funcs are the helpers every template may call.
var funcs = template.FuncMap{
	"date": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04")
	},
	"query": func(pairs ...any) template.URL {
		v := url.Values{}
		for i := 0; i+1 < len(pairs); i += 2 {
			if s := fmt.Sprint(pairs[i+1]); s != "" && s != "0" {
				v.Set(fmt.Sprint(pairs[i]), s)
			}
		}
		if len(v) == 0 {
			return ""
		}
		return template.URL("?" + v.Encode())
	},
	"add": func(a, b int) int { return a + b },
}

// view is what every page template gets: the page's own data in Data.
type view struct {
	Title string
	// Who is logged in; zero on the login page.
	Actor sb.Actor
	// Admin is set for an activated SIP account admin.
	Admin bool
	// Flash is a message left by the previous request (after a redirect);
	// FlashError marks it as a refusal.
	Flash      string
	FlashError bool
	Data       any
}

// pager is the data of the "pager" template (layout.html): the links to
// the previous and next pages of a list, empty where there is none.
type pager struct{ Prev, Next string }

// handlerFunc is the shape of every panel handler: an error is rendered as
// a page by one writer.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

type actorKey struct{}

// actorOf is the logged-in principal of a request that went through authed.
func actorOf(r *http.Request) sb.Actor {
	a, _ := r.Context().Value(actorKey{}).(sb.Actor)
	return a
}

// public adapts a handler that needs no login.
func (p *Panel) public(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			p.writeError(w, r, err)
		}
	})
}

// authed adapts a handler that needs a logged-in principal: without a live
// session the browser is sent to the login page, and back here after it.
func (p *Panel) authed(h handlerFunc) http.Handler {
	return p.public(func(w http.ResponseWriter, r *http.Request) error {
		c, err := r.Cookie(sessionCookie)
		if err != nil || c.Value == "" {
			return p.toLogin(w, r)
		}
		actor, err := p.svc.ResumeSession(r.Context(), c.Value, clientIP(r))
		if sb.ErrorCode(err) == sb.EUNAUTHORIZED {
			p.clearCookie(w, r, sessionCookie)
			return p.toLogin(w, r)
		}
		if err != nil {
			return err
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), actorKey{}, actor)))
	})
}

func (p *Panel) toLogin(w http.ResponseWriter, r *http.Request) error {
	target := "/panel/login"
	if r.Method == http.MethodGet && r.URL.RequestURI() != Prefix {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// render writes page name with data, as the answer to r.
func (p *Panel) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) error {
	t, ok := p.pages[name]
	if !ok {
		return fmt.Errorf("panel: no page %s", name)
	}
	v := view{Title: title, Actor: actorOf(r), Data: data}
	if v.Actor.IsMailbox() {
		if a, err := p.svc.SIPAccount(r.Context(), v.Actor); err == nil {
			v.Admin = a.Admin && a.Activated
		}
	}
	if c, err := r.Cookie(flashCookie); err == nil {
		if msg, err := url.QueryUnescape(c.Value); err == nil && msg != "" {
			v.FlashError = strings.HasPrefix(msg, "!")
			v.Flash = strings.TrimPrefix(msg, "!")
		}
		p.clearCookie(w, r, flashCookie)
	}
	var buf strings.Builder
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("panel: render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	return httpcork.Write(w, r, status, []byte(buf.String())) // in one segment
}

// done ends a form's POST: on success it goes to next with msg shown
// there; a refusal the user can fix (a bad value, a name taken, a limit)
// goes back with the refusal's message; anything else is an error page.
func (p *Panel) done(w http.ResponseWriter, r *http.Request, next string, err error, msg string) error {
	if err != nil {
		switch sb.ErrorCode(err) {
		case sb.EINVALID, sb.EMALFORMED, sb.ECONFLICT, sb.ETOOLARGE, sb.ERATELIMIT:
			msg = "!" + sb.ErrorMessage(err)
		default:
			return err
		}
	}
	p.flash(w, r, msg)
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// flash leaves msg for the next page the browser loads ("!..." for a
// refusal).
func (p *Panel) flash(w http.ResponseWriter, r *http.Request, msg string) {
	if msg == "" {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(msg), Path: Prefix, MaxAge: 60,
		HttpOnly: true, Secure: p.secureFor(r), SameSite: http.SameSiteLaxMode})
}

func (p *Panel) clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: Prefix, MaxAge: -1,
		HttpOnly: true, Secure: p.secureFor(r), SameSite: http.SameSiteLaxMode})
}

func (p *Panel) secureFor(r *http.Request) bool { return p.secure || r.TLS != nil }

// errorPage is the data of error.html.
type errorPage struct {
	Status  int
	Message string
}

// writeError renders err as a page with the status its code maps to;
// internal errors are logged and shown as a generic message.
func (p *Panel) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := httpstatus.Of(err)
	msg := sb.ErrorMessage(err)
	if status == http.StatusInternalServerError {
		if r.Context().Err() == nil {
			p.log.ErrorContext(r.Context(), "panel request failed", "method", r.Method, "route", r.Pattern, "err", err)
		}
		msg = "Something went wrong on our side. Please try again."
	}
	if wait := sb.RetryAfter(err); wait > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(int((wait+time.Second-1)/time.Second)))
	}
	if rerr := p.render(w, r, status, "error.html", http.StatusText(status), errorPage{status, msg}); rerr != nil {
		p.log.ErrorContext(r.Context(), "panel error page failed", "err", errors.Join(err, rerr))
		http.Error(w, msg, status)
	}
}

// clientIP is the peer address of the request, without the port.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
