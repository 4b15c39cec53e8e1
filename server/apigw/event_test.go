package apigw

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/testenv"
	"github.com/google/go-cmp/cmp"
)

type eventCase struct {
	name string
	api  *config.API
	req  *Request
}

func eventCases() []eventCase {
	v1 := func(r *config.Route) *config.Route { r.PayloadVersion = "1.0"; return r }
	named := func(r *config.Route, op string) *config.Route { r.OperationName = op; return r }
	staged := httpAPI("StagedApi", route("GET /items/{id}"))
	staged.Stage = "dev"
	withVars := httpAPI("HttpApi", route("ANY /{proxy+}"))
	withVars.StageVariables = map[string]string{"env": "local"}
	binary := restAPI("RestApi", route("POST /upload"))
	binary.BinaryMediaTypes = []string{"image/*", "application/octet-stream"}
	restVars := restAPI("RestApi", route("ANY /{proxy+}"))
	restVars.StageVariables = map[string]string{"stageVariableName": "stageVariableValue"}
	cases := []eventCase{
		{"v2_get_root", httpAPI("HttpApi", route("$default")),
			newRequest("GET", "/", "", "User-Agent: curl/8.5.0", "Accept: */*")},
		{"v2_post_json", httpAPI("HttpApi", route("POST /items/{id}")),
			newRequest("POST", "/items/a%20b?x=1&x=2&name=me+you&q=%2Fslash&flag", `{"a":"<b>"}`,
				"Content-Type: application/json; charset=utf-8", "Cookie: s=1; theme=dark", "Cookie: z=9",
				"Accept: text/html", "Accept: application/json", "User-Agent: test/1", "X-Forwarded-For: 198.51.100.1")},
		{"v2_form_is_base64", httpAPI("HttpApi", route("POST /form")),
			newRequest("POST", "/form", "a=1&b=2", "Content-Type: application/x-www-form-urlencoded")},
		{"v2_no_content_type_body", httpAPI("HttpApi", route("PUT /blob")),
			newRequest("PUT", "/blob", "\x00\x01raw")},
		{"v2_greedy_decoded", withVars,
			newRequest("GET", "/files/a%2Fb/c%23d.txt", "")},
		{"v2_named_stage_root", staged, newRequest("GET", "/items/1", "")},
		{"v2_named_stage_prefixed", staged, newRequest("GET", "/dev/items/1", "")},
		{"http_v1", httpAPI("HttpApi", v1(route("POST /items/{id}"))),
			newRequest("POST", "/items/a%20b?x=1&x=2", "hello", "Content-Type: text/plain", "User-Agent: test/1", "Cookie: a=1")},
		{"rest_proxy", restVars,
			newRequest("POST", "/hello/world?name=me&name=you+too", "{\r\n\t\"a\": 1\r\n}",
				"Content-Type: application/json", "Accept: */*", "User-Agent: PostmanRuntime/2.4.5", "Connection: keep-alive", "X-Dup: 1", "X-Dup: 2")},
		{"rest_stage_prefixed", restAPI("RestApi", route("GET /items/{id}")),
			newRequest("GET", "/Prod/items/a%20b/", "", "User-Agent: curl/8.5.0")},
		{"rest_root_nulls", restAPI("RestApi", route("GET /")), newRequest("GET", "/", "")},
		{"rest_operation_name", restAPI("RestApi", named(route("GET /hello"), "HelloWorld")), newRequest("GET", "/hello", "")},
		{"rest_binary", binary,
			newRequest("POST", "/upload", "\x89PNG", "Content-Type: image/png")},
		{"rest_not_binary", binary,
			newRequest("POST", "/upload", "text", "Content-Type: text/plain")},
	}
	for _, c := range cases {
		if c.api.Type == config.RESTAPI {
			c.req.RequestID = restRequestID
		}
	}
	return cases
}

// TestBuildEventGolden pins every event byte for byte. Goldens are indented
// for review; compacting them must give back exactly what BuildEvent wrote.
func TestBuildEventGolden(t *testing.T) {
	for _, tc := range eventCases() {
		t.Run(tc.name, func(t *testing.T) {
			r := mustRouter(t, tc.api)
			ev, err := BuildEvent(mustMatch(t, r, tc.req), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("events", tc.name+".json"), indent(t, ev))
			if !testenv.Updating() {
				want, _ := os.ReadFile(filepath.Join("testdata", "events", tc.name+".json"))
				var compact bytes.Buffer
				if err := json.Compact(&compact, want); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(compact.Bytes(), ev) {
					t.Errorf("compact golden differs from event:\n%s\n%s", compact.Bytes(), ev)
				}
			}
		})
	}
}

