package trace

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// XRayExport is a trace as `aws xray batch-get-traces` prints it: each
// segment's document as a JSON string, subsegments embedded. X-Ray tools
// read this shape.
type XRayExport struct {
	Traces              []XRayTrace `json:"Traces"`
	UnprocessedTraceIds []string    `json:"UnprocessedTraceIds"`
}

// XRayTrace is one trace of an XRayExport.
type XRayTrace struct {
	ID            string        `json:"Id"`
	Duration      float64       `json:"Duration"`
	LimitExceeded bool          `json:"LimitExceeded"`
	Segments      []XRayDocItem `json:"Segments"`
}

// XRayDocItem is one segment of an XRayTrace.
type XRayDocItem struct {
	ID       string `json:"Id"`
	Document string `json:"Document"`
}

// ExportXRay returns t in BatchGetTraces' shape.
func ExportXRay(t *Trace) XRayExport {
	xt := XRayTrace{ID: t.TraceID, Segments: []XRayDocItem{}}
	first, last := math.Inf(1), math.Inf(-1)
	for _, s := range t.Segments {
		b, err := json.Marshal(s)
		if err != nil {
			continue
		}
		xt.Segments = append(xt.Segments, XRayDocItem{ID: s.ID, Document: string(b)})
		first = min(first, s.StartTime)
		last = max(last, s.EndTime)
	}
	if last > first {
		xt.Duration = math.Round((last-first)*1000) / 1000
	}
	return XRayExport{Traces: []XRayTrace{xt}, UnprocessedTraceIds: []string{}}
}

// OTLP JSON, written by hand: protojson would write ids in base64 where
// OTLP's JSON wants hex.
type (
	otlpExport struct {
		ResourceSpans []otlpResourceSpans `json:"resourceSpans"`
	}
	otlpResourceSpans struct {
		Resource   otlpResource     `json:"resource"`
		ScopeSpans []otlpScopeSpans `json:"scopeSpans"`
	}
	otlpResource struct {
		Attributes []otlpKV `json:"attributes"`
	}
	otlpScopeSpans struct {
		Scope otlpScope  `json:"scope"`
		Spans []otlpSpan `json:"spans"`
	}
	otlpScope struct {
		Name string `json:"name"`
	}
	otlpSpan struct {
		TraceID           string      `json:"traceId"`
		SpanID            string      `json:"spanId"`
		ParentSpanID      string      `json:"parentSpanId,omitempty"`
		Name              string      `json:"name"`
		Kind              int         `json:"kind"`
		StartTimeUnixNano string      `json:"startTimeUnixNano"`
		EndTimeUnixNano   string      `json:"endTimeUnixNano"`
		Attributes        []otlpKV    `json:"attributes,omitempty"`
		Events            []otlpEvent `json:"events,omitempty"`
		Status            otlpStatus  `json:"status"`
	}
	otlpEvent struct {
		TimeUnixNano string   `json:"timeUnixNano"`
		Name         string   `json:"name"`
		Attributes   []otlpKV `json:"attributes,omitempty"`
	}
	otlpStatus struct {
		Code    int    `json:"code,omitempty"`
		Message string `json:"message,omitempty"`
	}
	otlpKV struct {
		Key   string    `json:"key"`
		Value otlpValue `json:"value"`
	}
	otlpValue struct {
		StringValue *string `json:"stringValue,omitempty"`
		BoolValue   *bool   `json:"boolValue,omitempty"`
		IntValue    *string `json:"intValue,omitempty"`
	}
)

func strKV(k, v string) otlpKV { return otlpKV{Key: k, Value: otlpValue{StringValue: &v}} }
func intKV(k string, v int) otlpKV {
	s := strconv.Itoa(v)
	return otlpKV{Key: k, Value: otlpValue{IntValue: &s}}
}
func boolKV(k string, v bool) otlpKV { return otlpKV{Key: k, Value: otlpValue{BoolValue: &v}} }

// OTLP span kinds and status codes, as OTLP's JSON writes enums.
const (
	kindInternal = 1
	kindServer   = 2
	kindClient   = 3
	statusOK     = 1
	statusError  = 2
)

