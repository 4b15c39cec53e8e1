package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/testenv"
)

// Each shape of template a user may bring, served end to end by the real
// `serve` wiring with Node.js functions.

// serveTemplate starts serve on template (with envVars, if any) and waits
// until its functions are ready.
func serveTemplate(t *testing.T, template, envVars string) *app {
	t.Helper()
	testenv.Need(t, "node")
	dir := t.TempDir()
	f := serveFlags{
		template: template, envVars: envVars, apiAddr: "127.0.0.1:0", uiAddr: "127.0.0.1:0",
		db: filepath.Join(dir, "gs.db"), logLevel: "warn", cacheDir: filepath.Join(dir, "cache"),
		idleTimeout: time.Minute, capture: true, params: keyValues{},
	}
	a, err := startApp(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil)), f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.shutdown(ctx)
	})
	testenv.Eventually(t, 30*time.Second, "functions ready", func() bool { return a.health() == nil })
	return a
}

// call sends a request to the api address, with Host set when host is not
// "" (an API's own host: <id>.localhost plus the port).
func call(t *testing.T, a *app, host, method, path string) (int, map[string]any, string) {
	t.Helper()
	addr := a.apiLn.Addr().String()
	req, err := http.NewRequest(method, "http://"+addr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		_, port, _ := strings.Cut(addr, ":")
		req.Host = host + ":" + port
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var m map[string]any
	json.Unmarshal(body, &m)
	return resp.StatusCode, m, string(body)
}

// expectEcho checks a response of the echo function field by field.
func expectEcho(t *testing.T, what string, status int, got map[string]any, raw string, want map[string]any) {
	t.Helper()
	if status != 200 {
		t.Errorf("%s: status %d %s", what, status, raw)
		return
	}
	for k, v := range want {
		g, _ := json.Marshal(got[k])
		w, _ := json.Marshal(v)
		if !bytes.Equal(g, w) {
			t.Errorf("%s: %s = %s, want %s", what, k, g, w)
		}
	}
}

func TestServeRawRESTAPI(t *testing.T) {
	a := serveTemplate(t, "testdata/rawrest/template.yaml", "")
	item := map[string]any{"fn": "Items", "resource": "/items/{id}", "params": map[string]any{"id": "42"},
		"operationName": "GetItem", "stage": "v1", "vars": map[string]any{"mode": "local"},
		// Ref and GetAtt of resources gatescope does not create, as SAM CLI
		// resolves them (and as the start-up warning says).
		"env": map[string]any{"TABLE": "ItemsTable", "QUEUE_ARN": "arn:aws:sqs:us-east-1:123456789012:Jobs", "STAGE": "from-template"}}
	for _, tt := range []struct{ host, path string }{{"", "/items/42"}, {"", "/v1/items/42"}, {"api.localhost", "/items/42"}, {"api.localhost", "/v1/items/42"}} {
		code, m, raw := call(t, a, tt.host, "GET", tt.path)
		expectEcho(t, tt.host+tt.path, code, m, raw, item)
	}
	code, m, raw := call(t, a, "", "DELETE", "/items")
	expectEcho(t, "ANY /items", code, m, raw, map[string]any{"resource": "/items", "operationName": nil})

	// POST /items is an SQS integration: not emulated, so it answers as a
	// missing route would, and the ANY method beside it does not take it.
	code, _, raw = call(t, a, "", "POST", "/items")
	if code != 403 || raw != `{"message":"Missing Authentication Token"}` {
		t.Errorf("POST /items: %d %s, want REST's 403 for an unserved route", code, raw)
	}
	var x *exchange.Exchange
	testenv.Eventually(t, 10*time.Second, "POST /items stored", func() bool {
		var res struct{ Exchanges []*exchange.Exchange }
		getJSONInto(t, "http://"+a.uiLn.Addr().String()+"/api/exchanges?limit=50", &res)
		for _, e := range res.Exchanges {
			if e.Request.Method == "POST" && e.Request.URL == "/items" {
				x = e
			}
		}
		return x != nil
	})
	if x.RouteKey != "POST /items" || x.Function.Name != "" || x.Outcome != exchange.OutcomeNoRoute || !strings.Contains(x.Explanation, "custom integration") {
		t.Errorf("the unserved route was captured as %s → %q, %s: %s", x.RouteKey, x.Function.Name, x.Outcome, x.Explanation)
	}

	var banner bytes.Buffer
	a.printBanner(&banner)
	port := a.apiLn.Addr().String()[strings.LastIndex(a.apiLn.Addr().String(), ":")+1:]
	for _, want := range []string{
		"REST API Api  http://api.localhost:" + port + "/v1  (stage v1)",
		"GET     http://127.0.0.1:" + port + "/items/{id} → Items",
		"Not emulated (3; `gatescope check` lists each with its line and why):",
		"- AWS service integrations (SQS, Step Functions, EventBridge, DynamoDB, ...) are not emulated: SendItems.Integration:56",
		"- resources gatescope does not create (functions that use them reach AWS with your credentials): ItemsTable (AWS::DynamoDB::Table):16, Jobs (AWS::SQS::Queue):18",
	} {
		if !strings.Contains(banner.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, banner.String())
		}
	}

	// The dashboard's list page shows the same list.
	resp, err := http.Get("http://" + a.uiLn.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	doc := testenv.HTML(t, page)
	if n := doc.Find(`[data-testid="not-emulated-item"]`).Length(); n != 2 {
		t.Errorf("the list page shows %d not-emulated features, want 2 (resources not created are one)", n)
	}
	if !strings.Contains(doc.Find(`[data-testid="not-emulated"]`).Text(), "SendItems.Integration (template.yaml:56)") {
		t.Errorf("the list page does not say where: %s", doc.Find(`[data-testid="not-emulated"]`).Text())
	}
}

func TestServeQuickCreateHTTPAPI(t *testing.T) {
	a := serveTemplate(t, "testdata/quick/template.yaml", "")
	for _, host := range []string{"", "quick.localhost"} {
		code, m, raw := call(t, a, host, "POST", "/any/path?x=1")
		expectEcho(t, host+" quick-create", code, m, raw, map[string]any{"fn": "Fn", "routeKey": "$default", "path": "/any/path", "stage": "$default"})
	}
}

func TestServeCDKApp(t *testing.T) {
	a := serveTemplate(t, "testdata/cdk/cdk.out/CdkAppStack.template.json", "")
	greeting := "hello from the CDK"
	tests := []struct {
		host, method, path string
		want               map[string]any
	}{
		{"", "GET", "/prod/a/b", map[string]any{"from": "cdk", "greeting": greeting, "resource": "/{proxy+}", "params": map[string]any{"proxy": "a/b"}, "stage": "prod"}},
		{"", "GET", "/", map[string]any{"resource": "/", "stage": "prod"}},
		{"", "GET", "/hello/ada", map[string]any{"routeKey": "GET /hello/{name}", "params": map[string]any{"name": "ada"}, "stage": "$default"}},
		// On its own host the REST API's catch-all takes what the HTTP API
		// answers on the merged address.
		{"endpointeef1fd8f.localhost", "GET", "/hello/ada", map[string]any{"resource": "/{proxy+}", "params": map[string]any{"proxy": "hello/ada"}}},
		{"httpapif5a9a8a7.localhost", "GET", "/hello/bob", map[string]any{"routeKey": "GET /hello/{name}"}},
	}
	for _, tt := range tests {
		code, m, raw := call(t, a, tt.host, tt.method, tt.path)
		expectEcho(t, tt.host+tt.path, code, m, raw, tt.want)
	}
	if code, _, raw := call(t, a, "httpapif5a9a8a7.localhost", "GET", "/prod/a/b"); code != 404 {
		t.Errorf("the HTTP API's own host answered a REST route: %d %s", code, raw)
	}
}

// TestServeTwoHTTPAPIsAndEnvVars: two HTTP APIs with catch-alls on one
// port do not swallow each other's routes; each answers alone on its own
// host; --env-vars overrides what functions declare, as SAM CLI does.
func TestServeTwoHTTPAPIsAndEnvVars(t *testing.T) {
	env := filepath.Join(t.TempDir(), "env.json")
	os.WriteFile(env, []byte(`{"OrdersFn": {"TABLE": "local-orders"}, "Parameters": {"STAGE": "from-file"}}`), 0o644)
	a := serveTemplate(t, "testdata/twoapis/template.yaml", env)
	tests := []struct {
		host, path string
		want       map[string]any
	}{
		{"", "/orders/1", map[string]any{"fn": "OrdersFn", "routeKey": "GET /orders/{id}", "env": map[string]any{"TABLE": "local-orders", "QUEUE_ARN": nil, "STAGE": "from-file"}}},
		{"", "/users/1", map[string]any{"fn": "UsersFn", "routeKey": "GET /users/{id}", "env": map[string]any{"TABLE": nil, "QUEUE_ARN": nil, "STAGE": "from-file"}}},
		{"", "/v2/users/1", map[string]any{"fn": "UsersFn", "routeKey": "GET /users/{id}", "stage": "v2"}},
		{"", "/some/where", map[string]any{"fn": "UsersFn", "routeKey": "ANY /{proxy+}"}}, // a path beats $default
		{"", "/", map[string]any{"fn": "OrdersFn", "routeKey": "$default"}},
		{"users.localhost", "/orders/1", map[string]any{"fn": "UsersFn", "routeKey": "GET /orders/{id}"}},
		{"orders.localhost", "/users/1", map[string]any{"fn": "OrdersFn", "routeKey": "$default"}},
	}
	for _, tt := range tests {
		code, m, raw := call(t, a, tt.host, "GET", tt.path)
		expectEcho(t, tt.host+tt.path, code, m, raw, tt.want)
	}
	// Alone, Users has no route for / (its greedy route needs a segment),
	// whatever Orders' $default takes on the merged address.
	if code, _, raw := call(t, a, "users.localhost", "GET", "/"); code != 404 || raw != `{"message":"Not Found"}` {
		t.Errorf("users.localhost/: %d %s, want the HTTP API's 404", code, raw)
	}

	// A broken --env-vars file stops serve, naming the file and the line.
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte("{\n  \"OrdersFn\": [1]\n}"), 0o644)
	_, err := startApp(context.Background(), slog.New(slog.DiscardHandler), serveFlags{template: "testdata/twoapis/template.yaml", envVars: bad,
		apiAddr: "127.0.0.1:0", uiAddr: "127.0.0.1:0", db: filepath.Join(t.TempDir(), "gs.db"), params: keyValues{}})
	if err == nil || !strings.Contains(err.Error(), bad+":2:") {
		t.Errorf("bad --env-vars: err = %v, want it to name %s:2", err, bad)
	}
}
