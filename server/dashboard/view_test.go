package dashboard

import (
	"encoding/base64"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gatescope/gatescope/server/exchange"
)

func TestCurl(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  exchange.HTTPRequest
		want string
	}{
		{"get", exchange.HTTPRequest{Method: "GET", URL: "/hello?a=1", Headers: map[string][]string{
			"Host": {"localhost:3000"}, "Accept-Encoding": {"gzip"}, "X-Q": {"it's"}}},
			"curl 'http://localhost:3000/hello?a=1' \\\n  -H 'X-Q: it'\\''s'"},
		{"post body", exchange.HTTPRequest{Method: "POST", URL: "/items", Body: `{"a":1}`,
			Headers: map[string][]string{"Content-Type": {"application/json"}, "Content-Length": {"7"}}},
			"curl -X 'POST' 'http://127.0.0.1:4000/items' \\\n  -H 'Content-Type: application/json' \\\n  --data-binary '{\"a\":1}'"},
		{"binary", exchange.HTTPRequest{Method: "PUT", URL: "/f", Body: base64.StdEncoding.EncodeToString([]byte{0, 1}), IsBase64: true},
			"printf %s 'AAE=' | base64 -d | curl -X 'PUT' 'http://127.0.0.1:4000/f' \\\n  --data-binary @-"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := curlOf(&exchange.Exchange{Request: tc.req}, "127.0.0.1:4000"); got != tc.want {
				t.Errorf("curl:\n got %s\nwant %s", got, tc.want)
			}
		})
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
