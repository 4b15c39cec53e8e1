package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/store"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// okExchange is a successful GET /hello; mods change it.
func okExchange(i int, mods ...func(*exchange.Exchange)) *exchange.Exchange {
	at := t0.Add(time.Duration(i) * time.Second)
	rid := fmt.Sprintf("req-%02d", i)
	x := &exchange.Exchange{
		ID:         exchange.NewID(at),
		Session:    "default",
		API:        exchange.APIRef{ID: "local", Type: "HTTP", Stage: "$default"},
		RouteKey:   "GET /hello",
		RequestID:  rid,
		TraceID:    "Root=1-abc-" + rid,
		StartedAt:  at,
		DurationMs: 12.5,
		Request: exchange.HTTPRequest{
			Method:  "GET",
			URL:     fmt.Sprintf("/hello?n=%d", i),
			Headers: map[string][]string{"Host": {"127.0.0.1:3000"}, "Accept": {"*/*"}, "User-Agent": {"curl/8"}},
		},
		Event: json.RawMessage(`{"version":"2.0","routeKey":"GET /hello","rawPath":"/hello","rawQueryString":"n=` +
			fmt.Sprint(i) + `"}`),
		Function: exchange.FunctionCall{
			Name: "Hello", Target: "local",
			RawResponse: json.RawMessage(`{"statusCode":200,"body":"hello from go /hello"}`),
			Cold:        i == 0,
		},
		Response: exchange.HTTPResponse{
			Status:  200,
			Headers: map[string][]string{"Content-Type": {"text/plain"}},
			Body:    "hello from go /hello",
		},
		Outcome: exchange.OutcomeOK,
		Timings: exchange.Timings{RouteMatchedMs: 0.1, InvokeStartMs: 0.3, FunctionMs: 10,
			InvokeEndMs: 11.5, ResponseMappedMs: 11.8, SentMs: 12.5},
		Logs: "START RequestId: " + rid + " Version: $LATEST\nhandling /hello\nEND RequestId: " + rid +
			"\nREPORT RequestId: " + rid + "\tDuration: 10.00 ms",
	}
	for _, m := range mods {
		m(x)
	}
	return x
}

func failedExchange(i int) *exchange.Exchange {
	return okExchange(i, func(x *exchange.Exchange) {
		x.Session = "bug-123"
		x.RouteKey = "POST /items"
		x.Request.Method = "POST"
		x.Request.URL = "/items"
		x.Request.Body = `{"name":"widget"}`
		x.Request.Headers["Content-Type"] = []string{"application/json"}
		x.Function.RawResponse = nil
		x.Function.Error = &exchange.FunctionError{Type: "TypeError", Message: "items.push is not a function",
			StackTrace: []string{"at handler (index.js:3:9)"}}
		x.Response = exchange.HTTPResponse{Status: 502, Headers: map[string][]string{"Content-Type": {"application/json"}},
			Body: `{"message":"Internal server error"}`}
		x.Outcome = exchange.OutcomeFunctionError
		x.Explanation = "The function threw TypeError: items.push is not a function, so API Gateway answered 502."
		x.Logs += "\nERROR Invoke Error TypeError: items.push is not a function"
	})
}

// seed stores 19 exchanges, oldest first:
//
//	0-9   GET /hello      200 ok              session default
//	10-14 POST /items     502 function_error  session bug-123
//	15-17 GET /missing    404 no_route        session default
//	18    GET /slow       504 timeout         session default
func seed(tb testing.TB, db *store.DB) []*exchange.Exchange {
	tb.Helper()
	var xs []*exchange.Exchange
	for i := range 10 {
		xs = append(xs, okExchange(i))
	}
	for i := 10; i < 15; i++ {
		xs = append(xs, failedExchange(i))
	}
	for i := 15; i < 18; i++ {
		xs = append(xs, okExchange(i, func(x *exchange.Exchange) {
			x.RouteKey = ""
			x.Request.URL = "/missing"
			x.Event, x.Function, x.Logs, x.Timings = nil, exchange.FunctionCall{}, "", exchange.Timings{RouteMatchedMs: 0.1, SentMs: 0.2}
			x.Response = exchange.HTTPResponse{Status: 404, Body: `{"message":"Not Found"}`}
			x.Outcome = exchange.OutcomeNoRoute
			x.Explanation = "No route matches GET /missing."
		}))
	}
	xs = append(xs, okExchange(18, func(x *exchange.Exchange) {
		x.RouteKey = "GET /slow"
		x.Request.URL = "/slow"
		x.Response = exchange.HTTPResponse{Status: 504, Body: `{"message":"Endpoint request timed out"}`}
		x.Outcome = exchange.OutcomeTimeout
		x.Explanation = "The function ran past its 3 s timeout."
	}))
	if err := db.InsertExchanges(context.Background(), xs); err != nil {
		tb.Fatal(err)
	}
	return xs
}

