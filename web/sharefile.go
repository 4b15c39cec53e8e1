package web

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"regexp"
	"strings"

	"github.com/a-h/templ"
)

// ShareFileDataID is the id of the <script type="application/json"> block
// of a share file that holds the session: gatescope's native export as one
// JSON string (ShareFileBlock). Imports look for it.
const ShareFileDataID = "gatescope-export"

// ShareFileView is a share file: one HTML document that holds a session's
// list, each of its exchanges as the share pages show them, and the session
// itself as gatescope's native export, which its script and imports read.
type ShareFileView struct {
	SessionName  string
	SessionNote  string
	ExportedAt   string // as shown
	ExportedISO  string // RFC 3339, for <time datetime>
	Version      string // gatescope's
	Redacted     int    // values redacted
	RedactionOff bool   // exported with --no-redact: secrets as captured
	Rows         []ShareRow
	Exchanges    []ShareFileExchange
	// Export is the native export (JSON text) the file embeds.
	Export []byte
}

// ShareFileExchange is one exchange of a share file.
type ShareFileExchange struct {
	Anchor string // the element id the list's rows link to (#Anchor)
	Index  int    // its place in Export's exchanges
	View   ShareExchangeView
}

// ShareFileBlock is what a share file writes inside its data block: the
// native export's text as one JSON string. encoding/json writes '<' as
// \u003c (and '>', '&', U+2028 and U+2029 escaped too), so no "</script"
// or "<!--" in captured data can end or re-enter the block; and as a
// string, the text reads back exactly as written, which an object's raw
// documents (events, outputs) would not once escaped.
func ShareFileBlock(export []byte) (string, error) {
	b, err := json.Marshal(string(export))
	if err != nil {
		return "", err
	}
	if strings.ContainsRune(string(b), '<') { // encoding/json's HTML escaping guarantees it
		return "", fmt.Errorf("share file: the data block would hold a '<'")
	}
	return string(b), nil
}

// shareFileAssets are the file's stylesheet and script, inlined, and the
// Content-Security-Policy that allows exactly those two and no request
// at all: whatever a page of captured data held, the file could not load
// or send anything.
var shareFileStyle, shareFileScript, shareFileCSP = shareFileAssets(sources)

func shareFileAssets(f fs.FS) (style, script, csp string) {
	read := func(name string) string {
		b, err := fs.ReadFile(f, name)
		if err != nil {
			panic(err) // embedded files are always readable
		}
		return string(b)
	}
	style = read("app.css") + read("sharefile.css")
	script = inlineModules(read, "sharefile.js")
	for _, s := range []string{style, script} {
		low := strings.ToLower(s)
		if strings.Contains(low, "</") || strings.Contains(low, "<!--") || strings.Contains(low, "<script") {
			panic("web: an inlined asset holds \"</\", \"<!--\" or \"<script\", which would end its element")
		}
	}
	hash := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	csp = "default-src 'none'; style-src " + hash(style) + "; script-src " + hash(script) +
		"; img-src data:; base-uri 'none'; form-action 'none'"
	return style, script, csp
}

// importLine is a script's import of a sibling module, as the scripts
// write them (one line each).
var importLine = regexp.MustCompile(`(?m)^import \{[^}]*\} from '\./([A-Za-z0-9_-]+\.js)';\n`)

// inlineModules is a script with the sibling modules it imports written
// before it and its import lines removed: one module to inline, in a file
// that can load nothing else. Its imports import nothing (jsontree.js).
func inlineModules(read func(string) string, name string) string {
	var deps strings.Builder
	src := importLine.ReplaceAllStringFunc(read(name), func(line string) string {
		deps.WriteString(read(importLine.FindStringSubmatch(line)[1]))
		return ""
	})
	return deps.String() + src
}

// ShareFile is the share file's document. templ escapes text; the inlined
// stylesheet, script and data block are written as they are, so each is
// checked first (shareFileAssets, ShareFileBlock).
func ShareFile(v ShareFileView) (templ.Component, error) {
	block, err := ShareFileBlock(v.Export)
	if err != nil {
		return nil, err
	}
	return shareFile(v, shareFileRaws{
		style:  templ.Raw("<style>" + shareFileStyle + "</style>"),
		script: templ.Raw(`<script type="module">` + shareFileScript + "</script>"),
		data:   templ.Raw(`<script type="application/json" id="` + ShareFileDataID + `">` + block + "</script>"),
	}), nil
}

// shareFileRaws are the parts of a share file written unescaped.
type shareFileRaws struct {
	style, script, data templ.Component
}

func exchangesWord(n int) string {
	if n == 1 {
		return "1 exchange"
	}
	return fmt.Sprintf("%d exchanges", n)
}

func redactionWords(v ShareFileView) string {
	if v.RedactionOff {
		return "redaction off: secrets as captured"
	}
	return fmt.Sprintf("secrets redacted (%d %s)", v.Redacted, plural(v.Redacted, "value", "values"))
}
