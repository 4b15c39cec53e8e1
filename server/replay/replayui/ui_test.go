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
	lines, ok := replayui.JSONLines(`{"a":[1,{"b":null}],"c d":{},"e":"<x>"}`, "body")
	if !ok {
		t.Fatal("not JSON")
	}
	want := []replayui.Line{
		{Text: "{", Path: "body"},
		{Text: `  "a": [`, Path: "body.a"},
		{Text: "    1,", Path: "body.a[0]", Leaf: true},
		{Text: "    {", Path: "body.a[1]"},
		{Text: `      "b": null`, Path: "body.a[1].b", Leaf: true},
		{Text: "    }", Path: "body.a[1]"},
		{Text: "  ],", Path: "body.a"},
		{Text: `  "c d": {},`, Path: `body["c d"]`, Leaf: true},
		{Text: `  "e": "<x>"`, Path: "body.e", Leaf: true},
		{Text: "}", Path: "body"},
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines: %+v", len(lines), lines)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d = %+v, want %+v", i, lines[i], want[i])
		}
	}
	if _, ok := replayui.JSONLines(`{"a":1} x`, "body"); ok {
		t.Error("trailing data accepted")
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
			chromedp.WaitVisible(css(`[data-testid=diff]`)),
		)
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
			chromedp.WaitVisible(css(`[data-testid=diff]`)),
		)
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
