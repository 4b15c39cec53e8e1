package web

import (
	"bytes"
	"context"
	"io/fs"
	"regexp"
	"strings"
	"testing"

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
	doc := render(t, List(ListView{Live: true, MaxRows: 500, Rows: []Row{{ID: "A", Href: "/exchanges/A", Method: "GET",
		Path: "/x", Status: 200, StatusClass: "s2", Outcome: "ok", Duration: "1 ms"}}}))
	tpl := doc.Find("#row-tpl")
	if tpl.Length() != 1 {
		t.Fatal("no row template")
	}
	fields := map[string]bool{}
	tpl.Find("[data-f]").Each(func(_ int, s *goquery.Selection) { fields[s.AttrOr("data-f", "")] = true })
	// Every data-f the script fills must exist in the template.
	js, err := fs.ReadFile(Static, "app.js")
	if err != nil {
		t.Fatal(err)
	}
	used := regexp.MustCompile(`q\('([a-z]+)'\)`).FindAllStringSubmatch(string(js), -1)
	if len(used) < 8 {
		t.Fatalf("found %d filled fields in app.js; did the script change shape?", len(used))
	}
	for _, m := range used {
		if !fields[m[1]] {
			t.Errorf("app.js fills data-f=%q, which the row template lacks", m[1])
		}
	}
	// The script reads these ids and test ids.
	for _, id := range []string{"rows", "empty", "live-status", "count-captured", "count-shown", "count-dropped", "pause", "filter-q"} {
		if doc.Find(byTestID(id)).Length() != 1 {
			t.Errorf("data-testid=%q missing", id)
		}
	}
}

func TestListEmptyAndFiltered(t *testing.T) {
	doc := render(t, List(ListView{MaxRows: 500, Live: true}))
	empty := doc.Find(byTestID("empty"))
	if _, hidden := empty.Attr("hidden"); empty.Length() != 1 || hidden || !strings.Contains(empty.Text(), "No exchanges yet") {
		t.Errorf("empty note: %d found, hidden=%v %q", empty.Length(), hidden, empty.Text())
	}
	doc = render(t, List(ListView{Filter: Filter{Status: "5xx"}, Statuses: []Option{{"5xx", "5xx"}}}))
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
	for _, f := range []string{"app.js", "app.css"} {
		if _, err := fs.Stat(Static, f); err != nil {
			t.Error(err)
		}
	}
}
