package trace

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// DecodeOTLP reads an OTLP trace export (ExportTraceServiceRequest, as
// protobuf or as OTLP's JSON) and returns its spans as segment documents.
// TracesData has the request's wire format and field names and, unlike
// the collector package, pulls in no gRPC. OTLP's JSON writes ids in hex
// where protojson expects base64: they are converted first.
func DecodeOTLP(raw []byte, isJSON bool) ([]Doc, error) {
	var td tracepb.TracesData
	var err error
	if isJSON {
		err = protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(hexIDsToBase64(raw), &td)
	} else {
		err = proto.Unmarshal(raw, &td)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: OTLP spans: %v", ErrDocument, err)
	}
	return SpansToDocs(&td), nil
}

// idKey matches an id field of OTLP JSON with its hex value. Inside a JSON
// string a quote is escaped, so text that only mentions the key never
// matches.
var idKey = regexp.MustCompile(`"(traceId|spanId|parentSpanId|trace_id|span_id|parent_span_id)"(\s*:\s*)"([0-9a-fA-F]*)"`)

func hexIDsToBase64(raw []byte) []byte {
	return idKey.ReplaceAllFunc(raw, func(m []byte) []byte {
		sub := idKey.FindSubmatch(m)
		b, err := hex.DecodeString(string(sub[3]))
		if err != nil {
			return m
		}
		return []byte(`"` + string(sub[1]) + `"` + string(sub[2]) + `"` + base64.StdEncoding.EncodeToString(b) + `"`)
	})
}

// SpansToDocs converts spans to segment documents as X-Ray's OTLP
// ingestion does: a SERVER span (or a span without a parent) is a segment
// named by its service; any other span is a subsegment with its parent's
// id, in namespace aws for AWS SDK calls (named by the service, e.g.
// DynamoDB), remote for HTTP and database clients (named by the host).
// HTTP, SQL and exception events fill http, sql and cause; ERROR status
// is a fault (an error for 4xx, a throttle for 429). Attributes and the
// span kind stay in metadata.otel. Spans with invalid ids are skipped.
func SpansToDocs(td *tracepb.TracesData) []Doc {
	var docs []Doc
	for _, rs := range td.GetResourceSpans() {
		res := attrMap(rs.GetResource().GetAttributes())
		service, _ := res["service.name"].(string)
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				seg := spanSegment(sp, service, res)
				if seg == nil {
					continue
				}
				body, err := json.Marshal(seg)
				if err != nil {
					continue
				}
				d := Doc{TraceID: seg.TraceID, ID: seg.ID, ParentID: seg.ParentID, Source: SourceOTLP, Body: body}
				if k := DownstreamKey(seg); k != "" {
					d.Nodes = []string{k}
				}
				docs = append(docs, d)
			}
		}
	}
	return docs
}

