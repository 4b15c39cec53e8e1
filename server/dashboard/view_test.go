package dashboard

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gatescope/gatescope/server/exchange"
)

// TestCopyAs pins each "Copy as" format on the requests that stress it:
// a GET with a quote in a header, a JSON POST, a binary body; all aim at
// the client's Host, or at the API's address when it sent none.
func TestCopyAs(t *testing.T) {
	get := exchange.HTTPRequest{Method: "GET", URL: "/hello?a=1", Headers: map[string][]string{
		"Host": {"localhost:3000"}, "Accept-Encoding": {"gzip"}, "X-Q": {`it's "50%"`}}}
	post := exchange.HTTPRequest{Method: "POST", URL: "/items", Body: `{"a":1}`,
		Headers: map[string][]string{"Content-Type": {"application/json"}, "Content-Length": {"7"}}}
	bin := exchange.HTTPRequest{Method: "PUT", URL: "/f", Body: base64.StdEncoding.EncodeToString([]byte{0, 1}), IsBase64: true}
	for _, tc := range []struct {
		name string
		req  exchange.HTTPRequest
		f    func(sentRequest) string
		want string
	}{
		{"curl get", get, curlBash, `curl 'http://localhost:3000/hello?a=1' \` + "\n" + `  -H 'X-Q: it'\''s "50%"'`},
		{"curl post", post, curlBash, "curl -X 'POST' 'http://127.0.0.1:4000/items' \\\n  -H 'Content-Type: application/json' \\\n  --data-binary '{\"a\":1}'"},
		{"curl binary", bin, curlBash, "printf %s 'AAE=' | base64 -d | curl -X 'PUT' 'http://127.0.0.1:4000/f' \\\n  --data-binary @-"},
		{"cmd get", get, curlCmd, `curl ^"http://localhost:3000/hello?a=1^" ^` + "\r\n" + `  -H ^"X-Q: it's ^\^"50^%^\^"^"`},
		{"cmd post", post, curlCmd, "curl -X ^\"POST^\" ^\"http://127.0.0.1:4000/items^\" ^\r\n  -H ^\"Content-Type: application/json^\" ^\r\n  --data-binary ^\"^{^\\^\"a^\\^\":1^}^\""},
		{"cmd binary", bin, curlCmd, "REM The body is binary: save it as body.bin with the inspector's download link.\r\ncurl -X ^\"PUT^\" ^\"http://127.0.0.1:4000/f^\" ^\r\n  --data-binary @body.bin"},
		{"fetch get", get, fetchJS, "fetch(\"http://localhost:3000/hello?a=1\", {\n  method: \"GET\",\n  headers: {\n    \"X-Q\": \"it's \\\"50%\\\"\"\n  }\n});"},
		{"fetch post", post, fetchJS, "fetch(\"http://127.0.0.1:4000/items\", {\n  method: \"POST\",\n  headers: {\n    \"Content-Type\": \"application/json\"\n  },\n  body: \"{\\\"a\\\":1}\"\n});"},
		{"fetch binary", bin, fetchJS, "fetch(\"http://127.0.0.1:4000/f\", {\n  method: \"PUT\",\n  headers: {},\n  body: Uint8Array.from(atob(\"AAE=\"), c => c.charCodeAt(0))\n});"},
		{"httpie get", get, httpie, "http --ignore-stdin GET 'http://localhost:3000/hello?a=1' \\\n  'X-Q:it'\\''s \"50%\"'"},
		{"httpie post", post, httpie, "printf %s '{\"a\":1}' | http POST 'http://127.0.0.1:4000/items' \\\n  'Content-Type:application/json'"},
		{"httpie binary", bin, httpie, "printf %s 'AAE=' | base64 -d | http PUT 'http://127.0.0.1:4000/f'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.f(clientRequest(&exchange.Exchange{Request: tc.req}, "127.0.0.1:4000")); got != tc.want {
				t.Errorf("\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestCopiesOf(t *testing.T) {
	x := &exchange.Exchange{ID: "x1", Request: exchange.HTTPRequest{Method: "GET", URL: "/"},
		Event: []byte(`{"rawPath":"/"}`), Function: exchange.FunctionCall{Name: "Hello"},
		Response: exchange.HTTPResponse{Status: 200, Body: base64.StdEncoding.EncodeToString([]byte("hi")), IsBase64: true}}
	got := map[string]string{}
	for _, c := range copiesOf(x, "127.0.0.1:4000") {
		got[c.Key] = c.Text
	}
	want := map[string]string{
		"curl":     "curl 'http://127.0.0.1:4000/'",
		"curl-cmd": `curl ^"http://127.0.0.1:4000/^"`,
		"fetch":    "fetch(\"http://127.0.0.1:4000/\", {\n  method: \"GET\",\n  headers: {}\n});",
		"httpie":   "http --ignore-stdin GET 'http://127.0.0.1:4000/'",
		"event":    "{\n  \"rawPath\": \"/\"\n}",
		"invoke":   "gatescope invoke 'Hello' --event - <<'EVENT'\n{\n  \"rawPath\": \"/\"\n}\nEVENT",
		"response": "hi",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("copies (-want +got):\n%s", diff)
	}
	// No function, no event, no response body: nothing to invoke or copy.
	x = &exchange.Exchange{ID: "x2", Request: exchange.HTTPRequest{Method: "GET", URL: "/"}}
	for _, c := range copiesOf(x, "h") {
		if c.Key == "invoke" || c.Key == "event" || c.Key == "response" {
			t.Errorf("%s offered for an exchange with nothing to copy", c.Key)
		}
	}
	// A long one is left to its URL.
	x.Request.Body = strings.Repeat("a", inlineCopyBytes+1)
	for _, c := range copiesOf(x, "h") {
		if c.Text != "" || c.URL != "/exchanges/x2/copy/"+c.Key {
			t.Errorf("%s: a long copy is carried in the page (%d bytes) or has no URL (%q)", c.Key, len(c.Text), c.URL)
		}
	}
}

func TestBodyOf(t *testing.T) {
	if b := bodyOf("", false, 0, "/u"); !b.Empty {
		t.Error("empty body")
	}
	b := bodyOf(`{"a":[1,2]}`, false, 0, "/u")
	if b.Lang != "json" || b.Text != "{\n  \"a\": [\n    1,\n    2\n  ]\n}" || b.Cut || b.Binary {
		t.Errorf("json body = %+v", b)
	}
	b = bodyOf(base64.StdEncoding.EncodeToString([]byte("héllo")), true, 0, "/u")
	if b.Binary || b.Text != "héllo" {
		t.Errorf("base64 text body = %+v", b)
	}
	b = bodyOf(base64.StdEncoding.EncodeToString([]byte{0xff, 0}), true, 2048, "/u")
	if !b.Binary || b.Text != "/wA=" || b.Size != "2 B" || b.StoredCut != "2.0 KB" || b.Download != "/u?download=1" {
		t.Errorf("binary body = %+v", b)
	}
	b = bodyOf("not base64!", true, 0, "/u")
	if !b.Binary || b.Text != "not base64!" {
		t.Errorf("broken base64 = %+v", b)
	}
}

func TestLogLines(t *testing.T) {
	got := logLines("INIT_START Runtime Version: go\nSTART RequestId: 1\nhi\n2026 ERROR boom\nTask timed out after 3.00 seconds\nEND RequestId: 1\nREPORT RequestId: 1\n")
	kinds := make([]string, len(got))
	for i, l := range got {
		kinds[i] = l.Kind
	}
	if diff := cmp.Diff([]string{"meta", "meta", "", "err", "err", "meta", "meta"}, kinds); diff != "" {
		t.Errorf("kinds (-want +got):\n%s", diff)
	}
	if logLines("") != nil {
		t.Error("no logs")
	}
}

func TestParseStatus(t *testing.T) {
	for in, want := range map[string][2]int{"5xx": {5, 0}, "2": {2, 0}, "404": {4, 404}, "599": {5, 599}} {
		c, e, err := parseStatus(in)
		if err != nil || c != want[0] || e != want[1] {
			t.Errorf("parseStatus(%q) = %d, %d, %v", in, c, e, err)
		}
	}
	for _, in := range []string{"6xx", "0", "99", "600", "x"} {
		if _, _, err := parseStatus(in); err == nil {
			t.Errorf("parseStatus(%q) accepted", in)
		}
	}
}

func TestFmt(t *testing.T) {
	for n, want := range map[int]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KB", 3 << 20: "3.0 MB"} {
		if got := fmtSize(n); got != want {
			t.Errorf("fmtSize(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestOwnFrame: the inspector puts the first frame of the function's own
// code before the stack, past the runtime's and libraries' frames.
func TestOwnFrame(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stack []string
		want  string
	}{
		{"node", []string{"SyntaxError: Unexpected token", "    at JSON.parse (<anonymous>)",
			"    at handler (file:///work/app/form.mjs:4:21)", "    at invoke (file:///cache/runtimes/bootstrap.mjs:346:20)"},
			"/work/app/form.mjs:4 in handler"},
		{"node library first", []string{"    at f (/app/node_modules/lib/x.js:1:1)", "    at /app/index.js:9:3"}, "/app/index.js:9"},
		{"python", []string{`  File "/var/runtime/bootstrap.py", line 60, in run`, `  File "/app/upload.py", line 3, in handler`}, "/app/upload.py:3 in handler"},
		{"runtime only", []string{"    at node:internal/process/task_queues:95:5"}, ""},
		{"none", nil, ""},
	} {
		if got := ownFrame(tc.stack); got != tc.want {
			t.Errorf("%s: ownFrame = %q, want %q", tc.name, got, tc.want)
		}
	}
}
