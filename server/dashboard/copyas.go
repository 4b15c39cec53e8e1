package dashboard

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/web"
)

// The inspector's "Copy as" formats live here, one pure function each, all
// built from clientRequest: the request as the client sent it, aimed at the
// address the client used (its Host header), so a paste re-sends it.

// skipCopyHeaders are set by the sending tool itself or would make the
// copy unreadable.
var skipCopyHeaders = map[string]bool{
	"Host": true, "Content-Length": true, "Connection": true, "Accept-Encoding": true,
	"Transfer-Encoding": true, "Upgrade": true, "Keep-Alive": true,
}

// sentRequest is a captured request ready to re-send.
type sentRequest struct {
	Method  string
	URL     string      // absolute: http://<the client's host><path and query>
	Headers [][2]string // name and value, sorted by name, repeats kept
	Body    []byte
	Binary  bool // Body is not printable text
	B64     string
}

// clientRequest reads x's request; apiAddr stands in for a request that
// names no host.
func clientRequest(x *exchange.Exchange, apiAddr string) sentRequest {
	r := sentRequest{Method: x.Request.Method}
	if r.Method == "" {
		r.Method = http.MethodGet
	}
	host := apiAddr
	var names []string
	for k, vs := range x.Request.Headers {
		ck := http.CanonicalHeaderKey(k)
		if ck == "Host" && len(vs) > 0 && vs[0] != "" {
			host = vs[0]
		}
		if !skipCopyHeaders[ck] {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	for _, k := range names {
		for _, v := range x.Request.Headers[k] {
			r.Headers = append(r.Headers, [2]string{k, v})
		}
	}
	r.URL = "http://" + host + x.Request.URL
	r.Body = []byte(x.Request.Body)
	if x.Request.IsBase64 && x.Request.Body != "" {
		if dec, err := base64.StdEncoding.DecodeString(x.Request.Body); err == nil {
			r.Body = dec
			r.Binary = !printable(dec)
			r.B64 = x.Request.Body
		}
	}
	return r
}

// curlBash is a curl command for bash and other POSIX shells.
func curlBash(r sentRequest) string {
	return curl(r, shell{quote: shellQuote, next: " \\\n  ",
		binary: func(r sentRequest) string { return "printf %s " + shellQuote(r.B64) + " | base64 -d | " }, stdin: "@-"})
}

// shell is what a curl command's text depends on: how an argument is
// quoted, how a line continues, and where a binary body comes from.
type shell struct {
	quote func(string) string
	next  string // ends a line and starts the next argument's
	// binary is what comes before curl for a binary body, which curl
	// reads from stdin ("@-") or a file.
	binary func(sentRequest) string
	stdin  string
}

// curl is the curl command that sends r again, for sh.
func curl(r sentRequest, sh shell) string {
	var b strings.Builder
	if r.Binary {
		b.WriteString(sh.binary(r))
	}
	b.WriteString("curl")
	if r.Method != http.MethodGet || len(r.Body) > 0 {
		b.WriteString(" -X " + sh.quote(r.Method))
	}
	b.WriteString(" " + sh.quote(r.URL))
	for _, h := range r.Headers {
		b.WriteString(sh.next + "-H " + sh.quote(h[0]+": "+h[1]))
	}
	switch {
	case r.Binary:
		b.WriteString(sh.next + "--data-binary " + sh.stdin)
	case len(r.Body) > 0:
		b.WriteString(sh.next + "--data-binary " + sh.quote(string(r.Body)))
	}
	return b.String()
}

// shellQuote single-quotes s for POSIX shells.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// curlCmd is a curl command for Windows' cmd.exe, quoted as Chrome's "Copy
// as cURL (cmd)" quotes. cmd cannot pipe binary data from a literal, so a
// binary body is read from body.bin, the inspector's download.
func curlCmd(r sentRequest) string {
	return curl(r, shell{quote: cmdQuote, next: " ^\r\n  ", stdin: "@body.bin",
		binary: func(sentRequest) string {
			return "REM The body is binary: save it as body.bin with the inspector's download link.\r\n"
		}})
}

// cmdQuote quotes s for cmd.exe and the C runtime's argument parser, as
// Chrome's DevTools do (escapeStringWin): backslashes and quotes escaped
// for the runtime, everything cmd might read escaped with ^, a % that
// could start a variable broken with ^, and newlines as ^ and two
// newlines.
func cmdQuote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/4 + 4)
	b.WriteString(`^"`)
	for i, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`^\^\`)
		case r == '"':
			b.WriteString(`^\^"`)
		case r == '\r' && strings.HasPrefix(s[i+1:], "\n"):
			// written with its \n
		case r == '\n':
			b.WriteString("^\n\n")
		case r == '%':
			b.WriteString("^%")
			if i+1 < len(s) && cmdVarStart(s[i+1]) {
				b.WriteString("^")
			}
		case cmdSafe(r):
			b.WriteRune(r)
		default:
			b.WriteByte('^')
			b.WriteRune(r)
		}
	}
	b.WriteString(`^"`)
	return b.String()
}

func cmdVarStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// cmdSafe reports whether cmd passes r through as it is.
func cmdSafe(r rune) bool {
	return r < 0x80 && (cmdVarStart(byte(r)) || strings.ContainsRune("\t\f\r -:=+~'/.,?;()*`", r))
}

