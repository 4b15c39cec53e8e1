package ui_test

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/replay"
	"github.com/gatescope/gatescope/server/ui"
	"github.com/gatescope/gatescope/server/ui/uitest"
	"github.com/gatescope/gatescope/store"
)

// TestRoutes walks the UI address's table: every route reaches a handler
// that answers in its kind (JSON under /api, pages elsewhere), and every
// answer carries the security headers.
func TestRoutes(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(filepath.Join(t.TempDir(), "gs.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	x := &exchange.Exchange{ID: exchange.NewID(at), Session: "s", StartedAt: at, RouteKey: "GET /hi",
		Request:  exchange.HTTPRequest{Method: "GET", URL: "/hi"},
		Response: exchange.HTTPResponse{Status: 200, Body: "hi"}, Outcome: exchange.OutcomeOK}
	if err := db.InsertExchanges(ctx, []*exchange.Exchange{x}); err != nil {
		t.Fatal(err)
	}
	sess := x.Session
	// A replayer without a gateway: enough for every answer that fails
	// before a replay would run.
	rp := replay.New(db, nil, nil, func() string { return sess }, nil)
	srv := uitest.Server(t, db, rp, ui.Deps{})

	const jsonType, page, plain = "application/json", "text/html; charset=utf-8", "text/plain; charset=utf-8"
	tests := []struct {
		method, path, body string
		code               int
		ctype              string
	}{
		{"GET", "/api/health", "", 200, jsonType},
		{"GET", "/api/stats", "", 200, jsonType},
		{"GET", "/api/exchanges", "", 200, jsonType},
		{"GET", "/api/facets", "", 200, jsonType},
		{"GET", "/api/exchanges/" + x.ID, "", 200, jsonType},
		{"PUT", "/api/exchanges/" + x.ID + "/star", "", 200, jsonType},
		{"DELETE", "/api/exchanges/" + x.ID + "/star", "", 200, jsonType},
		{"PUT", "/api/exchanges/" + x.ID + "/note", `{"note":"n"}`, 200, jsonType},
		{"POST", "/api/exchanges/nope/replay", "", 404, jsonType},
		{"GET", "/api/exchanges/" + x.ID + "/replays", "", 200, jsonType},
		{"GET", "/api/exchanges/" + x.ID + "/diff", "", 404, jsonType},
		{"GET", "/api/sessions", "", 200, jsonType},
		{"PATCH", "/api/sessions/" + sess, `{"note":"n"}`, 200, jsonType},
		{"POST", "/api/sessions/nope/replay", "", 404, jsonType},
		{"GET", "/api/sessions/" + sess + "/export?format=json", "", 200, jsonType},
		{"POST", "/api/sessions/nope/share", "", 404, jsonType},
		{"GET", "/api/sessions/" + sess + "/shares", "", 200, jsonType},
		{"DELETE", "/api/sessions/" + sess + "/shares/0123456789ab", "", 404, jsonType},
		{"DELETE", "/api/sessions/" + sess + "/shares", "", 200, jsonType},
		{"DELETE", "/api/shares/nope", "", 404, jsonType},
		{"POST", "/api/import", "not a file", 400, jsonType},
		{"GET", "/api/live", "", 503, plain}, // uitest's stand-in feed
		{"GET", "/api/nope", "", 404, jsonType},
		{"POST", "/2015-03-31/functions/Nope/invocations", "{}", 404, jsonType},
		{"GET", "/2016-08-19/account-settings/", "", 200, jsonType},
		{"GET", "/2016-08-19/account-settings", "", 200, jsonType},
		{"GET", "/2015-03-31/functions/", "", 200, jsonType},
		{"GET", "/2015-03-31/functions", "", 200, jsonType},
		{"GET", "/2015-03-31/functions/Nope", "", 404, jsonType},
		{"GET", "/2015-03-31/functions/Nope/configuration", "", 404, jsonType},
		{"GET", "/2015-03-31/functions/Nope/aliases", "", 404, jsonType}, // ListAliases: not emulated
		{"PUT", "/2019-09-30/anything", "", 404, jsonType},               // no such operation
		{"GET", "/", "", 200, page},
		{"GET", "/exchanges/" + x.ID, "", 200, page},
		{"GET", "/exchanges/" + x.ID + "/body/response", "", 200, plain},
		{"GET", "/exchanges/" + x.ID + "/event.json", "", 200, jsonType},
		{"GET", "/exchanges/" + x.ID + "/logs", "", 200, plain},
		{"GET", "/exchanges/" + x.ID + "/body/output", "", 200, plain},
		{"GET", "/exchanges/" + x.ID + "/edit", "", 200, page},
		{"GET", "/exchanges/" + x.ID + "/diff/nope", "", 404, page},
		{"GET", "/s/nope", "", 404, page},
		{"GET", "/s/nope/exchanges/" + x.ID, "", 404, page},
		{"GET", "/s/nope/exchanges/" + x.ID + "/raw/request", "", 404, page},
		{"POST", "/s/nope/exchanges/" + x.ID + "/raw/request", "", 405, plain},
		{"POST", "/s/nope", "", 405, plain},
		{"GET", "/static/app.css?v=1", "", 200, "text/css; charset=utf-8"},
		{"GET", "/nowhere", "", 404, page},
		{"GET", "/api/connections", "", 200, jsonType},
		{"GET", "/api/connections/nope", "", 410, jsonType},
		{"POST", "/api/connections/nope/messages", `{"data":"x"}`, 410, jsonType},
		{"POST", "/api/connections/nope/posts", `{"data":"x"}`, 410, jsonType},
		{"GET", "/connections", "", 200, page},
		{"GET", "/connections/nope", "", 404, page},
		{"DELETE", "/api/sessions/" + sess, "", 204, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.code || resp.Header.Get("Content-Type") != tt.ctype {
				t.Errorf("%d %q, want %d %q: %s", resp.StatusCode, resp.Header.Get("Content-Type"), tt.code, tt.ctype, b)
			}
			// Raw bodies get a stricter policy (sandbox) than pages.
			csp := resp.Header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "script-src 'self'") && !strings.Contains(csp, "sandbox") ||
				resp.Header.Get("X-Frame-Options") != "DENY" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("security headers missing: %v", resp.Header)
			}
		})
	}
}
