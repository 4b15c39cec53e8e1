package ui

import (
	"crypto/subtle"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strings"

	"github.com/gatescope/gatescope/server/gateway"
	"github.com/gatescope/gatescope/server/httpio"
)

// tokenCookie carries the access token after the first ?token= visit. The
// API listener strips it from requests before functions see them (cookies
// are per host, not per port).
const tokenCookie = gateway.TokenCookie

// guardHost answers 421 to a request whose Host does not name the
// dashboard (see Hosts): a rebound domain gets nothing, not even a page.
func guardHost(log *slog.Logger, hosts *Hosts, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hosts.Allowed(r, r.Host) {
			logRefused(log, r, "its Host does not name the dashboard")
			host, _ := splitHost(r.Host, "")
			refuse(w, r, http.StatusMisdirectedRequest, fmt.Sprintf(
				"gatescope: this dashboard does not answer to the host %q; open %s, or start gatescope with --allowed-host %s if that name is yours",
				r.Host, hosts.BaseURL(), host))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// guardSite refuses what a page of another site makes a browser send:
//
//   - every unsafe method (POST, PUT, PATCH, DELETE) that does not come
//     from the dashboard's own pages: by Sec-Fetch-Site (every browser since
//     2023) or, without it, by Origin, as http.CrossOriginProtection decides
//     (Host is trusted here: guardHost ran first). That covers the JSON API,
//     imports and the Invoke API, and pages on other ports of the same host
//     (same-site, not same-origin), which the token cookie reaches;
//   - safe requests a page embeds or fetches from another site (an <img>
//     of a diff page costs real work; a websocket would read the feed):
//     Sec-Fetch-Site cross-site or same-site with any mode but a top-level
//     navigation, or, without Sec-Fetch-Site, an Origin that is not ours.
//
// Links to the dashboard from elsewhere still open (top-level navigation).
// Clients that send neither header (the AWS CLI and SDKs, curl, `gatescope
// replay --url`) are not browsers and pass unchanged.
func guardSite(log *slog.Logger, hosts *Hosts, next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := cop.Check(r); err != nil {
			logRefused(log, r, "it comes from a page of another site")
			refuse(w, r, http.StatusForbidden,
				"gatescope: refused a request from a page of another site; the dashboard acts only for its own pages and for clients that are not browsers")
			return
		}
		if !safeToEmbed(hosts, r) {
			logRefused(log, r, "a page of another site embedded or fetched it")
			refuse(w, r, http.StatusForbidden,
				"gatescope: refused a request a page of another site made; open the dashboard's address in the browser instead")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// logRefused says in the log what was refused and why, so that a user whose
// own tool is turned away (a proxy, a container's port mapping) sees it.
func logRefused(log *slog.Logger, r *http.Request, why string) {
	log.Warn("refused a request: "+why, slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.String("host", r.Host), slog.String("origin", r.Header.Get("Origin")),
		slog.String("fetchSite", r.Header.Get("Sec-Fetch-Site")))
}

// safeToEmbed reports whether a safe-method request may proceed: it comes
// from the dashboard itself, is a top-level navigation, or is not a
// browser's.
func safeToEmbed(hosts *Hosts, r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return true
	case "":
		return hosts.CheckOrigin(r)
	}
	dest := r.Header.Get("Sec-Fetch-Dest")
	return r.Header.Get("Sec-Fetch-Mode") == "navigate" && (dest == "" || dest == "document")
}

// guardToken requires the access token when there is one (the dashboard
// listens beyond loopback): as ?token= once, then as a cookie, as a bearer
// token (curl, scripts) or as the access key id of a SigV4-signed request
// (the AWS CLI and SDKs, which cannot send a bearer token: set
// AWS_ACCESS_KEY_ID to the token; the signature is not checked, as the
// secret key is not gatescope's to know). Share links carry their own
// unguessable token, and assets are public.
func guardToken(token string, next http.Handler) http.Handler {
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
		auth := r.Header.Get("Authorization")
		if t, found := strings.CutPrefix(auth, "Bearer "); found && ok(t) {
			next.ServeHTTP(w, r)
			return
		}
		if id, found := sigV4KeyID(auth); found && ok(id) {
			next.ServeHTTP(w, r)
			return
		}
		refuse(w, r, http.StatusUnauthorized,
			"gatescope: this dashboard needs its access token (printed at start): add ?token=..., send it as a bearer token, or as AWS_ACCESS_KEY_ID for the AWS CLI")
	})
}

// sigV4KeyID returns the access key id of an AWS Signature Version 4
// Authorization header: "AWS4-HMAC-SHA256 Credential=<id>/<date>/...".
func sigV4KeyID(auth string) (string, bool) {
	rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok {
		return "", false
	}
	for part := range strings.SplitSeq(rest, ",") {
		if cred, ok := strings.CutPrefix(strings.TrimSpace(part), "Credential="); ok {
			id, _, found := strings.Cut(cred, "/")
			return id, found && id != ""
		}
	}
	return "", false
}

// guardJSON answers 415 to a JSON API request whose body is not declared
// JSON. Browsers send text/plain, form and multipart bodies cross-site
// without asking; application/json they must ask for first (a CORS
// preflight, which gatescope never grants). Imports take files (multipart,
// HAR) and the Invoke API takes what the AWS CLI and SDKs send, so those
// two rely on guardSite alone. An empty body needs no type.
func guardJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
		default:
			if strings.HasPrefix(r.URL.Path, "/api/") && r.URL.Path != "/api/import" && r.ContentLength != 0 {
				if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
					refuse(w, r, http.StatusUnsupportedMediaType,
						"gatescope: send the body as JSON, with Content-Type: application/json")
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// refuse answers a guard's refusal: {"error": msg} to the JSON API (the
// dashboard's scripts show it), plain text elsewhere.
func refuse(w http.ResponseWriter, r *http.Request, code int, msg string) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		httpio.WriteJSON(w, code, map[string]string{"error": msg})
		return
	}
	http.Error(w, msg, code)
}

// secureHeaders sets headers every UI answer carries. Captured bodies are
// user content shown on this origin, so scripts run only from /static.
// Referrer-Policy is same-origin, not no-referrer: under no-referrer a
// browser sends "Origin: null" with the dashboard's own POSTs, which the
// Origin check (for browsers without Sec-Fetch-Site) would refuse; other
// sites still get no referrer.
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "+
			"img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		next.ServeHTTP(w, r)
	})
}