// fetchJS is a fetch() call, as DevTools' "Copy as fetch" writes it.
func fetchJS(r sentRequest) string {
	var b strings.Builder
	b.WriteString("fetch(" + jsString(r.URL) + ", {\n  method: " + jsString(r.Method) + ",\n  headers: {")
	for i, h := range r.Headers {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n    " + jsString(h[0]) + ": " + jsString(h[1]))
	}
	if len(r.Headers) > 0 {
		b.WriteString("\n  ")
	}
	b.WriteString("}")
	switch {
	case r.Binary:
		b.WriteString(",\n  body: Uint8Array.from(atob(" + jsString(r.B64) + "), c => c.charCodeAt(0))")
	case len(r.Body) > 0:
		b.WriteString(",\n  body: " + jsString(string(r.Body)))
	}
	b.WriteString("\n});")
	return b.String()
}

// jsString is s as a JavaScript string literal (JSON's, which JavaScript
// reads the same since ES2019).
func jsString(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}

// httpie is an HTTPie command. The body goes on standard input, which
// every HTTPie version sends as it is.
func httpie(r sentRequest) string {
	var b strings.Builder
	switch {
	case r.Binary:
		b.WriteString("printf %s " + shellQuote(r.B64) + " | base64 -d | ")
	case len(r.Body) > 0:
		b.WriteString("printf %s " + shellQuote(string(r.Body)) + " | ")
	}
	b.WriteString("http")
	if len(r.Body) == 0 {
		b.WriteString(" --ignore-stdin")
	}
	b.WriteString(" " + r.Method + " " + shellQuote(r.URL))
	for _, h := range r.Headers {
		b.WriteString(" \\\n  " + shellQuote(h[0]+":"+h[1]))
	}
	return b.String()
}

// invokeCommand runs the exchange's function once with its event, through
// `gatescope invoke` in the project's directory; "" when no function ran.
func invokeCommand(fn string, event []byte) string {
	ev := eventFile(event)
	if fn == "" || ev == "" || ev == "null" {
		return ""
	}
	return "gatescope invoke " + shellQuote(fn) + " --event - <<'EVENT'\n" + ev + "\nEVENT"
}

// responseText is the response body as the client got it: text as text,
// binary as its base64.
func responseText(x *exchange.Exchange) string {
	if x.Response.IsBase64 {
		if dec, err := base64.StdEncoding.DecodeString(x.Response.Body); err == nil && printable(dec) {
			return string(dec)
		}
	}
	return x.Response.Body
}

// copyFormats are the inspector's "Copy as" menu: key, label, what it
// copies, and the size of what it is made from (the text is at least as
// long). Keys name the /exchanges/{id}/copy/{key} URL too.
var copyFormats = []struct {
	key, label string
	text       func(x *exchange.Exchange, r sentRequest) string
	from       func(x *exchange.Exchange) int
}{
	{"curl", "curl (bash)", func(_ *exchange.Exchange, r sentRequest) string { return curlBash(r) }, requestSize},
	{"curl-cmd", "curl (Windows cmd)", func(_ *exchange.Exchange, r sentRequest) string { return curlCmd(r) }, requestSize},
	{"fetch", "fetch", func(_ *exchange.Exchange, r sentRequest) string { return fetchJS(r) }, requestSize},
	{"httpie", "HTTPie", func(_ *exchange.Exchange, r sentRequest) string { return httpie(r) }, requestSize},
	{"event", "event (SAM events/*.json)", func(x *exchange.Exchange, _ sentRequest) string { return eventFile(x.Event) }, eventSize},
	{"invoke", "gatescope invoke", func(x *exchange.Exchange, _ sentRequest) string { return invokeCommand(x.Function.Name, x.Event) }, eventSize},
	{"response", "response body", func(x *exchange.Exchange, _ sentRequest) string { return responseText(x) },
		func(x *exchange.Exchange) int { return len(x.Response.Body) }},
}

func requestSize(x *exchange.Exchange) int { return len(x.Request.Body) + len(x.Request.URL) }
func eventSize(x *exchange.Exchange) int   { return len(x.Event) }

// inlineCopyBytes is how much the page carries of each copy; a longer
// one (a 1 MB event) is fetched when its button is pressed.
const inlineCopyBytes = 64 << 10

// copiesOf fills the inspector's Copy as menu; formats with nothing to
// copy (no function ran, an empty response) are left out. Only the short
// ones are made here: the page of a 1 MB exchange makes none.
func copiesOf(x *exchange.Exchange, apiAddr string) []web.Copy {
	var r *sentRequest
	var out []web.Copy
	for _, f := range copyFormats {
		c := web.Copy{Key: f.key, Label: f.label, URL: exchangeHref(x.ID) + "/copy/" + f.key}
		switch {
		case f.key == "event" && len(x.Event) == 0, f.key == "invoke" && (x.Function.Name == "" || len(x.Event) == 0),
			f.key == "response" && x.Response.Body == "":
			continue
		case f.from(x) <= inlineCopyBytes:
			if r == nil {
				cr := clientRequest(x, apiAddr)
				r = &cr
			}
			text := f.text(x, *r)
			if text == "" {
				continue
			}
			if len(text) <= inlineCopyBytes {
				c.Text = text
			}
		}
		out = append(out, c)
	}
	return out
}

// copyText is one format's text for GET /exchanges/{id}/copy/{key}.
func copyText(x *exchange.Exchange, key, apiAddr string) (string, error) {
	for _, f := range copyFormats {
		if f.key == key {
			return f.text(x, clientRequest(x, apiAddr)), nil
		}
	}
	return "", fmt.Errorf("no copy format %q", key)
}
