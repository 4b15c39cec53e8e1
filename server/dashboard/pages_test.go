package dashboard

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/google/go-cmp/cmp"
)

func getPage(t *testing.T, url string, wantCode int) doc {
	t.Helper()
	code, h, b := do(t, http.MethodGet, url, "")
	if code != wantCode {
		t.Fatalf("GET %s: %d, want %d: %s", url, code, wantCode, b)
	}
	if ct := h.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Fatalf("GET %s: content type %q", url, ct)
	}
	return parseHTML(t, b)
}

func rowIDs(d doc) []string {
	var out []string
	for _, r := range d.all("exchange-row") {
		out = append(out, attr(r, "data-id"))
	}
	return out
}

func TestListPage(t *testing.T) {
	ts, _, xs := testServer(t, Options{Counters: func() Counters { return Counters{Captured: 19, Dropped: 3} }})
	d := getPage(t, ts.URL+"/", 200)
	if diff := cmp.Diff(newestFirst(xs, span(0, 19)...), rowIDs(d)); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	rows := d.all("exchange-row")
	// Newest row: GET /slow 504 timeout.
	top := rows[0]
	if got := text(findAll(top, "exchange-link")[0]); got != "/slow" {
		t.Errorf("top row path = %q", got)
	}
	if href := attr(findAll(top, "exchange-link")[0], "href"); href != "/exchanges/"+xs[18].ID {
		t.Errorf("top row link = %q", href)
	}
	st := findAll(top, "status")[0]
	if text(st) != "504" || !strings.Contains(attr(st, "class"), "s5") {
		t.Errorf("status cell = %q class %q", text(st), attr(st, "class"))
	}
	if oc := findAll(top, "outcome")[0]; text(oc) != "timeout" || attr(oc, "title") != xs[18].Explanation {
		t.Errorf("outcome cell = %q title %q", text(oc), attr(oc, "title"))
	}
	if !strings.Contains(attr(top, "class"), "failed") || strings.Contains(attr(rows[len(rows)-1], "class"), "failed") {
		t.Error("failed class wrong")
	}
	for testid, want := range map[string]string{"count-captured": "19", "count-shown": "19", "count-dropped": "3",
		"live-status": "connecting…"} {
		if got := text(d.one(t, testid)); got != want {
			t.Errorf("%s = %q, want %q", testid, got, want)
		}
	}
	tb := d.one(t, "rows")
	if attr(tb, "data-live") != "true" || attr(tb, "data-total") != "19" || attr(tb, "data-snapshot") != "20" {
		t.Errorf("rows attrs = %v", tb.Attr)
	}
	d.one(t, "pause")
	if len(d.all("older")) != 0 {
		t.Error("an older link on the only page")
	}
	if !hasAttr(d.one(t, "empty"), "hidden") {
		t.Error("empty note shown over rows")
	}
}

// TestListPageNotEmulated: the list page shows what the template declares
// and gatescope does not emulate, one item per feature, and nothing when
// everything is emulated.
func TestListPageNotEmulated(t *testing.T) {
	ts, _, _ := testServer(t, Options{NotEmulated: []Notice{
		{Message: "authorizers are not emulated yet", Where: []string{"Api.Auth.Authorizers.Jwt (template.yaml:12)"}},
		{Message: "SQS events are not emulated", Where: []string{"Fn.Events.Q.Type (template.yaml:30)", "2 more"}},
	}})
	d := getPage(t, ts.URL+"/", 200)
	items := d.all("not-emulated-item")
	if len(items) != 2 {
		t.Fatalf("%d items, want 2", len(items))
	}
	if got := text(items[1]); got != "SQS events are not emulated — Fn.Events.Q.Type (template.yaml:30), 2 more" {
		t.Errorf("item = %q", got)
	}
	if got := text(d.one(t, "not-emulated")); !strings.Contains(got, "Not emulated: 2 features") {
		t.Errorf("summary = %q", got)
	}

	ts, _, _ = testServer(t, Options{})
	if n := len(getPage(t, ts.URL+"/", 200).all("not-emulated")); n != 0 {
		t.Errorf("a not-emulated notice with nothing to list")
	}
}

