package share

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/har"
	"github.com/gatescope/gatescope/server/exchange"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// TestRoundTrip: export → import into a fresh store → the same exchanges,
// for both formats; the HAR validates against HAR 1.2's schema and reads
// with cdproto's independent HAR types.
func TestRoundTrip(t *testing.T) {
	for _, format := range []string{FormatHAR, FormatJSON} {
		t.Run(format, func(t *testing.T) {
			ctx := context.Background()
			src := openStore(t)
			s, want := seed(t, src, "bug-123")
			if err := src.SetStar(ctx, want[2].ID, true); err != nil {
				t.Fatal(err)
			}
			want[2].Starred = true
			if _, err := src.UpdateSession(ctx, s.ID, storeNote("a session note")); err != nil {
				t.Fatal(err)
			}

			var buf bytes.Buffer
			res, err := Export(ctx, src, &buf, Selection{Session: "bug-123"},
				ExportOptions{Format: format, Rules: Rules{Off: true}, Version: "v9"})
			if err != nil {
				t.Fatal(err)
			}
			if res.Exchanges != 3 || !res.Redaction.Disabled {
				t.Errorf("result = %+v", res)
			}
			out := buf.Bytes()
			if format == FormatHAR {
				validateHAR(t, out)
				var h har.HAR
				if err := json.Unmarshal(out, &h); err != nil {
					t.Fatalf("cdproto/har cannot read the export: %v", err)
				}
				if h.Log.Version != "1.2" || h.Log.Creator.Name != "gatescope" || len(h.Log.Entries) != 3 {
					t.Fatalf("cdproto read log %+v", h.Log)
				}
				e := h.Log.Entries[0]
				if e.Request.URL != "http://localhost:3000/orders?x=1&y=a%20b" || e.Time != e.Timings.Send+e.Timings.Wait+e.Timings.Receive {
					t.Errorf("entry 0: url %q time %v timings %+v", e.Request.URL, e.Time, e.Timings)
				}
				if got := string(h.Log.Entries[1].Response.Content.Text); got != "\x89PNG\x00\xfe" {
					t.Errorf("binary content read back as %q", got)
				}
			} else {
				var n Native
				if err := json.Unmarshal(out, &n); err != nil || n.Format != NativeFormat || n.Session.Note != "a session note" {
					t.Fatalf("native: %v %+v", err, n.Session)
				}
			}

			dst := openStore(t)
			ir, err := Import(ctx, dst, bytes.NewReader(out), ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if ir.Imported != 3 || ir.Session.Name != "bug-123" || ir.Session.Note != "a session note" || ir.Format != format {
				t.Errorf("import result %+v session %+v", ir, ir.Session)
			}
			sameExchanges(t, want, stored(t, dst, ir.Session.ID))

			// Back into the database it came from: a new session, fresh ids.
			ir2, err := Import(ctx, src, bytes.NewReader(out), ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(ir2.Session.Name, "bug-123 (imported ") || ir2.Imported != 3 {
				t.Errorf("re-import into the source: %+v", ir2.Session)
			}
			again := stored(t, src, ir2.Session.ID)
			if again[1].ReplayOf != again[0].ID || again[0].ID == want[0].ID {
				t.Errorf("re-import ids: %s replayOf %s (original %s)", again[1].ID, again[1].ReplayOf, want[0].ID)
			}
		})
	}
}

// TestImportBrowserHAR: a HAR saved by Chromium's devtools (pages,
// _initiator, HTTP/2 pseudo-headers, no _gatescope) imports as replayable
// request + response exchanges.
func TestImportBrowserHAR(t *testing.T) {
	ctx := context.Background()
	f, err := os.Open(filepath.Join("testdata", "devtools.har"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	db := openStore(t)
	res, err := Import(ctx, db, f, ImportOptions{Session: "from-chrome"})
	if err != nil {
		t.Fatal(err)
	}
	xs := stored(t, db, res.Session.ID)
	if len(xs) != 3 {
		t.Fatalf("imported %d exchanges, want 3", len(xs))
	}
	tests := []struct {
		method, url, host string
		status            int
		outcome           exchange.Outcome
		reqBody           string
		respBody          string
		respBase64        bool
	}{
		{"GET", "/hello?name=web", "localhost:3000", 200, exchange.OutcomeOK, "", `{"message":"hello web"}`, false},
		{"POST", "/orders", "localhost:3000", 429, exchange.OutcomeThrottled, `{"qty":1}`, `{"message":"Too Many Requests"}`, false},
		{"GET", "/logo.png", "localhost:3000", 200, exchange.OutcomeOK, "", "iVBORw0KGgo=", true},
	}
	for i, tt := range tests {
		x := xs[i]
		if x.Request.Method != tt.method || x.Request.URL != tt.url || x.Response.Status != tt.status ||
			x.Outcome != tt.outcome || x.Request.Body != tt.reqBody || x.Response.Body != tt.respBody ||
			x.Response.IsBase64 != tt.respBase64 || len(x.Event) != 0 || x.Explanation == "" {
			t.Errorf("entry %d = %s %s %d %s req %q resp %q b64 %v event %q", i, x.Request.Method, x.Request.URL,
				x.Response.Status, x.Outcome, x.Request.Body, x.Response.Body, x.Response.IsBase64, x.Event)
		}
		if got := headerValue(x.Request.Headers, "Host"); got != tt.host {
			t.Errorf("entry %d Host = %q", i, got)
		}
		for k := range x.Request.Headers {
			if strings.HasPrefix(k, ":") {
				t.Errorf("entry %d kept pseudo-header %q", i, k)
			}
		}
	}
}
