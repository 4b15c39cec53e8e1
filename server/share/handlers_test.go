package share

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/store"
)

// newServer serves the share handlers at the paths package ui gives them
// (ui's own tests check its table; these test the handlers behind it).
func newServer(t *testing.T, db *store.DB, now func() time.Time) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	h := New(slog.New(slog.DiscardHandler), db, Options{Version: "test", Now: now, BaseURL: "http://" + srv.Listener.Addr().String()})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/sessions/{id}/export", h.ExportSession)
	mux.HandleFunc("POST /api/sessions/{id}/share", h.CreateShare)
	mux.HandleFunc("GET /api/sessions/{id}/shares", h.ListShares)
	mux.HandleFunc("DELETE /api/sessions/{id}/shares", h.RevokeSessionShares)
	mux.HandleFunc("DELETE /api/sessions/{id}/shares/{shareId}", h.RevokeShareID)
	mux.HandleFunc("DELETE /api/shares/{token}", h.RevokeShare)
	mux.HandleFunc("POST /api/import", h.ImportFile)
	mux.HandleFunc("GET /s/{token}", h.SharePage)
	mux.HandleFunc("GET /s/{token}/exchanges/{id}", h.ShareExchangePage)
	mux.HandleFunc("/s/", h.ShareOther)
	srv.Config.Handler = mux
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, method, url, ctype string, body io.Reader) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestShareLinks(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	clock := func() time.Time { return now }
	db := openStoreAt(t, clock)
	x := secretExchange()
	if err := db.InsertExchanges(ctx, []*exchange.Exchange{x}); err != nil {
		t.Fatal(err)
	}
	other := sample("other")[0]
	if err := db.InsertExchanges(ctx, []*exchange.Exchange{other}); err != nil {
		t.Fatal(err)
	}
	s, _ := db.Session(ctx, "s")
	srv := newServer(t, db, clock)

	create := func(body string) ShareLink {
		t.Helper()
		resp, b := do(t, "POST", srv.URL+"/api/sessions/"+s.ID+"/share", "application/json", strings.NewReader(body))
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create share: %d %s", resp.StatusCode, b)
		}
		var l ShareLink
		if err := json.Unmarshal([]byte(b), &l); err != nil {
			t.Fatal(err)
		}
		return l
	}
	live := create("")
	short := create(`{"expiresIn":"1m"}`)
	revoked := create(`{"expiresIn":"2h"}`)
	if !strings.HasPrefix(live.URL, srv.URL+"/s/") || len(live.Token) != 22 || !live.ExpiresAt.Equal(now.Add(24*time.Hour).UTC()) {
		t.Errorf("share link = %+v", live)
	}
	if resp, _ := do(t, "DELETE", srv.URL+"/api/shares/"+revoked.Token, "", nil); resp.StatusCode != http.StatusNoContent {
		t.Errorf("revoke: %d", resp.StatusCode)
	}
	if resp, _ := do(t, "DELETE", srv.URL+"/api/shares/"+revoked.Token, "", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("second revoke: %d", resp.StatusCode)
	}
	now = now.Add(2 * time.Minute) // short has expired

	tests := []struct {
		name, method, path string
		code               int
		want               []string
	}{
		{"valid list", "GET", "/s/" + live.Token, 200, []string{`data-testid="share-row"`, x.Request.Method, "s"}},
		{"valid exchange", "GET", "/s/" + live.Token + "/exchanges/" + x.ID, 200, []string{`data-testid="share-inspector"`, Redacted, "START RequestId"}},
		{"head", "HEAD", "/s/" + live.Token, 200, nil},
		{"expired", "GET", "/s/" + short.Token, 404, []string{`data-testid="share-not-found"`}},
		{"revoked", "GET", "/s/" + revoked.Token, 404, []string{`data-testid="share-not-found"`}},
		{"guessed", "GET", "/s/AAAAAAAAAAAAAAAAAAAAAA", 404, nil},
		{"malformed", "GET", "/s/short", 404, nil},
		{"other session's exchange", "GET", "/s/" + live.Token + "/exchanges/" + other.ID, 404, nil},
		{"unknown exchange", "GET", "/s/" + live.Token + "/exchanges/nosuch", 404, nil},
		{"deeper path", "GET", "/s/" + live.Token + "/exchanges/" + x.ID + "/replay", 404, nil},
		{"post", "POST", "/s/" + live.Token, 405, nil},
		{"post replay", "POST", "/s/" + live.Token + "/exchanges/" + x.ID + "/replay", 405, nil},
		{"delete", "DELETE", "/s/" + live.Token + "/exchanges/" + x.ID, 405, nil},
		{"put", "PUT", "/s/" + live.Token, 405, nil},
		{"patch", "PATCH", "/s/" + live.Token, 405, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, tt.method, srv.URL+tt.path, "", nil)
			if resp.StatusCode != tt.code {
				t.Fatalf("%s %s = %d, want %d: %.300s", tt.method, tt.path, resp.StatusCode, tt.code, body)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, sec := range allSecrets[:10] { // the default rules cover these
				if strings.Contains(body, sec) {
					t.Errorf("secret %q on a share page", sec)
				}
			}
			for _, bad := range []string{"data-replay", "/static/app.js", `href="/exchanges/`, `href="/?`} {
				if strings.Contains(body, bad) {
					t.Errorf("share page contains %q: it must not reach the dashboard", bad)
				}
			}
		})
	}
	// The stored exchange is untouched by the redacted pages.
	got, _ := db.Exchange(ctx, x.ID)
	if got.Request.Headers["authorization"][0] != "Bearer "+secBearer {
		t.Error("share page redaction reached the store")
	}
	// Bad bodies and unknown sessions.
	for _, c := range []struct {
		path, body string
		code       int
	}{
		{"/api/sessions/" + s.ID + "/share", `{"expiresIn":"forever"}`, 400},
		{"/api/sessions/" + s.ID + "/share", `{"expiresIn":"9000h"}`, 400},
		{"/api/sessions/" + s.ID + "/share", `{"ttl":"1h"}`, 400},
		{"/api/sessions/nosuch/share", ``, 404},
	} {
		if resp, b := do(t, "POST", srv.URL+c.path, "application/json", strings.NewReader(c.body)); resp.StatusCode != c.code {
			t.Errorf("POST %s %s = %d %s, want %d", c.path, c.body, resp.StatusCode, b, c.code)
		}
	}
}

