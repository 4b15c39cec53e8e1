package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/gatescope/gatescope/server/apigw"
	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/lambda"
	"github.com/gatescope/gatescope/server/testenv"
)

// collector is a capture sink that keeps what it is given.
type collector struct {
	mu sync.Mutex
	xs []*exchange.Exchange
}

func (c *collector) Submit(x *exchange.Exchange) bool {
	c.mu.Lock()
	c.xs = append(c.xs, x)
	c.mu.Unlock()
	return true
}

// startGateway serves testdata/template.yaml with its real aws-lambda-go
// function and returns the base URL, the capture sink and the functions.
func startGateway(t *testing.T) (string, *collector, *lambda.Manager) {
	t.Helper()
	return startGatewayWith(t, lambda.Options{})
}

// startGatewayWith serves testdata/template.yaml with the Manager options
// given (a temporary cache dir is added).
func startGatewayWith(t *testing.T, opts lambda.Options) (string, *collector, *lambda.Manager) {
	t.Helper()
	project, err := config.Load("testdata/template.yaml", config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	router, err := apigw.NewRouter(project.APIs)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	opts.CacheDir = t.TempDir()
	m := lambda.New(logger, project, opts)
	t.Cleanup(m.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := m.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	sink := &collector{}
	// Served as cmd/gatescope serves it: header names recorded as sent.
	srv := httptest.NewUnstartedServer(New(logger, router, m, sink, func() string { return "s1" }))
	srv.Listener = RecordHeaderNames(srv.Listener)
	srv.Config.ConnContext = HeaderNamesContext
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL, sink, m
}

func TestGatewayEndToEnd(t *testing.T) {
	base, sink, _ := startGateway(t)
	tests := []struct {
		name        string
		method, url string
		header      http.Header
		body        string
		wantStatus  int
		wantBody    string // exact, when set
		wantHeader  map[string]string
		wantOutcome exchange.Outcome
		wantExplain string
		checkV2     func(t *testing.T, ev events.APIGatewayV2HTTPRequest)
		checkV1     func(t *testing.T, ev events.APIGatewayProxyRequest)
	}{
		{
			name: "duplicate headers, query keys and cookies", method: "GET", url: "/items/a%20b?x=1&x=2&y=%2F",
			header:     http.Header{"X-Dup": {"one", "two"}, "Cookie": {"c1=v1; c2=v2"}},
			wantStatus: 200, wantOutcome: exchange.OutcomeOK,
			wantHeader: map[string]string{"Content-Type": "application/json"},
			checkV2: func(t *testing.T, ev events.APIGatewayV2HTTPRequest) {
				if ev.RouteKey != "GET /items/{id}" || ev.RawPath != "/items/a b" || ev.RawQueryString != "x=1&x=2&y=%2F" {
					t.Errorf("routeKey %q rawPath %q rawQuery %q", ev.RouteKey, ev.RawPath, ev.RawQueryString)
				}
				if ev.Headers["x-dup"] != "one,two" || ev.QueryStringParameters["x"] != "1,2" || ev.QueryStringParameters["y"] != "/" {
					t.Errorf("headers %v query %v", ev.Headers, ev.QueryStringParameters)
				}
				if ev.PathParameters["id"] != "a b" {
					t.Errorf("path parameters %v", ev.PathParameters)
				}
				if strings.Join(ev.Cookies, "|") != "c1=v1|c2=v2" || ev.Headers["cookie"] != "" {
					t.Errorf("cookies %v, cookie header %q", ev.Cookies, ev.Headers["cookie"])
				}
			},
		},
		{
			name: "greedy path and binary request body", method: "POST", url: "/files/a/b/c.png",
			header: http.Header{"Content-Type": {"image/png"}}, body: "\x89PNG\x00",
			wantStatus: 200, wantOutcome: exchange.OutcomeOK,
			checkV2: func(t *testing.T, ev events.APIGatewayV2HTTPRequest) {
				if ev.PathParameters["proxy"] != "a/b/c.png" || !ev.IsBase64Encoded || ev.Body != "iVBORwA=" {
					t.Errorf("proxy %q base64 %v body %q", ev.PathParameters["proxy"], ev.IsBase64Encoded, ev.Body)
				}
			},
		},
		{
			name: "binary response body", method: "GET", url: "/files/x/binary",
			wantStatus: 200, wantBody: "\x89PNG\x00\x01\x02", wantOutcome: exchange.OutcomeOK,
			wantHeader: map[string]string{"Content-Type": "image/png"},
		},
		{
			name: "cookies become Set-Cookie", method: "GET", url: "/files/x/cookies",
			wantStatus: 201, wantBody: "ok", wantOutcome: exchange.OutcomeOK,
			wantHeader: map[string]string{"Set-Cookie": "a=1", "Content-Type": "text/plain; charset=utf-8"},
		},
		{
			name: "inferred response", method: "GET", url: "/files/x/plain",
			wantStatus: 200, wantBody: "just a string", wantOutcome: exchange.OutcomeOK,
			wantHeader: map[string]string{"Content-Type": "application/json"},
		},
		{
			name: "REST API with stage prefix", method: "GET", url: "/Prod/rest/a%20b?q=x+y&q=z",
			header:     http.Header{"x-api-key": {"k1"}, "X-MiXeD": {"m"}},
			wantStatus: 200, wantOutcome: exchange.OutcomeOK,
			checkV1: func(t *testing.T, ev events.APIGatewayProxyRequest) {
				// Header names reach a REST function as the client spelled them.
				if ev.Headers["x-api-key"] != "k1" || ev.Headers["X-MiXeD"] != "m" || ev.Headers["X-Api-Key"] != "" {
					t.Errorf("headers not as sent: %v", ev.Headers)
				}
				if ev.Resource != "/rest/{proxy+}" || ev.Path != "/rest/a%20b" || ev.PathParameters["proxy"] != "a%20b" {
					t.Errorf("resource %q path %q params %v", ev.Resource, ev.Path, ev.PathParameters)
				}
				if ev.QueryStringParameters["q"] != "z" || strings.Join(ev.MultiValueQueryStringParameters["q"], "|") != "x y|z" {
					t.Errorf("query %v / %v", ev.QueryStringParameters, ev.MultiValueQueryStringParameters)
				}
				if ev.RequestContext.Stage != "Prod" || ev.RequestContext.Path != "/Prod/rest/a%20b" {
					t.Errorf("stage %q context path %q", ev.RequestContext.Stage, ev.RequestContext.Path)
				}
			},
		},
		{
			name: "CORS preflight answered by the gateway", method: "OPTIONS", url: "/items/1",
			header:     http.Header{"Origin": {"https://app.example"}, "Access-Control-Request-Method": {"GET"}},
			wantStatus: 204, wantBody: "", wantOutcome: exchange.OutcomeOK,
			wantHeader: map[string]string{"Access-Control-Allow-Origin": "https://app.example", "Access-Control-Max-Age": "600"},
		},
		{
			name: "function error", method: "GET", url: "/files/error",
			wantStatus: 500, wantBody: `{"message":"Internal Server Error"}`, wantOutcome: exchange.OutcomeFunctionError,
			wantExplain: "something broke",
		},
		{
			name: "malformed response", method: "GET", url: "/files/malformed",
			wantStatus: 500, wantBody: `{"message":"Internal Server Error"}`, wantOutcome: exchange.OutcomeMalformedResponse,
			wantExplain: `statusCode "abc"`,
		},
		{
			name: "REST function error is a 502", method: "GET", url: "/rest/error",
			wantStatus: 502, wantBody: `{"message": "Internal server error"}`, wantOutcome: exchange.OutcomeFunctionError,
			wantHeader: map[string]string{"X-Amzn-Errortype": "InternalServerErrorException"},
		},
		{
			name: "timeout", method: "GET", url: "/files/sleep",
			wantStatus: 500, wantOutcome: exchange.OutcomeTimeout, wantExplain: "Task timed out after 1.00 seconds",
		},
		{
			name: "integration timeout before the function's own", method: "GET", url: "/hurry/sleep",
			wantStatus: 503, wantBody: `{"message":"Service Unavailable"}`, wantOutcome: exchange.OutcomeTimeout,
			wantExplain: "integration timeout",
		},
		{
			name: "crash", method: "GET", url: "/files/crash",
			wantStatus: 500, wantOutcome: exchange.OutcomeFunctionError, wantExplain: "exit status 3",
		},
		{
			name: "HTTP API miss", method: "GET", url: "/nowhere",
			wantStatus: 404, wantBody: `{"message":"Not Found"}`, wantOutcome: exchange.OutcomeNoRoute,
		},
		{
			name: "request over 10 MB", method: "POST", url: "/files/big",
			header: http.Header{"Content-Type": {"text/plain"}}, body: strings.Repeat("x", 10<<20+1),
			wantStatus: 413, wantOutcome: exchange.OutcomePayloadTooLarge,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, base+tt.url, strings.NewReader(tt.body))
			for k, vs := range tt.header {
				req.Header[k] = vs
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tt.wantStatus, body)
			}
			if tt.wantBody != "" || tt.wantStatus == 204 {
				if string(body) != tt.wantBody {
					t.Errorf("body %q, want %q", body, tt.wantBody)
				}
			}
			for k, v := range tt.wantHeader {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if resp.Header.Get("Apigw-Requestid") == "" && resp.Header.Get("X-Amzn-Requestid") == "" {
				t.Error("no API Gateway request id header")
			}
			x := waitCaptured(t, sink, tt.url)
			if x.Outcome != tt.wantOutcome || x.Response.Status != tt.wantStatus || !strings.Contains(x.Explanation, tt.wantExplain) {
				t.Errorf("captured outcome %q status %d explanation %q; want %q %d ~%q", x.Outcome, x.Response.Status, x.Explanation, tt.wantOutcome, tt.wantStatus, tt.wantExplain)
			}
			if tt.wantOutcome != exchange.OutcomeOK && x.Explanation == "" {
				t.Error("a failure needs an explanation")
			}
			if tt.checkV2 != nil || tt.checkV1 != nil {
				// The function echoes its event: what it got is what we captured.
				if !bytes.Equal(bytes.TrimSpace(x.Event), bytes.TrimSpace(body)) {
					t.Errorf("captured event differs from what the function received:\n%s\n%s", x.Event, body)
				}
			}
			if tt.checkV2 != nil {
				var ev events.APIGatewayV2HTTPRequest
				if err := json.Unmarshal(body, &ev); err != nil {
					t.Fatal(err)
				}
				tt.checkV2(t, ev)
			}
			if tt.checkV1 != nil {
				var ev events.APIGatewayProxyRequest
				if err := json.Unmarshal(body, &ev); err != nil {
					t.Fatal(err)
				}
				tt.checkV1(t, ev)
			}
		})
	}
}

