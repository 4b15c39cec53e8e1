package dashboard

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/gatescope/gatescope/server/capture"
	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/httpio"
	"github.com/gatescope/gatescope/server/live"
	"github.com/gatescope/gatescope/server/testenv"
	"github.com/gatescope/gatescope/store"
	"github.com/gatescope/gatescope/web"
)

// browserEnv is a dashboard served with the real store, capture pipeline and
// live hub, and a headless Chromium tab on it.
type browserEnv struct {
	url  string
	db   *store.DB
	pipe *capture.Pipeline
	live *swapLive
	xs   []*exchange.Exchange
	ctx  context.Context
	tab  context.Context
	arts string
}

func newBrowserEnv(t *testing.T) *browserEnv {
	t.Helper()
	tab := testenv.Browser(t, chromedp.WindowSize(1280, 900))
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	logger := slog.New(slog.DiscardHandler)

	db := openStore(t)
	xs := seed(t, db)
	pipe := capture.NewPipeline(logger, db, capture.PipelineOptions{FlushInterval: 5 * time.Millisecond})
	live := &swapLive{log: logger, db: db, counts: func() live.Counts {
		return live.Counts{Captured: pipe.Written(), Dropped: pipe.Dropped()}
	}}
	live.start(ctx, true)
	pipe.Subscribe(live.Publish)
	go pipe.Run(ctx)

	// The replayer stores a copy as the pipeline would, so the browser can
	// follow the replay to its new page.
	replay := func(w http.ResponseWriter, r *http.Request) {
		orig, err := db.Exchange(r.Context(), r.PathValue("id"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		x := *orig
		x.ID, x.ReplayOf, x.StartedAt = exchange.NewID(time.Now()), orig.ID, time.Now()
		if err := db.InsertExchanges(r.Context(), []*exchange.Exchange{&x}); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		httpio.WriteJSON(w, http.StatusOK, &x)
	}
	h := testMux(New(logger, Options{Store: db, CanReplay: true,
		Counters: func() Counters { return Counters{Captured: pipe.Written(), Dropped: pipe.Dropped()} }}))
	h.HandleFunc("GET /api/live", live.ServeWS)
	h.HandleFunc("POST /api/exchanges/{id}/replay", replay)
	h.Handle("GET /static/", http.StripPrefix("/static/", web.StaticHandler()))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer scancel()
		srv.Shutdown(sctx)
	})

	if err := chromedp.Do(tab, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatalf("set the viewport: %v", err)
	}

	arts := os.Getenv("GATESCOPE_ARTIFACTS")
	if arts == "" {
		arts = t.TempDir()
	}
	arts = filepath.Join(arts, "dashboard")
	if err := os.MkdirAll(arts, 0o755); err != nil {
		t.Fatal(err)
	}
	return &browserEnv{url: "http://" + ln.Addr().String(), db: db, pipe: pipe, live: live, xs: xs, tab: tab, arts: arts, ctx: ctx}
}