func openStore(tb testing.TB) *store.DB {
	tb.Helper()
	db, err := store.Open(filepath.Join(tb.TempDir(), "gatescope.db"), store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// testServer serves a dashboard over a seeded store.
func testServer(tb testing.TB, opts Options) (*httptest.Server, *store.DB, []*exchange.Exchange) {
	tb.Helper()
	db := openStore(tb)
	xs := seed(tb, db)
	if opts.Store == nil {
		opts.Store = db
	}
	ts := httptest.NewServer(testMux(New(slog.New(slog.DiscardHandler), opts)))
	tb.Cleanup(ts.Close)
	return ts, db, xs
}

// testMux mounts the dashboard's handlers at the paths package ui gives
// them: these tests are of the handlers; ui's tests check its table.
func testMux(h *Handlers) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/health", h.Health)
	mux.HandleFunc("GET /api/stats", h.Stats)
	mux.HandleFunc("GET /api/exchanges", h.ListExchanges)
	mux.HandleFunc("GET /api/exchanges/{id}", h.GetExchange)
	mux.HandleFunc("PUT /api/exchanges/{id}/star", h.Star(true))
	mux.HandleFunc("DELETE /api/exchanges/{id}/star", h.Star(false))
	mux.HandleFunc("PUT /api/exchanges/{id}/note", h.SetNote)
	mux.HandleFunc("GET /api/sessions", h.ListSessions)
	mux.HandleFunc("PATCH /api/sessions/{id}", h.UpdateSession)
	mux.HandleFunc("DELETE /api/sessions/{id}", h.DeleteSession)
	mux.HandleFunc("GET /api/deployments", h.ListDeployments)
	mux.HandleFunc("GET /api/deployments/{id}", h.GetDeployment)
	mux.HandleFunc("/api/", h.APINotFound)
	mux.HandleFunc("GET /{$}", h.ListPage)
	mux.HandleFunc("GET /exchanges/{id}", h.ExchangePage)
	mux.HandleFunc("GET /exchanges/{id}/body/{part}", h.ExchangeBody)
	mux.HandleFunc("GET /exchanges/{id}/event.json", h.ExchangeEvent)
	mux.HandleFunc("GET /exchanges/{id}/logs", h.ExchangeLogs)
	mux.HandleFunc("/", h.PageNotFound)
	return mux
}

// do sends a request and returns the status, headers and body.
func do(tb testing.TB, method, url, body string) (int, http.Header, []byte) {
	tb.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		tb.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return res.StatusCode, res.Header, b
}

// getJSON GETs url, checks the status and decodes the body into v.
func getJSON(tb testing.TB, url string, wantCode int, v any) {
	tb.Helper()
	code, h, b := do(tb, http.MethodGet, url, "")
	if code != wantCode {
		tb.Fatalf("GET %s: status %d, want %d; body %s", url, code, wantCode, b)
	}
	if ct := h.Get("Content-Type"); ct != "application/json" {
		tb.Fatalf("GET %s: content type %q", url, ct)
	}
	if err := json.Unmarshal(b, v); err != nil {
		tb.Fatalf("GET %s: decode %s: %v", url, b, err)
	}
}

func httptestServer(tb testing.TB, opts Options) *httptest.Server {
	tb.Helper()
	ts := httptest.NewServer(testMux(New(slog.New(slog.DiscardHandler), opts)))
	tb.Cleanup(ts.Close)
	return ts
}
