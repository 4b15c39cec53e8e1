package share

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/store"
)

// newPageServer serves the share pages, the raw parts and the share API
// at the paths package ui gives them.
func newPageServer(t *testing.T, db *store.DB) *httptest.Server {
	t.Helper()
	h := New(slog.New(slog.DiscardHandler), db, Options{Version: "test", Now: time.Now})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/sessions/{id}/share", h.CreateShare)
	mux.HandleFunc("GET /s/{token}", h.SharePage)
	mux.HandleFunc("GET /s/{token}/exchanges/{id}", h.ShareExchangePage)
	mux.HandleFunc("GET /s/{token}/exchanges/{id}/raw/{part}", h.ShareRaw)
	mux.HandleFunc("/s/", h.ShareOther)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func shareOf(t *testing.T, srv *httptest.Server, session string) string {
	t.Helper()
	resp, b := do(t, "POST", srv.URL+"/api/sessions/"+session+"/share", "application/json", strings.NewReader("{}"))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create share: %d %s", resp.StatusCode, b)
	}
	var l ShareLink
	if err := json.Unmarshal([]byte(b), &l); err != nil {
		t.Fatal(err)
	}
	return "/s/" + l.Token
}

func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestSharePageHostileJSON is finding 3 on share pages, which need no
// dashboard token: a 20 KB body nested 9,990 deep made a 200 MB page. Each
// part is now cut like the inspector's, pretty only up to depth 512, with
// the whole part a download away.
func TestSharePageHostileJSON(t *testing.T) {
	db := openStore(t)
	srv := newPageServer(t, db)
	docs := []struct{ name, doc string }{
		{"depth 100,000", strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000)},
		{"balanced depth 10,000", strings.Repeat("[", 10_000) + strings.Repeat("]", 10_000)},
		{"depth 500, 200,000 items", strings.Repeat(`{"k":`, 500) + "[" + strings.Repeat("0,", 200_000) + "0]" + strings.Repeat("}", 500)},
	}
	for i, c := range docs {
		t.Run(c.name, func(t *testing.T) {
			x := sample("hostile")[0]
			x.ID, x.StartedAt = exchange.NewID(t0.Add(time.Duration(i)*time.Minute)), t0.Add(time.Duration(i)*time.Minute)
			x.Request.Body, x.Response.Body = c.doc, c.doc
			x.Event, x.Function.RawResponse = json.RawMessage(c.doc), json.RawMessage(c.doc)
			x.Logs = strings.Repeat(c.doc+"\n", 4)
			if err := db.InsertExchanges(t.Context(), []*exchange.Exchange{x}); err != nil {
				t.Fatal(err)
			}
			link := shareOf(t, srv, "hostile")
			var body string
			stored := uint64(8 * len(c.doc))
			got := allocated(func() {
				var resp *http.Response
				resp, body = do(t, "GET", srv.URL+link+"/exchanges/"+x.ID, "", nil)
				if resp.StatusCode != 200 {
					t.Fatalf("%d", resp.StatusCode)
				}
			})
			if max := 6*shownBytes + 32<<10; len(body) > max {
				t.Errorf("page is %d bytes, want at most %d", len(body), max)
			}
			// Redaction copies and walks every part: still linear.
			if max := 16*stored + 16<<20; got > max {
				t.Errorf("page allocated %d MB for %d KB stored, want at most %d MB", got>>20, stored>>10, max>>20)
			}
			t.Logf("%s: %d KB stored, page %d KB, %.1f MB allocated", c.name, stored>>10, len(body)>>10, float64(got)/(1<<20))
			if len(c.doc) > shownBytes {
				for _, id := range []string{"share-request", "share-event", "share-output", "share-response", "share-logs"} {
					if !strings.Contains(body, `data-testid="`+id+`-download"`) {
						t.Errorf("no download of %s", id)
					}
				}
			}
		})
	}
}