func spanSegment(sp *tracepb.Span, service string, res map[string]any) *Segment {
	if len(sp.GetTraceId()) != 16 || len(sp.GetSpanId()) != 8 {
		return nil
	}
	seg := &Segment{
		Name:      sp.GetName(),
		ID:        hex.EncodeToString(sp.GetSpanId()),
		TraceID:   FromW3C(hex.EncodeToString(sp.GetTraceId())),
		StartTime: float64(sp.GetStartTimeUnixNano()) / 1e9,
		EndTime:   float64(sp.GetEndTimeUnixNano()) / 1e9,
	}
	if len(sp.GetParentSpanId()) == 8 {
		seg.ParentID = hex.EncodeToString(sp.GetParentSpanId())
	}
	attrs := attrMap(sp.GetAttributes())
	str := func(keys ...string) string {
		for _, k := range keys {
			if v, ok := attrs[k]; ok {
				return fmt.Sprint(v)
			}
		}
		return ""
	}
	kind := sp.GetKind()
	if kind == tracepb.Span_SPAN_KIND_SERVER || seg.ParentID == "" {
		if service != "" {
			seg.Name = service
		}
	} else {
		seg.Type = "subsegment"
	}
	if seg.Name == "" {
		seg.Name = "span"
	}

	// HTTP.
	method := str("http.request.method", "http.method")
	status, _ := strconv.Atoi(str("http.response.status_code", "http.status_code"))
	if method != "" || status != 0 {
		u := str("url.full", "http.url")
		if u == "" {
			if host := str("server.address", "net.peer.name", "http.host"); host != "" {
				u = "http://" + host + str("url.path", "http.target")
			}
		}
		seg.HTTP = &HTTP{Request: &HTTPRequest{Method: method, URL: u, UserAgent: str("user_agent.original", "http.user_agent"),
			ClientIP: str("client.address", "http.client_ip")}}
		if status != 0 {
			seg.HTTP.Response = &HTTPResponse{Status: status}
		}
	}
	switch {
	case str("rpc.system") == "aws-api":
		seg.Namespace = "aws"
		if svc := str("rpc.service"); svc != "" {
			seg.Name = svc
		}
		aws := map[string]any{"operation": str("rpc.method")}
		if r := str("cloud.region", "aws.region"); r != "" {
			aws["region"] = r
		}
		if id := str("aws.request_id", "aws.requestId"); id != "" {
			aws["request_id"] = id
		}
		if t, ok := attrs["aws.dynamodb.table_names"].([]any); ok && len(t) > 0 {
			aws["table_name"] = fmt.Sprint(t[0])
		}
		seg.AWS, _ = json.Marshal(aws)
	case str("db.system", "db.system.name") != "":
		seg.Namespace = "remote"
		q := map[string]any{"database_type": str("db.system", "db.system.name"),
			"sanitized_query": str("db.query.text", "db.statement")}
		if u := str("db.connection_string", "server.address"); u != "" {
			q["url"] = u
		}
		if u := str("db.user"); u != "" {
			q["user"] = u
		}
		seg.SQL, _ = json.Marshal(q)
		if n := str("db.namespace", "db.name"); n != "" {
			seg.Name = n
		}
	case seg.HTTP != nil && kind == tracepb.Span_SPAN_KIND_CLIENT:
		seg.Namespace = "remote"
		if u, err := url.Parse(seg.HTTP.Request.URL); err == nil && u.Host != "" {
			seg.Name = u.Hostname()
		}
	}

	// Status and exceptions.
	if sp.GetStatus().GetCode() == tracepb.Status_STATUS_CODE_ERROR || status >= 500 {
		switch {
		case status == 429:
			seg.Throttle, seg.Error = true, true
		case status >= 400 && status < 500:
			seg.Error = true
		default:
			seg.Fault = true
		}
	} else if status >= 400 {
		seg.Error = true
		seg.Throttle = status == 429
	}
	var cause Cause
	var events []map[string]any
	for _, ev := range sp.GetEvents() {
		ea := attrMap(ev.GetAttributes())
		if ev.GetName() == "exception" {
			e := Exception{ID: NewID(), Type: fmt.Sprint(orEmpty(ea["exception.type"])), Message: fmt.Sprint(orEmpty(ea["exception.message"]))}
			if st, ok := ea["exception.stacktrace"].(string); ok {
				for _, line := range strings.Split(strings.TrimSpace(st), "\n") {
					if line = strings.TrimSpace(line); line != "" && len(e.Stack) < 100 {
						e.Stack = append(e.Stack, StackFrame{Label: line})
					}
				}
			}
			cause.Exceptions = append(cause.Exceptions, e)
			continue
		}
		if len(events) < 50 {
			events = append(events, map[string]any{"name": ev.GetName(), "time": float64(ev.GetTimeUnixNano()) / 1e9, "attributes": ea})
		}
	}
	if len(cause.Exceptions) > 0 {
		seg.Cause, _ = json.Marshal(cause)
		if !seg.Error && !seg.Throttle {
			seg.Fault = true
		}
	}
	otel := map[string]any{"kind": kind.String(), "span_name": sp.GetName()}
	if len(attrs) > 0 {
		otel["attributes"] = attrs
	}
	if len(res) > 0 {
		otel["resource"] = res
	}
	if st := sp.GetStatus(); st != nil && st.GetCode() != tracepb.Status_STATUS_CODE_UNSET {
		otel["status"] = map[string]any{"code": st.GetCode().String(), "message": st.GetMessage()}
	}
	if len(events) > 0 {
		otel["events"] = events
	}
	seg.Metadata, _ = json.Marshal(map[string]any{"otel": otel})
	return seg
}

func orEmpty(v any) any {
	if v == nil {
		return ""
	}
	return v
}

func attrMap(kvs []*commonpb.KeyValue) map[string]any {
	if len(kvs) == 0 {
		return nil
	}
	m := make(map[string]any, len(kvs))
	for _, kv := range kvs {
		m[kv.GetKey()] = anyValue(kv.GetValue(), 0)
	}
	return m
}

func anyValue(v *commonpb.AnyValue, depth int) any {
	if v == nil || depth > 8 {
		return nil
	}
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_BoolValue:
		return x.BoolValue
	case *commonpb.AnyValue_IntValue:
		return x.IntValue
	case *commonpb.AnyValue_DoubleValue:
		return x.DoubleValue
	case *commonpb.AnyValue_BytesValue:
		return base64.StdEncoding.EncodeToString(x.BytesValue)
	case *commonpb.AnyValue_ArrayValue:
		out := make([]any, 0, len(x.ArrayValue.GetValues()))
		for _, e := range x.ArrayValue.GetValues() {
			out = append(out, anyValue(e, depth+1))
		}
		return out
	case *commonpb.AnyValue_KvlistValue:
		m := map[string]any{}
		for _, kv := range x.KvlistValue.GetValues() {
			m[kv.GetKey()] = anyValue(kv.GetValue(), depth+1)
		}
		return m
	}
	return nil
}
