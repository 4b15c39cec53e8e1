package web

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
	"github.com/gatescope/gatescope/server/testenv"
)

func render(t *testing.T, c templ.Component) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	return testenv.HTML(t, buf.Bytes())
}

// byTestID selects elements by data-testid, inside <template> too.
func byTestID(id string) string { return `[data-testid="` + id + `"]` }

func TestRowTemplateMatchesScript(t *testing.T) {
	doc := render(t, List(ListView{Live: true, Rows: []Row{{ID: "A", Href: "/exchanges/A", Method: "GET",
		Path: "/x", Status: 200, StatusClass: "s2", Outcome: "ok", Duration: "1 ms"}}}))
	tpl := doc.Find("#row-tpl")
	if tpl.Length() != 1 {
		t.Fatal("no row template")
	}
	fields := map[string]bool{}
	tpl.Find("[data-f]").Each(func(_ int, s *goquery.Selection) { fields[s.AttrOr("data-f", "")] = true })
	// Every data-f the script fills must exist in the template.
	js, err := fs.ReadFile(Static, "vlist.js")
	if err != nil {
		t.Fatal(err)
	}
	used := regexp.MustCompile(`f\('([a-z]+)'\)`).FindAllStringSubmatch(string(js), -1)
	if len(used) < 8 {
		t.Fatalf("found %d filled fields in vlist.js; did the script change shape?", len(used))
	}
	for _, m := range used {
		if !fields[m[1]] {
			t.Errorf("vlist.js fills data-f=%q, which the row template lacks", m[1])
		}
	}
	// The script reads these ids and hooks.
	for _, id := range []string{"rows", "row-tpl"} {
		if doc.Find("#"+id).Length() != 1 {
			t.Errorf("id=%q missing", id)
		}
	}
	for _, h := range []string{"empty", "live-status", "count-captured", "count-shown", "count-dropped", "pause", "filter-q", "filters",
		"vscroll", "vlist", "vpad-top", "vpad-bottom", "chips"} {
		if doc.Find(byHook(h)).Length() != 1 {
			t.Errorf("data-js=%q missing", h)
		}
	}
}

func byHook(name string) string { return `[data-js="` + name + `"]` }

// TestScriptHooks: scripts find elements by data-js hooks, never by test
// ids (renaming a test id must not break the UI), and every hook a script
// names exists in some template.
func TestScriptHooks(t *testing.T) {
	var templ strings.Builder
	srcs, _ := filepath.Glob("*.templ")
	for _, p := range srcs {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		templ.Write(b)
	}
	hookRef := regexp.MustCompile(`data-js=["']?([a-z-]+)|hook\('([a-z-]+)'`)
	scripts, _ := fs.Glob(Static, "*.js")
	if len(scripts) == 0 {
		t.Fatal("no scripts")
	}
	hooks := 0
	for _, name := range scripts {
		b, err := fs.ReadFile(Static, name)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "testid") {
			t.Errorf("%s uses data-testid; give the element a data-js hook instead", name)
		}
		for _, m := range hookRef.FindAllStringSubmatch(string(b), -1) {
			h := m[1] + m[2]
			hooks++
			if !strings.Contains(templ.String(), `data-js="`+h+`"`) {
				t.Errorf("%s uses data-js=%q, which no template has", name, h)
			}
		}
	}
	if hooks < 10 {
		t.Errorf("found %d hook uses in the scripts; did they change shape?", hooks)
	}
}

func TestListEmptyAndFiltered(t *testing.T) {
	doc := render(t, List(ListView{Live: true}))
	empty := doc.Find(byTestID("empty"))
	if _, hidden := empty.Attr("hidden"); empty.Length() != 1 || hidden || !strings.Contains(empty.Text(), "No exchanges yet") {
		t.Errorf("empty note: %d found, hidden=%v %q", empty.Length(), hidden, empty.Text())
	}
	doc = render(t, List(ListView{Filter: Filter{Status: "5xx"}, Statuses: []Option{{Value: "5xx", Label: "5xx"}}}))
	if empty := doc.Find(byTestID("empty")); empty.Length() != 1 || !strings.Contains(empty.Text(), "match these filters") {
		t.Errorf("filtered empty note: %d found, %q", empty.Length(), empty.Text())
	}
	if doc.Find(byTestID("pause")).Length() != 0 {
		t.Error("a page that does not follow the feed has no pause button")
	}
	opt := doc.Find("option[selected]")
	if opt.Length() != 1 {
		t.Fatalf("%d selected options", opt.Length())
	}
	if v := opt.AttrOr("value", ""); v != "5xx" {
		t.Errorf("selected %q", v)
	}
}

func TestInspectorEscapes(t *testing.T) {
	v := InspectorView{ID: "X", Method: "GET", URL: "/<script>alert(1)</script>", Outcome: "function_error", Failed: true,
		Explanation: "<b>boom</b>", Request: HTTPPart{Body: Body{Text: "</pre><script>x</script>", Size: "1 B"}},
		EventURL: "/exchanges/X/event.json"}
	var buf bytes.Buffer
	if err := Inspector(v).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "<script>alert") || strings.Contains(out, "<script>x") || strings.Contains(out, "<b>boom") {
		t.Error("user content rendered unescaped")
	}
	doc := render(t, Inspector(v))
	if got := doc.Find(byTestID("explanation")).First().Text(); got != "<b>boom</b>" {
		t.Errorf("explanation = %q", got)
	}
}

