package gateway

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/apigw"
	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/lambda"
	"github.com/gatescope/gatescope/server/testenv"
)

// startMapping serves testdata/mapping with its Node.js, Python and Go
// functions, its stage variable backend pointed at backend.
func startMapping(t *testing.T, backend string) (string, *collector, *Gateway) {
	t.Helper()
	testenv.Need(t, "node")
	testenv.Need(t, "python3")
	project, err := config.Load("testdata/mapping/template.yaml", config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(project.NotEmulated) != 0 {
		t.Fatalf("everything in the template is emulated, yet: %v", project.NotEmulated)
	}
	project.APIs[0].StageVariables["backend"] = backend
	router, err := apigw.NewRouter(project.APIs)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	m := lambda.New(logger, project, lambda.Options{CacheDir: t.TempDir()})
	t.Cleanup(m.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := m.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	sink := &collector{}
	g := New(logger, router, m, sink, func() string { return "s1" })
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return srv.URL, sink, g
}

type mapCall struct {
	name, method, path, ctype, accept, body string
	status                                  int
	wantBody                                string // exact, or a substring when contains is set
	contains                                bool
	header                                  map[string]string
	outcome                                 exchange.Outcome
	selection                               string // the pattern that matched; "default" for the default
	explanation                             string // a substring of the explanation
}

func TestMappingEndToEnd(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Backend", "seen "+r.Header.Get("X-From")+" q="+r.URL.Query().Get("q"))
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/items/missing":
			w.WriteHeader(404)
			io.WriteString(w, `{"gone":true}`)
		case strings.HasPrefix(r.URL.Path, "/items/"):
			io.WriteString(w, `{"id":"`+strings.TrimPrefix(r.URL.Path, "/items/")+`"}`)
		default:
			w.Header().Set("X-Proxied", r.Method+" "+r.URL.RequestURI())
			w.WriteHeader(201)
			b, _ := io.ReadAll(r.Body)
			w.Write(b)
		}
	}))
	t.Cleanup(backend.Close)
	base, sink, _ := startMapping(t, strings.TrimPrefix(backend.URL, "http://"))

	calls := []mapCall{
		{name: "node template by content type", method: "POST", path: "/node?name=Ada", ctype: "application/json", body: `{"x":1}`,
			status: 200, wantBody: `"name":"Ada"`, contains: true, header: map[string]string{"X-Kind": "node", "Content-Type": "application/json"},
			outcome: exchange.OutcomeOK, selection: "default"},
		{name: "escapeJavaScript's \\' is not JSON: the function is not called", method: "POST", path: "/node?name=Ada%27s", ctype: "application/json", body: `{}`,
			status: 400, wantBody: `{"message": "Could not parse request body into json: `, contains: true,
			outcome: exchange.OutcomeInvokeFailed, explanation: "not JSON"},
		{name: "node form template", method: "POST", path: "/node", ctype: "application/x-www-form-urlencoded", body: "a=b+c",
			status: 200, wantBody: `{"form":"a=b c"}`, outcome: exchange.OutcomeOK, selection: "default"},
		{name: "node 415 with no template for text/plain", method: "POST", path: "/node", ctype: "text/plain", body: "hi",
			status: 415, wantBody: `{"message":"Unsupported Media Type"}`, outcome: exchange.OutcomeInvokeFailed, explanation: "WHEN_NO_TEMPLATES"},
		{name: "node error selected by pattern", method: "POST", path: "/node", ctype: "application/json", body: `{"fail":"item not found"}`,
			status: 404, wantBody: `{"error": "item not found"}`, outcome: exchange.OutcomeOK, selection: ".*not found.*"},
		{name: "node error nothing matches: default 200 with the error", method: "POST", path: "/node", ctype: "application/json", body: `{"fail":"boom"}`,
			status: 200, wantBody: ``, outcome: exchange.OutcomeFunctionError, selection: "default", explanation: "add an integration response"},
		{name: "python success passes through", method: "POST", path: "/python", ctype: "application/json", body: `{"a":1}`,
			status: 200, wantBody: `{"runtime": "python", "echo": {"a": 1}}`, outcome: exchange.OutcomeOK, selection: "default"},
		{name: "python four hundred", method: "POST", path: "/python", ctype: "application/json", body: `{"fail":"this is four hundred"}`,
			status: 405, wantBody: `"errorMessage": "this is four hundred"`, contains: true, outcome: exchange.OutcomeOK, selection: ".*four hundred.*"},
		{name: "python other error .+", method: "POST", path: "/python", ctype: "application/json", body: `{"fail":"other"}`,
			status: 502, wantBody: `"errorType": "Exception"`, contains: true, outcome: exchange.OutcomeOK, selection: ".+"},
		{name: "python multi-line message misses .+", method: "POST", path: "/python", ctype: "application/json", body: `{"fail":"two\nlines"}`,
			status: 200, wantBody: `"errorMessage": "two\nlines"`, contains: true, outcome: exchange.OutcomeFunctionError, selection: "default"},
		{name: "python GET without a body sends {}", method: "POST", path: "/python", status: 200,
			wantBody: `{"runtime": "python", "echo": {}}`, outcome: exchange.OutcomeOK, selection: "default"},
		{name: "go error type mapped to a header", method: "POST", path: "/go", ctype: "application/json", body: `{"fail":"boom: disk"}`,
			status: 400, wantBody: `{"message": "boom: disk"}`, header: map[string]string{"X-Error-Type": "errorString"}, outcome: exchange.OutcomeOK, selection: "boom.*"},
		{name: "go success", method: "POST", path: "/go", ctype: "application/json", body: `{"k":"v"}`,
			status: 200, wantBody: `{"echo":{"k":"v"},"runtime":"go"}`, outcome: exchange.OutcomeOK, selection: "default"},
		{name: "go NEVER passes nothing through", method: "POST", path: "/go", ctype: "text/plain", body: `x`,
			status: 415, wantBody: `{"message":"Unsupported Media Type"}`, outcome: exchange.OutcomeInvokeFailed},
		{name: "template error", method: "GET", path: "/broken", status: 500, wantBody: `{"message": "Internal server error"}`,
			outcome: exchange.OutcomeInvokeFailed, explanation: "request template application/json failed at line 3, column 18: path(): JSONPath \"$..all\": deep scan (..) is not supported"},
		{name: "mock 200", method: "GET", path: "/mock", status: 200, wantBody: `{"mock": true, "path": "/mock"}` + "\n",
			header: map[string]string{"X-Mock": "yes", "X-Stage": "dev"}, outcome: exchange.OutcomeOK, selection: "default"},
		{name: "mock 404 by its status", method: "GET", path: "/mock?code=404", status: 404, wantBody: `{"message": "no such mock"}`,
			outcome: exchange.OutcomeOK, selection: "404"},
		{name: "http backend", method: "GET", path: "/backend/7?q=z", status: 200, wantBody: `{"fromBackend": {"id":"7"}}`,
			header: map[string]string{"X-Backend": "seen gatescope q=z"}, outcome: exchange.OutcomeOK, selection: "default"},
		{name: "http backend 404 selected", method: "GET", path: "/backend/missing", status: 404, wantBody: `{"gone":true}`,
			outcome: exchange.OutcomeOK, selection: "4\\d{2}"},
		{name: "http proxy", method: "PUT", path: "/proxy/a/b?x=1", ctype: "text/plain", body: "payload", status: 201, wantBody: "payload",
			header: map[string]string{"X-Proxied": "PUT /a/b?x=1"}, outcome: exchange.OutcomeOK},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, base+c.path, strings.NewReader(c.body))
			if c.ctype != "" {
				req.Header.Set("Content-Type", c.ctype)
			}
			if c.accept != "" {
				req.Header.Set("Accept", c.accept)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			x := lastExchange(t, sink, c.method, c.path)
			if resp.StatusCode != c.status {
				t.Errorf("status %d, want %d; body %s; explanation %q", resp.StatusCode, c.status, body, x.Explanation)
			}
			if c.contains && !strings.Contains(string(body), c.wantBody) || !c.contains && string(body) != c.wantBody {
				t.Errorf("body %q, want %q", body, c.wantBody)
			}
			for k, v := range c.header {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if x.Outcome != c.outcome {
				t.Errorf("outcome %s, want %s (%s)", x.Outcome, c.outcome, x.Explanation)
			}
			if c.explanation != "" && !strings.Contains(x.Explanation, c.explanation) {
				t.Errorf("explanation %q lacks %q", x.Explanation, c.explanation)
			}
			if x.Mapping == nil {
				t.Fatal("the exchange has no mapping steps")
			}
			if c.selection != "" {
				sel := x.Mapping.Selection
				switch {
				case sel == nil:
					t.Errorf("no integration response was chosen")
				case c.selection == "default" && !sel.Default, c.selection != "default" && sel.Pattern != c.selection:
					t.Errorf("chosen %+v, want %s", sel, c.selection)
				}
			}
		})
	}

	// The steps of one custom integration, as the inspector shows them.
	x := lastExchange(t, sink, "POST", "/node?name=Ada")
	mp := x.Mapping
	if mp.Integration != "AWS" || mp.Request == nil || !strings.Contains(mp.Request.Template, "$util.escapeJavaScript") ||
		!strings.Contains(mp.Request.Output, `"stage": "dev"`) || string(x.Event) != mp.Request.Output {
		t.Errorf("request step %+v, event %s", mp.Request, x.Event)
	}
	if mp.Response == nil || mp.Response.Template != "$input.json('$.echo')" || !strings.Contains(mp.Response.Output, `"name":"Ada"`) {
		t.Errorf("response step %+v", mp.Response)
	}
	if len(x.Function.RawResponse) == 0 || !strings.Contains(mp.Selection.Why, "successful invocation") {
		t.Errorf("function result %s, selection %+v", x.Function.RawResponse, mp.Selection)
	}
	var ev map[string]any
	if err := json.Unmarshal(x.Event, &ev); err != nil || ev["requestId"] != x.RequestID {
		t.Errorf("the payload's $context.requestId %v is not the exchange's request id %s", ev["requestId"], x.RequestID)
	}
	if b := lastExchange(t, sink, "GET", "/broken"); b.Mapping.Error == nil || b.Mapping.Error.Line != 3 || b.Mapping.Error.Template != "request template application/json" {
		t.Errorf("template error %+v", b.Mapping.Error)
	}
}

