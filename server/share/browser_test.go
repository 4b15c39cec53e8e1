package share_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gatescope/gatescope/server/share"
	"github.com/gatescope/gatescope/server/testenv"
	"github.com/gatescope/gatescope/server/ui"
	"github.com/gatescope/gatescope/server/ui/uitest"
)

// TestBrowserExportImport: in headless Chromium, download a session's HAR
// export from one gatescope, upload it to a fresh one through the import
// API (a multipart form, as a page would), then open the imported exchange
// in that dashboard's inspector and in a share link.
func TestBrowserExportImport(t *testing.T) {
	src := share.OpenStore(t)
	s, want := share.Seed(t, src, "browser")
	srcSrv := uitest.Server(t, src, nil, ui.Deps{})
	dst := share.OpenStore(t)
	dstSrv := uitest.Server(t, dst, nil, ui.Deps{})

	tab := testenv.Browser(t)
	if err := chromedp.Do(tab, chromedp.Navigate(srcSrv.URL+"/")); err != nil {
		t.Fatalf("open %s: %v", srcSrv.URL, err)
	}
	step, scancel := context.WithTimeout(tab, 60*time.Second)
	defer scancel()

	// Fetch the export as the download link would.
	exportURL := fmt.Sprintf("/api/sessions/%s/export?format=har", s.ID)
	har, err := chromedp.Run(step, chromedp.Evaluate[string](
		`fetch(`+jsString(exportURL)+`).then(r => r.ok && /attachment/.test(r.headers.get('Content-Disposition')) ? r.text() : Promise.reject(r.status))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("download export: %v", err)
	}
	share.ValidateHAR(t, []byte(har))

	// Upload it to the other gatescope, from its own page.
	if err := chromedp.Do(step, chromedp.Navigate(dstSrv.URL+"/")); err != nil {
		t.Fatal(err)
	}
	out, err := chromedp.Run(step, chromedp.Evaluate[string](`(async () => {
		const fd = new FormData();
		fd.append('file', new Blob([`+jsString(har)+`], {type: 'application/json'}), 'browser.har');
		const r = await fetch('/api/import?session=from-browser', {method: 'POST', body: fd});
		return r.status + ' ' + await r.text();
	})()`, chromedp.EvalAwaitPromise))
	if err != nil || !strings.HasPrefix(out, "200 ") {
		t.Fatalf("upload: %v %s", err, out)
	}
	var res share.ImportResult
	if err := json.Unmarshal([]byte(strings.TrimPrefix(out, "200 ")), &res); err != nil || res.Imported != len(want) {
		t.Fatalf("import result %s: %v", out, err)
	}
	share.SameExchanges(t, want, share.Stored(t, dst, res.Session.ID))

	// Open the imported exchange in the fresh dashboard's inspector.
	x := want[1]
	if err := chromedp.Do(step, chromedp.Navigate(dstSrv.URL+"/exchanges/"+x.ID),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=inspector]`))); err != nil {
		t.Fatal(err)
	}
	if got, err := chromedp.Run(step, chromedp.Text(chromedp.CSS(`[data-testid=ex-url]`))); err != nil || got != x.Request.URL {
		t.Errorf("inspector url = %q, %v", got, err)
	}
	if got, err := chromedp.Run(step, chromedp.TextContent(chromedp.CSS(`[data-testid=explanation]`))); err != nil || got != x.Explanation {
		t.Errorf("inspector explanation = %q, %v", got, err)
	}

	// And through a share link of the imported session.
	link, err := chromedp.Run(step, chromedp.Evaluate[string](
		`fetch('/api/sessions/`+res.Session.ID+`/share', {method: 'POST'}).then(r => r.json()).then(j => j.url)`,
		chromedp.EvalAwaitPromise))
	if err != nil || !strings.HasPrefix(link, dstSrv.URL+"/s/") {
		t.Fatalf("share link %q: %v", link, err)
	}
	if err := chromedp.Do(step, chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=share-row]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=share-row]:nth-child(2) [data-testid=share-link]`))); err != nil {
		t.Fatal(err)
	}
	// The link navigates: wait across the navigation.
	testenv.WaitJS(t, step, "the shared exchange", `document.readyState === 'complete' && !!document.querySelector('[data-testid=share-inspector]')`)
	if got, err := chromedp.Run(step, chromedp.Text(chromedp.CSS(`[data-testid=share-logs]`))); err != nil || !strings.Contains(got, "ERROR boom") {
		t.Errorf("shared inspector logs = %q, %v", got, err)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
