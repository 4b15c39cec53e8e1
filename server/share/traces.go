package share

import (
	"context"
	"encoding/json"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/trace"
)

// TraceExport is one X-Ray trace in an export: its documents, subsegments
// nested, as GET /api/exchanges/{id}/trace serves them.
type TraceExport struct {
	TraceID  string            `json:"traceId"`
	Segments []json.RawMessage `json:"segments"`
}

// maxExportTraceDocs bounds the documents one export carries.
const maxExportTraceDocs = 100_000

// exportTraces reads the exchanges' traces, each once, and redacts their
// documents as JSON (secret keys, then secret shapes in every value).
// Values found in the exchanges are not echoed into them: the redactor
// forgets those after each exchange.
func exportTraces(ctx context.Context, st Exporter, xs []*exchange.Exchange, rd *Redactor) ([]TraceExport, error) {
	var roots []string
	seen := map[string]bool{}
	for _, x := range xs {
		if r := trace.RootFromHeaderID(x.TraceID); r != "" && !seen[r] {
			seen[r] = true
			roots = append(roots, r)
		}
	}
	if len(roots) == 0 {
		return nil, nil
	}
	docs, err := st.TraceDocsMany(ctx, roots)
	if err != nil {
		return nil, err
	}
	var out []TraceExport
	n := 0
	for _, r := range roots {
		if len(docs[r]) == 0 || n > maxExportTraceDocs {
			continue
		}
		t := trace.Assemble(r, docs[r])
		te := TraceExport{TraceID: r, Segments: []json.RawMessage{}}
		for _, b := range trace.Encode(t.Segments) {
			if red, ok := rd.doc(b); ok {
				b = red
			} else {
				b = []byte(rd.Text(string(b)))
			}
			te.Segments = append(te.Segments, b)
			n++
		}
		out = append(out, te)
	}
	return out, nil
}

// attachTraces gives each imported trace's documents to the first
// exchange that has it, to be stored beside it.
func attachTraces(xs []*exchange.Exchange, traces []TraceExport) {
	byRoot := map[string][]json.RawMessage{}
	for _, t := range traces {
		if t.TraceID != "" && len(t.Segments) > 0 {
			byRoot[t.TraceID] = t.Segments
		}
	}
	for _, x := range xs {
		r := trace.RootFromHeaderID(x.TraceID)
		if segs, ok := byRoot[r]; ok {
			x.Trace = &exchange.Trace{Segments: segs}
			delete(byRoot, r)
		}
	}
}