func TestListPageFilters(t *testing.T) {
	ts, _, xs := testServer(t, Options{})
	for _, tc := range []struct {
		query   string
		want    []int
		selects map[string]string
	}{
		{"status=5xx", append(span(10, 15), 18), map[string]string{"filter-status": "5xx"}},
		{"status=502&method=post", span(10, 15), map[string]string{"filter-status": "502", "filter-method": "POST"}},
		{"session=bug-123", span(10, 15), map[string]string{"filter-session": "bug-123"}},
		{"route=GET+%2Fslow", []int{18}, map[string]string{"filter-route": "GET /slow"}},
		{"outcome=no_route", span(15, 18), map[string]string{"filter-outcome": "no_route"}},
		{"q=items.push", span(10, 15), nil},
	} {
		t.Run(tc.query, func(t *testing.T) {
			d := getPage(t, ts.URL+"/?"+tc.query, 200)
			if diff := cmp.Diff(newestFirst(xs, tc.want...), rowIDs(d)); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			for id, want := range tc.selects {
				if got := selected(d.one(t, id)); got != want {
					t.Errorf("%s selected %q, want %q", id, got, want)
				}
			}
			d.one(t, "filter-clear")
		})
	}
	t.Run("search box keeps text", func(t *testing.T) {
		d := getPage(t, ts.URL+"/?q=items.push", 200)
		if v := attr(d.one(t, "filter-q"), "value"); v != "items.push" {
			t.Errorf("search value %q", v)
		}
	})
	t.Run("session resolves to id for the live filter", func(t *testing.T) {
		d := getPage(t, ts.URL+"/?session=bug-123", 200)
		if got := attr(d.one(t, "rows"), "data-session"); got != xs[10].Session || got == "bug-123" {
			t.Errorf("data-session = %q, want the id %q", got, xs[10].Session)
		}
	})
	t.Run("no match", func(t *testing.T) {
		d := getPage(t, ts.URL+"/?status=301", 200)
		if len(rowIDs(d)) != 0 || hasAttr(d.one(t, "empty"), "hidden") {
			t.Error("want the empty note and no rows")
		}
	})
	t.Run("bad filter", func(t *testing.T) {
		d := getPage(t, ts.URL+"/?status=abc", 400)
		if !strings.Contains(text(d.one(t, "list-error")), "status") {
			t.Error("error does not name the parameter")
		}
	})
}

func TestListPageOlder(t *testing.T) {
	ts, _, xs := testServer(t, Options{})
	d := getPage(t, ts.URL+"/?limit=7&method=GET", 200)
	want := newestFirst(xs, append(span(0, 10), 15, 16, 17, 18)...)
	if diff := cmp.Diff(want[:7], rowIDs(d)); diff != "" {
		t.Errorf("first page (-want +got):\n%s", diff)
	}
	href := attr(d.one(t, "older"), "href")
	if !strings.Contains(href, "method=GET") || !strings.Contains(href, "before="+want[6]) {
		t.Errorf("older link %q", href)
	}
	d = getPage(t, ts.URL+href, 200)
	if diff := cmp.Diff(want[7:14], rowIDs(d)); diff != "" {
		t.Errorf("second page (-want +got):\n%s", diff)
	}
	if attr(d.one(t, "rows"), "data-live") != "false" {
		t.Error("an older page must not follow the live feed")
	}
}

func TestInspectorFailed(t *testing.T) {
	ts, _, xs := testServer(t, Options{CanReplay: true})
	x := xs[12]
	d := getPage(t, ts.URL+"/exchanges/"+x.ID, 200)
	if got := text(d.one(t, "explanation")); got != x.Explanation {
		t.Errorf("explanation = %q", got)
	}
	if attr(d.one(t, "explanation"), "role") != "alert" {
		t.Error("a failure's explanation is an alert")
	}
	for testid, want := range map[string]string{
		"ex-url": "/items", "ex-status": "502", "ex-outcome": "function_error",
	} {
		if got := text(d.one(t, testid)); got != want {
			t.Errorf("%s = %q, want %q", testid, got, want)
		}
	}
	fe := text(d.one(t, "function-error"))
	for _, s := range []string{"TypeError", "items.push is not a function", "at handler (index.js:3:9)"} {
		if !strings.Contains(fe, s) {
			t.Errorf("function error lacks %q: %q", s, fe)
		}
	}
	if got := text(d.one(t, "request-body")); !strings.Contains(got, `"name": "widget"`) {
		t.Errorf("request body not pretty JSON: %q", got)
	}
	ev := text(d.one(t, "event-body"))
	if !strings.Contains(ev, `"rawPath": "/hello"`) {
		t.Errorf("event = %q", ev)
	}
	logs := d.one(t, "logs")
	var meta, errs int
	for c := logs.FirstChild; c != nil; c = c.NextSibling {
		switch attr(c, "class") {
		case "log meta":
			meta++
		case "log err":
			errs++
		}
	}
	if meta != 3 || errs != 1 {
		t.Errorf("log lines: %d meta, %d err; want 3, 1", meta, errs)
	}
	if n := strings.Count(text(d.one(t, "trace")), "ms"); n < 3 {
		t.Errorf("trace has %d timings", n)
	}
	for _, id := range []string{"replay", "replay-event", "copy-curl", "copy-curl-cmd", "copy-fetch", "copy-httpie", "copy-event",
		"copy-invoke", "copy-response", "ex-search", "keys-help", "permalink", "download-event",
		"tab-request", "tab-event", "tab-output", "tab-response", "tab-logs", "tab-trace"} {
		d.one(t, id)
	}
	if href := attr(d.one(t, "permalink"), "href"); href != "/exchanges/"+x.ID {
		t.Errorf("permalink = %q", href)
	}
	if href := attr(d.one(t, "edit-replay"), "href"); href != "/exchanges/"+x.ID+"/edit" {
		t.Errorf("edit & replay link = %q", href)
	}
	curl := textByID(d, "curl-src")
	for _, s := range []string{"curl -X 'POST' 'http://127.0.0.1:3000/items'", `-H 'Content-Type: application/json'`,
		`--data-binary '{"name":"widget"}'`} {
		if !strings.Contains(curl, s) {
			t.Errorf("curl lacks %q:\n%s", s, curl)
		}
	}
}

