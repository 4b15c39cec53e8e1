package apigw

import (
	"strings"
	"testing"

	"github.com/gatescope/gatescope/server/config"
	"github.com/google/go-cmp/cmp"
)

func TestMatch(t *testing.T) {
	httpRoutes := httpAPI("Http",
		route("GET /pets/dog/1"),
		route("GET /pets/dog/{id}"),
		route("GET /pets/{proxy+}"),
		route("ANY /{proxy+}"),
		route("GET /Items"),
		route("$default"),
	)
	rest := restAPI("Rest",
		route("GET /"),
		route("GET /items"),
		route("POST /items"),
		route("ANY /items/{id}"),
		route("GET /items/{id}"),
		route("GET /items/special"),
		route("ANY /files/{proxy+}"),
	)
	tests := []struct {
		name       string
		apis       []*config.API
		method     string
		path       string
		wantKey    string // "" = no match
		wantParams map[string]string
		wantPath   string
		wantStage  bool
	}{
		{"http exact beats param", []*config.API{httpRoutes}, "GET", "/pets/dog/1", "GET /pets/dog/1", nil, "/pets/dog/1", false},
		{"http param beats greedy", []*config.API{httpRoutes}, "GET", "/pets/dog/2", "GET /pets/dog/{id}", map[string]string{"id": "2"}, "/pets/dog/2", false},
		{"http greedy", []*config.API{httpRoutes}, "GET", "/pets/cat/1", "GET /pets/{proxy+}", map[string]string{"proxy": "cat/1"}, "/pets/cat/1", false},
		{"http method falls to ANY greedy", []*config.API{httpRoutes}, "POST", "/pets/dog/1", "ANY /{proxy+}", map[string]string{"proxy": "pets/dog/1"}, "/pets/dog/1", false},
		{"http greedy needs a segment", []*config.API{httpRoutes}, "GET", "/", "$default", nil, "/", false},
		{"http case sensitive", []*config.API{httpRoutes}, "GET", "/items", "ANY /{proxy+}", map[string]string{"proxy": "items"}, "/items", false},
		{"http params stay raw", []*config.API{httpRoutes}, "GET", "/pets/dog/a%20b", "GET /pets/dog/{id}", map[string]string{"id": "a%20b"}, "/pets/dog/a%20b", false},
		{"encoded slash is not a separator", []*config.API{httpRoutes}, "GET", "/pets/dog/a%2Fb", "GET /pets/dog/{id}", map[string]string{"id": "a%2Fb"}, "/pets/dog/a%2Fb", false},
		{"static segment compares decoded", []*config.API{httpAPI("H", route("GET /a b"))}, "GET", "/a%20b", "GET /a b", nil, "/a%20b", false},
		{"rest root", []*config.API{rest}, "GET", "/", "GET /", nil, "/", false},
		{"rest static beats param", []*config.API{rest}, "GET", "/items/special", "GET /items/special", nil, "/items/special", false},
		{"rest resource first then method: miss", []*config.API{rest}, "POST", "/items/special", "", nil, "", false},
		{"rest exact method beats ANY", []*config.API{rest}, "GET", "/items/7", "GET /items/{id}", map[string]string{"id": "7"}, "/items/7", false},
		{"rest ANY takes other methods", []*config.API{rest}, "DELETE", "/items/7", "ANY /items/{id}", map[string]string{"id": "7"}, "/items/7", false},
		{"rest method missing", []*config.API{rest}, "DELETE", "/items", "", nil, "", false},
		{"rest trailing slash", []*config.API{rest}, "GET", "/items/", "GET /items", nil, "/items/", false},
		{"rest greedy keeps trailing slash", []*config.API{rest}, "GET", "/files/a/b/", "ANY /files/{proxy+}", map[string]string{"proxy": "a/b/"}, "/files/a/b/", false},
		{"rest greedy needs a segment", []*config.API{rest}, "GET", "/files", "", nil, "", false},
		{"rest stage prefix", []*config.API{rest}, "GET", "/Prod/items/7", "GET /items/{id}", map[string]string{"id": "7"}, "/items/7", true},
		{"rest stage alone is root", []*config.API{rest}, "GET", "/Prod", "GET /", nil, "/", true},
		{"rest stage prefix is a whole segment", []*config.API{rest}, "GET", "/Production", "", nil, "", false},
		{"stage prefix beats root greedy", []*config.API{restAPI("R", route("ANY /{proxy+}"))}, "GET", "/Prod/x", "ANY /{proxy+}", map[string]string{"proxy": "x"}, "/x", true},
		{"more specific API wins", []*config.API{httpAPI("H", route("ANY /{proxy+}")), rest}, "GET", "/items", "GET /items", nil, "/items", false},
		{"tie goes to API order", []*config.API{httpAPI("H", route("GET /items")), rest}, "GET", "/items", "GET /items", nil, "/items", false},
		{"http default last across APIs", []*config.API{httpAPI("H", route("$default")), rest}, "GET", "/items/1", "GET /items/{id}", map[string]string{"id": "1"}, "/items/1", false},
		{"websocket APIs ignored", []*config.API{{ID: "W", Type: config.WSAPI, Routes: []*config.Route{{Method: "ANY", Path: "/x"}}}}, "GET", "/x", "", nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustRouter(t, tt.apis...)
			m, ok := r.Match(tt.method, tt.path)
			if tt.wantKey == "" {
				if ok {
					t.Fatalf("matched %s, want no match", m.Route.Key())
				}
				return
			}
			if !ok {
				t.Fatalf("no match, want %s", tt.wantKey)
			}
			if got := m.Route.Key(); got != tt.wantKey {
				t.Errorf("route = %s, want %s", got, tt.wantKey)
			}
			if diff := cmp.Diff(tt.wantParams, m.PathParams); diff != "" {
				t.Errorf("params (-want +got):\n%s", diff)
			}
			if m.Path != tt.wantPath || m.StagePrefixed != tt.wantStage {
				t.Errorf("path, staged = %q, %v; want %q, %v", m.Path, m.StagePrefixed, tt.wantPath, tt.wantStage)
			}
		})
	}
}