// waitCaptured returns the last exchange captured for url, waiting for it
// as long as the other tests' polls do: capture follows the response.
func waitCaptured(t *testing.T, c *collector, url string) *exchange.Exchange {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		for i := len(c.xs) - 1; i >= 0; i-- {
			if c.xs[i].Request.URL == url {
				x := c.xs[i]
				c.mu.Unlock()
				return x
			}
		}
		c.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no exchange captured for %s after 10s", url)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestThrottledThroughGateway(t *testing.T) {
	base, sink, m := startGateway(t)
	var wg sync.WaitGroup
	for range 2 { // the function's ReservedConcurrentExecutions
		wg.Add(1)
		go func() { defer wg.Done(); http.Get(base + "/files/sleep") }()
	}
	// Both hold an environment until their 1 s timeout, so the third
	// request, sent as soon as they do, finds none free.
	testenv.Eventually(t, 30*time.Second, "both slow invokes under way", func() bool { return m.Busy("Echo") == 2 })
	resp, err := http.Get(base + "/files/third")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	wg.Wait()
	x := waitCaptured(t, sink, "/files/third")
	if resp.StatusCode != 500 || x.Outcome != exchange.OutcomeThrottled || x.Explanation == "" {
		t.Fatalf("status %d outcome %q explanation %q", resp.StatusCode, x.Outcome, x.Explanation)
	}
}

