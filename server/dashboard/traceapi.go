package dashboard

import (
	"context"
	"net/http"

	"github.com/gatescope/gatescope/server/httpio"
	"github.com/gatescope/gatescope/server/trace"
	"github.com/gatescope/gatescope/store"
)

// traceOf assembles an exchange's trace: gatescope's segments and what the
// functions sent, nested.
func (h *Handlers) traceOf(ctx context.Context, id string) (*trace.Trace, *store.ExchangeTrace, error) {
	et, err := h.opts.Store.TraceOf(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if et.TraceID == "" {
		return &trace.Trace{Segments: []*trace.Segment{}}, et, nil
	}
	docs, err := h.opts.Store.TraceDocs(ctx, et.TraceID)
	if err != nil {
		return nil, nil, err
	}
	return trace.Assemble(et.TraceID, docs), et, nil
}

// GetTrace serves GET /api/exchanges/{id}/trace: the exchange's X-Ray
// trace, {"traceId", "segments": [documents, subsegments nested]}, with
// gatescope's own API Gateway and Lambda segments and whatever the
// functions sent. ?format=xray downloads it as `aws xray batch-get-traces`
// prints it, ?format=otlp as OTLP JSON (for Jaeger and other OpenTelemetry
// viewers).
func (h *Handlers) GetTrace(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	t, _, err := h.traceOf(r.Context(), id)
	if err != nil {
		httpio.Error(h.log, w, r, err)
		return
	}
	switch f := r.URL.Query().Get("format"); f {
	case "":
		httpio.WriteJSON(w, http.StatusOK, t)
	case "xray", "otlp":
		w.Header().Set("Content-Disposition", `attachment; filename="trace-`+safeName(id)+`.`+f+`.json"`)
		if f == "xray" {
			httpio.WriteJSON(w, http.StatusOK, trace.ExportXRay(t))
		} else {
			httpio.WriteJSON(w, http.StatusOK, trace.ExportOTLP(t))
		}
	default:
		httpio.Error(h.log, w, r, httpio.BadRequest("format must be xray or otlp (or absent)"))
	}
}

// safeName keeps the letters and digits of an id for a file name.
func safeName(s string) string {
	b := []byte(s)
	n := 0
	for _, c := range b {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' {
			b[n] = c
			n++
		}
	}
	return string(b[:n])
}
