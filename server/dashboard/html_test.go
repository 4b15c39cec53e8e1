package dashboard

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// doc is a parsed page with data-testid lookups. Nodes inside <template>
// are skipped: they are the live feed's blueprint, not content.
type doc struct{ root *html.Node }

func parseHTML(tb testing.TB, b []byte) doc {
	tb.Helper()
	n, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		tb.Fatal(err)
	}
	return doc{n}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

func (d doc) all(testid string) []*html.Node { return findAll(d.root, testid) }

func findAll(n *html.Node, testid string) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "template" {
			return
		}
		if n.Type == html.ElementNode && attr(n, "data-testid") == testid {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
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

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// selected returns the value of the selected option of a select.
func selected(n *html.Node) string {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && c.Data == "option" && hasAttr(c, "selected") {
			return attr(c, "value")
		}
	}
	return ""
}
