package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gatescope/gatescope/server/testenv"
	"github.com/gatescope/gatescope/server/trace"
)

// startTracedApp serves testdata/traced: instrumented Go (aws-xray-sdk-go,
// OpenTelemetry) and Node.js (aws-xray-sdk-core) functions behind a
// traced REST API and an HTTP API. GoTraced calls the Lambda API at the
// dashboard's address, which is therefore fixed before start.
func startTracedApp(t *testing.T) (*app, string, string) {
	t.Helper()
	dir := t.TempDir()
	uiAddr := freeAddr(t)
	env := filepath.Join(dir, "env.json")
	if err := os.WriteFile(env, []byte(`{"GoTraced":{"LAMBDA_ENDPOINT":"http://`+uiAddr+`"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	f := serveFlags{
		template: "testdata/traced/template.yaml", envVars: env, apiAddr: "127.0.0.1:0", uiAddr: uiAddr,
		db: filepath.Join(dir, "gs.db"), session: "traces", logLevel: "warn", cacheDir: filepath.Join(dir, "cache"),
		idleTimeout: time.Minute, capture: true, params: keyValues{}, xrayAddr: "127.0.0.1:0",
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
	testenv.Eventually(t, 4*time.Minute, "instrumented functions built", func() bool { return a.health() == nil })
	return a, "http://" + a.apiLn.Addr().String(), "http://" + uiAddr
}

func getTrace(t *testing.T, ui, id string) *trace.Trace {
	t.Helper()
	var tr trace.Trace
	getJSONInto(t, ui+"/api/exchanges/"+id+"/trace", &tr)
	return &tr
}

// waitTrace polls an exchange's trace until cond holds.
func waitTrace(t *testing.T, ui, id, what string, cond func(*trace.Trace) bool) *trace.Trace {
	t.Helper()
	var tr *trace.Trace
	testenv.Eventually(t, 10*time.Second, what, func() bool {
		tr = getTrace(t, ui, id)
		return cond(tr)
	})
	return tr
}

// find returns the first (sub)segment named name, anywhere in the trace.
func find(tr *trace.Trace, name string) *trace.Segment {
	var found *trace.Segment
	for _, s := range tr.Segments {
		s.Walk(func(seg, _ *trace.Segment, _ int) {
			if found == nil && seg.Name == name {
				found = seg
			}
		})
	}
	return found
}

func byOrigin(tr *trace.Trace, origin string) []*trace.Segment {
	var out []*trace.Segment
	for _, s := range tr.Segments {
		if s.Origin == origin {
			out = append(out, s)
		}
	}
	return out
}

// rowsOf is the waterfall's nesting: "depth name", one a row.
func rowsOf(tr *trace.Trace) string {
	var b strings.Builder
	for _, r := range tr.Rows() {
		b.WriteString(strings.Repeat(" ", r.Depth) + r.Seg.Name + "|" + string(r.Seg.Status()) + "\n")
	}
	return b.String()
}

func fetch(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// TestTracesFromInstrumentedFunctions: real functions instrumented as
// developers instrument them send their segments and spans to gatescope,
// which nests them under API Gateway's and Lambda's segments.
func TestTracesFromInstrumentedFunctions(t *testing.T) {
	_, api, ui := startTracedApp(t)

	t.Run("Go X-Ray SDK: subsegments, annotation, metadata, SQL", func(t *testing.T) {
		code, h, body := fetch(t, api+"/Prod/go")
		if code != 200 || body != "go traced" {
			t.Fatalf("GET /Prod/go: %d %s", code, body)
		}
		x := waitStored(t, ui, "/Prod/go")
		root := trace.RootFromHeaderID(x.TraceID)
		if !strings.Contains(h.Get("X-Amzn-Trace-Id"), root) {
			t.Errorf("REST response trace header %q lacks root %s", h.Get("X-Amzn-Trace-Id"), root)
		}
		tr := waitTrace(t, ui, x.ID, "the function's subsegment arrives", func(tr *trace.Trace) bool { return find(tr, "orders-db") != nil })
		if tr.TraceID != root {
			t.Errorf("traceId = %q, want %q", tr.TraceID, root)
		}
		stage, svc, fn := byOrigin(tr, "AWS::ApiGateway::Stage"), byOrigin(tr, "AWS::Lambda"), byOrigin(tr, "AWS::Lambda::Function")
		if len(stage) != 1 || len(svc) != 1 || len(fn) != 1 {
			t.Fatalf("segments: %s", rowsOf(tr))
		}
		if stage[0].Name != "Shop/Prod" || svc[0].ParentID != stage[0].Subsegments[0].ID || fn[0].ParentID != svc[0].ID {
			t.Errorf("stage → Lambda call → Lambda → function links broken:\n%s", rowsOf(tr))
		}
		want := `Shop/Prod|ok
 Lambda|ok
  GoTraced|ok
   GoTraced|ok
    Initialization|ok
    Invocation|ok
     load-order|ok
      orders-db|ok
    Overhead|ok
`
		if got := rowsOf(tr); got != want {
			t.Errorf("waterfall:\n%s\nwant\n%s", got, want)
		}
		lo := find(tr, "load-order")
		if !strings.Contains(string(lo.Annotations), `"order":"o-7"`) || !strings.Contains(string(lo.Metadata), `"book"`) {
			t.Errorf("annotations %s, metadata %s", lo.Annotations, lo.Metadata)
		}
		if db := find(tr, "orders-db"); !strings.Contains(string(db.SQL), "SELECT * FROM orders") || db.Namespace != "remote" {
			t.Errorf("SQL subsegment: %+v %s", db, db.SQL)
		}
	})

	t.Run("Go X-Ray SDK: an error with its cause", func(t *testing.T) {
		code, _, _ := fetch(t, api+"/Prod/go/fail")
		if code != 502 {
			t.Fatalf("GET /Prod/go/fail: %d", code)
		}
		x := waitStored(t, ui, "/Prod/go/fail")
		tr := waitTrace(t, ui, x.ID, "the failing subsegment arrives", func(tr *trace.Trace) bool { return find(tr, "charge-card") != nil })
		stage, fn := byOrigin(tr, "AWS::ApiGateway::Stage")[0], byOrigin(tr, "AWS::Lambda::Function")[0]
		if stage.Status() != trace.StatusFault || fn.Status() != trace.StatusFault {
			t.Errorf("a 502 from a failed function: stage %s, function %s, want both fault", stage.Status(), fn.Status())
		}
		// aws-lambda-go sends the error's cause in Lambda-Runtime-Function-Xray-Error-Cause.
		c := fn.DecodeCause()
		if c == nil || len(c.Exceptions) == 0 || !strings.Contains(c.Exceptions[0].Message, "payment failed: card declined") {
			t.Errorf("function cause: %s", fn.Cause)
		}
		cc := find(tr, "charge-card")
		if cc.Status() != trace.StatusFault || !strings.Contains(string(cc.Cause), "card declined") ||
			!strings.Contains(string(cc.Annotations), "c-42") {
			t.Errorf("charge-card: %s cause %s annotations %s", cc.Status(), cc.Cause, cc.Annotations)
		}
	})

	t.Run("OpenTelemetry spans over OTLP/HTTP", func(t *testing.T) {
		if code, _, body := fetch(t, api+"/otel"); code != 200 {
			t.Fatalf("GET /otel: %d %s", code, body)
		}
		x := waitStored(t, ui, "/otel")
		tr := waitTrace(t, ui, x.ID, "the spans arrive", func(tr *trace.Trace) bool { return find(tr, "inventory.example") != nil })
		got := rowsOf(tr)
		for _, want := range []string{"  Invocation|ok\n   OtelFn|ok\n", "    DynamoDB|ok\n", "    inventory.example|fault\n"} {
			if !strings.Contains(got, want) {
				t.Errorf("waterfall lacks %q:\n%s", want, got)
			}
		}
		fn := byOrigin(tr, "AWS::Lambda::Function")[0]
		if !strings.Contains(string(fn.Metadata), `"sampled":false`) {
			t.Errorf("a PassThrough function behind an HTTP API is not sampled: %s", fn.Metadata)
		}
		if len(byOrigin(tr, "AWS::ApiGateway::Stage")) != 0 {
			t.Error("an HTTP API has a stage segment: X-Ray does not trace HTTP APIs")
		}
		if inv := find(tr, "inventory.example"); !strings.Contains(string(inv.Cause), "inventory unavailable") {
			t.Errorf("exception event not a cause: %s", inv.Cause)
		}
	})

	t.Run("a function invoking another through the Invoke API continues the trace", func(t *testing.T) {
		if code, _, body := fetch(t, api+"/Prod/call"); code != 200 || !strings.Contains(body, "go traced") {
			t.Fatalf("GET /Prod/call: %d %s", code, body)
		}
		x := waitStored(t, ui, "/Prod/call")
		tr := waitTrace(t, ui, x.ID, "the callee's segments join the trace", func(tr *trace.Trace) bool {
			return len(byOrigin(tr, "AWS::Lambda::Function")) == 2 && find(tr, "orders-db") != nil
		})
		got := rowsOf(tr)
		// The SDK's Lambda call (namespace aws) contains the callee's Lambda segment.
		if !strings.Contains(got, "     Lambda|ok\n      GoTraced|ok\n       GoTraced|ok\n") {
			t.Errorf("callee not nested under the caller's SDK call:\n%s", got)
		}
		callee := waitStored(t, ui, "/2015-03-31/functions/GoTraced/invocations")
		if trace.RootFromHeaderID(callee.TraceID) != tr.TraceID {
			t.Errorf("the Invoke API exchange has trace %s, want %s", callee.TraceID, tr.TraceID)
		}
	})

	clientRequests := 4 // /Prod/go, /Prod/go/fail, /otel, /Prod/call; /node when it runs
	t.Run("Node.js X-Ray SDK", func(t *testing.T) {
		if _, err := os.Stat("testdata/traced/nodefn/node_modules/aws-xray-sdk-core"); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("aws-xray-sdk-core is not installed (.ci/run runs npm ci in testdata/traced/nodefn): %v", err)
			}
			t.Skip("run npm ci in cmd/gatescope/testdata/traced/nodefn to test the Node.js X-Ray SDK")
		}
		testenv.Need(t, "node")
		clientRequests++
		if code, _, body := fetch(t, api+"/node"); code != 200 {
			t.Fatalf("GET /node: %d %s", code, body)
		}
		x := waitStored(t, ui, "/node")
		tr := waitTrace(t, ui, x.ID, "the subsegments arrive", func(tr *trace.Trace) bool { return find(tr, "billing.example") != nil })
		want := "  Invocation|ok\n   render-invoice|ok\n    billing.example|throttle\n"
		if got := rowsOf(tr); !strings.Contains(got, want) {
			t.Errorf("waterfall:\n%s\nwant it to hold\n%s", got, want)
		}
		if ri := find(tr, "render-invoice"); !strings.Contains(string(ri.Annotations), `"lang":"node"`) {
			t.Errorf("annotations: %s", ri.Annotations)
		}
	})

	t.Run("service map", func(t *testing.T) {
		var m struct {
			Nodes []trace.MapNode
			Edges []trace.MapEdge
		}
		getJSONInto(t, ui+"/api/map?session=traces", &m)
		nodes := map[string]trace.MapNode{}
		for _, n := range m.Nodes {
			nodes[n.Key] = n
		}
		for _, k := range []string{"client", "api:Shop", "api:ServerlessHttpApi", "fn:GoTraced", "fn:OtelFn",
			"remote:orders-db", "aws:DynamoDB", "remote:inventory.example"} {
			if _, ok := nodes[k]; !ok {
				t.Errorf("no node %s in %v", k, m.Nodes)
			}
		}
		if n := nodes["fn:GoTraced"]; n.Faults < 1 || n.Count < 4 || n.P99Ms < n.P50Ms {
			t.Errorf("GoTraced node: %+v", n)
		}
		// GoTraced called through the Invoke API by itself (/call) is part
		// of its caller's trace, not a request of the client's.
		if n := nodes["client"]; n.Count != clientRequests {
			t.Errorf("client made %d requests, want %d (the Invoke API call was a function's)", n.Count, clientRequests)
		}
		edges := map[string]trace.MapEdge{}
		for _, e := range m.Edges {
			edges[e.From+">"+e.To] = e
		}
		for _, k := range []string{"client>api:Shop", "api:Shop>fn:GoTraced", "fn:OtelFn>aws:DynamoDB", "fn:GoTraced>remote:orders-db"} {
			if _, ok := edges[k]; !ok {
				t.Errorf("no edge %s in %v", k, m.Edges)
			}
		}
		// The node filter lists the exchanges whose trace reached it.
		var res struct{ Exchanges []map[string]any }
		getJSONInto(t, ui+"/api/exchanges?node=aws:DynamoDB", &res)
		if len(res.Exchanges) != 1 {
			t.Errorf("node=aws:DynamoDB lists %d exchanges, want the /otel one", len(res.Exchanges))
		}
	})

	t.Run("exports", func(t *testing.T) {
		x := waitStored(t, ui, "/Prod/go")
		code, h, body := fetch(t, ui+"/api/exchanges/"+x.ID+"/trace?format=otlp")
		if code != 200 || !strings.Contains(h.Get("Content-Disposition"), ".otlp.json") {
			t.Fatalf("OTLP export: %d %v", code, h)
		}
		docs, err := trace.DecodeOTLP([]byte(body), true)
		if err != nil || len(docs) < 8 {
			t.Errorf("OTLP export reads back as %d spans, %v", len(docs), err)
		}
		var xr trace.XRayExport
		_, _, body = fetch(t, ui+"/api/exchanges/"+x.ID+"/trace?format=xray")
		if err := json.Unmarshal([]byte(body), &xr); err != nil || len(xr.Traces) != 1 || len(xr.Traces[0].Segments) != 3 {
			t.Errorf("X-Ray export: %v %s", err, body)
		}
	})
}

// TestBrowserTraceAndMap draws real traces: the inspector's waterfall of a
// failed REST request (nesting, colours, the cause on click, log ticks)
// and the service map, whose node opens the list filtered to it.
func TestBrowserTraceAndMap(t *testing.T) {
	_, api, ui := startTracedApp(t)
	for _, p := range []string{"/Prod/go", "/Prod/go/fail", "/otel", "/Prod/call", "/Prod/go/fail", "/slow"} {
		fetch(t, api+p)
	}
	slow := waitStored(t, ui, "/slow")
	x := waitStored(t, ui, "/Prod/go/fail")
	waitTrace(t, ui, x.ID, "the failing subsegment arrives", func(tr *trace.Trace) bool { return find(tr, "charge-card") != nil })
	otel := waitStored(t, ui, "/otel")
	waitTrace(t, ui, otel.ID, "the spans arrive", func(tr *trace.Trace) bool { return find(tr, "inventory.example") != nil })
	call := waitStored(t, ui, "/Prod/call")
	waitTrace(t, ui, call.ID, "the callee arrives", func(tr *trace.Trace) bool { return find(tr, "orders-db") != nil })

	tab := testenv.Browser(t, chromedp.WindowSize(1400, 1000))
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab, 15*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	run("open the failed exchange's trace", chromedp.Navigate(ui+"/exchanges/"+x.ID+"#trace"))
	testenv.WaitJS(t, tab, "the waterfall", `document.querySelectorAll('[data-testid=trace-row]').length >= 7`)
	rows, err := chromedp.Run(tab, chromedp.Evaluate[[]map[string]string](`[...document.querySelectorAll('[data-testid=trace-row]')].map(r => ({name: r.dataset.name, depth: r.dataset.depth, status: r.dataset.status, visible: String(r.offsetParent !== null)}))`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r["depth"]+" "+r["name"]+" "+r["status"])
		if r["visible"] != "true" {
			t.Errorf("row %s is not visible", r["name"])
		}
	}
	for _, want := range []string{"0 Shop/Prod fault", "2 GoTraced ok", "3 GoTraced fault", "4 Invocation fault", "5 charge-card fault"} {
		if !slices.Contains(got, want) {
			t.Errorf("waterfall lacks %q: %q", want, got)
		}
	}
	color, err := chromedp.Run(tab, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('[data-testid=trace-row][data-name="charge-card"] .tbar')).backgroundColor`))
	if err != nil || color != "rgb(207, 34, 46)" {
		t.Errorf("a fault's bar is %q (%v), want X-Ray's red", color, err)
	}
	run("open charge-card", chromedp.Click(chromedp.CSS(`[data-testid=trace-row][data-name="charge-card"] summary`)))
	testenv.WaitJS(t, tab, "its exception and annotation", `(() => { const r = document.querySelector('[data-testid=trace-row][data-name="charge-card"]');
		return r.open && r.querySelector('[data-testid=trace-exception]').innerText.includes('card declined') && r.querySelector('[data-testid=trace-annotations]').innerText.includes('c-42'); })()`)
	testenv.WaitJS(t, tab, "log lines as ticks", `[...document.querySelectorAll('[data-testid=trace-log-tick]')].some(l => l.title.includes('ERROR the card was declined') && l.classList.contains('err'))`)
	screenshot(t, tab, "trace-fault.png")

	run("a timed-out function", chromedp.Navigate(ui+"/exchanges/"+slow.ID+"#trace"))
	testenv.WaitJS(t, tab, "the timeout marker at the function's end", `(() => {
		const m = document.querySelector('[data-testid=trace-timeout]');
		const fn = [...document.querySelectorAll('[data-testid=trace-row]')].find(r => r.dataset.name === 'Slow' && r.dataset.status === 'fault');
		return m && fn && m.title.includes('times out 1.00 s after');
	})()`)
	screenshot(t, tab, "trace-timeout.png")

	run("the OpenTelemetry trace", chromedp.Navigate(ui+"/exchanges/"+otel.ID+"#trace"))
	testenv.WaitJS(t, tab, "the spans drawn", `[...document.querySelectorAll('[data-testid=trace-row]')].some(r => r.dataset.name === 'inventory.example' && r.dataset.status === 'fault')`)
	run("open the HTTP call", chromedp.Click(chromedp.CSS(`[data-testid=trace-row][data-name="inventory.example"] summary`)))
	testenv.WaitJS(t, tab, "its HTTP details", `document.querySelector('[data-testid=trace-row][data-name="inventory.example"] [data-testid=trace-http]').innerText.includes('https://inventory.example/stock/7')`)
	screenshot(t, tab, "trace-otel.png")

	run("a function calling a function", chromedp.Navigate(ui+"/exchanges/"+call.ID+"#trace"))
	testenv.WaitJS(t, tab, "the callee nested", `document.querySelectorAll('[data-testid=trace-row][data-name="GoTraced"]').length === 4`)
	screenshot(t, tab, "trace-call.png")

	run("the service map", chromedp.Navigate(ui+"/map?session=traces"))
	testenv.WaitJS(t, tab, "the map's nodes", `document.querySelectorAll('[data-testid=map-node]').length >= 6`)
	status, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.querySelector('[data-testid=map-node][data-key="fn:GoTraced"]').dataset.status`))
	if err != nil || status != "fault" {
		t.Errorf("GoTraced node status %q (%v), want fault", status, err)
	}
	screenshot(t, tab, "service-map.png")
	run("click DynamoDB", chromedp.Click(chromedp.CSS(`[data-testid=map-node][data-key="aws:DynamoDB"]`)))
	testenv.WaitJS(t, tab, "the list filtered to the node", `location.pathname === '/' && location.search.includes('node=aws') && document.querySelectorAll('#rows tr[data-id]').length === 1`)
	screenshot(t, tab, "map-node-list.png")
}
