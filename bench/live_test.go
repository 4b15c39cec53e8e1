package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"

	"github.com/gatescope/gatescope/server/capture"
	"github.com/gatescope/gatescope/server/dashboard"
	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/live"
	"github.com/gatescope/gatescope/server/testenv"
	"github.com/gatescope/gatescope/server/ui"
	"github.com/gatescope/gatescope/server/ui/uitest"
	"github.com/gatescope/gatescope/store"
)

const (
	// The burst: burstPerTick exchanges every burstTick for burstTicks
	// ticks, i.e. 1,000 req/s for 5 s.
	burstTick    = 10 * time.Millisecond
	burstPerTick = 10
	burstTicks   = 500
	burstN       = burstPerTick * burstTicks
	// liveMaxRows bounds the rows the virtualised list keeps in the DOM
	// (those in view and a screen's worth around them).
	liveMaxRows = 150
)

// liveRig is the dashboard wired as cmd/gatescope/serve.go wires it: a real
// store, the capture pipeline (default options) publishing to the hub after
// each commit, the hub answering ?after= from the store.
type liveRig struct {
	url  string
	db   *store.DB
	pipe *capture.Pipeline
}

func newLiveRig(tb testing.TB) *liveRig {
	tb.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := store.Open(filepath.Join(tb.TempDir(), "gatescope.db"), store.Options{Logger: logger})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)

	pipe := capture.NewPipeline(logger, db, capture.PipelineOptions{})
	hub := live.NewHub(logger,
		live.WithCounts(func() live.Counts { return live.Counts{Captured: pipe.Written(), Dropped: pipe.Dropped()} }),
		live.WithBacklog(func(ctx context.Context, after string) ([]*exchange.Exchange, error) {
			xs, _, err := db.Exchanges(ctx, store.Filter{After: after, Limit: store.MaxLimit})
			return xs, err
		}))
	pipe.Subscribe(hub.Publish)
	go pipe.Run(ctx)
	go hub.Run(ctx)
	tb.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer ccancel()
		pipe.Close(cctx)
	})

	h := uitest.Handler(db, nil, ui.Deps{
		Dashboard: dashboard.New(logger, dashboard.Options{Store: db,
			Counters: func() dashboard.Counters {
				return dashboard.Counters{Captured: pipe.Written(), Dropped: pipe.Dropped()}
			}}),
		Live: http.HandlerFunc(hub.ServeWS),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	tb.Cleanup(func() { srv.Close() })
	return &liveRig{url: "http://" + ln.Addr().String(), db: db, pipe: pipe}
}

// burstExchange is exchange i of a burst: a realistic record (a ~2 KB event,
// logs, a body) with a unique URL path, the key rows are matched by.
func burstExchange(prefix string, i int, at time.Time) *exchange.Exchange {
	x := exchangeFor(i, at)
	x.Request.URL = fmt.Sprintf("%s%04d", prefix, i)
	return x
}

// burstProbe is injected into the list page: it notes each time the list's
// count of rows changes (a MutationObserver, so at the update, before
// paint: the list is virtualised, so a row deep in a burst enters the
// list without entering the DOM), every animation frame's start, and each
// time the feed goes to reconnecting.
// Times are epoch ms (timeOrigin + performance.now()), comparable with Go's
// time.Now() on the same machine.
const burstProbe = `(() => {
	const prefix = %q;
	const now = () => performance.timeOrigin + performance.now();
	const shown = document.querySelector('[data-testid=count-shown]');
	const st = window.__burst = {prefix, base: +shown.textContent, counts: [], last: +shown.textContent, frames: [], loaf: [], reconnects: 0};
	new MutationObserver(() => {
		const n = +shown.textContent;
		if (n !== st.last) st.counts.push([n, now()]);
		st.last = n;
	}).observe(shown, {childList: true, characterData: true, subtree: true});
	const status = document.querySelector('[data-testid=live-status]');
	let state = status.dataset.state;
	new MutationObserver(() => {
		if (status.dataset.state === 'reconnecting' && state !== 'reconnecting') st.reconnects++;
		state = status.dataset.state;
	}).observe(status, {attributes: true, attributeFilter: ['data-state']});
	// Long animation frames (>50 ms) split into script (tasks and rAF
	// callbacks) and rendering (style, layout, paint).
	new PerformanceObserver(l => {
		for (const e of l.getEntries()) {
			const end = e.startTime + e.duration, sl = e.styleAndLayoutStart || end;
			st.loaf.push([performance.timeOrigin + e.startTime, e.duration, sl - e.startTime, end - sl]);
		}
	}).observe({type: 'long-animation-frame'});
	const loop = t => { st.frames.push(performance.timeOrigin + t); requestAnimationFrame(loop); };
	requestAnimationFrame(loop);
	return true;
})()`

type burstResult struct {
	Base       int          `json:"base"`
	Counts     [][2]float64 `json:"counts"` // [rows in the list, epoch ms]
	Frames     []float64    `json:"frames"`
	LoAF       [][4]float64 `json:"loaf"` // [epoch ms, duration, script, render]
	Reconnects int          `json:"reconnects"`
	DOMRows    int          `json:"domRows"`
	Dropped    int          `json:"dropped"`
}

const burstCollect = `({
	base: window.__burst.base,
	counts: window.__burst.counts,
	frames: window.__burst.frames,
	loaf: window.__burst.loaf,
	reconnects: window.__burst.reconnects,
	domRows: document.querySelectorAll('#rows tr').length,
	dropped: +document.querySelector('[data-testid=count-dropped]').textContent || 0,
})`

// burstFigures is one burst's measurements.
type burstFigures struct {
	rendered          int
	rowsPerSec        float64
	p50, p99, maxLag  float64 // ms, submit → row in the list
	minLag            float64
	fps               float64
	longFrames        int
	flushes           int
	loafN             int
	loafMs, scriptMs  float64 // long animation frames in the burst: total, script part
	renderMs          float64 // style, layout and paint part
	domRows, dropped  int
	reconnects        int
	burstDur, tailDur time.Duration
	goCPU             time.Duration // this process (server, pipeline, store) during the burst
}

// BenchmarkLiveBurst drives the dashboard's live list in headless Chromium
// with a burst of 1,000 exchanges/s for 5 s through the real capture
// pipeline and hub, and reports whether the tab keeps up: rows added to the
// list per second, submit-to-list lag, frame rate and long (>50 ms) frames
// during the burst, the rows in the DOM (bounded: the list is virtualised)
// and the dropped counter the page shows.
//
//	go test ./bench -run '^$' -bench LiveBurst -benchtime 1x
func BenchmarkLiveBurst(b *testing.B) {
	tab := testenv.Browser(b, chromedp.WindowSize(1280, 900))
	rig := newLiveRig(b)
	if err := chromedp.Do(tab, chromedp.EmulateViewport(1280, 900)); err != nil {
		b.Fatalf("set the viewport: %v", err)
	}

	var all []burstFigures
	iter := 0
	for b.Loop() {
		b.StopTimer()
		iter++
		prefix := fmt.Sprintf("/burst/%d/", iter)
		openLiveList(b, tab, rig.url, prefix)
		b.StartTimer()
		all = append(all, runBurst(b, tab, rig, prefix))
	}

	mean := func(f func(burstFigures) float64) float64 {
		var s float64
		for _, x := range all {
			s += f(x)
		}
		return s / float64(len(all))
	}
	// submitted/s is the rate actually offered: on a loaded machine the
	// ticker can fall behind and the burst stretches past 5 s.
	b.ReportMetric(mean(func(x burstFigures) float64 { return burstN / x.burstDur.Seconds() }), "submitted/s")
	b.ReportMetric(mean(func(x burstFigures) float64 { return x.rowsPerSec }), "rows/s")
	b.ReportMetric(mean(func(x burstFigures) float64 { return x.p50 }), "p50-lag-ms")
	b.ReportMetric(mean(func(x burstFigures) float64 { return x.p99 }), "p99-lag-ms")
	b.ReportMetric(mean(func(x burstFigures) float64 { return x.fps }), "fps")
	b.ReportMetric(mean(func(x burstFigures) float64 { return float64(x.longFrames) }), "long-frames")
	b.ReportMetric(mean(func(x burstFigures) float64 { return float64(x.domRows) }), "dom-rows")
	b.ReportMetric(mean(func(x burstFigures) float64 { return float64(x.dropped) }), "dropped")
	b.ReportMetric(mean(func(x burstFigures) float64 { return float64(x.rendered) / float64(x.flushes) }), "rows/flush")
	for i, x := range all {
		b.Logf("burst %d: %d/%d rows rendered in %d flushes (%.0f rows/s), lag p50 %.1f ms p99 %.1f ms max %.1f ms (min %.1f ms), "+
			"%.1f fps, %d long frames, %d rows in DOM, dropped %d, %d reconnects; submitting took %v, last row %v after; "+
			"%d long animation frames, %.0f ms in all: %.0f ms script, %.0f ms style/layout/paint; Go process CPU %v",
			i+1, x.rendered, burstN, x.flushes, x.rowsPerSec, x.p50, x.p99, x.maxLag, x.minLag,
			x.fps, x.longFrames, x.domRows, x.dropped, x.reconnects, x.burstDur.Round(time.Millisecond), x.tailDur.Round(time.Millisecond),
			x.loafN, x.loafMs, x.scriptMs, x.renderMs, x.goCPU.Round(time.Millisecond))
	}
}

// openLiveList opens the list, waits for the live feed and injects the probe.
func openLiveList(b *testing.B, tab context.Context, url, prefix string) {
	b.Helper()
	ctx, cancel := context.WithTimeout(tab, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url+"/"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=rows]`))); err != nil {
		b.Fatalf("open the list: %v", err)
	}
	for {
		live, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('[data-testid=live-status]').dataset.state === 'live'`))
		if err != nil {
			b.Fatalf("wait for the live feed: %v", err)
		}
		if live {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(burstProbe, prefix))); err != nil {
		b.Fatalf("inject the probe: %v", err)
	}
	time.Sleep(200 * time.Millisecond) // a few frames before the burst, so the first frame gap is not the burst's
}

