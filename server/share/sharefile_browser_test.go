package share_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/share"
	"github.com/gatescope/gatescope/server/testenv"
	"github.com/gatescope/gatescope/server/ui"
	"github.com/gatescope/gatescope/server/ui/uitest"
)

// TestBrowserShareFile: the dashboard's Share file download, saved to
// disk, opened from file:// in Chromium with the network off and the
// dashboard stopped: the list shows; a row opens its exchange with every
// part; Show all shows a long part whole, as the share pages write it;
// Escape and the back link return to the list; hostile data stays text.
// No request leaves the page, and nothing the file's own policy blocks
// (its inlined style and script are allowed by hash). Screenshots of the
// list and an exchange, light and dark, go to $GATESCOPE_ARTIFACTS/share.
func TestBrowserShareFile(t *testing.T) {
	ctx := context.Background()
	db := share.OpenStore(t)
	s, xs := share.Seed(t, db, "checkout bug")
	long := *xs[0]
	long.ID, long.StartedAt = exchange.NewID(xs[2].StartedAt.Add(time.Second)), xs[2].StartedAt.Add(time.Second)
	long.Response.Body = `{"items":[` + strings.Repeat(`{"sku":"A-1","qty":12345678901234567890},`, 2000) + `{"end":true}]}`
	hostile := share.HostileExchange(s.Name)
	if err := db.InsertExchanges(ctx, []*exchange.Exchange{&long, hostile}); err != nil {
		t.Fatal(err)
	}
	srv := uitest.Server(t, db, nil, ui.Deps{})

	tab := testenv.Browser(t)
	step, cancel := context.WithTimeout(tab, 90*time.Second)
	defer cancel()
	if err := chromedp.Do(step, chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(srv.URL+"/?session="+url.QueryEscape(s.Name)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=export-html]`))); err != nil {
		t.Fatal(err)
	}
	// The Share menu's file, fetched as its download link would.
	file, err := chromedp.Run(step, chromedp.Evaluate[string](`(async () => {
		const a = document.querySelector('[data-testid=export-html]');
		const r = await fetch(a.href);
		if (!r.ok || !a.hasAttribute('download') || !/attachment; filename=checkout-bug\.html/.test(r.headers.get('Content-Disposition'))) throw new Error(r.status);
		return r.text();
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("download the share file: %v", err)
	}
	path := filepath.Join(t.TempDir(), "checkout bug.html")
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	srv.Close() // nothing left to answer, were a request to leave the page
	fileURL := (&url.URL{Scheme: "file", Path: path}).String()

	// Offline, and every request the page makes recorded.
	var mu sync.Mutex
	var requests []string
	if err := chromedp.Listen(step, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requests = append(requests, e.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(step, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(step, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(step, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}); err != nil {
		t.Fatal(err)
	}
	// Whatever the page's policy blocks, and any script error, kept where
	// the test can read them.
	if _, err := chromedp.Call(step, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `
		window.__blocked = []; window.__errors = [];
		document.addEventListener('securitypolicyviolation', e => __blocked.push(e.violatedDirective + ' ' + e.blockedURI));
		window.addEventListener('error', e => __errors.push(String(e.message)));`}); err != nil {
		t.Fatal(err)
	}

	if err := chromedp.Do(step, chromedp.Navigate(fileURL)); err != nil {
		t.Fatal(err)
	}
	testenv.WaitJS(t, step, "the file's script ran", `document.body.dataset.ready === 'true' && navigator.onLine === false`)
	// shown: rendered, neither display: none nor skipped by an ancestor's
	// content-visibility (how the list hides, keeping its layout).
	shown := func(sel string) string {
		return `document.querySelector(` + jsString(sel) + `).checkVisibility()`
	}
	testenv.WaitJS(t, step, "the list shown, no exchange", shown(`[data-testid=share-rows]`)+
		` && [...document.querySelectorAll('[data-testid=sf-exchange]')].every(e => !e.checkVisibility())`)
	rows, err := chromedp.Run(step, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid=share-row] [data-testid=share-link]')].map(a => a.textContent)`))
	if err != nil || len(rows) != 5 || rows[0] != xs[0].Request.URL || rows[1] != xs[1].Request.URL {
		t.Fatalf("rows %q, %v", rows, err)
	}
	arts := artifacts(t)
	shoot := func(name string) {
		t.Helper()
		for _, scheme := range []string{"light", "dark"} {
			if _, err := chromedp.Call(step, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}}); err != nil {
				t.Fatal(err)
			}
			png, err := chromedp.Run(step, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(arts, "sharefile-"+name+"-"+scheme+".png")
			if err := os.WriteFile(p, png, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot %s", p)
		}
	}
	shoot("list")

	// A row opens its exchange: the failed one, every part.
	box := `#x-` + xs[1].ID
	if err := chromedp.Do(step, chromedp.Click(chromedp.CSS(`[data-testid=share-row]:nth-child(2) [data-testid=share-link]`))); err != nil {
		t.Fatal(err)
	}
	testenv.WaitJS(t, step, "the failed exchange open, the list hidden", shown(box)+` && !(`+shown(`[data-testid=share-rows]`)+`) && location.hash === '#x-`+xs[1].ID+`' && scrollY === 0`)
	parts, err := chromedp.Run(step, chromedp.Evaluate[map[string]string](`Object.fromEntries([...document.querySelectorAll(`+jsString(box+` [data-testid]`)+`)].map(e => [e.dataset.testid, e.innerText]))`))
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"ex-url": xs[1].Request.URL, "ex-status": "502", "explanation": "The function threw Error: boom.",
		"share-request": "binary, shown as base64", "share-event": `"resource": "/img"`, "share-output": "Empty.", "share-response": xs[1].Response.Body,
		"share-error": "Error: boom", "share-logs": "ERROR boom", "share-logs-truncated": "12.1 KB of the function's output were not kept"} {
		if !strings.Contains(parts[id], want) {
			t.Errorf("%s shows %q, want %q", id, parts[id], want)
		}
	}
	// JSON parts are the inspector's trees (jsontree.js, inlined), the
	// event's base64 body decoded.
	if ok, err := chromedp.Run(step, chromedp.Evaluate[bool](`!!document.querySelector(`+jsString(box+` [data-testid=share-event] .doc-view > .jt`)+`)
		&& document.querySelector(`+jsString(box+` [data-testid=share-event] .jt`)+`).innerText.includes('4 B of binary data')`)); err != nil || !ok {
		t.Errorf("the share file's event is not a tree with its body decoded: %v", err)
	}
	shoot("exchange")

	// Back to the list, where it was; then the long exchange's Show all.
	if err := chromedp.Do(step, chromedp.KeyEvent("\x1b")); err != nil { // Escape
		t.Fatal(err)
	}
	testenv.WaitJS(t, step, "Escape back to the list", shown(`[data-testid=share-rows]`)+` && !(`+shown(box)+`)`)
	// On a short screen, the list scrolled to its end first: coming back,
	// it is where it was left.
	box = `#x-` + long.ID
	if err := chromedp.Do(step, chromedp.EmulateViewport(1280, 300)); err != nil {
		t.Fatal(err)
	}
	listY, err := chromedp.Run(step, chromedp.Evaluate[int](`window.scrollTo(0, document.body.scrollHeight), Math.round(scrollY)`))
	if err != nil || listY == 0 {
		t.Fatalf("the list does not scroll at 300 px: %d, %v", listY, err)
	}
	if err := chromedp.Do(step, chromedp.Click(chromedp.CSS(`[data-testid=share-row]:nth-child(4) [data-testid=share-link]`))); err != nil {
		t.Fatal(err)
	}
	testenv.WaitJS(t, step, "the long exchange open, at its top", shown(box)+` && scrollY === 0`)
	pre := jsString(box + ` [data-testid=share-response] pre`)
	before, err := chromedp.Run(step, chromedp.Evaluate[int](`document.querySelector(`+pre+`).textContent.length`))
	if err != nil || before > 32<<10 {
		t.Fatalf("the long response shows %d characters before Show all, %v", before, err)
	}
	if err := chromedp.Do(step, chromedp.Click(chromedp.CSS(box+` [data-testid=share-response-all]`))); err != nil {
		t.Fatal(err)
	}
	var whole bytes.Buffer
	if err := json.Indent(&whole, []byte(long.Response.Body), "", "  "); err != nil {
		t.Fatal(err)
	}
	testenv.WaitJS(t, step, "the whole response shown", `document.querySelector(`+pre+`).textContent === `+jsString(whole.String())+
		` && document.querySelector(`+jsString(box+` [data-testid=share-response] .cut`)+`).textContent === 'Shown whole.'`)
	if err := chromedp.Do(step, chromedp.Click(chromedp.CSS(box+` [data-testid=share-back]`))); err != nil {
		t.Fatal(err)
	}
	testenv.WaitJS(t, step, "the back link returns to the list, where it was", shown(`[data-testid=share-rows]`)+` && !(`+shown(box)+`)`+
		fmt.Sprintf(` && Math.round(scrollY) === %d`, listY))
	if err := chromedp.Do(step, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}

	// Hostile data is text: no element, no script, no alert came of it.
	box = `#x-` + hostile.ID
	if err := chromedp.Do(step, chromedp.Click(chromedp.CSS(`[data-testid=share-row]:nth-child(5) [data-testid=share-link]`))); err != nil {
		t.Fatal(err)
	}
	testenv.WaitJS(t, step, "the hostile exchange open, as text", shown(box)+` && document.scripts.length === 2 && !document.querySelector('img')`+
		` && document.querySelector(`+jsString(box+` [data-testid=ex-url]`)+`).textContent.includes('</script><script>alert(1)</script> <!-- <script>')`)

	blocked, err := chromedp.Run(step, chromedp.Evaluate[[]string](`__blocked.concat(__errors)`))
	if err != nil || len(blocked) != 0 {
		t.Errorf("blocked or failed in the file: %q, %v", blocked, err)
	}
	mu.Lock()
	defer mu.Unlock()
	saw := false
	for _, u := range requests {
		switch {
		case strings.HasPrefix(u, fileURL):
			saw = true // the document itself, from disk
		case strings.HasPrefix(u, "data:"):
		default:
			t.Errorf("the share file made a request: %s", u)
		}
	}
	if !saw {
		t.Errorf("the file's own load was not seen (%q): is the request log working?", requests)
	}
}

// artifacts is where this package's screenshots go: $GATESCOPE_ARTIFACTS/share
// (CI keeps them), else a temporary directory.
func artifacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("GATESCOPE_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	dir = filepath.Join(dir, "share")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestBrowserImportShareFile: a share file chosen in the dashboard's
// Import opens as the session it holds, with the same exchanges.
func TestBrowserImportShareFile(t *testing.T) {
	src := share.OpenStore(t)
	_, want := share.Seed(t, src, "from a teammate")
	var buf bytes.Buffer
	if _, err := share.Export(context.Background(), src, &buf, share.Selection{Session: "from a teammate"},
		share.ExportOptions{Format: share.FormatHTML, Rules: share.Rules{Off: true}}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "from-a-teammate.html")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	dst := share.OpenStore(t)
	srv := uitest.Server(t, dst, nil, ui.Deps{})
	tab := testenv.Browser(t)
	step, cancel := context.WithTimeout(tab, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(step, chromedp.Navigate(srv.URL+"/"),
		chromedp.SetUploadFiles(chromedp.CSS(`[data-testid=import-file]`), []string{path})); err != nil {
		t.Fatal(err)
	}
	testenv.WaitJS(t, step, "the imported session open", `new URLSearchParams(location.search).get('session') === 'from a teammate'`+
		` && document.querySelectorAll('[data-testid=exchange-row]').length === 3`)
	s, err := dst.Session(context.Background(), "from a teammate")
	if err != nil {
		t.Fatal(err)
	}
	share.SameExchanges(t, want, share.Stored(t, dst, s.ID))
}
