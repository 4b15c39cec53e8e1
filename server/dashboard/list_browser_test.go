package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/store"
)

// domRows is the script listing the ids of the rows drawn, top first.
const domRows = `Array.from(document.querySelectorAll('#rows tr[data-id]'), r => r.dataset.id)`

// storeIDs is the ids the store lists for q, and how many match.
func (e *browserEnv) storeIDs(t *testing.T, q store.ListQuery) ([]string, int) {
	t.Helper()
	q.Count, q.Limit = true, store.MaxLimit
	w, err := e.db.List(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return summaryIDs(w.Items), w.Total
}

// waitRows waits until the list draws want (the first rows) and counts total.
func (e *browserEnv) waitRows(t *testing.T, what string, want []string, total int) {
	t.Helper()
	if len(want) > 40 {
		want = want[:40]
	}
	js, _ := json.Marshal(want)
	e.waitJS(t, what, fmt.Sprintf(`JSON.stringify(%s.slice(0, %d)) === %q &&
		document.querySelector('[data-testid=count-shown]').textContent === '%d'`, domRows, len(want), js, total))
}

// listExtras stores exchanges of another function and API, with varied
// durations, a cold start and a replay, beside the seed.
func listExtras(t *testing.T, e *browserEnv) []*exchange.Exchange {
	t.Helper()
	var xs []*exchange.Exchange
	for i, d := range []float64{5, 150, 900} {
		x := okExchange(20+i, func(x *exchange.Exchange) {
			x.Function.Name, x.API.ID, x.DurationMs = "Orders", "shop", d
			x.RouteKey, x.Request.URL = "POST /orders", fmt.Sprintf("/orders?n=%d", i)
			x.Response.Body = strings.Repeat("o", 100*(i+1))
			x.Function.Cold = i == 1
			x.Timings = exchange.Timings{InvokeStartMs: 1, InvokeEndMs: d - 1, InitDurationMs: d / 4}
		})
		if i == 2 {
			x.ReplayOf = e.xs[0].ID
		}
		xs = append(xs, x)
	}
	if err := e.db.InsertExchanges(context.Background(), xs); err != nil {
		t.Fatal(err)
	}
	return xs
}

func (e *browserEnv) openList(t *testing.T, path string) {
	t.Helper()
	e.do(t, "open "+path, chromedp.Navigate(e.url+path))
	e.waitJS(t, "live feed connects", `document.querySelector('[data-testid=live-status]').dataset.state === 'live'`)
}

// setControl sets a filter control as a user would, firing its event.
func (e *browserEnv) setControl(t *testing.T, name, value string) {
	t.Helper()
	e.do(t, "set "+name, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const el = document.querySelector('[data-testid=filter-%s]');
		el.value = %q;
		el.dispatchEvent(new Event(el.tagName === 'SELECT' ? 'change' : 'input', { bubbles: true }));
	})()`, name, value)))
}

// TestBrowserListFilters: each filter, from its control or its chip,
// lists what the store lists for it and counts as many, in place (no
// reload), with the URL following.
func TestBrowserListFilters(t *testing.T) {
	e := newBrowserEnv(t)
	extras := listExtras(t, e)
	tests := []struct {
		name     string
		controls map[string]string // filter control → value
		chip     string            // or a chip to click
		f        store.Filter
		param    string // in the URL after
	}{
		{"function", map[string]string{"function": "Orders"}, "", store.Filter{Function: "Orders"}, "function=Orders"},
		{"route", map[string]string{"route": "GET /slow"}, "", store.Filter{Route: "GET /slow"}, "route=GET+%2Fslow"},
		{"api", map[string]string{"api": "shop"}, "", store.Filter{API: "shop"}, "api=shop"},
		{"shortest", map[string]string{"min": "100"}, "", store.Filter{MinMs: 100}, "min=100"},
		{"range", map[string]string{"min": "10", "max": "200"}, "", store.Filter{MinMs: 10, MaxMs: 200}, "max=200"},
		{"status chip", nil, "status-4xx", store.Filter{StatusClass: 4}, "status=4xx"},
		{"outcome chip", nil, "outcome-timeout", store.Filter{Outcome: "timeout"}, "outcome=timeout"},
		{"failed chip", nil, "failed-1", store.Filter{Failed: true}, "failed=1"},
		{"cold chip", nil, "cold-1", store.Filter{Cold: true}, "cold=1"},
		{"replays chip", nil, "replays-only", store.Filter{Replays: store.ReplaysOnly}, "replays=only"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.openList(t, "/")
			e.do(t, "mark page", chromedp.Evaluate[chromedp.Void](`window.__noReload = true`))
			for name, v := range tc.controls {
				e.setControl(t, name, v)
			}
			if tc.chip != "" {
				e.do(t, "click "+tc.chip, chromedp.Click(chromedp.CSS(`[data-testid=chip-`+tc.chip+`]`)))
				e.waitJS(t, "the chip is on", `document.querySelector('[data-testid=chip-`+tc.chip+`]').getAttribute('aria-pressed') === 'true'`)
			}
			want, total := e.storeIDs(t, store.ListQuery{Filter: tc.f})
			if total == 0 || total == len(e.xs)+len(extras) {
				t.Fatalf("the seed does not exercise %s: %d match", tc.name, total)
			}
			e.waitRows(t, "the list shows what the store lists", want, total)
			e.waitJS(t, "the URL says the filter", fmt.Sprintf(`location.search.includes(%q)`, tc.param))
			if !run(t, e, "no reload", chromedp.Evaluate[bool](`!!window.__noReload`)) {
				t.Error("the page reloaded to filter")
			}
		})
	}
	// A replay is marked in its row.
	e.openList(t, "/?replays=only")
	if got := run(t, e, "replay mark", chromedp.Evaluate[string](
		`(() => { const m = document.querySelector('#rows tr [data-testid=replay-mark]'); return m.hidden ? 'hidden' : m.textContent; })()`)); got != "replay" {
		t.Errorf("replay mark %q", got)
	}
}

// TestBrowserListChipsUnderBurst: under a burst of mixed exchanges the
// chips' counts and the shown counter end where the store's counts are,
// and a failed toggle keeps following: failed rows that arrive show, no
// others.
func TestBrowserListChipsUnderBurst(t *testing.T) {
	e := newBrowserEnv(t)
	e.openList(t, "/")
	const n = 300
	base := time.Now()
	for i := range n {
		at := base.Add(time.Duration(i) * time.Millisecond)
		var x *exchange.Exchange
		switch i % 4 {
		case 0:
			x = failedExchange(300 + i)
		case 1:
			x = okExchange(300+i, func(x *exchange.Exchange) {
				x.Response.Status, x.Outcome = 404, exchange.OutcomeNoRoute
			})
		default:
			x = okExchange(300 + i)
		}
		x.ID, x.StartedAt, x.Session = exchange.NewID(at), at, "default"
		if i%10 == 0 {
			x.ReplayOf = e.xs[1].ID
		}
		e.submit(t, x)
	}
	e.waitWritten(t, n)
	fc, err := e.db.Facets(context.Background(), store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"failed-1": fc.Failed, "replays-only": fc.Replays}
	for k, v := range fc.Status {
		want["status-"+k] = v
	}
	for k, v := range fc.Outcome {
		want["outcome-"+k] = v
	}
	delete(want, "status-none")
	js, _ := json.Marshal(want)
	e.waitJS(t, "the chips count what the store holds", fmt.Sprintf(`(() => {
		const want = %s;
		return Object.entries(want).every(([k, v]) => {
			const b = document.querySelector('[data-testid=chip-' + k + '] [data-f=n]');
			return b && +b.textContent === v;
		}) && document.querySelector('[data-testid=count-shown]').textContent === '%d';
	})()`, js, fc.Total))
	e.screenshot(t, "list-chips-light.png")

	e.do(t, "failed only", chromedp.Click(chromedp.CSS(`[data-testid=chip-failed-1]`)))
	wantIDs, total := e.storeIDs(t, store.ListQuery{Filter: store.Filter{Failed: true}})
	e.waitRows(t, "failed rows only", wantIDs, total)
	ok, bad := okExchange(900), failedExchange(901)
	ok.ID, ok.StartedAt = exchange.NewID(time.Now()), time.Now()
	bad.ID, bad.StartedAt = exchange.NewID(time.Now().Add(time.Millisecond)), time.Now()
	e.submit(t, ok)
	e.submit(t, bad)
	e.waitRows(t, "the failed arrival shows, the ok one not", append([]string{bad.ID}, wantIDs...), total+1)
	e.waitJS(t, "the failed chip counts it", fmt.Sprintf(`+document.querySelector('[data-testid=chip-failed-1] [data-f=n]').textContent === %d`, fc.Failed+1))
}

// TestBrowserFilterAsYouType: typing searches as the keys come, the last
// text wins over answers to earlier ones, rows say where they matched,
// and a match arriving live joins them with its snippet.
func TestBrowserFilterAsYouType(t *testing.T) {
	e := newBrowserEnv(t)
	x := okExchange(70, func(x *exchange.Exchange) {
		x.Logs += "\nWARN connection pool exhausted after 3 tries"
	})
	if err := e.db.InsertExchanges(context.Background(), []*exchange.Exchange{x}); err != nil {
		t.Fatal(err)
	}
	e.openList(t, "/")
	e.do(t, "type a search", chromedp.Click(chromedp.CSS(`[data-testid=filter-q]`)), chromedp.SendKeys(chromedp.CSS(`[data-testid=filter-q]`), "pool exh"))
	e.waitRows(t, "the match shows", []string{x.ID}, 1)
	got := run(t, e, "the snippet", chromedp.Evaluate[map[string]string](`(() => {
		const m = document.querySelector('#rows tr [data-testid=match]');
		return {hidden: String(m.hidden), text: m.textContent, mark: m.querySelector('mark').textContent, url: location.search};
	})()`))
	if got["hidden"] != "false" || got["mark"] != "pool exh" || !strings.Contains(got["url"], "q=pool+exh") ||
		!strings.HasPrefix(got["text"], "logs: ") || !strings.Contains(got["text"], "WARN connection pool exhausted after 3 tries") {
		t.Errorf("snippet %+v", got)
	}
	// Live: a match in a body arrives with its snippet.
	y := okExchange(71)
	y.ID, y.StartedAt, y.Response.Body = exchange.NewID(time.Now()), time.Now(), `{"error":"pool exhausted"}`
	e.submit(t, y)
	e.waitRows(t, "the live match joins", []string{y.ID, x.ID}, 2)
	e.waitJS(t, "with its snippet", `document.querySelector('#rows tr [data-testid=match]').textContent.includes('response body:')`)
	e.screenshot(t, "list-search-light.png")
	// Deleting back to nothing lists everything again.
	e.do(t, "clear the search", chromedp.Evaluate[chromedp.Void](`(() => {
		const q = document.querySelector('[data-testid=filter-q]'); q.value = ''; q.dispatchEvent(new Event('input', { bubbles: true })); })()`))
	all, total := e.storeIDs(t, store.ListQuery{})
	e.waitRows(t, "everything again", all, total)
}

// TestBrowserListSortAndKeys: the column heads sort by the server (longest,
// largest, function), again the other way; the keys move the selection,
// open the inspector and focus the search.
func TestBrowserListSortAndKeys(t *testing.T) {
	e := newBrowserEnv(t)
	listExtras(t, e)
	e.openList(t, "/")
	for _, tc := range []struct {
		head, sort string
	}{{"Duration", store.SortDuration}, {"Size", store.SortSize}, {"Function", store.SortFunction}} {
		e.do(t, "sort by "+tc.head, chromedp.Click(chromedp.CSS(`[data-testid=sort-`+tc.head+`]`)))
		want, total := e.storeIDs(t, store.ListQuery{Sort: tc.sort})
		e.waitRows(t, tc.head+", descending", want, total)
		e.do(t, "again", chromedp.Click(chromedp.CSS(`[data-testid=sort-`+tc.head+`]`)))
		want, total = e.storeIDs(t, store.ListQuery{Sort: tc.sort, Asc: true})
		e.waitRows(t, tc.head+", ascending", want, total)
		e.waitJS(t, "the head says so", `document.querySelector('[data-testid=sort-`+tc.head+`]').closest('th').getAttribute('aria-sort') === 'ascending'`)
	}
	e.openList(t, "/")
	all, _ := e.storeIDs(t, store.ListQuery{})
	sel := `(document.querySelector('#rows tr.sel') || {dataset: {}}).dataset.id`
	e.do(t, "down, down, j, up, k", chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent("j"))
	e.waitJS(t, "third row selected", fmt.Sprintf(`%s === %q`, sel, all[2]))
	e.do(t, "up, k", chromedp.KeyEvent(kb.ArrowUp), chromedp.KeyEvent("k"))
	e.waitJS(t, "first row selected", fmt.Sprintf(`%s === %q`, sel, all[0]))
	e.do(t, "/", chromedp.KeyEvent("/"))
	e.waitJS(t, "the search has the focus", `document.activeElement === document.querySelector('[data-testid=filter-q]')`)
	e.do(t, "down from the search, Enter", chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent("\r"))
	e.waitJS(t, "the inspector opens", fmt.Sprintf(`location.pathname === '/exchanges/%s'`, all[0]))
}

// TestBrowserListSessionColumn: one session's list has no session column;
// all sessions' list names each row's session.
func TestBrowserListSessionColumn(t *testing.T) {
	e := newBrowserEnv(t)
	e.openList(t, "/?session=bug-123")
	visible := `getComputedStyle(document.querySelector('#rows tr [data-testid=session]')).display !== 'none'`
	if run(t, e, "session column", chromedp.Evaluate[bool](visible)) {
		t.Error("a session column on one session's list")
	}
	e.setControl(t, "session", "*")
	want, total := e.storeIDs(t, store.ListQuery{})
	e.waitRows(t, "every session", want, total)
	e.waitJS(t, "the session column shows", visible)
	names := run(t, e, "session names", chromedp.Evaluate[[]string](
		`[...new Set(Array.from(document.querySelectorAll('#rows tr [data-testid=session]'), c => c.textContent))].sort()`))
	if strings.Join(names, ",") != "bug-123,default" {
		t.Errorf("session cells %v, want the names", names)
	}
	e.screenshot(t, "list-light.png")
	e.do(t, "dark", colorScheme("dark"))
	e.screenshot(t, "list-dark.png")
}

// TestBrowserListPhone: at 390 px the path keeps most of the row, nothing
// scrolls sideways, and the columns left are method, path, status and
// duration.
func TestBrowserListPhone(t *testing.T) {
	e := newBrowserEnv(t)
	listExtras(t, e)
	e.do(t, "phone viewport", chromedp.EmulateViewport(390, 844))
	e.openList(t, "/")
	got := run(t, e, "measure", chromedp.Evaluate[map[string]float64](`(() => {
		const r = document.querySelector('#rows tr[data-id]');
		const shown = Array.from(r.cells).filter(c => getComputedStyle(c).display !== 'none');
		return {path: r.querySelector('.c-path').getBoundingClientRect().width, cells: shown.length,
			overflow: document.documentElement.scrollWidth - window.innerWidth,
			listOverflow: document.querySelector('[data-testid=vscroll]').scrollWidth - document.querySelector('[data-testid=vscroll]').clientWidth};
	})()`))
	if got["path"] < 180 || got["cells"] != 4 || got["overflow"] > 0 || got["listOverflow"] > 0 {
		t.Errorf("at 390 px: path %.0f px (want ≥ 180), %v cells (want 4), page overflows by %v px, list by %v px",
			got["path"], got["cells"], got["overflow"], got["listOverflow"])
	}
	e.screenshot(t, "list-390-light.png")
	e.do(t, "dark", colorScheme("dark"))
	e.screenshot(t, "list-390-dark.png")
}

// TestBrowserList100k: at 100k exchanges the list opens with the first
// window, holds a bounded number of rows in the DOM wherever it is
// scrolled, and reaches the last (oldest) exchange.
func TestBrowserList100k(t *testing.T) {
	e := newBrowserEnv(t)
	ctx := context.Background()
	const n, batch = 100_000, 5_000
	base := time.Now().Add(-time.Hour)
	for b := 0; b < n; b += batch {
		xs := make([]*exchange.Exchange, batch)
		for i := range xs {
			at := base.Add(time.Duration(b+i) * time.Millisecond)
			xs[i] = &exchange.Exchange{ID: exchange.NewID(at), Session: "big", StartedAt: at, DurationMs: float64((b + i) % 300),
				RouteKey: "GET /items/{id}", API: exchange.APIRef{ID: "local"},
				Request:  exchange.HTTPRequest{Method: "GET", URL: fmt.Sprintf("/items/%d", b+i)},
				Response: exchange.HTTPResponse{Status: 200, Body: `{"ok":true}`}, Outcome: exchange.OutcomeOK,
				Function: exchange.FunctionCall{Name: "Items"}}
		}
		if err := e.db.InsertExchanges(ctx, xs); err != nil {
			t.Fatal(err)
		}
	}
	total := n + len(e.xs)
	e.openList(t, "/")
	e.waitJS(t, "the count", fmt.Sprintf(`document.querySelector('[data-testid=count-shown]').textContent === '%d'`, total))
	bounded := func(where string) {
		t.Helper()
		if k := run(t, e, "rows in the DOM", chromedp.Evaluate[int](`document.querySelectorAll('#rows tr').length`)); k < 10 || k > 150 {
			t.Errorf("%s: %d rows in the DOM, want the rows in view and a screen around them", where, k)
		}
	}
	bounded("top")
	// A jump to the middle reads that window by offset.
	e.do(t, "scroll to the middle", chromedp.Evaluate[chromedp.Void](`(() => {
		const s = document.querySelector('[data-testid=vscroll]'); s.scrollTop = s.scrollHeight / 2; })()`))
	e.waitJS(t, "the middle rows load", `(() => { const r = document.querySelectorAll('#rows tr'); return r.length > 10 &&
		Array.from(r).every(tr => tr.dataset.id) && +document.querySelector('#rows tr').dataset.index > 40000; })()`)
	bounded("middle")
	e.do(t, "End", chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`), chromedp.KeyEvent(kb.End))
	last := e.xs[0].ID // the oldest: the seed went in first
	e.waitJS(t, "the last exchange is reachable and selected", fmt.Sprintf(
		`(() => { const r = document.querySelector('#rows tr.sel'); return r && r.dataset.id === %q &&
			+r.dataset.index === %d; })()`, last, total-1))
	bounded("end")
	e.screenshot(t, "list-100k-end.png")
}
