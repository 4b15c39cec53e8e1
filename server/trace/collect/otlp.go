package collect

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/gatescope/gatescope/server/trace"
	"google.golang.org/protobuf/encoding/protowire"
)

// ServeOTLP receives OTLP/HTTP trace exports (POST /v1/traces), as
// OpenTelemetry exporters send them with OTEL_EXPORTER_OTLP_ENDPOINT set:
// application/x-protobuf or application/json, optionally gzipped, answered
// in kind. Spans over the rate are dropped and reported as rejected in a
// partial success, which exporters log and do not retry.
func (c *Collector) ServeOTLP(w http.ResponseWriter, r *http.Request) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	isJSON := mt == "application/json"
	if !isJSON && mt != "application/x-protobuf" {
		c.invalid.Add(1)
		otlpError(w, false, http.StatusUnsupportedMediaType, "send OTLP traces as application/x-protobuf or application/json")
		return
	}
	var body io.Reader = r.Body
	switch r.Header.Get("Content-Encoding") {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			c.invalid.Add(1)
			otlpError(w, isJSON, http.StatusBadRequest, "the body is not gzip: "+err.Error())
			return
		}
		defer zr.Close()
		body = zr
	default:
		otlpError(w, isJSON, http.StatusUnsupportedMediaType, "Content-Encoding must be gzip or none")
		return
	}
	raw, err := io.ReadAll(io.LimitReader(body, c.opts.MaxBody+1))
	if err != nil {
		c.invalid.Add(1)
		otlpError(w, isJSON, http.StatusBadRequest, "reading the body: "+err.Error())
		return
	}
	if int64(len(raw)) > c.opts.MaxBody {
		c.invalid.Add(1)
		otlpError(w, isJSON, http.StatusRequestEntityTooLarge, fmt.Sprintf("an export may hold at most %d bytes", c.opts.MaxBody))
		return
	}
	docs, err := trace.DecodeOTLP(raw, isJSON)
	if err != nil {
		c.invalid.Add(1)
		otlpError(w, isJSON, http.StatusBadRequest, err.Error())
		return
	}
	took := 0
	if len(docs) > 0 && c.admit(len(docs)) {
		took = c.offer(docs)
	}
	rejected := len(docs) - took
	msg := ""
	if rejected > 0 {
		msg = fmt.Sprintf("gatescope dropped %d spans: more than it takes a second, or its queue was full", rejected)
	}
	if isJSON {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		if rejected == 0 {
			io.WriteString(w, "{}")
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"partialSuccess": map[string]any{
			"rejectedSpans": strconv.Itoa(rejected), "errorMessage": msg}})
		return
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
	if rejected > 0 {
		w.Write(partialSuccess(int64(rejected), msg))
	}
}

// partialSuccess encodes ExportTraceServiceResponse{partial_success:
// {rejected_spans, error_message}} by hand (the collector package would
// bring gRPC along).
func partialSuccess(rejected int64, msg string) []byte {
	var inner []byte
	inner = protowire.AppendTag(inner, 1, protowire.VarintType)
	inner = protowire.AppendVarint(inner, uint64(rejected))
	inner = protowire.AppendTag(inner, 2, protowire.BytesType)
	inner = protowire.AppendString(inner, msg)
	var out []byte
	out = protowire.AppendTag(out, 1, protowire.BytesType)
	return protowire.AppendBytes(out, inner)
}

// otlpError answers a refused export: a google.rpc.Status as OTLP asks
// ({"code","message"} in JSON; in protobuf, field 2 is the message).
func otlpError(w http.ResponseWriter, isJSON bool, status int, msg string) {
	if isJSON {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{"code": 3, "message": msg})
		return
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(status)
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.VarintType)
	b = protowire.AppendVarint(b, 3) // INVALID_ARGUMENT
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	b = protowire.AppendString(b, msg)
	w.Write(b)
}
