package ui

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

var teapot = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })

// TestGuardToken: beyond loopback, the dashboard needs its token (query
// once, then cookie, a bearer header, or a SigV4 access key id); share
// links and assets do not.
func TestGuardToken(t *testing.T) {
	h := guardToken("s3cret", teapot)
	const sig = "Credential=%s/20261129/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc"
	tests := []struct {
		name, method, target string
		cookie, auth         string
		want                 int
	}{
		{"no token", "GET", "/", "", "", http.StatusUnauthorized},
		{"api without token", "GET", "/api/exchanges", "", "", http.StatusUnauthorized},
		{"wrong token", "GET", "/?token=guess", "", "", http.StatusUnauthorized},
		{"query token", "GET", "/?token=s3cret", "", "", http.StatusTeapot},
		{"cookie", "GET", "/api/exchanges", "s3cret", "", http.StatusTeapot},
		{"wrong cookie", "GET", "/api/exchanges", "nope", "", http.StatusUnauthorized},
		{"bearer", "POST", "/2015-03-31/functions/F/invocations", "", "Bearer s3cret", http.StatusTeapot},
		{"AWS CLI with the token as access key id", "POST", "/2015-03-31/functions/F/invocations", "",
			"AWS4-HMAC-SHA256 " + fmt.Sprintf(sig, "s3cret"), http.StatusTeapot},
		{"AWS CLI with another key", "POST", "/2015-03-31/functions/F/invocations", "",
			"AWS4-HMAC-SHA256 " + fmt.Sprintf(sig, "AKIAIOSFODNN7EXAMPLE"), http.StatusUnauthorized},
		{"SigV4 without a scope", "POST", "/2015-03-31/functions/F/invocations", "", "AWS4-HMAC-SHA256 Credential=s3cret", http.StatusUnauthorized},
		{"another scheme", "POST", "/2015-03-31/functions/F/invocations", "", "Basic " + fmt.Sprintf(sig, "s3cret"), http.StatusUnauthorized},
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
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
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

// TestGuardSite: what a page of another site makes a browser send is
// refused; the dashboard's own pages, top-level navigations and clients
// that are not browsers pass.
func TestGuardSite(t *testing.T) {
	hosts := mustHosts(t, "127.0.0.1:3001")
	h := guardSite(slog.New(slog.DiscardHandler), hosts, teapot)
	type hdr = map[string]string
	cross := func(mode, dest string) hdr {
		return hdr{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": mode, "Sec-Fetch-Dest": dest}
	}
	tests := []struct {
		name, method string
		header       hdr
		want         int
	}{
		{"CLI, SDK, curl: no browser headers", "POST", nil, http.StatusTeapot},
		{"own page", "POST", hdr{"Sec-Fetch-Site": "same-origin", "Origin": "http://127.0.0.1:3001"}, http.StatusTeapot},
		{"user typed it", "POST", hdr{"Sec-Fetch-Site": "none"}, http.StatusTeapot},
		{"another site's no-cors fetch", "POST", hdr{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Origin": "http://evil.example"}, http.StatusForbidden},
		{"another site's form", "POST", hdr{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document", "Origin": "http://evil.example"}, http.StatusForbidden},
		{"a page on another port (same site)", "POST", hdr{"Sec-Fetch-Site": "same-site", "Origin": "http://127.0.0.1:8000"}, http.StatusForbidden},
		{"old browser, foreign Origin", "POST", hdr{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"old browser, another port", "PUT", hdr{"Origin": "http://127.0.0.1:8000"}, http.StatusForbidden},
		{"old browser, own Origin", "DELETE", hdr{"Origin": "http://127.0.0.1:3001"}, http.StatusTeapot},
		{"Origin null", "POST", hdr{"Origin": "null"}, http.StatusForbidden},
		{"link from elsewhere", "GET", cross("navigate", "document"), http.StatusTeapot},
		{"link from another port", "GET", hdr{"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}, http.StatusTeapot},
		{"another site's <img> of a diff page", "GET", cross("no-cors", "image"), http.StatusForbidden},
		{"another site's fetch", "GET", cross("cors", "empty"), http.StatusForbidden},
		{"another site's iframe", "GET", cross("navigate", "iframe"), http.StatusForbidden},
		{"another site's websocket", "GET", hdr{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "websocket", "Origin": "http://evil.example"}, http.StatusForbidden},
		{"websocket without fetch metadata, foreign Origin", "GET", hdr{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"own page's websocket", "GET", hdr{"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "websocket", "Origin": "http://127.0.0.1:3001"}, http.StatusTeapot},
		{"own page's module script", "GET", hdr{"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "script"}, http.StatusTeapot},
		{"plain GET", "GET", nil, http.StatusTeapot},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "/api/exchanges/X/replay", nil)
			r.Host = "127.0.0.1:3001"
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Errorf("%d, want %d: %s", w.Code, tt.want, w.Body)
			}
			if w.Code == http.StatusForbidden && !strings.Contains(w.Body.String(), "another site") {
				t.Errorf("the refusal must say why: %s", w.Body)
			}
		})
	}
}

// TestGuardHost: a Host that does not name the dashboard gets 421 and a
// sentence saying what to do, on every kind of route.
func TestGuardHost(t *testing.T) {
	h := guardHost(slog.New(slog.DiscardHandler), mustHosts(t, "127.0.0.1:3001"), teapot)
	for _, path := range []string{"/", "/api/exchanges", "/api/live", "/s/tok", "/static/app.js", "/2015-03-31/functions/F/invocations"} {
		for host, want := range map[string]int{"127.0.0.1:3001": http.StatusTeapot, "evil.example:3001": http.StatusMisdirectedRequest} {
			r := httptest.NewRequest("GET", path, nil)
			r.Host = host
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != want {
				t.Errorf("%s with Host %s: %d, want %d", path, host, w.Code, want)
			}
			if want == http.StatusMisdirectedRequest && !strings.Contains(w.Body.String(), "--allowed-host evil.example") {
				t.Errorf("%s: the refusal must say what to do: %s", path, w.Body)
			}
		}
	}
}

// TestGuardJSON: JSON endpoints take JSON only, declared as such; imports
// and the Invoke API take what their clients send.
func TestGuardJSON(t *testing.T) {
	h := guardJSON(teapot)
	tests := []struct {
		method, path, ctype, body string
		want                      int
	}{
		{"POST", "/api/exchanges/X/replay", "application/json", "{}", http.StatusTeapot},
		{"POST", "/api/exchanges/X/replay", "application/json; charset=utf-8", "{}", http.StatusTeapot},
		{"POST", "/api/exchanges/X/replay", "text/plain", "{}", http.StatusUnsupportedMediaType},
		{"POST", "/api/exchanges/X/replay", "application/x-www-form-urlencoded", "{}", http.StatusUnsupportedMediaType},
		{"POST", "/api/sessions/S/replay", "", "{}", http.StatusUnsupportedMediaType},
		{"PUT", "/api/exchanges/X/note", "multipart/form-data; boundary=x", "{}", http.StatusUnsupportedMediaType},
		{"POST", "/api/exchanges/X/replay", "", "", http.StatusTeapot}, // no body, nothing to declare
		{"PUT", "/api/exchanges/X/star", "", "", http.StatusTeapot},
		{"POST", "/api/import", "multipart/form-data; boundary=x", "{}", http.StatusTeapot},
		{"POST", "/api/import", "application/x-www-form-urlencoded", "{}", http.StatusTeapot}, // curl --data-binary @file.har
		{"POST", "/2015-03-31/functions/F/invocations", "application/x-www-form-urlencoded", "{}", http.StatusTeapot},
		{"GET", "/api/exchanges", "text/plain", "", http.StatusTeapot},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
		if tt.ctype != "" {
			r.Header.Set("Content-Type", tt.ctype)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tt.want {
			t.Errorf("%s %s (%q): %d, want %d", tt.method, tt.path, tt.ctype, w.Code, tt.want)
		}
	}
}