func TestInspectorOK(t *testing.T) {
	ts, _, xs := testServer(t, Options{})
	d := getPage(t, ts.URL+"/exchanges/"+xs[0].ID, 200)
	if len(d.all("explanation")) != 0 {
		t.Error("no explanation box for an ok exchange without explanation")
	}
	if len(d.all("replay")) != 0 {
		t.Error("replay button without a replayer")
	}
	if got := text(d.one(t, "response-body")); !strings.Contains(got, "hello from go /hello") {
		t.Errorf("response body = %q", got)
	}
	if got := text(d.one(t, "request-body")); got != "Empty." {
		t.Errorf("empty request body = %q", got)
	}
}

func TestInspectorNotFound(t *testing.T) {
	ts, _, _ := testServer(t, Options{})
	d := getPage(t, ts.URL+"/exchanges/NOPE", 404)
	if !strings.Contains(text(d.one(t, "not-found")), `"NOPE"`) {
		t.Error("404 page does not name the id")
	}
	getPage(t, ts.URL+"/no/such/page", 404)
}

func TestInspectorBodies(t *testing.T) {
	db := openStore(t)
	big := strings.Repeat("0123456789abcdef", 4<<10) // 64 KB, twice what is shown
	bin := []byte{0x89, 'P', 'N', 'G', 0, 1, 2, 0xff}
	xs := []*exchange.Exchange{
		okExchange(0, func(x *exchange.Exchange) {
			x.Response.Body = base64.StdEncoding.EncodeToString(bin)
			x.Response.IsBase64 = true
			x.Response.Headers = map[string][]string{"Content-Type": {"image/png"}}
			x.Request.Body = base64.StdEncoding.EncodeToString([]byte("a=1&b=2"))
			x.Request.IsBase64 = true
		}),
		okExchange(1, func(x *exchange.Exchange) {
			x.Response.Body = big
			x.Response.Headers = map[string][]string{"Content-Type": {"text/html"}}
		}),
	}
	if err := db.InsertExchanges(t.Context(), xs); err != nil {
		t.Fatal(err)
	}
	ts := httptestServer(t, Options{Store: db})

	d := getPage(t, ts.URL+"/exchanges/"+xs[0].ID, 200)
	rb := text(d.one(t, "response-body"))
	if !strings.Contains(rb, "Binary, 8 B") || !strings.Contains(rb, base64.StdEncoding.EncodeToString(bin)) {
		t.Errorf("binary body = %q", rb)
	}
	if got := text(d.one(t, "request-body")); !strings.Contains(got, "a=1&b=2") {
		t.Errorf("base64 text body shown as %q", got)
	}
	dl := attr(d.one(t, "response-body-download"), "href")
	code, h, b := do(t, "GET", ts.URL+dl, "")
	if code != 200 || string(b) != string(bin) || h.Get("Content-Type") != "application/octet-stream" ||
		!strings.HasPrefix(h.Get("Content-Disposition"), "attachment") {
		t.Errorf("download: %d %q %v", code, b, h)
	}

	d = getPage(t, ts.URL+"/exchanges/"+xs[1].ID, 200)
	shown := textByID(d, "response-body")
	if len(shown) != shownBytes {
		t.Errorf("shown %d bytes of a big body, want %d", len(shown), shownBytes)
	}
	all := attr(d.one(t, "response-body-show-all"), "href")
	code, h, b = do(t, "GET", ts.URL+all, "")
	if code != 200 || string(b) != big {
		t.Errorf("show all: %d, %d bytes", code, len(b))
	}
	// A captured HTML body must never render as a page on this origin.
	if ct := h.Get("Content-Type"); ct != "text/plain; charset=utf-8" || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("raw body served as %q, CSP %q", ct, h.Get("Content-Security-Policy"))
	}

	code, h, b = do(t, "GET", ts.URL+"/exchanges/"+xs[1].ID+"/event.json", "")
	if code != 200 || h.Get("Content-Type") != "application/json" || !strings.Contains(string(b), `"rawPath": "/hello"`) {
		t.Errorf("event.json: %d %q %s", code, h.Get("Content-Type"), b)
	}
	if code, _, _ := do(t, "GET", ts.URL+"/exchanges/"+xs[1].ID+"/body/other", ""); code != 404 {
		t.Errorf("unknown body part: %d", code)
	}
}