// TestShareRaw: the whole of each part, redacted, through the link that
// shares it and no other; read-only; never a page.
func TestShareRaw(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	x := secretExchange()
	x.Logs += "\n" + strings.Repeat("a long log line\n", 4<<10)
	other := sample("other")[0]
	if err := db.InsertExchanges(ctx, []*exchange.Exchange{x, other}); err != nil {
		t.Fatal(err)
	}
	srv := newPageServer(t, db)
	link := shareOf(t, srv, "s")
	otherLink := shareOf(t, srv, "other")

	resp, page := do(t, "GET", srv.URL+link+"/exchanges/"+x.ID, "", nil)
	if resp.StatusCode != 200 || !strings.Contains(page, link+"/exchanges/"+x.ID+"/raw/logs?download=1") {
		t.Fatalf("%d: the page does not link its cut log", resp.StatusCode)
	}
	for _, part := range []string{"request", "event", "output", "response", "logs"} {
		t.Run(part, func(t *testing.T) {
			resp, body := do(t, "GET", srv.URL+link+"/exchanges/"+x.ID+"/raw/"+part, "", nil)
			h := resp.Header
			if resp.StatusCode != 200 || h.Get("Content-Type") != "text/plain; charset=utf-8" ||
				!strings.Contains(h.Get("Content-Security-Policy"), "sandbox") || h.Get("X-Robots-Tag") != "noindex" {
				t.Fatalf("%d %v", resp.StatusCode, h)
			}
			if body == "" {
				t.Error("empty")
			}
			for _, sec := range allSecrets[:10] {
				if strings.Contains(body, sec) {
					t.Errorf("secret %q in the raw %s", sec, part)
				}
			}
			resp, _ = do(t, "GET", srv.URL+link+"/exchanges/"+x.ID+"/raw/"+part+"?download=1", "", nil)
			if !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
				t.Errorf("download: %v", resp.Header)
			}
		})
	}
	if _, body := do(t, "GET", srv.URL+link+"/exchanges/"+x.ID+"/raw/logs", "", nil); !strings.HasSuffix(body, "a long log line\n") {
		t.Error("the raw log is not whole")
	}
	for _, c := range []struct {
		name, method, path string
		code               int
	}{
		{"another session's exchange", "GET", link + "/exchanges/" + other.ID + "/raw/request", 404},
		{"through the other link", "GET", otherLink + "/exchanges/" + x.ID + "/raw/request", 404},
		{"unknown part", "GET", link + "/exchanges/" + x.ID + "/raw/meta", 404},
		{"unknown token", "GET", "/s/AAAAAAAAAAAAAAAAAAAAAA/exchanges/" + x.ID + "/raw/request", 404},
		{"post", "POST", link + "/exchanges/" + x.ID + "/raw/request", 405},
		{"delete", "DELETE", link + "/exchanges/" + x.ID + "/raw/request", 405},
	} {
		if resp, body := do(t, c.method, srv.URL+c.path, "", nil); resp.StatusCode != c.code {
			t.Errorf("%s: %d, want %d: %.200s", c.name, resp.StatusCode, c.code, body)
		}
	}
	if resp, body := do(t, "GET", srv.URL+otherLink+"/exchanges/"+other.ID+"/raw/request", "", nil); resp.StatusCode != 200 ||
		body != other.Request.Body {
		t.Errorf("own exchange through the other link: %d %q", resp.StatusCode, body)
	}
	b := sample("bin")[1]
	if err := db.InsertExchanges(ctx, []*exchange.Exchange{b}); err != nil {
		t.Fatal(err)
	}
	binLink := shareOf(t, srv, "bin")
	if _, page := do(t, "GET", srv.URL+binLink+"/exchanges/"+b.ID, "", nil); !strings.Contains(page, `data-testid="share-logs-truncated"`) {
		t.Error("the page does not say the log was cut at capture")
	}
	resp, body := do(t, "GET", srv.URL+binLink+"/exchanges/"+b.ID+"/raw/response", "", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/octet-stream" || body != "\x89PNG\x00\xfe" {
		t.Errorf("binary body: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}
