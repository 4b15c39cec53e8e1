package ui

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// tokenCookie carries the access token after the first ?token= visit.
const tokenCookie = "gatescope_token"

// guard requires the access token when there is one (the dashboard listens
// beyond loopback): as ?token= once, then as a cookie, or as a bearer
// token (CLI and SDK clients). Share links carry their own unguessable
// token, and assets are public.
func guard(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	ok := func(t string) bool { return subtle.ConstantTimeCompare([]byte(t), []byte(token)) == 1 }
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) &&
			(strings.HasPrefix(r.URL.Path, "/s/") || strings.HasPrefix(r.URL.Path, "/static/")) {
			next.ServeHTTP(w, r)
			return
		}
		if t := r.URL.Query().Get("token"); ok(t) {
			http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: t, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
			next.ServeHTTP(w, r)
			return
		}
		if c, err := r.Cookie(tokenCookie); err == nil && ok(c.Value) {
			next.ServeHTTP(w, r)
			return
		}
		if t, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); found && ok(t) {
			next.ServeHTTP(w, r)
			return
		}
		http.Error(w, "gatescope: this dashboard needs its access token (printed at start): add ?token=...", http.StatusUnauthorized)
	})
}

// secureHeaders sets headers every UI answer carries. Captured bodies are
// user content shown on this origin, so scripts run only from /static.
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "+
			"img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		next.ServeHTTP(w, r)
	})
}
