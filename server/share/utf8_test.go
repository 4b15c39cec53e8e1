package share_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/ui"
	"github.com/gatescope/gatescope/server/ui/uitest"
	"github.com/gatescope/gatescope/store"
)

// TestImportInvalidUTF8 is the review's finding 13: a byte flipped inside
// an exported event's string was imported raw and came back out of the
// JSON API and exports as JSON that Python's json.load refused. The byte
// is now U+FFFD everywhere, and every answer is valid JSON in valid UTF-8.
func TestImportInvalidUTF8(t *testing.T) {
	ctx := t.Context()
	db, err := store.Open(filepath.Join(t.TempDir(), "gs.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	at := time.Date(2026, 11, 29, 18, 0, 0, 0, time.UTC)
	x := &exchange.Exchange{ID: exchange.NewID(at), Session: "orig", StartedAt: at, RouteKey: "POST /x", Outcome: exchange.OutcomeOK,
		Request:  exchange.HTTPRequest{Method: "POST", URL: "/x", Body: `{"name":"héllo"}`},
		Event:    json.RawMessage(`{"body":"{\"name\":\"héllo\"}","marker":"évent"}`),
		Function: exchange.FunctionCall{Name: "Fn", RawResponse: json.RawMessage(`{"statusCode":200,"body":"óutput"}`)},
		Response: exchange.HTTPResponse{Status: 200, Body: "ok"}, Logs: "lög"}
	if err := db.InsertExchanges(ctx, []*exchange.Exchange{x}); err != nil {
		t.Fatal(err)
	}
	srv := uitest.Server(t, db, nil, ui.Deps{})
	get := func(t *testing.T, path string) []byte {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		return b
	}
	for _, format := range []string{"json", "har"} {
		t.Run(format, func(t *testing.T) {
			export := get(t, "/api/sessions/orig/export?format="+format+"&redact=0")
			// Flip bytes inside the event's and the output's strings: a lone
			// 0xB8 as the review had, and a sequence cut short.
			flipped := bytes.Replace(export, []byte("évent"), []byte("\xb8vent"), 1)
			flipped = bytes.Replace(flipped, []byte("óutput"), []byte("\xc3(utput"), 1)
			if bytes.Equal(flipped, export) || utf8.Valid(flipped) {
				t.Fatal("the export has nothing to flip")
			}
			req, _ := http.NewRequest("POST", srv.URL+"/api/import?session=flipped-"+format, bytes.NewReader(flipped))
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("import: %d %s", resp.StatusCode, b)
			}
			for _, path := range []string{"/api/exchanges?session=flipped-" + format,
				"/api/sessions/flipped-" + format + "/export?format=json&redact=0",
				"/api/sessions/flipped-" + format + "/export?format=har&redact=0",
				"/api/sessions/flipped-" + format + "/export?format=json"} {
				out := get(t, path)
				if !utf8.Valid(out) || !json.Valid(out) {
					i := bytes.IndexFunc(out, func(r rune) bool { return r == utf8.RuneError })
					t.Errorf("%s: invalid UTF-8 or JSON near %q", path, out[max(0, i-40):min(len(out), i+40)])
				}
				if !strings.Contains(string(out), "\ufffdvent") || !strings.Contains(string(out), "\ufffd(utput") {
					t.Errorf("%s: the flipped bytes are not U+FFFD", path)
				}
			}
		})
	}
}
