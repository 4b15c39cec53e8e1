package dashboard

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/gatescope/gatescope/server/exchange"
)

// deepJSON is an array nested depth deep: 2*depth bytes.
func deepJSON(depth int) string {
	return strings.Repeat("[", depth) + strings.Repeat("]", depth)
}

// wideDeepJSON nests depth objects around n numbers: each number's line
// would be indented 2*depth spaces.
func wideDeepJSON(depth, n int) string {
	return strings.Repeat(`{"k":`, depth) + "[" + strings.Repeat("0,", n) + "0]" + strings.Repeat("}", depth)
}

// allocated returns the bytes the process allocated while f ran.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestInspectorHostileJSON is the security review's finding 3 on the
// inspector: bodies, events, outputs and logs that made pages quadratic
// (a 20 KB body nested 10,000 deep built ~200 MB before it was cut) cost
// memory linear in their size, and the page stays small.
func TestInspectorHostileJSON(t *testing.T) {
	db := openStore(t)
	cases := []struct {
		name string
		doc  string
	}{
		{"depth 100,000", deepJSON(100_000)},
		{"balanced depth 10,000", deepJSON(10_000)},
		{"depth 500, 200,000 items", wideDeepJSON(500, 200_000)},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := okExchange(i, func(x *exchange.Exchange) {
				x.Response.Body = c.doc
				x.Request.Body = c.doc
				x.Event = json.RawMessage(c.doc)
				x.Function.RawResponse = json.RawMessage(c.doc)
				x.Logs = strings.Repeat(c.doc+"\n", 4)
			})
			if err := db.InsertExchanges(t.Context(), []*exchange.Exchange{x}); err != nil {
				t.Fatal(err)
			}
			ts := httptestServer(t, Options{Store: db})
			var page []byte
			input := uint64(9 * len(c.doc)) // as stored: 4 documents, 4 in the log, one more in curl
			got := allocated(func() { _, _, page = do(t, "GET", ts.URL+"/exchanges/"+x.ID, "") })
			// The event (whole, for copy and edit) and the request body (in
			// "copy as curl") are in the page; everything else is cut to 32 KB.
			if max := 2*len(c.doc) + len(c.doc) + 6*shownBytes + 64<<10; len(page) > max {
				t.Errorf("page is %d bytes for a %d-byte document, want at most %d", len(page), len(c.doc), max)
			}
			if max := 48*input + 16<<20; got > max {
				t.Errorf("rendering allocated %d MB for %d KB stored, want at most %d MB (linear)", got>>20, input>>10, max>>20)
			}
			t.Logf("%s: %d KB stored, page %d KB, %.1f MB allocated", c.name, input>>10, len(page)>>10, float64(got)/(1<<20))
			d := getPage(t, ts.URL+"/exchanges/"+x.ID, 200)
			for _, id := range []string{"response-body", "request-body", "event-body", "output-body"} {
				if n := len(textByID(d, id)); n > shownBytes {
					t.Errorf("%s shows %d bytes, want at most %d", id, n, shownBytes)
				}
				if len(c.doc) > shownBytes {
					d.one(t, id+"-show-all")
				}
			}
			d.one(t, "logs-show-all")
		})
	}
}

// TestInspectorLogsCut: a long log shows its first 32 KB, ending at a
// line, with "show all" serving the whole log as text.
func TestInspectorLogsCut(t *testing.T) {
	db := openStore(t)
	var b strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&b, "line %04d of the function's output\n", i)
	}
	logs := "START RequestId: r Version: $LATEST\n" + b.String() + "END RequestId: r\n"
	small := okExchange(0)
	big := okExchange(1, func(x *exchange.Exchange) { x.Logs, x.LogsTruncated = logs, 19<<20 })
	if err := db.InsertExchanges(t.Context(), []*exchange.Exchange{small, big}); err != nil {
		t.Fatal(err)
	}
	ts := httptestServer(t, Options{Store: db})

	d := getPage(t, ts.URL+"/exchanges/"+big.ID, 200)
	shown := textByID(d, "logs-text")
	if len(shown) > shownBytes || !strings.HasSuffix(shown, "output\n") || !strings.HasPrefix(logs, shown) {
		t.Errorf("shown %d bytes ending %q, want the log's start cut at a line", len(shown), shown[max(0, len(shown)-20):])
	}
	if note := text(d.one(t, "logs-truncated")); !strings.Contains(note, "printed 19.0 MB more than gatescope keeps") {
		t.Errorf("truncation note %q", note)
	}
	if tab := text(d.one(t, "tab-logs")); tab != "Logs (5002)" {
		t.Errorf("tab %q counts the shown lines, want the whole log's", tab)
	}
	all := attr(d.one(t, "logs-show-all"), "href")
	code, h, body := do(t, "GET", ts.URL+all, "")
	if code != 200 || string(body) != logs || h.Get("Content-Type") != "text/plain; charset=utf-8" ||
		!strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("show all: %d %q, %d bytes of %d", code, h.Get("Content-Type"), len(body), len(logs))
	}
	code, h, _ = do(t, "GET", ts.URL+attr(d.one(t, "logs-download"), "href"), "")
	if code != 200 || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") {
		t.Errorf("download: %d %v", code, h)
	}

	d = getPage(t, ts.URL+"/exchanges/"+small.ID, 200)
	if n := len(d.all("logs-show-all")) + len(d.all("logs-truncated")); n != 0 {
		t.Errorf("a short whole log has %d show-all links or truncation notes", n)
	}
	if code, _, _ := do(t, "GET", ts.URL+"/exchanges/nope/logs", ""); code != 404 {
		t.Errorf("logs of an unknown exchange: %d", code)
	}
}

// TestInspectorOutputCut: the function output is cut like bodies, and
// "show all" fetches it raw (it used to be rendered whole).
func TestInspectorOutputCut(t *testing.T) {
	db := openStore(t)
	out, _ := json.Marshal(map[string]string{"body": strings.Repeat("x", 100<<10)})
	x := okExchange(0, func(x *exchange.Exchange) { x.Function.RawResponse = out })
	if err := db.InsertExchanges(t.Context(), []*exchange.Exchange{x}); err != nil {
		t.Fatal(err)
	}
	ts := httptestServer(t, Options{Store: db})
	d := getPage(t, ts.URL+"/exchanges/"+x.ID, 200)
	if n := len(textByID(d, "output-body")); n > shownBytes || n < shownBytes-8 {
		t.Errorf("output shows %d bytes", n)
	}
	code, _, body := do(t, "GET", ts.URL+attr(d.one(t, "output-body-show-all"), "href"), "")
	if code != 200 || string(body) != string(out) {
		t.Errorf("show all: %d, %d bytes", code, len(body))
	}
}
