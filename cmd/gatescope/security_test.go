package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gatescope/gatescope/server/testenv"
	"github.com/gatescope/gatescope/store"
)

// logBuffer is a logger's output, safe to read while the app writes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), s)
}

// startAppWith runs `gatescope serve` in process like startTestApp, with
// its flags adjusted and its log kept.
func startAppWith(t *testing.T, adjust func(*serveFlags)) (*app, *logBuffer) {
	t.Helper()
	dir := t.TempDir()
	f := serveFlags{
		template: "testdata/app/template.yaml", apiAddr: "127.0.0.1:0", uiAddr: "127.0.0.1:0",
		db: filepath.Join(dir, "gs.db"), session: "sec", logLevel: "warn", cacheDir: filepath.Join(dir, "cache"),
		idleTimeout: time.Minute, capture: true, params: keyValues{},
	}
	if adjust != nil {
		adjust(&f)
	}
	logs := &logBuffer{}
	a, err := startApp(context.Background(), slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})), f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.shutdown(ctx)
	})
	testenv.Eventually(t, 30*time.Second, "functions built", func() bool { return a.health() == nil })
	return a, logs
}

// TestSlowBodiesAreCut is finding 11 on both listeners: a body that
// trickles in is answered 408 once its deadline passes, and the
// connection closed.
func TestSlowBodiesAreCut(t *testing.T) {
	testenv.Need(t, "node")
	a, _ := startAppWith(t, func(f *serveFlags) { f.bodyTimeout = 200 * time.Millisecond })
	for _, tt := range []struct {
		name, addr, path string
		want             int
	}{
		{"API address", a.apiLn.Addr().String(), "/echo/slow", http.StatusRequestTimeout},
		{"UI address, import", a.uiLn.Addr().String(), "/api/import", http.StatusRequestTimeout},
		// The Invoke API answers a failed body read in Lambda's shape, a
		// ServiceException.
		{"UI address, Invoke API", a.uiLn.Addr().String(), "/2015-03-31/functions/Echo/invocations", http.StatusInternalServerError},
	} {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", tt.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: 100000\r\n\r\n{\"a\":", tt.path, tt.addr)
			conn.SetReadDeadline(time.Now().Add(15 * time.Second)) // a bound on failure, not a wait
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("no answer: %v", err)
			}
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.want || !strings.Contains(string(b), "too slowly") {
				t.Errorf("%d %s", resp.StatusCode, b)
			}
			if _, err := conn.Read(make([]byte, 1)); err == nil {
				t.Error("the connection stays open")
			}
		})
	}
}

// TestBannerOnEveryInterface: listening on 0.0.0.0, the banner prints a URL
// a browser opens (with the token), not http://[::]:P, and the dashboard
// answers at it.
func TestBannerOnEveryInterface(t *testing.T) {
	testenv.Need(t, "node")
	a, _ := startAppWith(t, func(f *serveFlags) { f.uiAddr = "0.0.0.0:0" })
	var out bytes.Buffer
	a.printBanner(&out)
	var ui string
	for line := range strings.Lines(out.String()) {
		if u, ok := strings.CutPrefix(strings.TrimSpace(line), "UI"); ok {
			ui = strings.TrimSpace(u)
		}
	}
	if ui == "" || strings.Contains(ui, "[::]") || strings.Contains(ui, "0.0.0.0") || !strings.HasSuffix(ui, "/?token="+a.token) {
		t.Fatalf("banner UI line %q in:\n%s", ui, out.String())
	}
	resp, err := http.Get(ui)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET %s: %d", ui, resp.StatusCode)
	}
}

