package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/gatescope/gatescope/server/testenv"
)

// inspectorTab is a headless Chromium tab on a real gatescope's dashboard,
// with helpers that fail the test with what was being done.
type inspectorTab struct {
	t   *testing.T
	tab context.Context
	ui  string
}

func (b *inspectorTab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.tab, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

func evalIn[T any](b *inspectorTab, what, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.tab, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// open loads an exchange's inspector and waits for its JSON trees; the
// page's clipboard writes are kept in window.copied (headless Chromium
// has no clipboard to read back).
func (b *inspectorTab) open(id string) {
	b.t.Helper()
	b.do("open "+id, chromedp.Navigate(b.ui+"/exchanges/"+id), chromedp.WaitReady(chromedp.CSS(`[data-testid=inspector]`)))
	testenv.WaitJS(b.t, b.tab, "the trees render", `document.querySelectorAll('pre[data-js=doc][data-lang=json]').length ===
		document.querySelectorAll('.doc-view > .jt').length`)
	b.do("watch the clipboard", chromedp.Evaluate[chromedp.Void](
		`navigator.clipboard.writeText = async t => { window.copied = t; }`))
}

// copied presses a copy button and returns what it put on the clipboard.
func (b *inspectorTab) copied(sel string) string {
	b.t.Helper()
	b.do("clear", chromedp.Evaluate[chromedp.Void](`window.copied = undefined`))
	b.do("press "+sel, chromedp.Click(chromedp.CSS(sel)))
	testenv.WaitJS(b.t, b.tab, sel+" copies", `typeof window.copied === 'string'`)
	return evalIn[string](b, "read the copy", `window.copied`)
}

type box struct{ Left, Top, Right, Bottom float64 }

func (b *inspectorTab) box(testid string) box {
	b.t.Helper()
	return evalIn[box](b, "box of "+testid, `(() => { const r = document.querySelector('[data-testid=`+testid+`]').getBoundingClientRect();
		return { Left: r.left, Top: r.top, Right: r.right, Bottom: r.bottom }; })()`)
}

func emulateScheme(scheme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
		return err
	})
}