func TestAssetVersion(t *testing.T) {
	if len(AssetVersion) != 12 {
		t.Errorf("AssetVersion = %q", AssetVersion)
	}
	for _, f := range []string{"app.js", "common.js", "app.css", "replay.css"} {
		if _, err := fs.Stat(Static, f); err != nil {
			t.Error(err)
		}
	}
	changed := fstest.MapFS{"app.js": {Data: []byte("x")}}
	if assetVersion(changed) == assetVersion(fstest.MapFS{"app.js": {Data: []byte("y")}}) {
		t.Error("the version does not change with the content")
	}
}

// TestModulesImportVersioned: pages load app.js?v=<version>; the modules
// it imports must be asked for with the same version (so they are cached
// with it and never mixed with an older copy), and must exist. Scripts are
// ES modules, served as JavaScript.
func TestModulesImportVersioned(t *testing.T) {
	anyImport := regexp.MustCompile(`(?m)^\s*(?:import\b[^;'"]*|export\b[^;'"]*\bfrom\s*)['"]([^'"]+)['"]`)
	scripts, _ := fs.Glob(sources, "*.js")
	imports := 0
	for _, name := range scripts {
		src, _ := fs.ReadFile(sources, name)
		served, err := fs.ReadFile(Static, name)
		if err != nil {
			t.Fatal(err)
		}
		want := anyImport.FindAllStringSubmatch(string(src), -1)
		got := anyImport.FindAllStringSubmatch(string(served), -1)
		if len(got) != len(want) {
			t.Fatalf("%s: %d imports served, %d written", name, len(got), len(want))
		}
		for i, m := range got {
			imports++
			spec, ok := strings.CutSuffix(m[1], "?v="+AssetVersion)
			if !ok || spec != want[i][1] || !strings.HasPrefix(spec, "./") {
				t.Errorf("%s imports %q (written %q); want a sibling module ./x.js with ?v=%s", name, m[1], want[i][1], AssetVersion)
				continue
			}
			if _, err := fs.Stat(Static, strings.TrimPrefix(spec, "./")); err != nil {
				t.Errorf("%s imports %s: %v", name, spec, err)
			}
		}
	}
	if imports < 5 {
		t.Errorf("found %d imports; did the modules change shape?", imports)
	}

	srv := httptest.NewServer(http.FileServerFS(Static))
	defer srv.Close()
	res, err := http.Get(srv.URL + "/list.js")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	served, _ := fs.ReadFile(Static, "list.js")
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") || !bytes.Equal(body, served) ||
		res.ContentLength != int64(len(served)) {
		t.Errorf("GET /list.js: %s, %q, %d bytes (want %d)", res.Status, ct, len(body), len(served))
	}
}

// TestListLinksWithoutScript: chips and column heads are links to the
// filter they give, keeping the rest of it, so the list filters and sorts
// without JavaScript too.
func TestListLinksWithoutScript(t *testing.T) {
	f := Filter{Status: "5xx", Sort: "duration", Q: "boom"}
	doc := render(t, List(ListView{Live: true, Filter: f, Chips: []Chip{
		{Field: "status", Value: "5xx", Label: "5xx", Count: 3, On: true},
		{Field: "failed", Value: "1", Label: "failed", Count: 4},
		{Field: "outcome", Value: "timeout", Label: "timeout", Hidden: true},
	}}))
	for _, tc := range []struct{ testid, want string }{
		{"chip-status-5xx", "/?q=boom&sort=duration"},
		{"chip-failed-1", "/?failed=1&q=boom&sort=duration&status=5xx"},
		{"sort-Duration", "/?dir=asc&q=boom&sort=duration&status=5xx"},
		{"sort-Size", "/?q=boom&sort=size&status=5xx"},
		{"sort-Time", "/?q=boom&status=5xx"},
	} {
		if got := doc.Find(byTestID(tc.testid)).AttrOr("href", ""); got != tc.want {
			t.Errorf("%s links to %q, want %q", tc.testid, got, tc.want)
		}
	}
	if _, hidden := doc.Find(byTestID("chip-outcome-timeout")).Attr("hidden"); !hidden {
		t.Error("an outcome chip counting nothing shows")
	}
	if got := doc.Find(byTestID("chip-status-5xx")).Text(); !strings.Contains(got, "3") {
		t.Errorf("status chip %q lacks its count", got)
	}
	if got := doc.Find(`th[aria-sort=descending]`).Text(); !strings.Contains(got, "Duration") {
		t.Errorf("sorted column %q", got)
	}
	if got := doc.Find(`input[type=hidden][name=sort]`).AttrOr("value", ""); got != "duration" {
		t.Errorf("the form keeps sort=%q", got)
	}
}
