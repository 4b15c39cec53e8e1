package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gatescope/gatescope/server/testenv"
)

// hostile is what captured data may hold that must never end a share
// file's data block, start a new element, or change how a script reads.
var hostile = []string{"</script>", "</SCRIPT >", "</script\t", "<!--", "<script>", "-->", "\u2028", "\u2029", "</style>", "]]>", `\u003c`, "a<b"}

// TestShareFileBlock: the data block holds no '<' at all, whatever the
// export holds, and decodes back to the export exactly.
func TestShareFileBlock(t *testing.T) {
	export := []byte(`{"format":"gatescope/v1","x":"` + strings.Join(hostile, " ") + "<\x00" + `","raw":{"body":"\u003c/b>"}}`)
	block, err := ShareFileBlock(export)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(block, "<\u2028\u2029") {
		t.Errorf("the block holds '<' or a line separator: %s", block)
	}
	var back string
	if err := json.Unmarshal([]byte(block), &back); err != nil || back != string(export) {
		t.Errorf("block decodes to %q, %v", back, err)
	}
}

// TestShareFileDocument: text from the session is escaped wherever it
// shows; the document has exactly the two scripts gatescope writes (the
// data block and the module) and one stylesheet, and its policy allows
// those by hash and nothing else: no source, no request.
func TestShareFileDocument(t *testing.T) {
	evil := strings.Join(hostile, "|")
	export := []byte(`{"format":"gatescope/v1","name":"` + evil + `"}`)
	c, err := ShareFile(ShareFileView{
		SessionName: `</title><script>alert(1)</script>` + evil, SessionNote: evil, Version: "v1", Redacted: 2,
		Rows: []ShareRow{{Href: "#x-A", Method: "GET", Path: "/" + evil, Outcome: "ok", StatusClass: "s2", Status: "200"}},
		Exchanges: []ShareFileExchange{{Anchor: "x-A", Index: 0, View: ShareExchangeView{SessionName: evil, Home: "#",
			Row: ShareRow{Path: "/" + evil}, Sections: []ShareSection{{Title: "HTTP request", TestID: "share-request", Part: "request",
				Body: evil, Cut: true, Headers: []Header{{Name: evil, Value: evil}}}}, Logs: evil, LogsPartial: true}}},
		Export: export,
	})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	doc := testenv.HTML(t, buf.Bytes())
	scripts := doc.Find("script")
	if scripts.Length() != 2 || scripts.First().AttrOr("type", "") != "application/json" || scripts.First().AttrOr("id", "") != ShareFileDataID ||
		scripts.Last().AttrOr("type", "") != "module" {
		t.Fatalf("%d scripts: %s", scripts.Length(), buf.String())
	}
	var back string
	if err := json.Unmarshal([]byte(scripts.First().Text()), &back); err != nil || back != string(export) {
		t.Errorf("the data block reads back as %q, %v", back, err)
	}
	if got := doc.Find("title").Text(); !strings.HasPrefix(got, `</title><script>alert(1)</script>`) {
		t.Errorf("title = %q", got)
	}
	if got := doc.Find(byTestID("share-session")).Text(); got != `</title><script>alert(1)</script>`+evil {
		t.Errorf("session name = %q", got)
	}
	if got := doc.Find(`[data-testid="share-request"] pre`).Text(); got != evil {
		t.Errorf("request body = %q", got)
	}
	if doc.Find(`[data-js="show-all"]`).Length() != 2 || doc.Find(`[data-testid="share-request-download"]`).Length() != 0 {
		t.Error("a part shown in part in a share file has a Show all button and no link")
	}
	if doc.Find("link[rel=stylesheet], img, iframe, object, embed, base, form").Length() != 0 {
		t.Error("the document names something to load")
	}

	styles := doc.Find("style")
	if styles.Length() != 1 {
		t.Fatalf("%d style elements", styles.Length())
	}
	hash := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	csp := doc.Find(`meta[http-equiv="Content-Security-Policy"]`).AttrOr("content", "")
	for _, want := range []string{"default-src 'none'", "style-src " + hash(styles.Text()) + ";", "script-src " + hash(scripts.Last().Text()) + ";",
		"base-uri 'none'", "form-action 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("policy %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") || strings.Contains(csp, "http") {
		t.Errorf("policy %q", csp)
	}
	if got := doc.Find(byTestID("sf-redaction")).Text(); got != "secrets redacted (2 values)" {
		t.Errorf("redaction = %q", got)
	}
}

// TestShareFileAssetsChecked: an inlined asset that spelled an end tag
// would end its element early, so building the assets refuses it.
func TestShareFileAssetsChecked(t *testing.T) {
	for _, bad := range []string{"// </script>", "/* <!-- */", "x = '<SCRIPT'"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%q inlined without complaint", bad)
				}
			}()
			shareFileAssets(fstest.MapFS{"app.css": {Data: []byte("a{}")}, "sharefile.css": {Data: []byte("b{}")},
				"sharefile.js": {Data: []byte(bad)}})
		}()
	}
	style, script, _ := shareFileAssets(fstest.MapFS{"app.css": {Data: []byte("a{}")}, "sharefile.css": {Data: []byte("b{}")},
		"sharefile.js": {Data: []byte("if (a < b) f();")}})
	if style != "a{}b{}" || script != "if (a < b) f();" {
		t.Errorf("assets %q %q", style, script)
	}
	// A sibling module it imports is written before it, the import gone.
	_, script, _ = shareFileAssets(fstest.MapFS{"app.css": {Data: []byte("a{}")}, "sharefile.css": {Data: []byte("b{}")},
		"sharefile.js": {Data: []byte("// f\nimport { g } from './dep.js';\ng();\n")}, "dep.js": {Data: []byte("export function g() {}\n")}})
	if script != "export function g() {}\n// f\ng();\n" {
		t.Errorf("inlined modules %q", script)
	}
}