// TestBrowserInspectorOnePage opens real exchanges of failing functions in
// the inspector at 1440 px: every section shows at once (request beside
// event, output beside response, logs and trace below), the event is a
// tree with the field the explanation blames marked and in view, the
// body a form post sent shown decoded, search and raw work, and the
// narrow layout falls back to tabs. Screenshots light and dark.
func TestBrowserInspectorOnePage(t *testing.T) {
	a := serveTemplate(t, failingTemplate, "")
	api, ui := "http://"+a.apiLn.Addr().String(), "http://"+a.uiLn.Addr().String()
	resp, err := http.Post(api+"/form", "application/x-www-form-urlencoded", strings.NewReader("name=linus&x=1"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	form := waitStored(t, ui, "/form")
	b := &inspectorTab{t: t, tab: testenv.Browser(t, chromedp.WindowSize(1440, 1000)), ui: ui}
	b.do("1440 px", chromedp.EmulateViewport(1440, 1000), emulateScheme("light"))
	b.open(form.ID)

	// Side by side at 1440 px, the explanation above, logs and trace below.
	expl, req, ev := b.box("explanation"), b.box("panel-request"), b.box("panel-event")
	out, res, logs, trace := b.box("panel-output"), b.box("panel-response"), b.box("panel-logs"), b.box("panel-trace")
	for _, p := range []struct {
		what        string
		left, right box
	}{{"request and event", req, ev}, {"output and response", out, res}} {
		if p.left.Right > p.right.Left || p.left.Top != p.right.Top || p.left.Right-p.left.Left < 500 {
			t.Errorf("%s are not side by side: %+v %+v", p.what, p.left, p.right)
		}
	}
	if !(expl.Bottom <= req.Top && max(req.Bottom, ev.Bottom) <= min(out.Top, res.Top) &&
		max(out.Bottom, res.Bottom) <= logs.Top && logs.Bottom <= trace.Top) {
		t.Errorf("sections out of order: explanation %+v, request %+v, event %+v, output %+v, response %+v, logs %+v, trace %+v",
			expl, req, ev, out, res, logs, trace)
	}
	if n := evalIn[int](b, "hidden sections", `[...document.querySelectorAll('[data-panel]')].filter(p => !p.getClientRects().length).length`); n != 0 {
		t.Errorf("%d sections hidden at 1440 px", n)
	}

	// The blamed field is marked, in view, and copies its path.
	blamed := evalIn[string](b, "blamed row", `document.querySelector('[data-testid=panel-event] .jt-blame')?.firstElementChild.textContent || ''`)
	if !strings.HasPrefix(blamed, `"isBase64Encoded": true`) {
		t.Errorf("blamed row %q, want isBase64Encoded", blamed)
	}
	if !evalIn[bool](b, "blamed row in view", `(() => {
		const r = document.querySelector('.jt-blame').firstElementChild.getBoundingClientRect();
		const v = document.querySelector('.jt-blame').closest('.doc-view').getBoundingClientRect();
		return r.top >= v.top && r.bottom <= v.bottom && r.top >= 0 && r.bottom <= innerHeight; })()`) {
		t.Error("the blamed field is not scrolled into view")
	}
	if p := b.copied(`.jt-blame > .jt-line .jt-copy[data-what=path]`); p != ".isBase64Encoded" {
		t.Errorf("copy path = %q", p)
	}
	// The base64 form body shows decoded, and copies as such.
	body := evalIn[string](b, "decoded body", `[...document.querySelectorAll('[data-testid=panel-event] .jt-line')].find(l => l.querySelector('.jt-key')?.textContent === '"body"')?.textContent || ''`)
	if !strings.Contains(body, `"name=linus&x=1"`) || !strings.Contains(body, "base64, decoded") {
		t.Errorf("event body row %q, want the form decoded", body)
	}
	// The function's error starts at the handler's own line.
	if at := evalIn[string](b, "error frame", `document.querySelector('[data-testid=function-error-at]')?.textContent || ''`); !strings.Contains(at, "form.mjs:4 in handler") {
		t.Errorf("function error at %q, want the handler's form.mjs:4", at)
	}
	b.screenshot("inspector-onepage-light.png")
	b.do("dark", emulateScheme("dark"))
	b.screenshot("inspector-onepage-dark.png")
	b.do("light", emulateScheme("light"))

	// Search finds the decoded form field; r shows the raw JSON.
	b.do("search", chromedp.SendKeys(chromedp.CSS(`[data-testid=ex-search]`), "linus"))
	testenv.WaitJS(t, b.tab, "a match in the event", `document.querySelector('[data-testid=panel-event] .jt .hit') !== null &&
		/^\d+ match/.test(document.querySelector('[data-testid=ex-search-count]').textContent)`)
	b.do("leave the search", chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`), chromedp.KeyEvent("r"))
	testenv.WaitJS(t, b.tab, "raw JSON", `!document.querySelector('#event-body').hidden &&
		!document.querySelector('[data-testid=panel-event] .doc-view').getClientRects().length`)
	b.do("back to the tree", chromedp.KeyEvent("r"))

	// Narrow: the section bar is tabs, one section at a time.
	b.do("900 px", chromedp.EmulateViewport(900, 1000), chromedp.KeyEvent("3"))
	testenv.WaitJS(t, b.tab, "the third tab shows alone", `(() => {
		const shown = [...document.querySelectorAll('[data-panel]')].filter(p => p.getClientRects().length);
		return shown.length === 1 && shown[0].dataset.panel === document.querySelector('[data-key="3"]').dataset.tab; })()`)
	b.screenshot("inspector-narrow.png")
}

// TestBrowserInspectorBinaryBodies: a binary body shows as what it is: an
// image as an image (decoded by the browser), anything else as a hex dump;
// in the event, the base64 body beside isBase64Encoded is decoded too.
func TestBrowserInspectorBinaryBodies(t *testing.T) {
	a := serveTemplate(t, failingTemplate, "")
	api, ui := "http://"+a.apiLn.Addr().String(), "http://"+a.uiLn.Addr().String()
	img := image.NewRGBA(image.Rect(0, 0, 3, 2))
	img.Set(1, 1, color.RGBA{R: 255, A: 255})
	var pngBytes bytes.Buffer
	if err := png.Encode(&pngBytes, img); err != nil {
		t.Fatal(err)
	}
	bin := make([]byte, 256)
	for i := range bin {
		bin[i] = byte(i)
	}
	for _, p := range []struct {
		path, ctype string
		body        []byte
	}{{"/echo/png", "image/png", pngBytes.Bytes()}, {"/echo/bin", "application/octet-stream", bin}} {
		resp, err := http.Post(api+p.path, p.ctype, bytes.NewReader(p.body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	pngX, binX := waitStored(t, ui, "/echo/png"), waitStored(t, ui, "/echo/bin")
	b := &inspectorTab{t: t, tab: testenv.Browser(t, chromedp.WindowSize(1440, 1000)), ui: ui}
	b.open(pngX.ID)
	testenv.WaitJS(t, b.tab, "the request's PNG body shows as a 3×2 image, in the request and in the event",
		`(() => { const imgs = [...document.querySelectorAll('[data-testid=panel-request] .jt-img, [data-testid=panel-event] .jt-img')];
			return imgs.length === 2 && imgs.every(i => i.complete && i.naturalWidth === 3 && i.naturalHeight === 2); })()`)
	b.open(binX.ID)
	testenv.WaitJS(t, b.tab, "the binary body shows as hex",
		`document.querySelector('[data-testid=panel-request] pre.hex')?.textContent.startsWith('00000000: 0001 0203 0405 0607 0809 0a0b 0c0d 0e0f  ................')`)
	if note := evalIn[string](b, "event body", `[...document.querySelectorAll('[data-testid=panel-event] .jt-line')].find(l => l.querySelector('.jt-key')?.textContent === '"body"')?.textContent || ''`); !strings.Contains(note, "256 B of binary data") {
		t.Errorf("event body row %q", note)
	}
}

// TestBrowserCopyAs presses each Copy as button of a real exchange and
// runs what it copied: the curl command in bash and the fetch call in node
// reach the running gatescope and get the status the client got, the
// `gatescope invoke` command invokes the function, HTTPie runs where
// installed; the Windows command, the event and the response are read.
func TestBrowserCopyAs(t *testing.T) {
	bash := testenv.Need(t, "bash")
	testenv.Need(t, "curl")
	node := testenv.Need(t, "node")
	a := serveTemplate(t, failingTemplate, "")
	api, ui := "http://"+a.apiLn.Addr().String(), "http://"+a.uiLn.Addr().String()
	req, err := http.NewRequest("POST", api+"/echo/copy?status=201", strings.NewReader(`{"it's":"50% \"quoted\""}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Test", "copy as")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("echo: %d %s", resp.StatusCode, got)
	}
	x := waitStored(t, ui, "/echo/copy?status=201")
	b := &inspectorTab{t: t, tab: testenv.Browser(t, chromedp.WindowSize(1440, 1000)), ui: ui}
	b.do("1440 px", chromedp.EmulateViewport(1440, 1000))
	b.open(x.ID)

	run := func(what string, cmd *exec.Cmd) string {
		t.Helper()
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v\n%s", what, err, stderr.String())
		}
		return strings.TrimSpace(string(out))
	}
	// curl, in bash: the status, and the body the echo saw.
	curl := b.copied(`[data-testid=copy-curl]`)
	if out := run("curl", exec.Command(bash, "-c", curl+` -s -w '\n%{http_code}'`)); !strings.HasSuffix(out, "\n201") ||
		!strings.Contains(out, `"header":"copy as"`) || !strings.Contains(out, `\"it's\":\"50% \\\"quoted\\\"\"`) {
		t.Errorf("the copied curl got %q", out)
	}
	// fetch, in node.
	fetch := b.copied(`[data-testid=copy-fetch]`)
	script := strings.TrimSuffix(fetch, ";") + ".then(async r => console.log(r.status, await r.text()))"
	if out := run("fetch", exec.Command(node, "-e", script)); !strings.HasPrefix(out, "201 ") || !strings.Contains(out, `"header":"copy as"`) {
		t.Errorf("the copied fetch got %q", out)
	}
	// HTTPie where it is installed; its text otherwise.
	httpie := b.copied(`[data-testid=copy-httpie]`)
	if _, err := exec.LookPath("http"); err == nil {
		if out := run("httpie", exec.Command(bash, "-c", strings.Replace(httpie, "| http ", "| http --print=h ", 1))); !strings.Contains(out, " 201 ") {
			t.Errorf("the copied HTTPie command got %q", out)
		}
	} else if !strings.HasPrefix(httpie, `printf %s '{"it'\''s":"50% \"quoted\""}' | http POST '`+api+`/echo/copy?status=201'`) ||
		!strings.Contains(httpie, `'X-Test:copy as'`) {
		t.Errorf("HTTPie command %q", httpie)
	}
	// Windows cmd: its quoting, read.
	if cmd := b.copied(`[data-testid=copy-curl-cmd]`); !strings.HasPrefix(cmd, `curl -X ^"POST^" ^"`+api+`/echo/copy?status=201^"`) ||
		!strings.Contains(cmd, `-H ^"X-Test: copy as^"`) || !strings.Contains(cmd, `--data-binary ^"^{^\^"it's^\^":^\^"50^% ^\^\^\^"quoted^\^\^\^"^\^"^}^"`) {
		t.Errorf("curl for cmd %q", cmd)
	}
	// The event file is the event; the invoke command runs the function
	// with it, in process, from the template's directory as a user would.
	var ev struct{ RawPath, Body string }
	if err := json.Unmarshal([]byte(b.copied(`[data-testid=copy-event]`)), &ev); err != nil || ev.RawPath != "/echo/copy" || !strings.Contains(ev.Body, "quoted") {
		t.Errorf("event file: %v %+v", err, ev)
	}
	invoke := b.copied(`[data-testid=copy-invoke]`)
	head, heredoc, ok := strings.Cut(invoke, " <<'EVENT'\n")
	if !ok || head != "gatescope invoke 'Echo' --event -" || !strings.HasSuffix(heredoc, "\nEVENT") {
		t.Fatalf("invoke command %q", invoke)
	}
	var stdout, stderr bytes.Buffer
	if err := runInvoke(context.Background(), []string{"Echo", "--event", "-", "--template", failingTemplate},
		strings.NewReader(strings.TrimSuffix(heredoc, "\nEVENT")), &stdout, &stderr); err != nil {
		t.Fatalf("invoke: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), `"statusCode":201`) || !strings.Contains(stdout.String(), `copy as`) {
		t.Errorf("invoke printed %s", stdout.String())
	}
	// The response: what the client got.
	if r := b.copied(`[data-testid=copy-response]`); r != string(got) {
		t.Errorf("copied response %q, the client got %q", r, got)
	}
}

// TestBrowserInspectorKeys: j and k walk the list from the inspector, Esc
// goes back to it, ? shows the keys.
func TestBrowserInspectorKeys(t *testing.T) {
	a := serveTemplate(t, failingTemplate, "")
	api, ui := "http://"+a.apiLn.Addr().String(), "http://"+a.uiLn.Addr().String()
	for _, p := range []string{"/echo/1", "/echo/2", "/echo/3"} {
		get(t, api+p)
		waitStored(t, ui, p) // one at a time: the list's order is theirs
	}
	x1, x2, x3 := waitStored(t, ui, "/echo/1"), waitStored(t, ui, "/echo/2"), waitStored(t, ui, "/echo/3")
	b := &inspectorTab{t: t, tab: testenv.Browser(t, chromedp.WindowSize(1440, 1000)), ui: ui}
	b.open(x2.ID)
	at := func(what, id string) {
		t.Helper()
		testenv.WaitJS(t, b.tab, what, `location.pathname === '/exchanges/`+id+`' && document.readyState === 'complete' && !!document.querySelector('[data-testid=inspector]')`)
	}
	b.do("j", chromedp.KeyEvent("j"))
	at("j opens the next (older) exchange", x1.ID)
	b.do("k", chromedp.KeyEvent("k"))
	at("k opens the previous (newer) exchange", x2.ID)
	b.do("k", chromedp.KeyEvent("k"))
	at("k again", x3.ID)
	b.do("?", chromedp.KeyEvent("?"))
	testenv.WaitJS(t, b.tab, "? shows the keys", `document.querySelector('[data-testid=keys-help]').open`)
	b.do("? closes", chromedp.KeyEvent("?"))
	testenv.WaitJS(t, b.tab, "the keys close", `!document.querySelector('[data-testid=keys-help]').open`)
	b.do("Esc", chromedp.KeyEvent(kbEscape))
	testenv.WaitJS(t, b.tab, "Esc goes back to the list", `location.pathname === '/' && !!new URLSearchParams(location.search).get('session')`)
}

const kbEscape = "\u001b"

func (b *inspectorTab) screenshot(name string) {
	b.t.Helper()
	screenshot(b.t, b.tab, name)
}