func TestMatchAPIOrderTie(t *testing.T) {
	a, b := httpAPI("A", route("GET /x")), httpAPI("B", route("GET /x"))
	m := mustMatch(t, mustRouter(t, a, b), newRequest("GET", "/x", ""))
	if m.API != a {
		t.Errorf("API = %s, want A", m.API.ID)
	}
}

func TestNewRouterErrors(t *testing.T) {
	tests := []struct {
		name string
		api  *config.API
		want string
	}{
		{"duplicate", httpAPI("H", route("GET /a/{id}"), route("GET /a/{name}")), `api H: route "GET /a/{name}" conflicts with "GET /a/{id}"`},
		{"rest sibling params", restAPI("R", route("GET /a/{id}"), route("POST /a/{name}/b")), `api R: route "POST /a/{name}/b": a sibling resource with a different variable name {id}`},
		{"greedy not last", httpAPI("H", route("GET /{proxy+}/a")), `api H: route "GET /{proxy+}/a": greedy variable {proxy+} must be the last segment`},
		{"partial variable", httpAPI("H", route("GET /a/{id}.json")), `api H: route "GET /a/{id}.json": segment "{id}.json": a path variable must be a whole segment`},
		{"no slash", httpAPI("H", route("GET a")), `api H: route "GET a": path must start with /`},
		{"bad method", httpAPI("H", route("FETCH /a")), `api H: route "FETCH /a": method "FETCH"`},
		{"empty segment", httpAPI("H", route("GET /a//b")), `empty path segment`},
		{"repeated variable", httpAPI("H", route("GET /{id}/{id}")), `variable {id} appears twice`},
		{"default on rest", restAPI("R", route("$default")), `api R: route "$default": $default routes exist only on HTTP APIs`},
		{"credentials with any origin", &config.API{ID: "H", Type: config.HTTPAPI, Cors: &config.Cors{AllowOrigins: []string{"*"}, AllowCredentials: true}}, `api H: CORS AllowCredentials cannot be used with AllowOrigins "*"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewRouter([]*config.API{tt.api})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestRouterFor: every API also answers alone on <api-id>.localhost, where
// only its routes match; two HTTP APIs with catch-alls on one port do not
// swallow each other's routes on the merged address.
func TestRouterFor(t *testing.T) {
	orders := httpAPI("Orders", route("GET /orders/{id}"), route("$default"))
	users := httpAPI("Users", route("GET /users/{id}"), route("ANY /{proxy+}"))
	legacy := restAPI("Legacy", route("GET /orders/{id}"))
	r := mustRouter(t, orders, users, legacy)
	tests := []struct {
		host, method, path string
		wantAPI, wantKey   string // "" = no match
	}{
		// Merged: the most specific route wins across APIs; catch-alls last.
		{"127.0.0.1:3000", "GET", "/orders/1", "Orders", "GET /orders/{id}"},
		{"127.0.0.1:3000", "GET", "/users/1", "Users", "GET /users/{id}"},
		{"127.0.0.1:3000", "GET", "/other", "Users", "ANY /{proxy+}"},
		{"127.0.0.1:3000", "GET", "/", "Orders", "$default"},
		// Own hosts: only that API's routes, whatever the others declare.
		{"orders.localhost:3000", "GET", "/users/1", "Orders", "$default"},
		{"users.localhost:3000", "GET", "/orders/1", "Users", "ANY /{proxy+}"},
		{"legacy.localhost:3000", "GET", "/orders/1", "Legacy", "GET /orders/{id}"},
		{"legacy.localhost:3000", "GET", "/Prod/orders/1", "Legacy", "GET /orders/{id}"},
		{"legacy.localhost:3000", "GET", "/users/1", "", ""},
		{"LEGACY.localhost.", "GET", "/orders/1", "Legacy", "GET /orders/{id}"},
		{"legacy.localhost", "GET", "/orders/1", "Legacy", "GET /orders/{id}"},
		// A name under localhost that is no API is served merged.
		{"app.localhost:3000", "GET", "/users/1", "Users", "GET /users/{id}"},
	}
	for _, tt := range tests {
		t.Run(tt.host+tt.path, func(t *testing.T) {
			m, ok := r.For(tt.host).Match(tt.method, tt.path)
			if tt.wantKey == "" {
				if ok {
					t.Fatalf("matched %s %s, want no match", m.API.ID, m.Route.Key())
				}
				return
			}
			if !ok || m.API.ID != tt.wantAPI || m.Route.Key() != tt.wantKey {
				t.Fatalf("got %v, want %s %s", m, tt.wantAPI, tt.wantKey)
			}
		})
	}

	// A miss on an API's own host is that API's answer, naming the API.
	resp := r.For("legacy.localhost:3000").NoRouteResponse(newRequest("GET", "/users/1", ""))
	if resp.Status != 403 || !strings.Contains(resp.Explanation, "on API Legacy") || !strings.Contains(resp.Explanation, "GET /orders/{id}") {
		t.Errorf("legacy miss: %d %q", resp.Status, resp.Explanation)
	}
	if strings.Contains(resp.Explanation, "GET /users/{id}") {
		t.Errorf("legacy miss lists another API's routes: %q", resp.Explanation)
	}
}

func TestShadowed(t *testing.T) {
	a := httpAPI("A", route("GET /x"), route("$default"), route("GET /only-a"))
	b := httpAPI("B", route("GET /x"), route("$default"), route("POST /x"))
	staged := httpAPI("C", route("GET /x"))
	staged.Stage = "dev" // still reachable as /dev/x
	var got []string
	for _, s := range mustRouter(t, a, b, staged).Shadowed() {
		got = append(got, s.API.ID+" "+s.Route.Key()+" by "+s.By.ID)
	}
	want := []string{"B GET /x by A", "B $default by A"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestNotServedResponse: a route gatescope does not serve answers as a
// missing route of its API type, saying why, and blames no function.
func TestNotServedResponse(t *testing.T) {
	sqs := &config.Route{Method: "POST", Path: "/send", Integration: config.Integration{
		Kind: config.CustomIntegration, Type: "AWS_PROXY SQS-SendMessage"}}
	mock := &config.Route{Method: "OPTIONS", Path: "/items", Integration: config.Integration{Kind: config.MockIntegration, Type: "MOCK"}}
	ghost := &config.Route{Method: "GET", Path: "/g", Integration: config.Integration{Type: "AWS_PROXY", Target: "arn:aws:lambda:us-east-1:123456789012:function:elsewhere"}}
	tests := []struct {
		api        *config.API
		req        *Request
		status     int
		body, want string
	}{
		{httpAPI("Http", sqs, route("ANY /{proxy+}")), newRequest("POST", "/send", "x"), 404, `{"message":"Not Found"}`,
			"Route POST /send of API Http has a custom integration (AWS_PROXY SQS-SendMessage), which gatescope does not emulate yet"},
		{restAPI("Rest", mock, route("ANY /{proxy+}")), newRequest("OPTIONS", "/items", ""), 403, `{"message":"Missing Authentication Token"}`,
			"Route OPTIONS /items of API Rest has a mock integration (MOCK)"},
		{httpAPI("Http", ghost), newRequest("GET", "/g", ""), 404, `{"message":"Not Found"}`,
			"Route GET /g of API Http invokes a function this template does not define (arn:aws:lambda:us-east-1:123456789012:function:elsewhere)"},
	}
	for _, tt := range tests {
		m := mustMatch(t, mustRouter(t, tt.api), tt.req)
		if m.Route.Emulated() {
			t.Fatalf("%s matched the served route %s, not the listed one", tt.req.RawPath, m.Route.Key())
		}
		resp := NotServedResponse(m, tt.req)
		if resp.Status != tt.status || string(resp.Body) != tt.body || resp.Outcome != "no_route" || !strings.Contains(resp.Explanation, tt.want) {
			t.Errorf("%s: %d %s %s %q", tt.req.RawPath, resp.Status, resp.Body, resp.Outcome, resp.Explanation)
		}
	}
}
