package testenv

import (
	"bytes"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// HTML parses a page or a fragment for queries with goquery: CSS selectors
// (doc.Find(`[data-testid="rows"]`)), Attr, Text. As in the browser's
// parser, the content of a <template> stays in the tree, under it.
func HTML(tb testing.TB, body []byte) *goquery.Document {
	tb.Helper()
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		tb.Fatalf("parse HTML: %v", err)
	}
	return doc
}
