package share

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/trace"
	"github.com/gatescope/gatescope/store"
)

// TestExportsCarryTheTrace: HAR and native exports carry each exchange's
// trace (gatescope's segments and the function's, redacted), and an import
// stores it, so the imported exchange has the same trace.
func TestExportsCarryTheTrace(t *testing.T) {
	const root = "1-5759e988-bd862e3fe1be46a994272793"
	for _, format := range []string{FormatHAR, FormatJSON} {
		t.Run(format, func(t *testing.T) {
			ctx := context.Background()
			src := openStore(t)
			at := time.Unix(1795978993, 0)
			x := &exchange.Exchange{ID: exchange.NewID(at), Session: "traced", StartedAt: at, TraceID: "Root=" + root,
				Request: exchange.HTTPRequest{Method: "GET", URL: "/go"}, Response: exchange.HTTPResponse{Status: 200},
				Outcome: exchange.OutcomeOK, Trace: &exchange.Trace{Segments: []json.RawMessage{
					json.RawMessage(`{"name":"fn","id":"53995c3f42cd8ad8","trace_id":"` + root + `","start_time":1795978993,"end_time":1795978994,"origin":"AWS::Lambda::Function","subsegments":[{"name":"Invocation","id":"aaaaaaaaaaaaaaaa","start_time":1795978993,"end_time":1795978994}]}`)}}}
			if err := src.InsertExchanges(ctx, []*exchange.Exchange{x}); err != nil {
				t.Fatal(err)
			}
			if err := src.InsertTraceDocs(ctx, []store.TraceDoc{{TraceID: root, ID: "bbbbbbbbbbbbbbbb", Source: "xray",
				Body: json.RawMessage(`{"name":"work","id":"bbbbbbbbbbbbbbbb","trace_id":"` + root + `","type":"subsegment","parent_id":"53995c3f42cd8ad8","start_time":1795978993.1,"end_time":1795978993.2,"annotations":{"api_token":"sk_live_abcdefghijklmnop"}}`)}}); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if _, err := Export(ctx, src, &buf, Selection{Session: "traced"}, ExportOptions{Format: format}); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(buf.String(), `"traceId": "`+root+`"`) || !strings.Contains(buf.String(), `work`) {
				t.Fatalf("export lacks the trace:\n%s", buf.String())
			}
			if strings.Contains(buf.String(), "sk_live_abcdefghijklmnop") {
				t.Error("a secret annotation was exported")
			}
			dst := openStore(t)
			res, err := Import(ctx, dst, bytes.NewReader(buf.Bytes()), ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			xs := stored(t, dst, res.Session.Name)
			et, err := dst.TraceOf(ctx, xs[0].ID)
			if err != nil || et.TraceID != root {
				t.Fatalf("imported trace id: %+v %v", et, err)
			}
			docs, err := dst.TraceDocs(ctx, root)
			if err != nil {
				t.Fatal(err)
			}
			tr := trace.Assemble(root, docs)
			rows := tr.Rows()
			if len(rows) != 3 || rows[2].Seg.Name != "work" || rows[2].Depth != 2 {
				t.Errorf("imported trace rows: %+v", rows)
			}
		})
	}
}
