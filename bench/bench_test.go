// Package bench measures gatescope's own cost: a warm Lambda invoke
// through the Runtime API, and the gateway in front of it, each beside a
// baseline measured in the same run.
//
//	go test ./bench -run '^$' -bench . -benchmem
package bench

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/apigw"
	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/gateway"
	"github.com/gatescope/gatescope/server/lambda"
)

func setup(tb testing.TB) (*config.Project, *lambda.Manager) {
	tb.Helper()
	project, err := config.Load("testdata/template.yaml", config.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	m := lambda.New(logger, project, lambda.Options{})
	tb.Cleanup(m.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := m.Prepare(ctx); err != nil {
		tb.Fatal(err)
	}
	return project, m
}

// BenchmarkWarmInvoke is one warm invoke of a function that does nothing:
// event to the runtime over GET /next, response back over POST /response,
// log framing and memory read included.
func BenchmarkWarmInvoke(b *testing.B) {
	_, m := setup(b)
	req := lambda.Request{Payload: []byte(`{"rawPath":"/noop"}`), TraceID: "Root=1-00000000-000000000000000000000000"}
	if _, err := m.Invoke(context.Background(), "Noop", req); err != nil { // cold start outside the timer
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		res, err := m.Invoke(context.Background(), "Noop", req)
		if err != nil || res.FunctionError != "" {
			b.Fatal(err, res)
		}
	}
}

// BenchmarkWarmInvokeLatency is what one request waits for when the warm
// environment is already polling GET /next, as it is between requests: the
// runtime's next poll is left out of the timed part, unlike in the
// back-to-back loop of BenchmarkWarmInvoke.
func BenchmarkWarmInvokeLatency(b *testing.B) {
	_, m := setup(b)
	req := lambda.Request{Payload: []byte(`{"rawPath":"/noop"}`), TraceID: "Root=1-00000000-000000000000000000000000"}
	if _, err := m.Invoke(context.Background(), "Noop", req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		time.Sleep(300 * time.Microsecond) // the runtime is back in GET /next
		b.StartTimer()
		res, err := m.Invoke(context.Background(), "Noop", req)
		if err != nil || res.FunctionError != "" {
			b.Fatal(err, res)
		}
	}
}

type discard struct{}

func (discard) Submit(*exchange.Exchange) bool { return true }

// BenchmarkGateway is a full HTTP round trip through the gateway to the
// warm function; BenchmarkPlainHTTP is the same client against a bare
// net/http handler, the floor any server pays.
func BenchmarkGateway(b *testing.B) {
	project, m := setup(b)
	router, err := apigw.NewRouter(project.APIs)
	if err != nil {
		b.Fatal(err)
	}
	gw := gateway.New(slog.New(slog.NewTextHandler(io.Discard, nil)), router, m, discard{}, func() string { return "bench" })
	// Served as cmd/gatescope serves it, header names recorded.
	srv := httptest.NewUnstartedServer(gw)
	srv.Listener = gateway.RecordHeaderNames(srv.Listener)
	srv.Config.ConnContext = gateway.HeaderNamesContext
	srv.Start()
	defer srv.Close()
	roundTrips(b, srv.URL+"/noop")
}

func BenchmarkPlainHTTP(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	roundTrips(b, srv.URL+"/noop")
}

func roundTrips(b *testing.B, url string) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	get := func() {
		resp, err := client.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	get() // warm up
	b.ReportAllocs()
	for b.Loop() {
		get()
	}
}

// TestBenchSetup keeps the benchmark fixtures honest under go test ./...:
// the template loads and the function answers through the gateway.
func TestBenchSetup(t *testing.T) {
	project, m := setup(t)
	router, err := apigw.NewRouter(project.APIs)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gateway.New(slog.New(slog.NewTextHandler(io.Discard, nil)), router, m, discard{}, func() string { return "t" }))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/noop")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok" {
		t.Fatalf("status %d body %q", resp.StatusCode, body)
	}
}

func tempDir() (string, error) { return os.MkdirTemp("", "gatescope-bench") }