// countShares counts share links in the database file: no API lists them.
func countShares(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM shares`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// attackPage is what finding 1 of the review served from another origin:
// no-cors fetches and text/plain forms that invoke a function, import a
// session with ids of its choosing, replay against a deployed ARN (saying
// it is confirmed) and share, plus a websocket on the live feed and an
// image of a diff page. It sets the title when it has sent everything.
const attackPage = `<!doctype html><title>attacking</title><body><script>
(async () => {
  const UI = %q, ID = %q, SID = %q, ARN = 'arn:aws:lambda:us-east-1:999999999999:function:attacker-collector';
  const sp = {method: 'POST', mode: 'no-cors', credentials: 'include', headers: {'Content-Type': 'text/plain'}};
  const doc = JSON.stringify({format: 'gatescope/v1', exchanges: [{id: 'CSRFKNOWNID000000000000001', routeKey: '',
    request: {method: 'POST', url: '/x', headers: {}}, event: {planted: true}, function: {name: 'Echo'},
    response: {status: 200}, outcome: 'ok', startedAt: '2026-11-29T18:00:00Z'}]});
  const targets = [
    ['/2015-03-31/functions/Echo/invocations', JSON.stringify({rawPath: '/csrf'})],
    ['/api/import?session=csrf-attacker', doc],
    ['/api/exchanges/' + ID + '/replay', JSON.stringify({target: ARN, confirmRemote: true, event: {refund: 1000000}})],
    ['/api/sessions/' + SID + '/replay', JSON.stringify({target: ARN, confirmRemote: true, concurrency: 64})],
    ['/api/sessions/' + SID + '/share', ''],
  ];
  for (const [path, body] of targets) {
    try { await fetch(UI + path, {...sp, body}); } catch (e) {}
  }
  for (const [path, body] of targets.slice(0, 4)) {
    // A form needs no script: <form enctype=text/plain> sends name=value,
    // which the name and value below make valid JSON.
    const frame = document.createElement('iframe');
    frame.name = 'f' + Math.random();
    document.body.append(frame);
    const form = document.createElement('form');
    form.method = 'POST'; form.enctype = 'text/plain'; form.action = UI + path; form.target = frame.name;
    const input = document.createElement('input');
    input.name = body.slice(0, -1) + ',"x":"'; input.value = '"}';
    form.append(input);
    document.body.append(form);
    form.submit();
  }
  const ws = new WebSocket(UI.replace('http', 'ws') + '/api/live');
  ws.onerror = () => {};
  const img = new Image();
  img.src = UI + '/exchanges/' + ID + '/diff/' + ID + '?n=' + Math.random();
  document.title = 'sent';
})();
</script>`

// attempts is how many requests attackPage makes gatescope refuse.
const attempts = 5 + 4 + 1 + 1

// TestBrowserOtherSitesCannotDrive: in Chromium, pages of another site and
// of another port of the same host try what the review did from another
// origin; every request is refused and nothing changed (no invoke, no
// import, no replay, no call to the "deployed" function, no share link).
// A domain rebound to 127.0.0.1 gets nothing. Then the dashboard's own
// pages do the same things and they work: a share link, an invoke, and a
// replay against the deployed function once the user confirms it.
func TestBrowserOtherSitesCannotDrive(t *testing.T) {
	testenv.Need(t, "node")
	var deployed atomic.Int64 // invokes that reached "AWS"
	aws := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/invocations") {
			deployed.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"statusCode":200,"body":"deployed"}`)
	}))
	t.Cleanup(aws.Close)
	t.Setenv("AWS_ENDPOINT_URL_LAMBDA", aws.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "example")

	a, logs := startAppWith(t, nil)
	api, ui := "http://"+a.apiLn.Addr().String(), "http://"+a.uiLn.Addr().String()
	get(t, api+"/echo/one")
	orig := waitStored(t, ui, "/echo/one")
	exchanges := func() int {
		xs, _, err := a.store.Exchanges(context.Background(), store.Filter{Limit: store.MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		return len(xs)
	}
	before := exchanges()

	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, attackPage, ui, orig.ID, a.session.ID)
	}))
	t.Cleanup(attacker.Close)
	port := attacker.URL[strings.LastIndexByte(attacker.URL, ':')+1:]
	uiPort := ui[strings.LastIndexByte(ui, ':')+1:]

	tab := testenv.Browser(t, chromedp.Flag("host-resolver-rules", "MAP evil.example 127.0.0.1"))
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	refused := 0
	for _, page := range []string{
		"http://localhost:" + port + "/", // another site: localhost is not 127.0.0.1
		attacker.URL + "/",               // another port of the same host: same site
	} {
		do("open "+page, chromedp.Navigate(page))
		testenv.WaitJS(t, tab, page+" sent its requests", `document.title === 'sent'`)
		refused += attempts
		testenv.Eventually(t, 15*time.Second, fmt.Sprintf("%d requests from %s refused", attempts, page), func() bool {
			return logs.count("refused a request") >= refused
		})
	}
	if n := logs.count("refused a request"); n != refused {
		t.Errorf("%d refusals, want %d:\n%s", n, refused, logs.buf.String())
	}
	if n := exchanges(); n != before {
		t.Errorf("%d exchanges stored by refused requests (invokes, imports, replays)", n-before)
	}
	if _, err := a.store.Session(context.Background(), "csrf-attacker"); err == nil {
		t.Error("the attacker's session was imported")
	}
	if n := countShares(t, a.store.Path()); n != 0 {
		t.Errorf("%d share links created", n)
	}
	if n := deployed.Load(); n != 0 {
		t.Errorf("the deployed function was invoked %d times", n)
	}

	// A domain rebound to 127.0.0.1 reaches the listener with its own Host.
	do("rebound domain", chromedp.Navigate("http://evil.example:"+uiPort+"/api/exchanges?limit=5"))
	testenv.WaitJS(t, tab, "the rebound domain is turned away",
		`document.body.innerText.includes('does not answer to the host') && !document.body.innerText.includes('/echo/one')`)

	// The dashboard's own pages: share, invoke, and replay against the
	// deployed function, which asks first.
	do("share from the session bar", chromedp.Navigate(ui+"/?session=sec"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=share]`)), chromedp.Click(chromedp.CSS(`[data-testid=share]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=share-url]`)))
	if n := countShares(t, a.store.Path()); n != 1 {
		t.Errorf("%d share links after the dashboard's Share", n)
	}
	ctx, cancel := context.WithTimeout(tab, 20*time.Second)
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](
		`fetch('/2015-03-31/functions/Echo/invocations', {method: 'POST', body: '{"pathParameters":{"n":"own"}}'}).then(r => r.status)`,
		chromedp.EvalAwaitPromise))
	cancel()
	if err != nil || status != 200 {
		t.Errorf("invoke from the dashboard's page: %d %v", status, err)
	}
	const arn = "arn:aws:lambda:us-east-1:999999999999:function:prod"
	do("edit and replay against a deployed function", chromedp.Navigate(ui+"/exchanges/"+orig.ID+"/edit"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=edit-form]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=mode-event]`)),
		chromedp.SetValue(chromedp.CSS(`[data-testid=edit-target]`), arn),
		chromedp.Click(chromedp.CSS(`[data-testid=edit-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=edit-confirm]`)))
	if got, _ := chromedp.Run(tab, chromedp.Text(chromedp.CSS(`[data-testid=edit-confirm-target]`))); got != arn || deployed.Load() != 0 {
		t.Fatalf("the confirm step names %q; %d deployed invokes before confirming", got, deployed.Load())
	}
	screenshot(t, tab, "replay-confirm-remote.png")
	do("confirm", chromedp.Click(chromedp.CSS(`[data-testid=edit-confirm-remote]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=edit-submit]`)))
	testenv.WaitJS(t, tab, "the diff of the confirmed replay opens", `location.pathname.includes('/diff/')`)
	if n := deployed.Load(); n != 1 {
		t.Errorf("the deployed function was invoked %d times after confirming, want 1", n)
	}
}
