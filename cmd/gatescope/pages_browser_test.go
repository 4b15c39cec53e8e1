package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/testenv"
)

// TestBrowserEveryPageLightAndDark opens each page of a real gatescope's
// dashboard in both colour schemes: each follows the one the system
// prefers (text light on dark, or dark on light, with contrast), runs its
// scripts without an error, and is saved as a screenshot CI keeps
// ($GATESCOPE_ARTIFACTS/pages).
func TestBrowserEveryPageLightAndDark(t *testing.T) {
	testenv.Need(t, "node")
	a := startTestApp(t, "pages")
	api, ui := "http://"+a.apiLn.Addr().String(), "http://"+a.uiLn.Addr().String()
	get(t, api+"/echo/one?x=1")
	x := waitStored(t, ui, "/echo/one?x=1")
	var rep exchange.Exchange
	if code := postJSON(t, ui+"/api/exchanges/"+x.ID+"/replay", `{}`, &rep); code != http.StatusOK {
		t.Fatalf("replay: %d", code)
	}
	var link struct{ Token string }
	if code := postJSON(t, ui+"/api/sessions/"+a.session.ID+"/share", `{}`, &link); code != http.StatusCreated || link.Token == "" {
		t.Fatalf("share: %d %+v", code, link)
	}

	pages := []struct{ name, path string }{
		{"list", "/"},
		{"inspector", "/exchanges/" + x.ID},
		{"edit", "/exchanges/" + x.ID + "/edit"},
		{"diff", "/exchanges/" + x.ID + "/diff/" + rep.ID},
		{"map", "/map"},
		{"connections", "/connections"},
		{"share", "/s/" + link.Token},
		{"share-exchange", "/s/" + link.Token + "/exchanges/" + x.ID},
	}
	dir := os.Getenv("GATESCOPE_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	dir = filepath.Join(dir, "pages")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}

	tab := testenv.Browser(t, chromedp.WindowSize(1440, 900))
	if _, err := chromedp.Call(tab, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.__errors = []; window.addEventListener('error', e => __errors.push(String(e.message)));
			window.addEventListener('unhandledrejection', e => __errors.push(String(e.reason)));`}); err != nil {
		t.Fatal(err)
	}
	// luminance is the relative luminance (0 black … 1 white) of the first
	// opaque background from el up, and of el's text.
	const probe = `(() => {
		const lum = c => { const m = c.match(/[\d.]+/g).map(Number); if (m.length > 3 && m[3] === 0) return null;
			const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
			return 0.2126 * f(m[0]) + 0.7152 * f(m[1]) + 0.0722 * f(m[2]); };
		let bg = null;
		for (let el = document.body; el && bg === null; el = el.parentElement) bg = lum(getComputedStyle(el).backgroundColor);
		if (bg === null) bg = matchMedia('(prefers-color-scheme: dark)').matches && getComputedStyle(document.documentElement).colorScheme.includes('dark') ? 0 : 1;
		return {bg, text: lum(getComputedStyle(document.body).color), errors: __errors};
	})()`
	type look struct {
		BG, Text float64
		Errors   []string
	}
	for _, p := range pages {
		for _, scheme := range []string{"light", "dark"} {
			t.Run(p.name+"/"+scheme, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(tab, 20*time.Second)
				defer cancel()
				if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
					Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}}); err != nil {
					t.Fatal(err)
				}
				if err := chromedp.Do(ctx, chromedp.Navigate(ui+p.path), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
					t.Fatal(err)
				}
				testenv.WaitJS(t, ctx, "the page loaded", `document.readyState === 'complete'`)
				got, err := chromedp.Run(ctx, chromedp.Evaluate[look](probe))
				if err != nil {
					t.Fatal(err)
				}
				if len(got.Errors) > 0 {
					t.Errorf("script errors: %q", got.Errors)
				}
				dark := scheme == "dark"
				if (got.BG < 0.2) != dark || (got.Text > got.BG) != dark {
					t.Errorf("%s scheme: background luminance %.2f, text %.2f", scheme, got.BG, got.Text)
				}
				// WCAG contrast of text on its background: 4.5:1 for body text.
				hi, lo := max(got.BG, got.Text), min(got.BG, got.Text)
				if c := (hi + 0.05) / (lo + 0.05); c < 4.5 {
					t.Errorf("%s scheme: text contrast %.1f:1, want ≥ 4.5:1", scheme, c)
				}
				png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
				if err != nil {
					t.Fatal(err)
				}
				name := strings.ReplaceAll(p.name, "/", "-") + "-" + scheme + ".png"
				if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}