// TestContentLength: responses carry Content-Length as API Gateway's do,
// also past net/http's 2 KB buffer, where it would otherwise chunk.
func TestContentLength(t *testing.T) {
	base, _, _ := startGateway(t)
	for _, n := range []int{10, 3000, 200000} {
		resp, err := http.Get(base + "/items/1?pad=" + strings.Repeat("x", n))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(resp.TransferEncoding) != 0 || resp.ContentLength != int64(len(body)) || len(body) < n {
			t.Errorf("query of %d bytes: status %d, transfer encoding %v, Content-Length %d for %d bytes",
				n, resp.StatusCode, resp.TransferEncoding, resp.ContentLength, len(body))
		}
	}
}

// TestUnreservedFunctionsNeverThrottle: 64 parallel requests to a function
// without reserved concurrency all succeed, as on AWS (which would scale to
// 64 environments); locally the pool stays at --max-environments and the
// rest wait, the wait recorded in each exchange's timings.
func TestUnreservedFunctionsNeverThrottle(t *testing.T) {
	const n, maxEnvs = 64, 4
	base, sink, m := startGatewayWith(t, lambda.Options{MaxEnvironments: maxEnvs})
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(fmt.Sprintf("%s/free/%d", base, i))
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			codes[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	queued := 0
	for i, code := range codes {
		if code != 200 {
			t.Errorf("request %d: status %d, want 200", i, code)
		}
		x := waitCaptured(t, sink, fmt.Sprintf("/free/%d", i))
		if x.Outcome != exchange.OutcomeOK {
			t.Errorf("request %d: outcome %s: %s", i, x.Outcome, x.Explanation)
		}
		if x.Timings.EnvWaitMs > 0 {
			queued++
		}
	}
	if queued == 0 {
		t.Errorf("%d requests over %d environments, none waited for one", n, maxEnvs)
	}
	if b := m.Busy("Free"); b != 0 {
		t.Errorf("Busy = %d after all answered", b)
	}
}

// TestInvocationErrors: each way an invoke can fail reaches apigw as the
// kind API Gateway answers it with, and a client that went away is said so.
func TestInvocationErrors(t *testing.T) {
	expired, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	tests := []struct {
		name   string
		ctx    context.Context
		err    error
		want   apigw.InvokeKind
		detail string
	}{
		{"client gone", context.Background(), context.Canceled, apigw.InvokeFailed, "client closed the connection"},
		{"integration timeout", expired, context.DeadlineExceeded, apigw.IntegrationTimeout, ""},
		{"integration timeout while queued", expired, &lambda.QueueTimeout{Function: "Fn", Max: 4, Waited: 29 * time.Second, Err: context.DeadlineExceeded},
			apigw.IntegrationTimeout, "waited 29s for one of the 4 environments of Fn, all busy: raise --max-environments"},
		{"throttled", context.Background(), &lambda.ServiceError{Type: "TooManyRequestsException", Err: lambda.ErrThrottled}, apigw.InvokeThrottled, ""},
		{"too large", context.Background(), &lambda.ServiceError{Type: "RequestTooLargeException", Err: lambda.ErrRequestTooLarge}, apigw.InvokeTooLarge, ""},
		{"not found", context.Background(), &lambda.ServiceError{Type: "ResourceNotFoundException", Err: lambda.ErrFunctionNotFound}, apigw.InvokeFailed, `function "Fn" not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := invocation(tt.ctx, tt.err, nil, "Fn")
			if inv.Kind != tt.want || !strings.Contains(inv.Detail, tt.detail) {
				t.Errorf("got %v %q, want %v ~%q", inv.Kind, inv.Detail, tt.want, tt.detail)
			}
		})
	}
}