// TestEventRoundTrip checks that aws-lambda-go's types read every field we
// send: unmarshal, re-marshal, and every value must survive. Nulls and false
// may come back omitted (aws-lambda-go's omitempty), and a few documented AWS
// fields have no Go field.
func TestEventRoundTrip(t *testing.T) {
	noGoField := map[string]bool{
		"version":                                true, // HTTP API payload 1.0 only
		"requestContext.identity.cognitoAmr":     true,
		"requestContext.identity.principalOrgId": true,
		"requestContext.deploymentId":            true,
		"requestContext.routeKey":                true, // HTTP API payload 1.0 only
	}
	for _, tc := range eventCases() {
		t.Run(tc.name, func(t *testing.T) {
			m := mustMatch(t, mustRouter(t, tc.api), tc.req)
			ev, err := BuildEvent(m, tc.req)
			if err != nil {
				t.Fatal(err)
			}
			var again []byte
			if payloadVersion(m) == "2.0" {
				var e events.APIGatewayV2HTTPRequest
				if err := json.Unmarshal(ev, &e); err != nil {
					t.Fatal(err)
				}
				again, _ = json.Marshal(e)
			} else {
				var e events.APIGatewayProxyRequest
				if err := json.Unmarshal(ev, &e); err != nil {
					t.Fatal(err)
				}
				again, _ = json.Marshal(e)
			}
			ours, theirs := flatten(t, ev), flatten(t, again)
			for k, v := range ours {
				if noGoField[k] {
					continue
				}
				tv, ok := theirs[k]
				if !ok && (v == nil || v == false || v == "") {
					continue
				}
				if v == nil && (tv == "" || tv == false) {
					continue
				}
				if !ok || !cmp.Equal(v, tv) {
					t.Errorf("%s: sent %#v, aws-lambda-go gives back %#v (present %v)", k, v, tv, ok)
				}
			}
		})
	}
}

// TestEventKeysMatchFixtures compares our field names with aws-lambda-go's
// fixtures for the same request shape. Data maps (headers, parameters) are
// compared by presence only.
func TestEventKeysMatchFixtures(t *testing.T) {
	dir := fixtureDir(t)
	tests := []struct {
		name    string
		fixture string
		api     *config.API
		req     *Request
		// fields the fixture has that we omit by spec (mTLS, authorizer
		// results), and fields AWS documents that the fixture predates.
		fixtureOnly, oursOnly []string
	}{
		{
			name: "v2 GET $default", fixture: "apigw-v2-request-no-authorizer.json",
			api:         httpAPI("HttpApi", route("$default")),
			req:         newRequest("GET", "/", "", "Accept: */*", "User-Agent: curl/7.58.0"),
			fixtureOnly: []string{"requestContext.authentication"},
		},
		{
			name: "rest proxy POST", fixture: "apigw-request.json",
			api: func() *config.API {
				a := restAPI("RestApi", route("POST /{proxy+}"))
				a.StageVariables = map[string]string{"stageVariableName": "stageVariableValue"}
				return a
			}(),
			req:         newRequest("POST", "/hello/world?name=me", `{"a": 1}`, "Content-Type: application/json"),
			fixtureOnly: []string{"requestContext.authorizer", "requestContext.identity.clientCert"},
			oursOnly:    []string{"isBase64Encoded", "requestContext.deploymentId", "requestContext.identity.cognitoAmr", "requestContext.identity.principalOrgId"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fix, err := os.ReadFile(filepath.Join(dir, tt.fixture))
			if err != nil {
				t.Fatal(err)
			}
			ev, err := BuildEvent(mustMatch(t, mustRouter(t, tt.api), tt.req), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			want := structuralKeys(t, fix, tt.fixtureOnly)
			want = append(want, tt.oursOnly...)
			sort.Strings(want)
			got := structuralKeys(t, ev, nil)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("keys (-fixture +ours):\n%s", diff)
			}
		})
	}
}

func fixtureDir(t *testing.T) string {
	t.Helper()
	out, err := goEnv("GOMODCACHE")
	if err != nil {
		t.Fatalf("find aws-lambda-go's fixtures in the module cache: %v", err)
	}
	return filepath.Join(out, "github.com", "aws", "aws-lambda-go@v1.55.1", "events", "testdata")
}

// dataMaps hold request data, not fields: only their presence is compared.
var dataMaps = map[string]bool{
	"headers": true, "multiValueHeaders": true, "queryStringParameters": true,
	"multiValueQueryStringParameters": true, "pathParameters": true, "stageVariables": true,
	"requestContext.authorizer": true, "requestContext.authentication": true,
	"requestContext.identity.clientCert": true,
}

func structuralKeys(t *testing.T, b []byte, drop []string) []string {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var keys []string
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, val := range m {
			p := prefix + k
			keys = append(keys, p)
			if sub, ok := val.(map[string]any); ok && !dataMaps[p] {
				walk(p+".", sub)
			}
		}
	}
	walk("", v)
	out := keys[:0]
	for _, k := range keys {
		skip := false
		for _, d := range drop {
			if k == d || strings.HasPrefix(k, d+".") {
				skip = true
			}
		}
		if !skip {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// flatten maps every leaf's dotted path to its value.
func flatten(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if m, ok := v.(map[string]any); ok {
			if len(m) == 0 {
				out[prefix] = m
			}
			for k, val := range m {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				walk(p, val)
			}
			return
		}
		out[prefix] = v
	}
	walk("", v)
	return out
}
