package main

import (
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"html/template"
	"io"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/secureredis/secureredis/sessions"
)

//go:embed web
var web embed.FS

// Session keys.
const (
	keyUser  = "user"
	keyCSRF  = "csrf"
	keyCount = "count"
)

// csrfField is the name of the CSRF token field of every form.
const csrfField = "csrf_token"

// maxFormBytes bounds the body of a form POST.
const maxFormBytes = 16 << 10

// app holds the handlers' dependencies. It is safe for concurrent use.
type app struct {
	sm        *scs.SessionManager
	users     *users
	demo      bool
	tmpl      *template.Template
	loginCSRF string // name of the login CSRF cookie
	secure    bool
	pattern   string // SCAN pattern of the session keys, shown on the page
	stderr    io.Writer
}

func newApp(st *sessions.Store, u *users, secureCookie bool, stderr io.Writer) (*app, error) {
	tmpl, err := template.ParseFS(web, "web/*.html")
	if err != nil {
		return nil, err
	}
	sm := scs.New()
	sm.Store = st
	sm.Lifetime = 12 * time.Hour
	sm.IdleTimeout = 30 * time.Minute
	sm.Cookie.Name = "webapp_session"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = secureCookie
	sm.Cookie.Persist = false // a browser session cookie
	a := &app{
		sm:        sm,
		users:     u,
		demo:      u.hashes["demo"] != nil,
		tmpl:      tmpl,
		loginCSRF: "webapp_login_csrf",
		secure:    secureCookie,
		pattern:   st.Pattern(),
		stderr:    stderr,
	}
	if secureCookie {
		// __Host- cookies are Secure, for path / and this host only: a
		// sibling subdomain cannot plant them.
		sm.Cookie.Name = "__Host-" + sm.Cookie.Name
		a.loginCSRF = "__Host-" + a.loginCSRF
	}
	sm.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		a.fail(w, err)
	}
	return a, nil
}

// handler returns the application: cross-origin POSTs are rejected before
// anything else, then sessions are loaded and saved around the routes.
func (a *app) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("GET /login", a.loginForm)
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("POST /logout", a.logout)
	mux.HandleFunc("GET /style.css", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, web, "web/style.css")
	})
	var h http.Handler = a.sm.LoadAndSave(mux)
	h = securityHeaders(h)
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Forbidden: cross-origin request", http.StatusForbidden)
	}))
	return cop.Handler(h)
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

type loginPage struct {
	CSRF      string
	Username  string
	Error     string
	SignedOut bool
	Demo      bool
}

type homePage struct {
	User    string
	Count   int
	CSRF    string
	Pattern string
}

// home shows the signed-in user and counts the visits of the session.
// (A counter on GET is the demo's point; real apps change state on POST only.)
func (a *app) home(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	user := a.sm.GetString(ctx, keyUser)
	if user == "" {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	n := a.sm.GetInt(ctx, keyCount) + 1
	a.sm.Put(ctx, keyCount, n)
	a.render(w, http.StatusOK, "home.html", homePage{User: user, Count: n, CSRF: a.sm.GetString(ctx, keyCSRF), Pattern: a.pattern})
}

// loginForm shows the login form with a double-submit CSRF token: there is no
// session before login, so none is written for anonymous visitors.
func (a *app) loginForm(w http.ResponseWriter, r *http.Request) {
	if a.sm.GetString(r.Context(), keyUser) != "" {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	token, err := a.loginToken(w, r)
	if err != nil {
		a.fail(w, err)
		return
	}
	a.render(w, http.StatusOK, "login.html", loginPage{CSRF: token, SignedOut: r.URL.Query().Has("signed_out"), Demo: a.demo})
}

// loginToken returns the login CSRF token of the browser's cookie, setting a
// new one when there is none.
func (a *app) loginToken(w http.ResponseWriter, r *http.Request) (string, error) {
	if c, err := r.Cookie(a.loginCSRF); err == nil && len(c.Value) == 43 {
		return c.Value, nil
	}
	token, err := newToken()
	if err != nil {
		return "", err
	}
	http.SetCookie(w, &http.Cookie{
		Name:     a.loginCSRF,
		Value:    token,
		Path:     "/",
		HttpOnly: true,
		Secure:   a.secure,
		SameSite: http.SameSiteStrictMode,
	})
	return token, nil
}

func (a *app) login(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "Bad request", http.StatusBadRequest)
		return
	}
	c, err := r.Cookie(a.loginCSRF)
	if err != nil || !equal(c.Value, r.PostFormValue(csrfField)) {
		a.forbidden(w)
		return
	}
	name, password := r.PostFormValue("username"), r.PostFormValue("password")
	if !a.users.check(name, password) {
		a.render(w, http.StatusUnauthorized, "login.html", loginPage{CSRF: c.Value, Username: name, Error: "Invalid username or password.", Demo: a.demo})
		return
	}
	// A new token on login: a token planted before login (session fixation)
	// is not the one the user ends up with.
	if err := a.sm.RenewToken(ctx); err != nil {
		a.fail(w, err)
		return
	}
	a.sm.Put(ctx, keyUser, name)
	csrf, err := newToken()
	if err != nil {
		a.fail(w, err)
		return
	}
	a.sm.Put(ctx, keyCSRF, csrf)
	a.sm.Put(ctx, keyCount, 0)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "Bad request", http.StatusBadRequest)
		return
	}
	want := a.sm.GetString(ctx, keyCSRF)
	if want == "" || !equal(want, r.PostFormValue(csrfField)) {
		a.forbidden(w)
		return
	}
	if err := a.sm.Destroy(ctx); err != nil {
		a.fail(w, err)
		return
	}
	http.Redirect(w, r, "/login?signed_out", http.StatusSeeOther)
}

// newToken returns 32 random bytes, base64url-encoded (43 characters).
func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// equal compares tokens in constant time; an empty token never matches.
func equal(want, got string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

func (a *app) forbidden(w http.ResponseWriter) {
	http.Error(w, "Forbidden: missing or invalid CSRF token", http.StatusForbidden)
}

// fail logs err on stderr and answers 500 without details.
func (a *app) fail(w http.ResponseWriter, err error) {
	_, _ = io.WriteString(a.stderr, "webapp: "+err.Error()+"\n")
	http.Error(w, "Internal server error", http.StatusInternalServerError)
}

func (a *app) render(w http.ResponseWriter, status int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := a.tmpl.ExecuteTemplate(w, name, data); err != nil {
		_, _ = io.WriteString(a.stderr, "webapp: template "+name+": "+err.Error()+"\n")
	}
}
