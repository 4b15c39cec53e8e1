package gateway

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/apigw"
	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/lambda"
)

// deployedInvoker answers as code of a given deployment would.
type deployedInvoker struct{ deployment int64 }

func (d deployedInvoker) Invoke(_ context.Context, name string, _ lambda.Request) (*lambda.Result, error) {
	return &lambda.Result{Payload: []byte(`{"statusCode":200,"body":"` + name + `"}`), Target: "local",
		Deployment: d.deployment, Version: "abc123def456"}, nil
}

func routerOf(t *testing.T, routes ...*config.Route) *apigw.Router {
	t.Helper()
	r, err := apigw.NewRouter([]*config.API{{ID: "Api", Type: config.HTTPAPI, Stage: "$default", Routes: routes}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func get(g *Gateway, path string) (*apigw.Response, *exchange.Exchange) {
	return g.Do(context.Background(), &apigw.Request{Method: "GET", RawPath: path, Host: "localhost", Time: time.Now()})
}

// TestDeploy: a deployment replaces the routes at once; a removed route
// answers as a missing one and says which deployment removed it; each
// exchange records the later of the routes' deployment and its code's.
func TestDeploy(t *testing.T) {
	old := &config.Route{Method: "GET", Path: "/old", Function: "Old", PayloadVersion: "2.0"}
	keep := &config.Route{Method: "GET", Path: "/keep", Function: "Keep", PayloadVersion: "2.0"}
	g := New(slog.New(slog.DiscardHandler), routerOf(t, old, keep), deployedInvoker{deployment: 3}, &collector{}, func() string { return "s" }).
		WithDeployment(5)
	resp, x := get(g, "/old")
	if resp.Status != 200 || x.Deployment != 5 || x.Function.Version != "abc123def456" {
		t.Fatalf("before: %d, deployment %d version %q", resp.Status, x.Deployment, x.Function.Version)
	}

	added := &config.Route{Method: "GET", Path: "/new", Function: "New", PayloadVersion: "2.0"}
	g.Deploy(routerOf(t, keep, added), nil, 7)
	resp, x = get(g, "/old")
	if resp.Status != 404 || x.Outcome != exchange.OutcomeNoRoute || x.Deployment != 7 ||
		!strings.Contains(x.Explanation, "Route GET /old was removed from the template by deployment 7.") {
		t.Errorf("removed route: %d %s deployment %d: %s", resp.Status, x.Outcome, x.Deployment, x.Explanation)
	}
	if resp, x = get(g, "/new"); resp.Status != 200 || string(resp.Body) != "New" || x.Deployment != 7 {
		t.Errorf("added route: %d %s deployment %d", resp.Status, resp.Body, x.Deployment)
	}
	if _, x = get(g, "/nowhere"); strings.Contains(x.Explanation, "removed") {
		t.Errorf("a path no deployment routed: %s", x.Explanation)
	}

	// Code deployed after the routes: the exchange names the code's.
	g.invoker = deployedInvoker{deployment: 9}
	if _, x = get(g, "/keep"); x.Deployment != 9 {
		t.Errorf("code deployed later: deployment %d, want 9", x.Deployment)
	}
}

// TestDeployUnderLoad: requests in flight while routes are replaced are
// each served by one deployment or the other, never a mix or a failure
// (run with -race).
func TestDeployUnderLoad(t *testing.T) {
	a := &config.Route{Method: "GET", Path: "/x", Function: "A", PayloadVersion: "2.0"}
	b := &config.Route{Method: "GET", Path: "/x", Function: "B", PayloadVersion: "2.0"}
	ra, rb := routerOf(t, a), routerOf(t, b)
	g := New(slog.New(slog.DiscardHandler), ra, deployedInvoker{}, &collector{}, func() string { return "s" }).WithDeployment(1)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, x := get(g, "/x")
				want := map[int64]string{1: "A", 2: "B"}[x.Deployment]
				if resp.Status != 200 || string(resp.Body) != want {
					t.Errorf("deployment %d answered %d %s", x.Deployment, resp.Status, resp.Body)
					return
				}
			}
		}()
	}
	for i := range 200 {
		if i%2 == 0 {
			g.Deploy(rb, nil, 2)
		} else {
			g.Deploy(ra, nil, 1)
		}
	}
	close(stop)
	wg.Wait()
}
