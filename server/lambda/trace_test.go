package lambda

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/trace"
)

// TestTraceContext: the runtime gets the caller's root, the function
// segment as Parent, and Sampled as Lambda decides it; errors carry the
// runtime's cause; log reads are timed; functions find gatescope's daemon
// and OTLP receiver in their environment.
func TestTraceContext(t *testing.T) {
	pass := goFunction(t)
	active := goFunction(t)
	active.Name, active.FunctionName, active.Tracing = "Active", "active", config.TracingActive
	m := newManagerWith(t, Options{XRayDaemon: "127.0.0.1:2999", OTLPEndpoint: "http://127.0.0.1:3001",
		OTLPHeaders: "Authorization=Bearer%20tok"}, pass, active)
	const caller = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8"
	for _, tt := range []struct {
		fn, header string
		sampled    bool
	}{
		{"GoFn", "", false},                      // PassThrough, no decision: not sampled
		{"Active", "", true},                     // Active decides
		{"GoFn", caller + ";Sampled=1", true},    // the caller sampled
		{"Active", caller + ";Sampled=0", false}, // the caller decided not to
		{"Active", caller + ";Sampled=?", true},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		res, err := m.Invoke(ctx, tt.fn, Request{Payload: []byte(`{"env":true}`), TraceID: tt.header})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]string
		json.Unmarshal(res.Payload, &out)
		h := trace.ParseHeader(out["_X_AMZN_TRACE_ID"])
		tr := res.Trace
		want := trace.SampledNo
		if tt.sampled {
			want = trace.SampledYes
		}
		if tr == nil || h.Root != tr.TraceID || h.Parent != tr.FunctionID || h.Sampled != want || tr.Sampled != tt.sampled {
			t.Errorf("%s %q: runtime got %q, trace %+v; want Sampled=%s", tt.fn, tt.header, out["_X_AMZN_TRACE_ID"], tr, want)
			continue
		}
		if tt.header != "" && (tr.TraceID != "1-5759e988-bd862e3fe1be46a994272793" || tr.Caller != "53995c3f42cd8ad8") {
			t.Errorf("%s %q: the caller's root and parent not kept: %+v", tt.fn, tt.header, tr)
		}
		if !(tr.Start.Before(tr.InvokeStart) || tr.Start.Equal(tr.InvokeStart)) || tr.ResponseAt.Before(tr.InvokeStart) || tr.End.Before(tr.ResponseAt) {
			t.Errorf("times out of order: %+v", tr)
		}
	}

	// aws-lambda-go sends the error's cause; it becomes the function's.
	res := invoke(t, m, "GoFn", `{"fail":"card declined","print":"charging"}`)
	if res.Trace == nil || !res.Trace.FunctionError || !strings.Contains(string(res.Trace.Cause), "card declined") {
		t.Errorf("error cause: %+v", res.Trace)
	}
	// The output's reads are timed, at offsets where its lines are.
	found := false
	for _, lt := range res.LogTimes {
		if strings.HasPrefix(res.Log[lt.Offset:], "charging") && !lt.At.Before(res.Trace.InvokeStart) {
			found = true
		}
	}
	if !found {
		t.Errorf("no log time at the printed line: %+v in %q", res.LogTimes, res.Log)
	}

	env := m.environ(pass, command{})
	for _, kv := range []string{"AWS_XRAY_DAEMON_ADDRESS=127.0.0.1:2999", "_AWS_XRAY_DAEMON_ADDRESS=127.0.0.1",
		"_AWS_XRAY_DAEMON_PORT=2999", "AWS_XRAY_CONTEXT_MISSING=LOG_ERROR", "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:3001",
		"OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20tok"} {
		if !slices.Contains(env, kv) {
			t.Errorf("environment lacks %s", kv)
		}
	}
}