func TestExportDownloadAndImportUpload(t *testing.T) {
	ctx := context.Background()
	src := openStore(t)
	s, want := seed(t, src, "bug 1")
	srv := newServer(t, src, nil)
	dst := openStore(t)
	dsrv := newServer(t, dst, nil)

	for _, format := range []string{"har", "json", "html"} {
		t.Run(format, func(t *testing.T) {
			dst := openStore(t) // a fresh store each: the same ids again would be renamed
			dsrv := newServer(t, dst, nil)
			resp, body := do(t, "GET", srv.URL+"/api/sessions/"+s.ID+"/export?format="+format, "", nil)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Disposition") != `attachment; filename=bug-1.`+format {
				t.Fatalf("export: %d %q %.200s", resp.StatusCode, resp.Header.Get("Content-Disposition"), body)
			}
			switch format {
			case "har":
				validateHAR(t, []byte(body))
			case "html":
				// The share file: a download, never a page of the dashboard.
				if resp.Header.Get("Content-Type") != "text/html; charset=utf-8" || !strings.HasPrefix(resp.Header.Get("Content-Security-Policy"), "sandbox") ||
					!strings.HasPrefix(body, "<!doctype html>") {
					t.Errorf("share file download: %v %.100s", resp.Header, body)
				}
			}
			// Multipart upload, as a browser form sends it.
			var mp bytes.Buffer
			mw := multipart.NewWriter(&mp)
			fw, _ := mw.CreateFormFile("file", "bug."+format)
			fw.Write([]byte(body))
			mw.Close()
			resp, out := do(t, "POST", dsrv.URL+"/api/import?session=up-"+format, mw.FormDataContentType(), &mp)
			if resp.StatusCode != 200 {
				t.Fatalf("import: %d %s", resp.StatusCode, out)
			}
			var res ImportResult
			json.Unmarshal([]byte(out), &res)
			if res.Imported != 3 || res.Session.Name != "up-"+format {
				t.Errorf("import result %s", out)
			}
			sameExchanges(t, want, stored(t, dst, res.Session.ID))
		})
	}
	// Raw body, a bad file: 400 naming the problem; nothing stored.
	resp, out := do(t, "POST", dsrv.URL+"/api/import?session=bad", "application/json",
		strings.NewReader(harWith(strings.Replace(goodEntry, `"method":"GET",`, "", 1))))
	if resp.StatusCode != 400 || !strings.Contains(out, "log.entries[0].request.method: missing") {
		t.Errorf("bad import: %d %s", resp.StatusCode, out)
	}
	if _, err := dst.Session(ctx, "bad"); err == nil {
		t.Error("bad import created a session")
	}
	if resp, _ := do(t, "GET", srv.URL+"/api/sessions/nosuch/export", "", nil); resp.StatusCode != 404 {
		t.Errorf("export of unknown session: %d", resp.StatusCode)
	}
	if resp, _ := do(t, "GET", srv.URL+"/api/sessions/"+s.ID+"/export?format=xml", "", nil); resp.StatusCode != 400 {
		t.Errorf("export as xml: %d", resp.StatusCode)
	}
	// A selection: starred only.
	_, body := do(t, "GET", srv.URL+"/api/sessions/"+s.ID+"/export?format=json&starred=1", "", nil)
	var n Native
	json.Unmarshal([]byte(body), &n)
	if len(n.Exchanges) != 1 || n.Exchanges[0].ID != want[0].ID {
		t.Errorf("starred export holds %d exchanges", len(n.Exchanges))
	}
}