// runBurst submits burstN exchanges at 1,000/s, waits until the page shows
// them all (or 15 s more pass), and computes the figures.
func runBurst(b *testing.B, tab context.Context, rig *liveRig, prefix string) burstFigures {
	b.Helper()
	order := make([]time.Time, 0, burstN)
	cpu0 := processCPU()
	tick := time.NewTicker(burstTick)
	start := time.Now()
	for t := range burstTicks {
		<-tick.C
		for j := range burstPerTick {
			i := t*burstPerTick + j
			now := time.Now()
			x := burstExchange(prefix, i, now)
			order = append(order, now) // the pipeline owns x after Submit
			rig.pipe.Submit(x)
		}
	}
	tick.Stop()
	end := time.Now()
	goCPU := processCPU() - cpu0

	deadline := end.Add(15 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(tab, 2*time.Second)
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.__burst.last - window.__burst.base`))
		cancel()
		if err != nil {
			b.Fatalf("count rendered rows: %v", err)
		}
		if n >= burstN {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(tab, 10*time.Second)
	defer cancel()
	res, err := chromedp.Run(ctx, chromedp.Evaluate[burstResult](burstCollect))
	if err != nil {
		b.Fatalf("collect: %v", err)
	}
	if res.DOMRows > liveMaxRows {
		b.Errorf("%d rows in the DOM, want at most %d", res.DOMRows, liveMaxRows)
	}
	if len(res.Counts) == 0 || int(res.Counts[len(res.Counts)-1][0])-res.Base < burstN {
		b.Errorf("the list did not count all %d burst rows: %v", burstN, res.Counts[max(len(res.Counts)-1, 0):])
	}

	ms := func(t time.Time) float64 { return float64(t.UnixNano()) / 1e6 }
	var lags []float64
	flushes := map[float64]bool{}
	last := 0.0
	// Rows go through the pipeline and the feed in the order submitted: the
	// i-th burst row is in the list once the count reaches base+i+1.
	c := 0
	for i, at := range order {
		for c < len(res.Counts) && int(res.Counts[c][0])-res.Base < i+1 {
			c++
		}
		if c == len(res.Counts) {
			break
		}
		t := res.Counts[c][1]
		lags = append(lags, t-ms(at))
		flushes[t] = true
		last = max(last, t)
	}
	f := burstFigures{rendered: len(lags), flushes: len(flushes), domRows: res.DOMRows, dropped: res.Dropped,
		reconnects: res.Reconnects, burstDur: end.Sub(start), goCPU: goCPU}
	if len(lags) > 0 {
		slices.Sort(lags)
		pct := func(p int) float64 { return lags[min(len(lags)-1, len(lags)*p/100)] }
		f.p50, f.p99, f.minLag, f.maxLag = pct(50), pct(99), lags[0], lags[len(lags)-1]
		f.tailDur = time.Duration((last - ms(end)) * float64(time.Millisecond))
		f.rowsPerSec = float64(len(lags)) / ((last - ms(start)) / 1000)
	}
	// Frames whose start falls within the burst; a long frame is a gap of
	// more than 50 ms between consecutive frame starts ending in it.
	var inBurst int
	for i, t := range res.Frames {
		if t < ms(start) || t > ms(end) {
			continue
		}
		inBurst++
		if i > 0 && t-res.Frames[i-1] > 50 {
			f.longFrames++
		}
	}
	f.fps = float64(inBurst) / end.Sub(start).Seconds()
	for _, l := range res.LoAF {
		if l[0] >= ms(start) && l[0] <= ms(end) {
			f.loafN++
			f.loafMs += l[1]
			f.scriptMs += l[2]
			f.renderMs += l[3]
		}
	}
	return f
}

// processCPU is the user+system CPU time this process has used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestLiveBurstSetup checks the benchmark's rig without a browser: the page
// it opens is the live list, and exchanges submitted
// through the pipeline reach a live-feed client with their paths.
func TestLiveBurstSetup(t *testing.T) {
	rig := newLiveRig(t)
	resp, err := http.Get(rig.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`id="rows"`, `data-live="true"`, `data-total="`, `data-testid="count-dropped"`} {
		if resp.StatusCode != 200 || !strings.Contains(string(page), want) {
			t.Fatalf("GET / = %d, no %s", resp.StatusCode, want)
		}
	}

	// A stored exchange to connect ?after=, so rows committed before the hub
	// registers the client come in the backlog instead of being missed.
	seed := burstExchange("/seed/", 0, time.Now().Add(-time.Second))
	if err := rig.db.InsertExchanges(context.Background(), []*exchange.Exchange{seed}); err != nil {
		t.Fatal(err)
	}
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(rig.url, "http")+"/api/live?after="+seed.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()

	const n = 20
	want := map[string]bool{}
	for i := range n {
		x := burstExchange("/burst/t/", i, time.Now())
		want[x.Request.URL] = true
		if !rig.pipe.Submit(x) {
			t.Fatal("pipeline dropped an exchange")
		}
	}
	ws.SetReadDeadline(time.Now().Add(3 * time.Second))
	for len(want) > 0 {
		var m live.Message
		if err := ws.ReadJSON(&m); err != nil {
			t.Fatalf("live feed: %v; still missing %d of %d", err, len(want), n)
		}
		if m.Type == "stats" { // the counts, not exchanges
			continue
		}
		if m.Type != "exchanges" || m.Dropped != 0 {
			t.Fatalf("message type %q dropped %d", m.Type, m.Dropped)
		}
		for _, s := range m.Items {
			delete(want, s.URL)
		}
	}
}
