package apigw

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gatescope/gatescope/server/config"
	"github.com/google/go-cmp/cmp"
)

// eventField builds the event for req on api and returns one top-level field.
func eventField(t *testing.T, api *config.API, req *Request, field string) any {
	t.Helper()
	ev, err := BuildEvent(mustMatch(t, mustRouter(t, api), req), req)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(ev, &v); err != nil {
		t.Fatal(err)
	}
	got, ok := v[field]
	if !ok {
		return "<omitted>"
	}
	return got
}

func TestIsBase64EncodedV2(t *testing.T) {
	api := httpAPI("H", route("ANY /x"))
	tests := []struct {
		contentType, body string
		want              bool
	}{
		{"", "", true}, // a plain GET
		{"", "data", true},
		{"text/plain", "data", false},
		{"text/csv; charset=utf-8", "a,b", false},
		{"application/json", "{}", false},
		{"Application/JSON; charset=utf-8", "{}", false},
		{"application/xml", "<a/>", false},
		{"application/javascript", "x", false},
		{"application/x-www-form-urlencoded", "a=1", true},
		{"application/octet-stream", "x", true},
		{"application/vnd.api+json", "{}", true},
		{"multipart/form-data; boundary=x", "--x", true},
		{"text/plain", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.contentType+"|"+tt.body, func(t *testing.T) {
			var h []string
			if tt.contentType != "" {
				h = append(h, "Content-Type: "+tt.contentType)
			}
			req := newRequest("POST", "/x", tt.body, h...)
			if got := eventField(t, api, req, "isBase64Encoded"); got != tt.want {
				t.Errorf("isBase64Encoded = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestIsBase64EncodedREST(t *testing.T) {
	tests := []struct {
		types       []string
		contentType string
		want        bool
	}{
		{nil, "image/png", false},
		{[]string{"image/png"}, "image/png", true},
		{[]string{"image/png"}, "image/jpeg", false},
		{[]string{"image/*"}, "image/jpeg", true},
		{[]string{"*/*"}, "text/plain", true},
		{[]string{"application/octet-stream"}, "application/octet-stream; x=1", true},
		{[]string{"*/*"}, "", false},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.types, ",")+"|"+tt.contentType, func(t *testing.T) {
			api := restAPI("R", route("POST /x"))
			api.BinaryMediaTypes = tt.types
			var h []string
			if tt.contentType != "" {
				h = append(h, "Content-Type: "+tt.contentType)
			}
			if got := eventField(t, api, newRequest("POST", "/x", "body", h...), "isBase64Encoded"); got != tt.want {
				t.Errorf("isBase64Encoded = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDecoding(t *testing.T) {
	v2 := httpAPI("H", route("GET /p/{id}"))
	v1 := restAPI("R", route("GET /p/{id}"))
	tests := []struct {
		name   string
		api    *config.API
		target string
		field  string
		want   any
	}{
		{"v2 rawPath decoded", v2, "/p/a%20b%2Fc%23d", "rawPath", "/p/a b/c#d"},
		{"v2 path param decoded", v2, "/p/a%20b", "pathParameters", map[string]any{"id": "a b"}},
		{"v2 plus in path stays", v2, "/p/a+b", "pathParameters", map[string]any{"id": "a+b"}},
		{"v2 query raw", v2, "/p/1?a=%20b+c&a=d", "rawQueryString", "a=%20b+c&a=d"},
		{"v2 query decoded and joined", v2, "/p/1?a=%20b+c&a=d", "queryStringParameters", map[string]any{"a": " b c,d"}},
		{"v2 no query omitted", v2, "/p/1", "queryStringParameters", "<omitted>"},
		{"v2 no params omitted", httpAPI("H", route("GET /p")), "/p", "pathParameters", "<omitted>"},
		{"v2 no body omitted", v2, "/p/1", "body", "<omitted>"},
		{"v2 no cookies omitted", v2, "/p/1", "cookies", "<omitted>"},
		{"v2 no stage variables omitted", v2, "/p/1", "stageVariables", "<omitted>"},
		{"v2 bad escape kept", v2, "/p/100%", "rawPath", "/p/100%"},
		{"v1 path not decoded", v1, "/p/a%20b", "path", "/p/a%20b"},
		{"v1 path param not decoded", v1, "/p/a%20b", "pathParameters", map[string]any{"id": "a%20b"}},
		{"v1 query decoded, last", v1, "/p/1?a=x+y&a=%7Az", "queryStringParameters", map[string]any{"a": "zz"}},
		{"v1 query decoded, all", v1, "/p/1?a=x+y&a=%7Az", "multiValueQueryStringParameters", map[string]any{"a": []any{"x y", "zz"}}},
		{"v1 no query null", v1, "/p/1", "queryStringParameters", nil},
		{"v1 no query multi null", v1, "/p/1", "multiValueQueryStringParameters", nil},
		{"v1 no params null", restAPI("R", route("GET /p")), "/p", "pathParameters", nil},
		{"v1 stage variables null", v1, "/p/1", "stageVariables", nil},
		{"v1 body null", v1, "/p/1", "body", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := eventField(t, tt.api, newRequest("GET", tt.target, ""), tt.field)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.field, diff)
			}
		})
	}
}

func TestHeadersV1(t *testing.T) {
	req := newRequest("POST", "/x", "b", "X-Dup: 1", "X-Dup: 2", "Connection: keep-alive")
	api := restAPI("R", route("POST /x"))
	h := eventField(t, api, req, "headers").(map[string]any)
	mh := eventField(t, api, req, "multiValueHeaders").(map[string]any)
	if h["X-Dup"] != "2" || !cmp.Equal(mh["X-Dup"], []any{"1", "2"}) {
		t.Errorf("duplicates: headers %v, multi %v", h["X-Dup"], mh["X-Dup"])
	}
	for _, k := range []string{"Content-Length", "Connection"} {
		if _, ok := h[k]; ok {
			t.Errorf("%s must not be passed", k)
		}
	}
}

// TestHeaderCaseV1: REST passes header names as the client spelled them;
// an HTTP API lower-cases them whatever was sent.
func TestHeaderCaseV1(t *testing.T) {
	req := newRequest("GET", "/x", "", "X-Api-Key: k", "User-Agent: curl")
	req.HeaderCase = map[string]string{"X-Api-Key": "x-api-key", "User-Agent": "user-agent", "Host": "HOST"}
	h := eventField(t, restAPI("R", route("GET /x")), req, "headers").(map[string]any)
	for _, k := range []string{"x-api-key", "user-agent", "HOST"} {
		if _, ok := h[k]; !ok {
			t.Errorf("REST headers lack %q as sent: %v", k, h)
		}
	}
	if _, ok := h["X-Api-Key"]; ok {
		t.Errorf("REST headers carry the canonical name too: %v", h)
	}
	v1 := &config.Route{Method: "GET", Path: "/x", PayloadVersion: "1.0"}
	h = eventField(t, httpAPI("H", v1), req, "headers").(map[string]any)
	if _, ok := h["x-api-key"]; !ok || h["host"] == nil {
		t.Errorf("HTTP API 1.0 headers must be lower case: %v", h)
	}
}

func TestBuildEventBadPayloadVersion(t *testing.T) {
	api := httpAPI("H", &config.Route{Method: "GET", Path: "/x", PayloadVersion: "3.0"})
	req := newRequest("GET", "/x", "")
	_, err := BuildEvent(mustMatch(t, mustRouter(t, api), req), req)
	if err == nil || !strings.Contains(err.Error(), `payload format version "3.0"`) {
		t.Errorf("err = %v", err)
	}
}

func TestJSONStringEscaping(t *testing.T) {
	for _, s := range []string{"plain", "q\"b\\s", "ctl\x00\x1f\n\r\t", "bad\xffutf8", "sep\u2028\u2029", "<>&", "ünï"} {
		got := appendString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%q → %s: %v", s, got, err)
		}
		want := strings.ToValidUTF8(s, "\ufffd")
		if back != want {
			t.Errorf("%q → %s → %q", s, got, back)
		}
	}
}
