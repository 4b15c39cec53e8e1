package dashboard

import (
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/gatescope/gatescope/server/testenv"
	"golang.org/x/net/html"
)

// doc is a page parsed by testenv.HTML, with data-testid lookups. Elements
// inside <template> are left out: they are the live feed's blueprint, not
// content. The helpers speak *html.Node, which the page tests also walk
// directly; goquery does the querying.
type doc struct{ root *html.Node }

func parseHTML(tb testing.TB, b []byte) doc {
	tb.Helper()
	return doc{testenv.HTML(tb, b).Get(0)}
}

// sel is n as a goquery selection.
func sel(n *html.Node) *goquery.Selection { return goquery.NewDocumentFromNode(n).Selection }

func attr(n *html.Node, key string) string { return sel(n).AttrOr(key, "") }

func hasAttr(n *html.Node, key string) bool {
	_, ok := sel(n).Attr(key)
	return ok
}

func (d doc) all(testid string) []*html.Node { return findAll(d.root, testid) }

// findAll returns the elements below n with this data-testid, outside any
// <template>.
func findAll(n *html.Node, testid string) []*html.Node {
	return sel(n).Find(`[data-testid="` + testid + `"]`).FilterFunction(func(_ int, s *goquery.Selection) bool {
		return s.ParentsFiltered("template").Length() == 0
	}).Nodes
}

// one returns the only element with testid, failing otherwise.
func (d doc) one(tb testing.TB, testid string) *html.Node {
	tb.Helper()
	ns := d.all(testid)
	if len(ns) != 1 {
		tb.Fatalf("%d elements with data-testid=%q, want 1", len(ns), testid)
	}
	return ns[0]
}

func text(n *html.Node) string { return sel(n).Text() }

// selected returns the value of the selected option of a select.
func selected(n *html.Node) string {
	return sel(n).ChildrenFiltered("option[selected]").First().AttrOr("value", "")
}
