package dashboard

import (
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/trace"
)

// TestTraceViewGatescopeSteps: steps no segment records — the authorizer
// and the wait for a free environment — are rows of the waterfall under the
// request, where the old timeline had them.
func TestTraceViewGatescopeSteps(t *testing.T) {
	x := &exchange.Exchange{ID: "x1", StartedAt: time.Unix(1700000000, 0), DurationMs: 100,
		API:        exchange.APIRef{ID: "Api", Type: "HTTP", Stage: "$default"},
		Request:    exchange.HTTPRequest{Method: "GET", URL: "/a"},
		Response:   exchange.HTTPResponse{Status: 403},
		Timings:    exchange.Timings{InvokeStartMs: 20, EnvWaitMs: 30},
		Authorizer: &exchange.Authorizer{Name: "Jwt", Decision: "deny", StartMs: 1, DurationMs: 4},
	}
	v := traceViewOf(x, &trace.Trace{}, nil)
	want := []struct{ name, status, start, took string }{
		{"Api/$default", "error", "0 ms", "100 ms"},
		{"Authorizer Jwt", "error", "1.0 ms", "4.0 ms"},
		{"Waiting for an environment (raise --max-environments)", "ok", "20 ms", "30 ms"},
	}
	if len(v.Rows) != len(want) {
		t.Fatalf("rows %+v", v.Rows)
	}
	for i, w := range want {
		r := v.Rows[i]
		if r.Name != w.name || r.Status != w.status || r.Start != w.start || r.Took != w.took || (i > 0 && r.Depth != 1) {
			t.Errorf("row %d = %+v, want %+v at depth 1", i, r, w)
		}
	}
}
