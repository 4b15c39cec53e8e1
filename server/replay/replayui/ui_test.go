package replayui_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/replay"
	"github.com/gatescope/gatescope/server/replay/replaytest"
	"github.com/gatescope/gatescope/server/replay/replayui"
	"github.com/gatescope/gatescope/server/testenv"
	"github.com/gatescope/gatescope/server/ui"
	"github.com/gatescope/gatescope/server/ui/uitest"
)

type fixture struct {
	url string
	s   *replaytest.Stack
	xs  []*exchange.Exchange
}

// serve captures GET /hello and /ok of a real Node.js function and serves
// the dashboard with the replay API and pages mounted.
func serve(t *testing.T) *fixture {
	t.Helper()
	app := replaytest.NewApp(t, "Api", "v1")
	db := replaytest.OpenDB(t)
	s := replaytest.Start(t, app, db, "s")
	xs := replaytest.Capture(t, s, db, "/hello", "/ok")
	srv := uitest.Server(t, db, s.Replayer, ui.Deps{})
	return &fixture{url: srv.URL, s: s, xs: xs}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestPages(t *testing.T) {
	f := serve(t)
	res, err := f.s.Replayer.ReplayOne(t.Context(), f.xs[0].ID, replay.Edit{Request: &replay.RequestEdit{Query: ptr("name=page")}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		code       int
		want       []string
	}{
		{"diff", "/exchanges/" + f.xs[0].ID + "/diff/" + res.Replay.ID, 200, []string{
			`data-testid="diff-class">changed<`, `data-path="body.greeting"`, `hi page from v1`,
			`<span class="rl rchg">  &#34;greeting&#34;: &#34;hi page from v1&#34;,`, `data-testid="history-row"`, `/static/replay.js?v=`,
		}},
		{"edit", "/exchanges/" + f.xs[0].ID + "/edit", 200, []string{
			`data-testid="edit-form"`, `value="/hello"`, `&#34;rawPath&#34;: &#34;/hello&#34;`, `data-testid="history-row"`,
		}},
		{"edit without replays", "/exchanges/" + f.xs[1].ID + "/edit", 200, []string{`Not replayed yet.`}},
		{"unknown exchange", "/exchanges/nope/edit", 404, []string{`data-testid="not-found"`}},
		{"unknown replay", "/exchanges/" + f.xs[0].ID + "/diff/nope", 404, []string{`data-testid="not-found"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := get(t, f.url+tt.path)
			if code != tt.code {
				t.Fatalf("status %d", code)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestJSONLines(t *testing.T) {
	marks := replayui.NewMarks([]replay.Change{{Path: "body.a[1].b"}, {Path: `body["c d"]`}, {Path: "body.s.inner"}, {Path: "bodyx"}})
	lines, more, ok := replayui.JSONLines(`{"a":[1,{"b":null}],"c d":{},"e":"<x>","s":"{\"inner\":1}","ab":2}`, "body", marks, 1<<20)
	if !ok || more {
		t.Fatalf("ok %v more %v", ok, more)
	}
	want := []replayui.Line{
		{Depth: 0, Text: "{"},
		{Depth: 1, Text: `"a": [`},
		{Depth: 2, Text: "1,"},
		{Depth: 2, Text: "{"},
		{Depth: 3, Text: `"b": null`, Changed: true},
		{Depth: 2, Text: "}"},
		{Depth: 1, Text: "],"},
		{Depth: 1, Text: `"c d": {},`, Changed: true},
		{Depth: 1, Text: `"e": "<x>",`},
		{Depth: 1, Text: `"s": "{\"inner\":1}",`, Changed: true}, // a string holding JSON that changed inside
		{Depth: 1, Text: `"ab": 2`},
		{Depth: 0, Text: "}"},
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines: %+v", len(lines), lines)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d = %+v, want %+v", i, lines[i], want[i])
		}
	}
	// A changed container marks itself and all it holds.
	lines, _, _ = replayui.JSONLines(`{"o":{"p":[1,2]},"q":3}`, "body", replayui.NewMarks([]replay.Change{{Path: "body.o"}}), 1<<20)
	for i, changed := range []bool{false, true, true, true, true, true, true, false, false} {
		if lines[i].Changed != changed {
			t.Errorf("line %d %q: changed %v", i, lines[i].Text, lines[i].Changed)
		}
	}
	for _, bad := range []string{`{"a":1} x`, "nope", strings.Repeat("[", 600) + strings.Repeat("]", 600)} {
		if _, _, ok := replayui.JSONLines(bad, "body", nil, 1<<20); ok {
			t.Errorf("%.20q accepted", bad)
		}
	}
	// The limit counts indentation: 2 bytes a level.
	lines, more, _ = replayui.JSONLines(`[[[[1,2,3,4]]]]`, "body", nil, 40)
	size := 0
	for _, l := range lines {
		size += 2*l.Depth + len(l.Text) + 1
	}
	if !more || size > 40 || len(lines) != 5 {
		t.Errorf("%d lines, %d bytes, more %v", len(lines), size, more)
	}
}

// browser starts headless Chromium, or skips without it (fails under CI).
func browser(t *testing.T) context.Context {
	t.Helper()
	ctx := testenv.Browser(t)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelT)
	return ctx
}

// TestBrowserEditAndReplay drives the "Edit & replay" form in Chromium: an
// invalid event is refused with a message and nothing is sent; an edited
// query and an edited event each replay and land on the diff view, which
// highlights the changed path and lists the replay in the history.
func TestBrowserEditAndReplay(t *testing.T) {
	f := serve(t)
	ctx := browser(t)
	orig := f.xs[0]
	editURL := f.url + "/exchanges/" + orig.ID + "/edit"

	replays := func() int {
		rs, err := f.s.Replayer.Replays(context.Background(), orig.ID)
		if err != nil {
			t.Fatal(err)
		}
		return len(rs)
	}

	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	text := func(t *testing.T, sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(css(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return v
	}
	count := func(t *testing.T, sel string) int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+strconv.Quote(sel)+`).length`))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	do := func(t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("invalid event is not sent", func(t *testing.T) {
		do(t,
			chromedp.Navigate(editURL),
			chromedp.WaitVisible(css(`[data-testid=edit-form]`)),
			chromedp.Click(css(`[data-testid=mode-event]`)),
			chromedp.WaitVisible(css(`[data-testid=edit-event]`)),
			chromedp.SetValue(css(`[data-testid=edit-event]`), `{"rawPath": "/hello",`),
			chromedp.Click(css(`[data-testid=edit-submit]`)),
			chromedp.WaitVisible(css(`[data-testid=edit-flash].bad`)),
		)
		if flash := text(t, `[data-testid=edit-flash]`); !strings.Contains(flash, "not valid JSON") {
			t.Errorf("flash %q", flash)
		}
		if n := replays(); n != 0 {
			t.Errorf("%d replays sent for an invalid event", n)
		}
	})

	t.Run("invalid header line is not sent", func(t *testing.T) {
		do(t,
			chromedp.Navigate(editURL),
			chromedp.WaitVisible(css(`[data-testid=edit-headers]`)),
			chromedp.SetValue(css(`[data-testid=edit-headers]`), "Accept: */*\nno colon here"),
			chromedp.Click(css(`[data-testid=edit-submit]`)),
			chromedp.WaitVisible(css(`[data-testid=edit-flash].bad`)),
		)
		if flash := text(t, `[data-testid=edit-flash]`); !strings.Contains(flash, "header line 2") || replays() != 0 {
			t.Errorf("flash %q, %d replays", flash, replays())
		}
	})

	t.Run("edited request", func(t *testing.T) {
		do(t,
			chromedp.Navigate(editURL),
			chromedp.WaitVisible(css(`[data-testid=edit-query]`)),
			chromedp.SetValue(css(`[data-testid=edit-query]`), "name=browser"),
			chromedp.Click(css(`[data-testid=edit-submit]`)),
		)
		// The replay navigates to its diff: wait across the navigation.
		testenv.WaitJS(t, ctx, "the replay's diff", `document.readyState === 'complete' && !!document.querySelector('[data-testid=diff]')`)
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		class, changed := text(t, `[data-testid=diff-class]`), text(t, `[data-testid=body-after] .rchg`)
		if class != "changed" || !strings.Contains(changed, `"greeting": "hi browser from v1"`) {
			t.Errorf("class %q, highlighted %q", class, changed)
		}
		if before := text(t, `[data-testid=body-before] .rchg`); !strings.Contains(before, `"hi world from v1"`) {
			t.Errorf("original side highlights %q", before)
		}
		if n := count(t, `[data-testid=changes] tr[data-path]`); n != 1 {
			t.Errorf("%d change rows, want 1 (volatile fields ignored)", n)
		}
		if !strings.Contains(loc, "/exchanges/"+orig.ID+"/diff/") || count(t, `[data-testid=history-row]`) != 1 {
			t.Errorf("location %s, %d history rows", loc, count(t, `[data-testid=history-row]`))
		}
	})

	t.Run("edited event", func(t *testing.T) {
		var ev map[string]any
		json.Unmarshal(orig.Event, &ev)
		ev["queryStringParameters"] = map[string]string{"name": "event"}
		b, _ := json.Marshal(ev)
		do(t,
			chromedp.Navigate(editURL),
			chromedp.WaitVisible(css(`[data-testid=edit-form]`)),
			chromedp.Click(css(`[data-testid=mode-event]`)),
			chromedp.SetValue(css(`[data-testid=edit-event]`), string(b)),
			chromedp.Click(css(`[data-testid=edit-submit]`)),
		)
		// The replay navigates to its diff: wait across the navigation.
		testenv.WaitJS(t, ctx, "the replay's diff", `document.readyState === 'complete' && !!document.querySelector('[data-testid=diff]')`)
		class, changes := text(t, `[data-testid=diff-class]`), text(t, `[data-testid=changes]`)
		if class != "changed" || !strings.Contains(changes, "output.body.greeting") || !strings.Contains(changes, "hi event from v1") {
			t.Errorf("class %q changes %q", class, changes)
		}
		if n := count(t, `[data-testid=history-row]`); n != 2 {
			t.Errorf("%d history rows", n)
		}
	})

	if n := replays(); n != 2 {
		t.Errorf("%d replays stored, want 2", n)
	}
}