// do runs steps with a timeout, failing the test with what was being done.
func (e *browserEnv) do(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(e.tab, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func run[T any](t *testing.T, e *browserEnv, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(e.tab, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// waitJS waits until the JavaScript expression is truthy (testenv.WaitJS).
func (e *browserEnv) waitJS(t *testing.T, what, expr string) {
	t.Helper()
	testenv.WaitJS(t, e.tab, what, expr)
}

func colorScheme(scheme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
		return err
	})
}

func (e *browserEnv) screenshot(t *testing.T, name string) {
	t.Helper()
	e.waitJS(t, "settle animations", `document.getAnimations().every(a => a.playState !== 'running')`)
	png := run(t, e, "screenshot "+name, chromedp.FullScreenshot(100)) // 100 means PNG
	p := filepath.Join(e.arts, name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", p)
}

func (e *browserEnv) submit(t *testing.T, x *exchange.Exchange) {
	t.Helper()
	if !e.pipe.Submit(x) {
		t.Fatal("pipeline dropped the exchange")
	}
}

func TestBrowserLiveList(t *testing.T) {
	e := newBrowserEnv(t)
	e.do(t, "open the list", chromedp.Navigate(e.url+"/"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=rows]`)))
	e.waitJS(t, "live feed connects", `document.querySelector('[data-testid=live-status]').dataset.state === 'live'`)
	if n := run(t, e, "count rows", chromedp.Evaluate[int](`document.querySelectorAll('#rows tr').length`)); n != len(e.xs) {
		t.Fatalf("%d rows, want %d", n, len(e.xs))
	}
	// A marker on window proves no reload happens while rows arrive.
	e.do(t, "mark page", chromedp.Evaluate[chromedp.Void](`window.__noReload = true`))

	now := time.Now()
	x := failedExchange(30)
	x.ID, x.StartedAt, x.Request.URL = exchange.NewID(now), now, "/items?live=1"
	e.submit(t, x)
	e.waitJS(t, "the new row shows at the top", fmt.Sprintf(
		`(() => { const r = document.querySelector('#rows tr'); return r && r.dataset.id === %q; })()`, x.ID))
	got := run(t, e, "read the row", chromedp.Evaluate[map[string]string](`(() => {
		const r = document.querySelector('#rows tr'), q = s => r.querySelector(s).textContent;
		return {path: q('[data-f=path]'), status: q('[data-f=status]'), cls: r.querySelector('[data-f=status]').className,
			outcome: q('[data-f=outcome]'), route: q('[data-f=route]'), href: r.querySelector('a').getAttribute('href'),
			shown: document.querySelector('[data-testid=count-shown]').textContent,
			reloaded: String(!window.__noReload)};
	})()`))
	want := map[string]string{"path": "/items?live=1", "status": "502", "cls": "status s5", "outcome": "function_error",
		"route": "POST /items", "href": "/exchanges/" + x.ID, "shown": "20", "reloaded": "false"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("live row %s = %q, want %q", k, got[k], v)
		}
	}

	// Paused, new rows wait; resumed, they show.
	e.do(t, "pause", chromedp.Click(chromedp.CSS(`[data-testid=pause]`)))
	y := okExchange(31)
	y.ID, y.StartedAt, y.Request.URL = exchange.NewID(time.Now()), time.Now(), "/hello?while=paused"
	e.submit(t, y)
	e.waitJS(t, "pause button counts the held row", `document.querySelector('[data-testid=pause]').textContent === 'Resume (1 new)'`)
	if top := run(t, e, "top row", chromedp.Evaluate[string](`document.querySelector('#rows tr').dataset.id`)); top != x.ID {
		t.Errorf("paused list changed: top %s", top)
	}
	e.do(t, "resume", chromedp.Click(chromedp.CSS(`[data-testid=pause]`)))
	e.waitJS(t, "held row shows", fmt.Sprintf(`document.querySelector('#rows tr').dataset.id === %q`, y.ID))

	// A filtered page applies the same filter to the live feed.
	e.do(t, "open 5xx", chromedp.Navigate(e.url+"/?status=5xx"))
	e.waitJS(t, "live feed connects", `document.querySelector('[data-testid=live-status]').dataset.state === 'live'`)
	z1 := okExchange(32)
	z1.ID, z1.StartedAt, z1.Request.URL = exchange.NewID(time.Now()), time.Now(), "/hello?filtered=out"
	e.submit(t, z1) // the pipeline is FIFO: z1 reaches the page before z2
	z2 := failedExchange(33)
	z2.ID, z2.StartedAt = exchange.NewID(time.Now().Add(time.Millisecond)), time.Now()
	e.submit(t, z2)
	e.waitJS(t, "5xx row shows", fmt.Sprintf(`document.querySelector('#rows tr').dataset.id === %q`, z2.ID))
	if n := run(t, e, "filtered out", chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll('#rows tr[data-id=%q]').length`, z1.ID))); n != 0 {
		t.Error("a 200 row entered the 5xx list")
	}

	// Keyboard: j selects the first row, Enter opens it.
	e.do(t, "back to all", chromedp.Navigate(e.url+"/"), chromedp.WaitVisible(chromedp.CSS(`#rows tr`)))
	e.waitJS(t, "live feed connects", `document.querySelector('[data-testid=live-status]').dataset.state === 'live'`)
	e.do(t, "j", chromedp.KeyEvent("j"))
	e.waitJS(t, "first row selected", `document.querySelector('#rows tr').classList.contains('sel')`)
	topID := run(t, e, "top row", chromedp.Evaluate[string](`document.querySelector('#rows tr').dataset.id`))
	e.do(t, "Enter", chromedp.KeyEvent("\r"))
	e.waitJS(t, "inspector opens", fmt.Sprintf(`location.pathname === '/exchanges/%s'`, topID))
}

func TestBrowserInspector(t *testing.T) {
	e := newBrowserEnv(t)
	x := e.xs[12] // POST /items, function_error
	e.do(t, "open the inspector", chromedp.Navigate(e.url+"/exchanges/"+x.ID),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=explanation]`)))
	if got := run(t, e, "explanation", chromedp.Text(chromedp.CSS(`[data-testid=explanation]`))); got != x.Explanation {
		t.Errorf("explanation = %q", got)
	}
	// A failure opens on the function output.
	e.do(t, "output tab", chromedp.WaitVisible(chromedp.CSS(`[data-testid=function-error]`)))

	e.do(t, "event tab", chromedp.Click(chromedp.CSS(`[data-testid=tab-event]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=event-body]`)))
	if ev := run(t, e, "event", chromedp.Text(chromedp.CSS(`#event-body`))); !strings.Contains(ev, `"rawPath": "/hello"`) {
		t.Errorf("event text = %q", ev)
	}
	e.do(t, "logs tab", chromedp.Click(chromedp.CSS(`[data-testid=tab-logs]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=logs]`)))
	if logs := run(t, e, "logs", chromedp.Text(chromedp.CSS(`[data-testid=logs]`))); !strings.Contains(logs, "REPORT RequestId: req-12") {
		t.Errorf("logs = %q", logs)
	}
	e.do(t, "light", colorScheme("light"))
	e.screenshot(t, "inspector-logs.png")
	hidden := run(t, e, "other panels hidden", chromedp.Evaluate[bool](`document.querySelector('[data-testid=panel-event]').hidden`))
	if !hidden {
		t.Error("tabs do not hide other panels")
	}

	e.do(t, "trace tab", chromedp.Click(chromedp.CSS(`[data-testid=tab-trace]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=trace]`)))
	e.do(t, "light", colorScheme("light"), chromedp.Click(chromedp.CSS(`[data-testid=tab-output]`)))
	e.screenshot(t, "inspector-light.png")
	e.do(t, "dark", colorScheme("dark"))
	e.screenshot(t, "inspector-dark.png")
	e.do(t, "trace", colorScheme("light"), chromedp.Click(chromedp.CSS(`[data-testid=tab-trace]`)))
	e.screenshot(t, "inspector-trace-untraced.png")

	// Replay posts, then follows to the new exchange.
	e.do(t, "replay", chromedp.Click(chromedp.CSS(`[data-testid=replay]`)))
	e.waitJS(t, "the replay opens", fmt.Sprintf(
		`location.pathname.startsWith('/exchanges/') && location.pathname !== '/exchanges/%s' && !!document.querySelector('[data-testid=facts]')`, x.ID))
	// Read in the page, in one step: a node id taken before the new page
	// settled can go stale between the query and the read.
	facts := run(t, e, "facts", chromedp.Evaluate[string](`document.querySelector('[data-testid=facts]').textContent`))
	if !strings.Contains(facts, x.ID) {
		t.Errorf("replayed exchange does not link its original: %q", facts)
	}

	// The list, light, dark and narrow.
	e.do(t, "list", chromedp.Navigate(e.url+"/"), chromedp.WaitVisible(chromedp.CSS(`#rows tr`)), colorScheme("light"))
	e.waitJS(t, "live feed connects", `document.querySelector('[data-testid=live-status]').dataset.state === 'live'`)
	e.screenshot(t, "list-light.png")
	e.do(t, "dark", colorScheme("dark"))
	e.screenshot(t, "list-dark.png")
	e.do(t, "narrow", colorScheme("light"), chromedp.EmulateViewport(420, 860))
	e.screenshot(t, "list-narrow.png")

	e.do(t, "unknown", chromedp.Navigate(e.url+"/exchanges/NOPE"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=not-found]`)))
}

// swapLive is the live feed behind a switch, so a test can stop the hub (its
// clients see the server go away) and start a fresh one, as a restart does.
type swapLive struct {
	log    *slog.Logger
	db     *store.DB
	counts func() live.Counts

	mu     sync.Mutex
	hub    *live.Hub
	cancel context.CancelFunc
}

// start runs a new hub; with backlog it answers ?after= from the store.
func (l *swapLive) start(ctx context.Context, backlog bool) {
	opts := []live.HubOption{live.WithCounts(l.counts)}
	if backlog {
		opts = append(opts, live.WithBacklog(func(ctx context.Context, after string) ([]*exchange.Exchange, error) {
			xs, _, err := l.db.Exchanges(ctx, store.Filter{After: after, Limit: store.MaxLimit})
			return xs, err
		}))
	}
	h := live.NewHub(l.log, opts...)
	hctx, cancel := context.WithCancel(ctx)
	go h.Run(hctx)
	l.mu.Lock()
	l.hub, l.cancel = h, cancel
	l.mu.Unlock()
}

// stop ends the hub: every client is disconnected and new ones get 503.
func (l *swapLive) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cancel()
}

func (l *swapLive) current() *live.Hub {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.hub
}

func (l *swapLive) ServeWS(w http.ResponseWriter, r *http.Request) { l.current().ServeWS(w, r) }
func (l *swapLive) Publish(xs []*exchange.Exchange)                { l.current().Publish(xs) }

func TestBrowserReconnectFillsGap(t *testing.T) {
	e := newBrowserEnv(t)
	e.do(t, "open the list", chromedp.Navigate(e.url+"/"))
	e.waitJS(t, "live feed connects", `document.querySelector('[data-testid=live-status]').dataset.state === 'live'`)
	e.do(t, "mark page", chromedp.Evaluate[chromedp.Void](`window.__noReload = true`))

	e.live.stop()
	e.waitJS(t, "client notices", `document.querySelector('[data-testid=live-status]').dataset.state === 'reconnecting'`)
	// Stored while no feed runs: only GET /api/exchanges can bring these.
	var missed []string
	for i := range 3 {
		x := okExchange(40 + i)
		at := time.Now().Add(time.Duration(i) * time.Millisecond)
		x.ID, x.StartedAt, x.Request.URL = exchange.NewID(at), at, fmt.Sprintf("/hello?missed=%d", i)
		e.submit(t, x)
		missed = append(missed, x.ID)
	}
	deadline := time.Now().Add(5 * time.Second)
	for e.pipe.Written() < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	e.live.start(e.ctx, false) // no backlog: the gap fill must do it
	e.waitJS(t, "reconnects and fills the gap", fmt.Sprintf(`(() => {
		const ids = Array.from(document.querySelectorAll('#rows tr'), r => r.dataset.id).slice(0, 3);
		return document.querySelector('[data-testid=live-status]').dataset.state === 'live' &&
			ids.join() === %q;
	})()`, strings.Join([]string{missed[2], missed[1], missed[0]}, ",")))
	if !run(t, e, "no reload", chromedp.Evaluate[bool](`!!window.__noReload`)) {
		t.Error("the page reloaded")
	}
	if n := run(t, e, "rows", chromedp.Evaluate[int](`document.querySelectorAll('#rows tr').length`)); n != len(e.xs)+3 {
		t.Errorf("%d rows after the gap fill, want %d (no duplicates)", n, len(e.xs)+3)
	}
}

func TestBrowserBoundedList(t *testing.T) {
	e := newBrowserEnv(t)
	e.do(t, "open the list", chromedp.Navigate(e.url+"/"))
	e.waitJS(t, "live feed connects", `document.querySelector('[data-testid=live-status]').dataset.state === 'live'`)
	base := time.Now()
	var last string
	for i := range maxRows + 20 {
		x := okExchange(100 + i)
		at := base.Add(time.Duration(i) * time.Millisecond)
		x.ID, x.StartedAt, x.Request.URL = exchange.NewID(at), at, fmt.Sprintf("/hello?burst=%d", i)
		e.submit(t, x)
		last = x.ID
	}
	e.waitJS(t, "burst shows, newest on top", fmt.Sprintf(`document.querySelector('#rows tr').dataset.id === %q`, last))
	// The counter comes from the hub's stats frames, up to a quarter second
	// behind the rows.
	e.waitJS(t, "captured counts the burst", fmt.Sprintf(
		`document.querySelector('[data-testid=count-captured]').textContent === '%d'`, maxRows+20))
	got := run(t, e, "counts", chromedp.Evaluate[map[string]int](`({
		rows: document.querySelectorAll('#rows tr').length,
		shown: +document.querySelector('[data-testid=count-shown]').textContent})`))
	want := map[string]int{"rows": maxRows, "shown": maxRows}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d, want %d", k, got[k], v)
		}
	}
}

// waitWritten waits until the pipeline has committed n exchanges.
func (e *browserEnv) waitWritten(t *testing.T, n uint64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for e.pipe.Written() < n {
		if time.Now().After(deadline) {
			t.Fatalf("pipeline wrote %d exchanges, want %d", e.pipe.Written(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestBrowserCapturedCounterAgreesWithStore is UX review M4: concurrent
// requests commit out of id order, and a page that counted only ids newer
// than the newest it had seen read 263 after 400. The counter must say what
// /api/stats says.
func TestBrowserCapturedCounterAgreesWithStore(t *testing.T) {
	e := newBrowserEnv(t)
	e.do(t, "open the list", chromedp.Navigate(e.url+"/"))
	e.waitJS(t, "live feed connects", `document.querySelector('[data-testid=live-status]').dataset.state === 'live'`)

	const n = 400
	base := time.Now()
	xs := make([]*exchange.Exchange, n)
	for i := range xs {
		x := okExchange(200 + i)
		at := base.Add(time.Duration(i) * time.Millisecond)
		x.ID, x.StartedAt, x.Request.URL = exchange.NewID(at), at, fmt.Sprintf("/hello?burst=%d", i)
		xs[i] = x
	}
	// Four "workers" finishing out of step: ids reach the store in an order
	// that is not theirs (a fixed shuffle, so a failure can be replayed).
	rng := rand.New(rand.NewPCG(4, 400))
	for _, i := range rng.Perm(n) {
		e.submit(t, xs[i])
	}
	e.waitWritten(t, n)

	var stats struct {
		Captured uint64 `json:"captured"`
	}
	getJSON(t, e.url+"/api/stats", http.StatusOK, &stats)
	if stats.Captured != n {
		t.Fatalf("/api/stats captured %d, want %d", stats.Captured, n)
	}
	e.waitJS(t, "the captured counter agrees with /api/stats", fmt.Sprintf(
		`document.querySelector('[data-testid=count-captured]').textContent === '%d'`, stats.Captured))
	// The list itself is bounded but shows the newest rows, newest first.
	e.waitJS(t, "newest row on top", fmt.Sprintf(`document.querySelector('#rows tr').dataset.id === %q`, xs[n-1].ID))
}

// TestBrowserSearchFollowsBodiesAndLogs is UX review M3: with a text search
// the server matches bodies and logs, the page matched only the summary, so
// a live list of "pool exhausted" stayed short while it said "live". Rows
// that match only in a body or the logs must still arrive, and no others.
func TestBrowserSearchFollowsBodiesAndLogs(t *testing.T) {
	e := newBrowserEnv(t)
	e.do(t, "open a search", chromedp.Navigate(e.url+"/?q=pool+exhausted"))
	e.waitJS(t, "live feed connects", `document.querySelector('[data-testid=live-status]').dataset.state === 'live'`)
	if n := run(t, e, "count rows", chromedp.Evaluate[int](`document.querySelectorAll('#rows tr').length`)); n != 0 {
		t.Fatalf("%d rows match before any was sent", n)
	}

	now := time.Now()
	other := okExchange(60)
	other.ID, other.StartedAt = exchange.NewID(now), now
	inLogs := failedExchange(61)
	inLogs.ID, inLogs.StartedAt = exchange.NewID(now.Add(time.Millisecond)), now
	inLogs.Logs += "\nfatal: connection pool exhausted, exiting"
	inBody := okExchange(62)
	inBody.ID, inBody.StartedAt = exchange.NewID(now.Add(2*time.Millisecond)), now
	inBody.Response.Body = `{"error":"pool exhausted"}`
	for _, x := range []*exchange.Exchange{other, inLogs, inBody} {
		e.submit(t, x)
	}
	e.waitJS(t, "rows matching in logs and body arrive", fmt.Sprintf(
		`Array.from(document.querySelectorAll('#rows tr'), r => r.dataset.id).join() === %q`, inBody.ID+","+inLogs.ID))
	got := run(t, e, "read the page", chromedp.Evaluate[map[string]string](`({
		shown: document.querySelector('[data-testid=count-shown]').textContent,
		state: document.querySelector('[data-testid=live-status]').dataset.state,
		failed: String(document.querySelector('#rows tr:last-child').classList.contains('failed')),
		empty: String(document.querySelector('[data-testid=empty]').hidden)})`))
	want := map[string]string{"shown": "2", "state": "live", "failed": "true", "empty": "true"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

// TestBrowserDeployments: the strip above the list follows deployments
// live: one appears as it builds, then says how it ended, a failure with
// its error; a newer one goes on top.
func TestBrowserDeployments(t *testing.T) {
	e := newBrowserEnv(t)
	e.do(t, "open the list", chromedp.Navigate(e.url+"/"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=rows]`)))
	e.waitJS(t, "live feed connects", `document.querySelector('[data-testid=live-status]').dataset.state === 'live'`)
	if hidden := run(t, e, "strip hidden", chromedp.Evaluate[bool](`document.querySelector('[data-testid=deploys]').hidden`)); !hidden {
		t.Error("the strip shows before any deployment")
	}
	d := &exchange.Deployment{StartedAt: time.Now(), Trigger: "code", Status: "building", Files: []string{"hello/main.go"},
		Changes: []string{"function Hello: code changed"}, Functions: []exchange.DeployedFunction{{Name: "Hello", Change: "code", Status: "building"}}}
	if err := e.db.CreateDeployment(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	e.live.current().PublishDeployment(d)
	row := fmt.Sprintf(`document.querySelector('[data-testid=deployment][data-id="%d"]')`, d.ID)
	e.waitJS(t, "the deployment shows building", row+` && `+row+`.querySelector('[data-f=status]').textContent === 'building…'`)

	d.Status, d.DurationMs = "failed", 1834
	d.Functions[0].Status, d.Functions[0].Error = "failed", "function Hello: go build in /src/hello failed:\n./main.go:4:2: undefined: x"
	e.live.current().PublishDeployment(d)
	e.waitJS(t, "it says it failed", row+`.dataset.status === 'failed'`)
	got := run(t, e, "read the row", chromedp.Evaluate[map[string]string](`(() => {
		const r = `+row+`, q = s => r.querySelector('[data-f=' + s + ']');
		return {label: q('label').textContent, status: q('status').textContent, took: q('took').textContent,
			what: q('what').textContent, errors: q('errors').textContent, errorsHidden: String(q('errors').hidden), cls: r.className,
			rows: String(document.querySelectorAll('[data-testid=deployment]').length)};
	})()`))
	want := map[string]string{"label": fmt.Sprintf("Deployment %d", d.ID), "status": "failed: the last good version keeps serving",
		"took": "in 1.83 s", "what": "function Hello: code changed (hello/main.go)",
		"errors": "function Hello: go build in /src/hello failed:\n./main.go:4:2: undefined: x", "errorsHidden": "false",
		"cls": "deploy d-failed", "rows": "1"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("deployment row %s = %q, want %q", k, got[k], v)
		}
	}
	e.screenshot(t, "deployments.png")

	next := &exchange.Deployment{ID: d.ID + 1, StartedAt: time.Now(), Trigger: "code", Status: "deployed", DurationMs: 900,
		Changes: []string{"function Hello: code changed"}}
	e.live.current().PublishDeployment(next)
	e.waitJS(t, "the newer one on top", fmt.Sprintf(`document.querySelector('[data-testid=deployment]').dataset.id === "%d"`, next.ID))
}
