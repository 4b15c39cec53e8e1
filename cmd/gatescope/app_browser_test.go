package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gatescope/gatescope/server/testenv"
)

// startTestApp runs the whole of `gatescope serve` in process, as a user
// gets it, on 127.0.0.1:0 ports.
func startTestApp(t *testing.T, session string) *app {
	t.Helper()
	dir := t.TempDir()
	f := serveFlags{
		template: "testdata/app/template.yaml", apiAddr: "127.0.0.1:0", uiAddr: "127.0.0.1:0",
		db: filepath.Join(dir, "gs.db"), session: session, logLevel: "warn", cacheDir: filepath.Join(dir, "cache"),
		retain: 0, idleTimeout: time.Minute, capture: true, params: keyValues{},
	}
	a, err := startApp(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil)), f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.shutdown(ctx)
	})
	deadline := time.Now().Add(30 * time.Second)
	for a.health() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("not healthy: %v", a.health())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return a
}

// TestBrowserShareAndImport drives the dashboard of a real gatescope: the
// session bar creates a read-only share link that opens in the browser, and
// the import button takes a HAR exported from it into a new session.
func TestBrowserShareAndImport(t *testing.T) {
	testenv.Need(t, "node")
	a := startTestApp(t, "ui-session")
	api, ui := "http://"+a.apiLn.Addr().String(), "http://"+a.uiLn.Addr().String()
	for _, p := range []string{"/echo/one", "/echo/two"} {
		if got := get(t, api+p); !strings.HasPrefix(got, "echo ") {
			t.Fatalf("%s: %q", p, got)
		}
	}

	tab := testenv.Browser(t, chromedp.WindowSize(1280, 900))
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	value := func(what, sel string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab, 10*time.Second)
		defer cancel()
		v, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
	rows := func(n int) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void]("document.querySelectorAll('#rows tr').length === " + strconv.Itoa(n))
	}

	do("open the session", chromedp.Navigate(ui+"/?session=ui-session"), rows(2),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=export-har]`)))

	screenshot(t, tab, "session-bar.png")
	ctx, ecancel := context.WithTimeout(tab, 10*time.Second)
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid=export-har]').href`))
	ecancel()
	if err != nil {
		t.Fatal(err)
	}
	do("create a share link", chromedp.Click(chromedp.CSS(`[data-testid=share]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=share-url]`)))
	link := value("read the share link", `[data-testid=share-url]`)
	if !strings.HasPrefix(link, ui+"/s/") {
		t.Fatalf("share link %q", link)
	}
	// Star the first exchange from its inspector; the API reports it.
	first := a.session.ID
	var list struct{ Exchanges []struct{ ID string } }
	getJSONInto(t, ui+"/api/exchanges?session="+first, &list)
	id := list.Exchanges[0].ID
	do("star an exchange", chromedp.Navigate(ui+"/exchanges/"+id),
		chromedp.Click(chromedp.CSS(`[data-testid=star]`)),
		chromedp.Poll[chromedp.Void](`document.querySelector('[data-testid=star]').getAttribute('aria-pressed') === 'true'`))
	var x struct{ Starred bool }
	getJSONInto(t, ui+"/api/exchanges/"+id, &x)
	if !x.Starred {
		t.Error("the star clicked in the inspector is not stored")
	}

	do("open the share link", chromedp.Navigate(link),
		chromedp.Poll[chromedp.Void](`document.body.innerText.includes('/echo/two')`))

	// Export the session as the Export HAR link serves it, then import it
	// through the page's upload.
	resp, err := http.Get(href)
	if err != nil {
		t.Fatal(err)
	}
	har, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(har), `"version": "1.2"`) && !strings.Contains(string(har), `"version":"1.2"`) {
		t.Fatalf("export: %d %.200s", resp.StatusCode, har)
	}
	file := filepath.Join(t.TempDir(), "session.har")
	if err := os.WriteFile(file, har, 0o644); err != nil {
		t.Fatal(err)
	}
	do("import through the upload", chromedp.Navigate(ui+"/"), chromedp.WaitReady(chromedp.CSS(`[data-testid=import-file]`)),
		chromedp.SetUploadFiles(chromedp.CSS(`[data-testid=import-file]`), []string{file}))
	// The page navigates to the imported session: wait by evaluating in a
	// loop, since a Poll dies with the page it started on.
	testenv.WaitJS(t, tab, "the imported session opens with both exchanges",
		`decodeURIComponent(location.search.replace(/\+/g, ' ')).includes('(imported ') && document.querySelectorAll('#rows tr').length === 2`)
}

func getJSONInto(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
}

// screenshot saves the page under $GATESCOPE_ARTIFACTS/app (or a temp dir).
func screenshot(t *testing.T, tab context.Context, name string) {
	t.Helper()
	dir := os.Getenv("GATESCOPE_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	dir = filepath.Join(dir, "app")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(tab, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
