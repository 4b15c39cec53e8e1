package gateway

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gatescope/gatescope/server/apigw"
	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/lambda"
)

// namedInvoker answers every invoke with the function's name and records
// which functions were invoked.
type namedInvoker struct {
	mu      sync.Mutex
	invoked []string
}

func (n *namedInvoker) Invoke(_ context.Context, name string, _ lambda.Request) (*lambda.Result, error) {
	n.mu.Lock()
	n.invoked = append(n.invoked, name)
	n.mu.Unlock()
	return &lambda.Result{Payload: []byte(`{"statusCode":200,"body":"` + name + `"}`), Target: "local"}, nil
}

// TestHostsAndUnservedRoutes: a Host naming an API routes within it alone;
// a route gatescope does not serve answers as a missing route and never
// reaches a function, not even through a catch-all.
func TestHostsAndUnservedRoutes(t *testing.T) {
	proxy := func(method, path, fn string) *config.Route {
		return &config.Route{Method: method, Path: path, Function: fn, PayloadVersion: "2.0"}
	}
	send := &config.Route{Method: "POST", Path: "/send", PayloadVersion: "2.0",
		Integration: config.Integration{Kind: config.CustomIntegration, Type: "AWS_PROXY SQS-SendMessage"}}
	a := &config.API{ID: "ApiA", Type: config.HTTPAPI, Stage: "$default", Routes: []*config.Route{proxy("GET", "/a", "FnA"), proxy("ANY", "$default", "CatchA")}}
	b := &config.API{ID: "ApiB", Type: config.HTTPAPI, Stage: "$default", Routes: []*config.Route{proxy("GET", "/b", "FnB"), send, proxy("ANY", "/{proxy+}", "CatchB")}}
	router, err := apigw.NewRouter([]*config.API{a, b})
	if err != nil {
		t.Fatal(err)
	}
	inv := &namedInvoker{}
	sink := &collector{}
	srv := httptest.NewServer(New(slog.New(slog.NewTextHandler(io.Discard, nil)), router, inv, sink, func() string { return "s" }))
	t.Cleanup(srv.Close)

	tests := []struct {
		host, method, path string
		status             int
		body               string
	}{
		{"", "GET", "/a", 200, "FnA"},
		{"", "GET", "/b", 200, "FnB"},
		{"", "GET", "/elsewhere", 200, "CatchB"}, // a path beats $default across APIs
		{"apia.localhost", "GET", "/b", 200, "CatchA"},
		{"apib.localhost", "GET", "/a", 200, "CatchB"},
		{"apib.localhost", "GET", "/b", 200, "FnB"},
		{"", "POST", "/send", 404, `{"message":"Not Found"}`},
		{"apib.localhost", "POST", "/send", 404, `{"message":"Not Found"}`},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(""))
		if tt.host != "" {
			req.Host = tt.host + ":" + strconv.Itoa(srv.Listener.Addr().(*net.TCPAddr).Port)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || string(body) != tt.body {
			t.Errorf("%s %s %s: %d %s, want %d %s", tt.host, tt.method, tt.path, resp.StatusCode, body, tt.status, tt.body)
		}
	}
	for _, x := range sink.xs {
		if x.RouteKey == "POST /send" {
			if x.Function.Name != "" || x.Outcome != "no_route" || !strings.Contains(x.Explanation, "custom integration") {
				t.Errorf("unserved route captured as function %q, outcome %s: %s", x.Function.Name, x.Outcome, x.Explanation)
			}
		}
	}
	if n := len(inv.invoked); n != 6 {
		t.Errorf("%d invokes (%v), want 6: the unserved route must invoke nothing", n, inv.invoked)
	}
}