// ExportOTLP returns t as OTLP JSON (an ExportTraceServiceRequest), which
// OpenTelemetry viewers (Jaeger, otel-desktop-viewer) open: one resource
// per segment, named by its service; every (sub)segment a span whose
// parent is its embedding subsegment or its parent_id. http, aws, sql and
// annotations become attributes, a cause's exceptions exception events.
func ExportOTLP(t *Trace) any {
	traceID := W3C(t.TraceID)
	out := otlpExport{ResourceSpans: []otlpResourceSpans{}}
	for _, seg := range t.Segments {
		attrs := []otlpKV{strKV("service.name", seg.Name), strKV("cloud.provider", "aws")}
		if seg.Origin != "" {
			attrs = append(attrs, strKV("aws.xray.origin", seg.Origin))
		}
		rs := otlpResourceSpans{Resource: otlpResource{Attributes: attrs},
			ScopeSpans: []otlpScopeSpans{{Scope: otlpScope{Name: "gatescope"}}}}
		tid := traceID
		if tid == "" {
			tid = W3C(seg.TraceID)
		}
		seg.Walk(func(s, parent *Segment, depth int) {
			sp := otlpSpan{TraceID: tid, SpanID: s.ID, Name: s.Name, Kind: kindInternal,
				StartTimeUnixNano: nanos(s.StartTime), EndTimeUnixNano: nanos(s.EndTime)}
			switch {
			case parent != nil:
				sp.ParentSpanID = parent.ID
			default:
				sp.ParentSpanID = s.ParentID
			}
			switch {
			case depth == 0 && !s.IsSubsegment():
				sp.Kind = kindServer
			case s.Namespace == "aws" || s.Namespace == "remote":
				sp.Kind = kindClient
			}
			sp.Attributes, sp.Events = spanAttrs(s)
			switch s.Status() {
			case StatusOK:
				if s.EndTime > 0 {
					sp.Status = otlpStatus{}
				}
			default:
				sp.Status = otlpStatus{Code: statusError, Message: string(s.Status())}
			}
			rs.ScopeSpans[0].Spans = append(rs.ScopeSpans[0].Spans, sp)
		})
		out.ResourceSpans = append(out.ResourceSpans, rs)
	}
	return out
}

func nanos(sec float64) string {
	if sec <= 0 {
		return "0"
	}
	return strconv.FormatInt(Time(sec).UnixNano(), 10)
}

func spanAttrs(s *Segment) ([]otlpKV, []otlpEvent) {
	var a []otlpKV
	if s.Namespace != "" {
		a = append(a, strKV("aws.xray.namespace", s.Namespace))
	}
	if s.Origin != "" {
		a = append(a, strKV("aws.xray.origin", s.Origin))
	}
	if s.ResourceARN != "" {
		a = append(a, strKV("aws.resource.arn", s.ResourceARN))
	}
	if h := s.HTTP; h != nil {
		if r := h.Request; r != nil {
			if r.Method != "" {
				a = append(a, strKV("http.request.method", r.Method))
			}
			if r.URL != "" {
				a = append(a, strKV("url.full", r.URL))
			}
			if r.ClientIP != "" {
				a = append(a, strKV("client.address", r.ClientIP))
			}
			if r.UserAgent != "" {
				a = append(a, strKV("user_agent.original", r.UserAgent))
			}
		}
		if r := h.Response; r != nil && r.Status != 0 {
			a = append(a, intKV("http.response.status_code", r.Status))
		}
	}
	if s.InProgress {
		a = append(a, boolKV("aws.xray.in_progress", true))
	}
	flat := func(prefix string, raw json.RawMessage) {
		var m map[string]any
		if json.Unmarshal(raw, &m) != nil {
			return
		}
		for k, v := range m {
			switch v := v.(type) {
			case string:
				a = append(a, strKV(prefix+k, v))
			case bool:
				a = append(a, boolKV(prefix+k, v))
			default:
				b, _ := json.Marshal(v)
				a = append(a, strKV(prefix+k, string(b)))
			}
		}
	}
	flat("aws.", s.AWS)
	flat("annotations.", s.Annotations)
	var q map[string]any
	if json.Unmarshal(s.SQL, &q) == nil {
		if v, ok := q["sanitized_query"].(string); ok {
			a = append(a, strKV("db.query.text", v))
		}
		if v, ok := q["database_type"].(string); ok {
			a = append(a, strKV("db.system.name", v))
		}
		if v, ok := q["url"].(string); ok {
			a = append(a, strKV("server.address", v))
		}
	}
	sortKVs(a)
	var evs []otlpEvent
	if c := s.DecodeCause(); c != nil {
		for _, e := range c.Exceptions {
			stack := ""
			for _, f := range e.Stack {
				stack += f.Label
				if f.Path != "" {
					stack += fmt.Sprintf(" (%s:%d)", f.Path, f.Line)
				}
				stack += "\n"
			}
			ev := otlpEvent{TimeUnixNano: nanos(s.EndTime), Name: "exception",
				Attributes: []otlpKV{strKV("exception.type", e.Type), strKV("exception.message", e.Message)}}
			if stack != "" {
				ev.Attributes = append(ev.Attributes, strKV("exception.stacktrace", stack))
			}
			evs = append(evs, ev)
		}
	}
	return a, evs
}

func sortKVs(a []otlpKV) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j].Key < a[j-1].Key; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}
