package replayui_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/jsonview"
	"github.com/gatescope/gatescope/server/replay"
	"github.com/gatescope/gatescope/server/replay/replayui"
	"github.com/gatescope/gatescope/server/ui"
	"github.com/gatescope/gatescope/server/ui/uitest"
	"github.com/gatescope/gatescope/store"
)

func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// pairStore holds an original and a replay of it with the given bodies,
// and serves the dashboard over them.
func pairServer(t *testing.T, bodies [][2]string) (url string, pairs [][2]string) {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "gs.db"), store.Options{BodyCap: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	at := time.Date(2026, 11, 29, 18, 0, 0, 0, time.UTC)
	for i, b := range bodies {
		o := &exchange.Exchange{ID: exchange.NewID(at), Session: "s", StartedAt: at, RouteKey: "GET /x", Outcome: exchange.OutcomeOK,
			Request:  exchange.HTTPRequest{Method: "GET", URL: fmt.Sprintf("/x/%d", i)},
			Response: exchange.HTTPResponse{Status: 200, Body: b[0]}}
		at = at.Add(time.Second)
		r := *o
		r.ID, r.StartedAt, r.ReplayOf, r.Response.Body = exchange.NewID(at), at, o.ID, b[1]
		at = at.Add(time.Second)
		if err := db.InsertExchanges(t.Context(), []*exchange.Exchange{o, &r}); err != nil {
			t.Fatal(err)
		}
		pairs = append(pairs, [2]string{o.ID, r.ID})
	}
	rp := replay.New(db, nil, nil, func() string { return "s" }, nil)
	return uitest.Server(t, db, rp, ui.Deps{}).URL, pairs
}

func wide(n int, tag string) string {
	var b strings.Builder
	b.WriteString(`{"items":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"v":"%s%d"}`, tag, i)
	}
	b.WriteString("]}")
	return b.String()
}

// TestDiffPageHostile is finding 3 on the diff page: a body nested 100,000
// deep OOM-killed gatescope, 10,000 deep took 495 MB, 16,000 changed items
// took 20 s. Each page now costs memory linear in the bodies and stays
// small, with the diff cut where the page says so.
func TestDiffPageHostile(t *testing.T) {
	deep := func(depth int, leaf string) string {
		return strings.Repeat("[", depth) + leaf + strings.Repeat("]", depth)
	}
	wideDeep := func(leaf string) string {
		return strings.Repeat(`{"k":`, 500) + "[" + strings.Repeat("0,", 200_000) + leaf + "]" + strings.Repeat("}", 500)
	}
	cases := []struct {
		name string
		a, b string
		want []string
	}{
		{"depth 100,000", deep(100_000, "1"), deep(100_000, "2"), []string{`data-path="body"`, `data-testid="body-cut-before"`}},
		{"balanced depth 10,000", deep(10_000, "1"), deep(10_000, "2"), []string{`data-path="body"`}},
		{"depth 500, 200,000 items", wideDeep("1"), wideDeep("2"), []string{`data-testid="body-cut-after"`, "1 change"}},
		{"16,000 changed items", wide(16000, "a"), wide(16000, "b"), []string{`data-testid="diff-incomplete"`,
			`data-testid="more-changes"`, "1000 changes", `data-testid="body-cut-after"`}},
	}
	var bodies [][2]string
	for _, c := range cases {
		bodies = append(bodies, [2]string{c.a, c.b})
	}
	url, pairs := pairServer(t, bodies)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var code int
			var body string
			start := time.Now()
			got := allocated(func() { code, body = get(t, url+"/exchanges/"+pairs[i][0]+"/diff/"+pairs[i][1]) })
			took := time.Since(start)
			if code != http.StatusOK {
				t.Fatalf("status %d: %.300s", code, body)
			}
			stored := uint64(len(c.a) + len(c.b))
			t.Logf("%s: %d KB of bodies, page %d KB, %.1f MB allocated, %v", c.name, stored>>10, len(body)>>10, float64(got)/(1<<20), took)
			if len(body) > 1<<20 {
				t.Errorf("page is %d bytes, want at most 1 MB", len(body))
			}
			// Decoding both bodies to compare them (encoding/json into
			// any) is most of it: ~30 bytes a byte for tiny values.
			if max := 96*stored + 32<<20; got > max {
				t.Errorf("allocated %d MB for %d KB of bodies, want at most %d MB", got>>20, stored>>10, max>>20)
			}
			for _, w := range c.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
		})
	}
}

// FuzzJSONLines: the diff page's renderer never panics, accepts exactly
// what jsonview accepts, draws what jsonview.Indent prints (as far as the
// limit lets it), and never passes the limit. Run longer with
// go test ./server/replay/replayui -run '^$' -fuzz FuzzJSONLines -fuzztime 5m
func FuzzJSONLines(f *testing.F) {
	f.Add(`{"a":[1,{"b":null}],"c d":{},"e":"<x>"}`, "body.a[1].b", 200)
	f.Add(`[[[]],{}]`, "body[0]", 30)
	f.Add(`"just a string"`, "body", 5)
	f.Fuzz(func(t *testing.T, s, changed string, limit int) {
		limit = max(limit, 0) % (8*len(s) + 64)
		marks := replayui.NewMarks([]replay.Change{{Path: changed}, {Path: "body"}})
		lines, more, ok := replayui.JSONLines(s, "body", marks, limit)
		if ok != jsonview.Check([]byte(s)) {
			t.Fatalf("ok %v, Check %v", ok, !ok)
		}
		if !ok {
			return
		}
		var drawn strings.Builder
		size := 0
		for i, l := range lines {
			if i > 0 {
				drawn.WriteByte('\n')
			}
			drawn.WriteString(jsonview.Indentation(l.Depth) + l.Text)
			size += 2*l.Depth + len(l.Text) + 1
			if !l.Changed {
				t.Fatalf("line %d not marked under a changed root", i)
			}
		}
		if size > limit {
			t.Fatalf("drew %d bytes, limit %d", size, limit)
		}
		whole, _, _ := jsonview.Indent([]byte(s), 1<<30)
		if !more && drawn.String() != whole || more && !strings.HasPrefix(whole, drawn.String()) {
			t.Fatalf("drew %q, jsonview prints %q (more %v)", drawn.String(), whole, more)
		}
	})
}
