package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gatescope/gatescope/server/testenv"
	"github.com/gatescope/gatescope/server/ui"
	"github.com/gatescope/gatescope/server/ui/uitest"
)

// getList GETs a list API path and decodes the answer.
func getList(b *testing.B, base, path string, v any) {
	b.Helper()
	resp, err := http.Get(base + path)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		b.Fatalf("%s: %d %s", path, resp.StatusCode, body)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			b.Fatal(err)
		}
	}
}

type window struct {
	Exchanges []json.RawMessage `json:"exchanges"`
	Next      string            `json:"next"`
	Snapshot  int64             `json:"snapshot"`
	Total     int               `json:"total"`
}

// BenchmarkListWith100k measures the virtualised list's reads with 100,000
// stored exchanges: the first window (with the count the scrollbar needs),
// a window deep in the list by offset (a jump of the scrollbar) and by
// cursor (scrolling on from the window before), the same sorted by
// duration, size and function, the chips' counts, and, beside them, the
// full records the list used to read for the same 200 rows.
//
//	go test ./bench -run '^$' -bench ListWith100k -benchtime 20x
func BenchmarkListWith100k(b *testing.B) {
	db := openBig(b)
	srv := uitest.Server(b, db, nil, ui.Deps{})
	var first window
	getList(b, srv.URL, "/api/exchanges?view=summary&limit=200&count=1", &first)
	if first.Total != bigN || len(first.Exchanges) != 200 {
		b.Fatalf("first window: %d rows of %d", len(first.Exchanges), first.Total)
	}
	// The cursor of the window before row 90,000, as scrolling gets there.
	var before window
	getList(b, srv.URL, fmt.Sprintf("/api/exchanges?view=summary&limit=200&offset=89800&snapshot=%d", first.Snapshot), &before)
	var sortedBefore window
	getList(b, srv.URL, fmt.Sprintf("/api/exchanges?view=summary&limit=200&sort=duration&offset=89800&snapshot=%d", first.Snapshot), &sortedBefore)
	snap := fmt.Sprintf("&snapshot=%d", first.Snapshot)
	for _, bc := range []struct{ name, path string }{
		{"first window", "/api/exchanges?view=summary&limit=200&count=1"},
		{"full records, 200", "/api/exchanges?limit=200"},
		{"deep by offset", "/api/exchanges?view=summary&limit=200&offset=90000" + snap},
		{"deep by cursor", "/api/exchanges?view=summary&limit=200&cursor=" + before.Next + snap},
		{"by duration, first", "/api/exchanges?view=summary&limit=200&count=1&sort=duration"},
		{"by duration, deep by offset", "/api/exchanges?view=summary&limit=200&sort=duration&offset=90000" + snap},
		{"by duration, deep by cursor", "/api/exchanges?view=summary&limit=200&sort=duration&cursor=" + sortedBefore.Next + snap},
		{"by size, first", "/api/exchanges?view=summary&limit=200&count=1&sort=size"},
		{"by function, first", "/api/exchanges?view=summary&limit=200&count=1&sort=function"},
		{"filtered 5xx, first", "/api/exchanges?view=summary&limit=200&count=1&status=5xx"},
		{"search, first", "/api/exchanges?view=summary&limit=200&count=1&q=item%20number%2099"},
		{"chips' counts", "/api/facets"},
		{"chips' counts, search", "/api/facets?q=item%20number%2099"},
		{"list page", "/"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				getList(b, srv.URL, bc.path, nil)
			}
		})
	}
}

// typeProbe types text into the list's search box as a fast typist would
// (a key every 40 ms), then resolves to the milliseconds from the last key
// to the frame after the list shows the rows for the whole text: the count
// the server gave for it, and its first row.
const typeProbe = `(async (text, want, first) => {
	const q = document.querySelector('[data-testid=filter-q]');
	const shown = document.querySelector('[data-testid=count-shown]');
	q.value = '';
	for (const ch of text) {
		q.value += ch;
		q.dispatchEvent(new Event('input', { bubbles: true }));
		await new Promise(r => setTimeout(r, 40));
	}
	const t0 = performance.now() - 40;
	await new Promise(done => {
		const check = () => {
			const top = document.querySelector('#rows tr[data-id]');
			const ok = shown.textContent === String(want) && top && top.dataset.id === first &&
				new URLSearchParams(location.search).get('q') === text;
			requestAnimationFrame(ok ? done : check);
		};
		check();
	});
	return performance.now() - t0;
})(%q, %d, %q)`

// BenchmarkFilterAsYouType measures the search box over 100,000 exchanges
// in headless Chromium: from the last key typed to the rows for the whole
// text drawn (the script waits typeDelay, 120 ms, for the next key, then
// cancels what earlier keys asked and asks the server), beside the
// server's time for the same answer (the first window with its count, and
// the chips' counts).
//
//	go test ./bench -run '^$' -bench FilterAsYouType -benchtime 10x
func BenchmarkFilterAsYouType(b *testing.B) {
	db := openBig(b)
	srv := uitest.Server(b, db, nil, ui.Deps{})
	tab := testenv.Browser(b, chromedp.WindowSize(1280, 900))
	ctx, cancel := context.WithTimeout(tab, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`#rows tr[data-id]`))); err != nil {
		b.Fatalf("open the list: %v", err)
	}
	var page, api []float64
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		text := fmt.Sprintf("item number %d", 1000+i*7919%9000) // a few matches each, none cached
		var w struct {
			Exchanges []struct{ ID string }
			Total     int
		}
		start := time.Now()
		getList(b, srv.URL, "/api/exchanges?view=summary&limit=200&count=1&q="+url.QueryEscape(text), &w)
		getList(b, srv.URL, "/api/facets?q="+url.QueryEscape(text), nil)
		api = append(api, float64(time.Since(start).Microseconds())/1000)
		if len(w.Exchanges) == 0 {
			b.Fatalf("%q matches nothing", text)
		}
		b.StartTimer()
		ms, err := chromedp.Run(ctx, chromedp.Evaluate[float64](fmt.Sprintf(typeProbe, text, w.Total, w.Exchanges[0].ID), chromedp.EvalAwaitPromise))
		if err != nil {
			b.Fatalf("type %q: %v", text, err)
		}
		page = append(page, ms)
	}
	med := func(xs []float64) float64 {
		s := slices.Clone(xs)
		slices.Sort(s)
		return s[len(s)/2]
	}
	b.ReportMetric(med(page), "key-to-rows-ms")
	b.ReportMetric(med(api), "api-ms")
	b.Logf("last key → rows drawn: %v ms; the server's answers (window + chips) for the same text: %v ms", page, api)
}