func lastExchange(t *testing.T, sink *collector, method, url string) *exchange.Exchange {
	t.Helper()
	var x *exchange.Exchange
	testenv.Eventually(t, 5*time.Second, method+" "+url+" captured", func() bool {
		sink.mu.Lock()
		defer sink.mu.Unlock()
		for i := len(sink.xs) - 1; i >= 0; i-- {
			if sink.xs[i].Request.Method == method && sink.xs[i].Request.URL == url {
				x = sink.xs[i]
				return true
			}
		}
		return false
	})
	return x
}

// TestMappingTemplateEdit re-runs a captured request with edited templates,
// as edit & replay does.
func TestMappingTemplateEdit(t *testing.T) {
	base, sink, g := startMapping(t, "127.0.0.1:1")
	_ = base
	_ = sink
	reqT := `{"statusCode": 404}`
	respT := `#set($context.responseOverride.status = 418){"edited": "$context.stage"}`
	req := &apigw.Request{Method: "GET", RawPath: "/mock", Proto: "HTTP/1.1", Host: "localhost", Header: http.Header{},
		SourceIP: "127.0.0.1", Time: time.Now(), Templates: &apigw.TemplateEdit{Request: &reqT, Response: &respT}}
	resp, x := g.Do(context.Background(), req)
	if resp.Status != 418 || string(resp.Body) != `{"edited": "dev"}` {
		t.Errorf("edited mapping answered %d %s", resp.Status, resp.Body)
	}
	if !x.Mapping.Request.Edited || !x.Mapping.Response.Edited || x.Mapping.Selection.Pattern != "404" {
		t.Errorf("steps %+v %+v %+v", x.Mapping.Request, x.Mapping.Selection, x.Mapping.Response)
	}
}