// textByID returns the text of the element with this id attribute.
func textByID(d doc, id string) string {
	var found string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if attr(n, "id") == id {
			found = text(n)
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(d.root)
	return found
}

// TestInspectorNeighboursAndCopies: the page links the exchanges around it
// in its session (k, j) and its list (Esc); a copy is served whole by its
// URL, as the page fetches one too long to carry.
func TestInspectorNeighboursAndCopies(t *testing.T) {
	ts, _, xs := testServer(t, Options{})
	x := xs[12] // bug-123: xs[10..14]
	d := getPage(t, ts.URL+"/exchanges/"+x.ID, 200)
	art := d.one(t, "inspector")
	for k, want := range map[string]string{"data-prev": "/exchanges/" + xs[13].ID, "data-next": "/exchanges/" + xs[11].ID,
		"data-list": "/?session=bug-123"} {
		if got := attr(art, k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if got := attr(d.one(t, "inspector"), "data-prev"); got == "" {
		t.Error("no previous exchange")
	}
	last := getPage(t, ts.URL+"/exchanges/"+xs[14].ID, 200)
	if got := attr(last.one(t, "inspector"), "data-prev"); got != "" {
		t.Errorf("the session's newest exchange has a previous one: %q", got)
	}
	code, h, body := do(t, "GET", ts.URL+"/exchanges/"+x.ID+"/copy/curl", "")
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") || h.Get("Content-Security-Policy") == "" ||
		string(body) != textByID(d, "curl-src") {
		t.Errorf("GET copy/curl: %d %v %q", code, h, body)
	}
	if code, _, _ := do(t, "GET", ts.URL+"/exchanges/"+x.ID+"/copy/nosuch", ""); code != 404 {
		t.Errorf("unknown format: %d", code)
	}
}

// TestListPageSession: the list shows the current run's session unless
// asked for another, or for all (session=*), which adds the session column.
func TestListPageSession(t *testing.T) {
	db := openStore(t)
	xs := seed(t, db)
	cur, err := db.Session(context.Background(), "bug-123")
	if err != nil {
		t.Fatal(err)
	}
	ts := httptestServer(t, Options{Store: db, Session: cur.ID})
	for _, tc := range []struct {
		query, selected string
		want            []int
		all             bool
	}{
		{"", "bug-123", span(10, 15), false},
		{"session=default", "default", append(span(0, 10), 15, 16, 17, 18), false},
		{"session=*", "*", span(0, 19), true},
	} {
		t.Run(tc.query, func(t *testing.T) {
			d := getPage(t, ts.URL+"/?"+tc.query, 200)
			if diff := cmp.Diff(newestFirst(xs, tc.want...), rowIDs(d)); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			if got := selected(d.one(t, "filter-session")); got != tc.selected && !(tc.selected == "*" && got == "") {
				t.Errorf("session selected %q, want %q", got, tc.selected)
			}
			table := d.one(t, "vscroll").FirstChild.NextSibling
			if got := strings.Contains(attr(table, "class"), "all-sessions"); got != tc.all {
				t.Errorf("session column shown = %v, want %v (%s)", got, tc.all, attr(table, "class"))
			}
			if n := strings.Count(text(d.one(t, "filter-session")), "All sessions"); n != 1 || strings.Contains(text(d.one(t, "filter-session")), "*") {
				t.Errorf("session options %q: want one All sessions and no *", text(d.one(t, "filter-session")))
			}
			if tc.all && text(d.all("session")[0]) != "default" {
				t.Errorf("session cell %q, want the name", text(d.all("session")[0]))
			}
		})
	}
}
