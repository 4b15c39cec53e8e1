package replay

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/testenv"
)

// ex builds a response-only exchange for diff tests.
func ex(id string, status int, outcome exchange.Outcome, headers map[string][]string, body string) *exchange.Exchange {
	return &exchange.Exchange{ID: id, Outcome: outcome, Response: exchange.HTTPResponse{Status: status, Headers: headers, Body: body}}
}

func TestCompare(t *testing.T) {
	jsonCT := map[string][]string{"Content-Type": {"application/json"}}
	tests := []struct {
		name    string
		a, b    *exchange.Exchange
		ignore  []string
		class   Class
		paths   []string
		expects map[Expect]bool // Breaks
	}{
		{
			name: "identical",
			a:    ex("A", 200, "ok", jsonCT, `{"a":1}`), b: ex("B", 200, "ok", jsonCT, `{"a":1}`),
			class: ClassSame, paths: nil,
			expects: map[Expect]bool{ExpectSame: false, ExpectStatus: false},
		},
		{
			name: "volatile headers and keys",
			a: ex("A", 200, "ok", map[string][]string{
				"Date": {"Mon, 01 Jan 2024 00:00:00 GMT"}, "Apigw-Requestid": {"abc="}, "X-Amzn-Trace-Id": {"Root=1-65a1b2c3-000000000000000000000001"},
				"X-Request-Id": {"11111111-2222-3333-4444-555555555555"}, "Content-Length": {"180"},
			}, `{"requestId":"r1","requestContext":{"time":"01/Jan/2024:00:00:00 +0000","timeEpoch":1},"id":"7f0c8a9e-1d2b-4c3d-9e8f-0a1b2c3d4e5f","at":"2024-01-01T00:00:00.123Z","awsRequestId":"x","n":1.0}`),
			b: ex("B", 200, "ok", map[string][]string{
				"Date": {"Tue, 02 Jan 2024 00:00:00 GMT"}, "Apigw-Requestid": {"def="}, "X-Amzn-Trace-Id": {"Root=1-65a1b2c4-000000000000000000000002"},
				"X-Request-Id": {"99999999-2222-3333-4444-555555555555"}, "Content-Length": {"181"},
			}, `{"requestId":"r2","requestContext":{"time":"02/Jan/2024:10:00:00 +0000","timeEpoch":2},"id":"00000000-1d2b-4c3d-9e8f-0a1b2c3d4e5f","at":"2024-02-01T10:00:00+01:00","awsRequestId":"y","n":1}`),
			class: ClassSame, paths: nil,
			expects: map[Expect]bool{ExpectSame: false, ExpectStatus: false},
		},
		{
			name:    "changed JSON body",
			a:       ex("A", 200, "ok", map[string][]string{"Content-Type": {"application/json"}, "Content-Length": {"60"}}, `{"items":[{"name":"a"},{"name":"b"},{"name":"c","tags":["x"]}],"total":3,"gone":true}`),
			b:       ex("B", 200, "ok", map[string][]string{"Content-Type": {"application/json"}, "Content-Length": {"70"}}, `{"items":[{"name":"a"},{"name":"b"},{"name":"C","tags":["x","y"]}],"total":3,"new key":null}`),
			class:   ClassChanged,
			paths:   []string{"headers.Content-Length", "body.gone", "body.items[2].name", "body.items[2].tags[1]", `body["new key"]`},
			expects: map[Expect]bool{ExpectSame: true, ExpectStatus: false},
		},
		{
			name:   "ignore list",
			a:      ex("A", 200, "ok", map[string][]string{"X-Cache": {"HIT"}, "X-Version": {"1"}}, `{"items":[{"id":1,"v":"a"},{"id":2,"v":"b"}],"meta":{"took":3},"etag":"x"}`),
			b:      ex("B", 200, "ok", map[string][]string{"X-Cache": {"MISS"}, "X-Version": {"2"}}, `{"items":[{"id":9,"v":"a"},{"id":8,"v":"b"}],"meta":{"took":5},"etag":"y"}`),
			ignore: []string{"headers.x-cache", "body.items[*].id", "body.meta", "ETAG", "x-ver*"},
			class:  ClassSame, paths: nil,
			expects: map[Expect]bool{ExpectSame: false, ExpectStatus: false},
		},
		{
			name:    "newly passing after a fix",
			a:       ex("A", 500, "function_error", jsonCT, `{"message":"Internal Server Error"}`),
			b:       ex("B", 200, "ok", jsonCT, `{"greeting":"hi"}`),
			class:   ClassNewlyPassing,
			paths:   []string{"status", "outcome", "body.greeting", "body.message"},
			expects: map[Expect]bool{ExpectSame: true, ExpectStatus: false},
		},
		{
			name:    "newly failing",
			a:       ex("A", 200, "ok", nil, "ok"),
			b:       ex("B", 502, "timeout", nil, `{"message": "Internal server error"}`),
			class:   ClassNewlyFailing,
			paths:   []string{"status", "outcome", "body"},
			expects: map[Expect]bool{ExpectSame: true, ExpectStatus: true},
		},
		{
			name:  "status change only counts for expect status",
			a:     ex("A", 200, "ok", nil, "found"),
			b:     ex("B", 404, "ok", nil, "found"),
			class: ClassChanged, paths: []string{"status"},
			expects: map[Expect]bool{ExpectSame: true, ExpectStatus: true},
		},
		{
			name:  "text body line diff",
			a:     ex("A", 200, "ok", map[string][]string{"Content-Type": {"text/plain"}}, "line one\nline two\nline three"),
			b:     ex("B", 200, "ok", map[string][]string{"Content-Type": {"text/html"}}, "line one\nline 2\nline three\nline four"),
			class: ClassChanged, paths: []string{"headers.Content-Type", "body"},
			expects: map[Expect]bool{ExpectSame: true, ExpectStatus: false},
		},
		{
			name:  "JSON against text and header added",
			a:     ex("A", 200, "ok", nil, `{"a":1}`),
			b:     ex("B", 200, "ok", map[string][]string{"x-new": {"1", "2"}}, `not json`),
			class: ClassChanged, paths: []string{"headers.X-New", "body"},
			expects: map[Expect]bool{ExpectSame: true, ExpectStatus: false},
		},
		{
			name:  "still failing differently",
			a:     ex("A", 502, "function_error", nil, `{"message": "Internal server error"}`),
			b:     ex("B", 504, "timeout", nil, `{"message": "Endpoint request timed out"}`),
			class: ClassChanged, paths: []string{"status", "outcome", "body.message"},
			expects: map[Expect]bool{ExpectSame: true, ExpectStatus: true},
		},
		{
			name: "event replay compares function outputs",
			a: func() *exchange.Exchange {
				x := ex("A", 200, "ok", jsonCT, `{"greeting":"hi"}`)
				x.RouteKey = "GET /hello"
				x.Function.RawResponse = []byte(`{"statusCode":200,"body":"{\"greeting\":\"hi\",\"requestId\":\"1\"}"}`)
				return x
			}(),
			b: func() *exchange.Exchange {
				x := ex("B", 200, "ok", map[string][]string{"X-Amz-Executed-Version": {"$LATEST"}}, `{"statusCode":200,"body":"{\"greeting\":\"hey\",\"requestId\":\"2\"}"}`)
				x.Function.RawResponse = []byte(`{"statusCode":200,"body":"{\"greeting\":\"hey\",\"requestId\":\"2\"}"}`)
				return x
			}(),
			class: ClassChanged, paths: []string{"output.body.greeting"},
			expects: map[Expect]bool{ExpectSame: true, ExpectStatus: false},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Compare(tt.a, tt.b, tt.ignore)
			if d.Class != tt.class {
				t.Errorf("class = %q, want %q", d.Class, tt.class)
			}
			var paths []string
			for _, c := range d.Changes {
				paths = append(paths, c.Path)
			}
			if strings.Join(paths, " | ") != strings.Join(tt.paths, " | ") {
				t.Errorf("paths:\n got %q\nwant %q", paths, tt.paths)
			}
			if d.Same() != (len(tt.paths) == 0) {
				t.Errorf("Same() = %v", d.Same())
			}
			if d.Original != "A" || d.Replay != "B" {
				t.Errorf("ids %q %q", d.Original, d.Replay)
			}
			for e, want := range tt.expects {
				if got := d.Breaks(e); got != want {
					t.Errorf("Breaks(%s) = %v, want %v", e, got, want)
				}
			}
			testenv.Golden(t, filepath.Join("testdata", "diff", strings.ReplaceAll(tt.name, " ", "_")+".golden"), []byte(d.Text()))
		})
	}
}

func TestKeyPath(t *testing.T) {
	tests := []struct{ parent, key, want string }{
		{"body", "items", "body.items"},
		{"body", "x-y_z$", "body.x-y_z$"},
		{"body", "a.b", `body["a.b"]`},
		{"body", "", `body[""]`},
		{"body", "9lives", `body["9lives"]`},
	}
	for _, tt := range tests {
		if got := KeyPath(tt.parent, tt.key); got != tt.want {
			t.Errorf("KeyPath(%q, %q) = %q, want %q", tt.parent, tt.key, got, tt.want)
		}
	}
	if got := IndexPath("body.items", 2); got != "body.items[2]" {
		t.Errorf("IndexPath = %q", got)
	}
}

func TestParseExpect(t *testing.T) {
	for _, tt := range []struct {
		in   string
		ok   bool
		want Expect
	}{{"same", true, ExpectSame}, {"status", true, ExpectStatus}, {"body", false, ""}, {"", false, ""}} {
		got, err := ParseExpect(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseExpect(%q) = %q, %v", tt.in, got, err)
		}
	}
}
