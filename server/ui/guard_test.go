package ui

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestGuard: beyond loopback, the dashboard needs its token (query once,
// then cookie, or a bearer header); share links and assets do not.
func TestGuard(t *testing.T) {
	h := guard("s3cret", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	tests := []struct {
		name, method, target string
		cookie, bearer       string
		want                 int
	}{
		{"no token", "GET", "/", "", "", http.StatusUnauthorized},
		{"api without token", "GET", "/api/exchanges", "", "", http.StatusUnauthorized},
		{"wrong token", "GET", "/?token=guess", "", "", http.StatusUnauthorized},
		{"query token", "GET", "/?token=s3cret", "", "", http.StatusTeapot},
		{"cookie", "GET", "/api/exchanges", "s3cret", "", http.StatusTeapot},
		{"wrong cookie", "GET", "/api/exchanges", "nope", "", http.StatusUnauthorized},
		{"bearer", "POST", "/2015-03-31/functions/F/invocations", "", "s3cret", http.StatusTeapot},
		{"share link", "GET", "/s/abcdef", "", "", http.StatusTeapot},
		{"share link write", "POST", "/s/abcdef", "", "", http.StatusUnauthorized},
		{"static asset", "GET", "/static/app.css", "", "", http.StatusTeapot},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, nil)
			if tt.cookie != "" {
				r.AddCookie(&http.Cookie{Name: tokenCookie, Value: tt.cookie})
			}
			if tt.bearer != "" {
				r.Header.Set("Authorization", "Bearer "+tt.bearer)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Errorf("%s %s: %d, want %d", tt.method, tt.target, w.Code, tt.want)
			}
			if tt.name == "query token" && len(w.Result().Cookies()) != 1 {
				t.Error("the first visit with ?token= must set the cookie")
			}
		})
	}
}
