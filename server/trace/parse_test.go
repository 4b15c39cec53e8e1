package trace

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-xray-sdk-go/header"
	"github.com/google/go-cmp/cmp"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// The spec's own datagram (integrations-tracing.md B, Go's output), its
// header as Go's SDK writes it.
const goDatagram = `{"format": "json", "version": 1}
{"trace_id":"1-5759e988-bd862e3fe1be46a994272793","id":"ee0fec52cdc9824b","name":"work","start_time":1795978993.1493165,"end_time":1795978993.1493194,"parent_id":"53995c3f42cd8ad8","fault":true,"cause":{"working_directory":"/var/task","exceptions":[{"id":"09bbd9c56420e46a","type":"errors.errorString","message":"boom","stack":[{"path":"main.go","line":12,"label":"main.handler"}]}]},"type":"subsegment","annotations":{"k":"v"},"subsegments":[{"id":"a1b2c3d4e5f60718","name":"inner","start_time":1795978993.1493170,"end_time":1795978993.1493190,"parent_id":"53995c3f42cd8ad8","Dummy":false}],"Dummy":false}`

// nodeDatagram is a subsegment as Node's SDK sends it: alone, header
// without spaces.
const nodeDatagram = `{"format":"json","version":1}
{"id":"0f1e2d3c4b5a6978","name":"DynamoDB","start_time":1795978993.15,"end_time":1795978993.16,"namespace":"aws","type":"subsegment","parent_id":"53995c3f42cd8ad8","trace_id":"1-5759e988-bd862e3fe1be46a994272793","aws":{"operation":"GetItem","table_name":"users"}}`

func TestParseDatagram(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Doc // Body not compared
		wantErr error
	}{
		{"Go SDK header, subsegment with an embedded child", goDatagram,
			[]Doc{{TraceID: "1-5759e988-bd862e3fe1be46a994272793", ID: "ee0fec52cdc9824b", ParentID: "53995c3f42cd8ad8", Source: SourceXRay}}, nil},
		{"Node SDK header, subsegment alone", nodeDatagram,
			[]Doc{{TraceID: "1-5759e988-bd862e3fe1be46a994272793", ID: "0f1e2d3c4b5a6978", ParentID: "53995c3f42cd8ad8", Source: SourceXRay,
				Nodes: []string{"aws:DynamoDB"}}}, nil},
		{"format in another case, trailing newline", "{\"version\":1,\"format\":\"JSON\"}\n{\"trace_id\":\"1-a-b\",\"id\":\"x1\",\"in_progress\":true}\n",
			[]Doc{{TraceID: "1-a-b", ID: "x1", InProgress: true, Source: SourceXRay}}, nil},
		{"no header line", `{"trace_id":"1-a-b","id":"x"}`, nil, ErrFraming},
		{"wrong version", "{\"format\":\"json\",\"version\":2}\n{\"trace_id\":\"1-a-b\",\"id\":\"x\"}", nil, ErrFraming},
		{"version as a string", "{\"format\":\"json\",\"version\":\"1\"}\n{\"trace_id\":\"1-a-b\",\"id\":\"x\"}", nil, ErrFraming},
		{"not JSON", "{\"format\":\"json\",\"version\":1}\nhello", nil, ErrDocument},
		{"no id", "{\"format\":\"json\",\"version\":1}\n{\"trace_id\":\"1-a-b\"}", nil, ErrDocument},
		{"unsampled OTLP", "{\"format\":\"json\",\"version\":1}\nT1U" + base64.StdEncoding.EncodeToString([]byte{1, 2}), nil, nil},
		{"metrics", "{\"format\":\"json\",\"version\":1}\nM1abc", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDatagram([]byte(tt.in))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			for i := range got {
				if !json.Valid(got[i].Body) {
					t.Errorf("doc %d body is not JSON: %s", i, got[i].Body)
				}
				got[i].Body = nil
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("docs (-want +got):\n%s", diff)
			}
		})
	}
}

// otlpRequest is a small ExportTraceServiceRequest: a function's server
// span under the Lambda facade, a DynamoDB call and a failing HTTP call.
func otlpRequest() *tracepb.TracesData {
	tid, _ := hex.DecodeString("5759e988bd862e3fe1be46a994272793")
	facade, _ := hex.DecodeString("53995c3f42cd8ad8")
	id := func(s string) []byte { b, _ := hex.DecodeString(s); return b }
	str := func(k, v string) *commonpb.KeyValue {
		return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
	}
	num := func(k string, v int64) *commonpb.KeyValue {
		return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: v}}}
	}
	const t0 = 1795978993_000_000_000
	return &tracepb.TracesData{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{str("service.name", "orders")}},
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{
			{TraceId: tid, SpanId: id("1111111111111111"), ParentSpanId: facade, Name: "orders", Kind: tracepb.Span_SPAN_KIND_SERVER,
				StartTimeUnixNano: t0, EndTimeUnixNano: t0 + 50e6},
			{TraceId: tid, SpanId: id("2222222222222222"), ParentSpanId: id("1111111111111111"), Name: "DynamoDB.GetItem",
				Kind: tracepb.Span_SPAN_KIND_CLIENT, StartTimeUnixNano: t0 + 1e6, EndTimeUnixNano: t0 + 9e6,
				Attributes: []*commonpb.KeyValue{str("rpc.system", "aws-api"), str("rpc.service", "DynamoDB"), str("rpc.method", "GetItem")}},
			{TraceId: tid, SpanId: id("3333333333333333"), ParentSpanId: id("1111111111111111"), Name: "GET",
				Kind: tracepb.Span_SPAN_KIND_CLIENT, StartTimeUnixNano: t0 + 10e6, EndTimeUnixNano: t0 + 40e6,
				Attributes: []*commonpb.KeyValue{str("http.request.method", "GET"), str("url.full", "https://api.example.com/v1/x"),
					num("http.response.status_code", 503)},
				Status: &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR},
				Events: []*tracepb.Span_Event{{Name: "exception", Attributes: []*commonpb.KeyValue{
					str("exception.type", "HTTPError"), str("exception.message", "503"), str("exception.stacktrace", "at a\nat b")}}}},
		}}},
	}}}
}

func TestOTLPOverUDP(t *testing.T) {
	raw, err := proto.Marshal(otlpRequest())
	if err != nil {
		t.Fatal(err)
	}
	dg := "{\"format\":\"json\",\"version\":1}\nT1S" + base64.StdEncoding.EncodeToString(raw)
	docs, err := ParseDatagram([]byte(dg))
	if err != nil {
		t.Fatal(err)
	}
	checkOTLPDocs(t, docs)
}

func TestOTLPJSON(t *testing.T) {
	// OTLP's JSON: hex ids, enums as integers, int64 as strings.
	const body = `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"orders"}}]},
"scopeSpans":[{"spans":[
{"traceId":"5759e988bd862e3fe1be46a994272793","spanId":"1111111111111111","parentSpanId":"53995c3f42cd8ad8","name":"orders","kind":2,"startTimeUnixNano":"1795978993000000000","endTimeUnixNano":"1795978993050000000"},
{"traceId":"5759E988BD862E3FE1BE46A994272793","spanId":"2222222222222222","parentSpanId":"1111111111111111","name":"DynamoDB.GetItem","kind":3,"startTimeUnixNano":"1795978993001000000","endTimeUnixNano":"1795978993009000000",
 "attributes":[{"key":"rpc.system","value":{"stringValue":"aws-api"}},{"key":"rpc.service","value":{"stringValue":"DynamoDB"}},{"key":"rpc.method","value":{"stringValue":"GetItem"}}]},
{"traceId":"5759e988bd862e3fe1be46a994272793","spanId":"3333333333333333","parentSpanId":"1111111111111111","name":"GET","kind":3,"startTimeUnixNano":"1795978993010000000","endTimeUnixNano":"1795978993040000000",
 "attributes":[{"key":"http.request.method","value":{"stringValue":"GET"}},{"key":"url.full","value":{"stringValue":"https://api.example.com/v1/x"}},{"key":"http.response.status_code","value":{"intValue":"503"}},
  {"key":"note","value":{"stringValue":"a \"traceId\":\"zz\" in text"}}],
 "status":{"code":2},"events":[{"name":"exception","attributes":[{"key":"exception.type","value":{"stringValue":"HTTPError"}},{"key":"exception.message","value":{"stringValue":"503"}},{"key":"exception.stacktrace","value":{"stringValue":"at a\nat b"}}]}]}
]}]}]}`
	docs, err := DecodeOTLP([]byte(body), true)
	if err != nil {
		t.Fatal(err)
	}
	checkOTLPDocs(t, docs)
}

func checkOTLPDocs(t *testing.T, docs []Doc) {
	t.Helper()
	if len(docs) != 3 {
		t.Fatalf("got %d docs, want 3", len(docs))
	}
	var segs []*Segment
	for _, d := range docs {
		if d.TraceID != "1-5759e988-bd862e3fe1be46a994272793" || d.Source != SourceOTLP {
			t.Errorf("doc %s: trace %q source %q", d.ID, d.TraceID, d.Source)
		}
		s := new(Segment)
		if err := json.Unmarshal(d.Body, s); err != nil {
			t.Fatal(err)
		}
		segs = append(segs, s)
	}
	fn, ddb, web := segs[0], segs[1], segs[2]
	if fn.Name != "orders" || fn.IsSubsegment() || fn.ParentID != "53995c3f42cd8ad8" || fn.StartTime != 1795978993 {
		t.Errorf("server span: %+v", fn)
	}
	if ddb.Name != "DynamoDB" || ddb.Namespace != "aws" || !ddb.IsSubsegment() || ddb.ParentID != "1111111111111111" ||
		!strings.Contains(string(ddb.AWS), `"operation":"GetItem"`) {
		t.Errorf("AWS call: %+v aws=%s", ddb, ddb.AWS)
	}
	if web.Name != "api.example.com" || web.Namespace != "remote" || !web.Fault || web.HTTP.Response.Status != 503 ||
		web.HTTP.Request.URL != "https://api.example.com/v1/x" {
		t.Errorf("HTTP call: %+v", web)
	}
	c := web.DecodeCause()
	if c == nil || len(c.Exceptions) != 1 || c.Exceptions[0].Type != "HTTPError" || len(c.Exceptions[0].Stack) != 2 {
		t.Errorf("HTTP call cause: %s", web.Cause)
	}
}

func TestOTLPRejectsGarbage(t *testing.T) {
	if _, err := DecodeOTLP([]byte("{not json"), true); !errors.Is(err, ErrDocument) {
		t.Errorf("JSON: err = %v", err)
	}
	if _, err := DecodeOTLP([]byte{0xff, 0xff, 0xff}, false); !errors.Is(err, ErrDocument) {
		t.Errorf("protobuf: err = %v", err)
	}
	if _, err := ParseDatagram([]byte("{\"format\":\"json\",\"version\":1}\nT1S!!!")); !errors.Is(err, ErrDocument) {
		t.Errorf("bad base64: err = %v", err)
	}
}

// TestHeaderMatchesSDK parses headers as aws-xray-sdk-go does.
func TestHeaderMatchesSDK(t *testing.T) {
	for _, in := range []string{
		"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
		"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0;Lineage=037bed70:0",
		" Root=1-5759e988-bd862e3fe1be46a994272793 ; Sampled=? ; Self=1-67891234-abcdef;Foo=bar",
		"Root=1-5759e988-bd862e3fe1be46a994272793",
		"Sampled=1",
	} {
		h := ParseHeader(in)
		sdk := header.FromString(in)
		if h.Root != sdk.TraceID || h.Parent != sdk.ParentID {
			t.Errorf("%q: root %q parent %q; SDK %q %q", in, h.Root, h.Parent, sdk.TraceID, sdk.ParentID)
		}
		want := SampledUnknown
		switch sdk.SamplingDecision {
		case header.Sampled:
			want = SampledYes
		case header.NotSampled:
			want = SampledNo
		}
		if h.Sampled != want {
			t.Errorf("%q: sampled %q, SDK %q", in, h.Sampled, sdk.SamplingDecision)
		}
		if strings.Contains(h.String(), "Self=") {
			t.Errorf("%q: Self kept: %s", in, h)
		}
	}
	h := ParseHeader("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;Lineage=037bed70:0")
	if got := h.String(); got != "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;Lineage=037bed70:0" {
		t.Errorf("round trip: %s", got)
	}
	if got := (Header{Root: "1-a-b"}).String(); got != "Root=1-a-b;Sampled=?" {
		t.Errorf("undecided: %s", got)
	}
	if W3C("1-5759e988-bd862e3fe1be46a994272793") != "5759e988bd862e3fe1be46a994272793" ||
		FromW3C("5759e988bd862e3fe1be46a994272793") != "1-5759e988-bd862e3fe1be46a994272793" || W3C("1-x") != "" {
		t.Error("W3C conversion")
	}
}

// FuzzScanHead: the daemon's key scanner files a document as a decoder
// reading the same exact keys would.
func FuzzScanHead(f *testing.F) {
	for _, s := range []string{goDatagram, nodeDatagram} {
		_, body, _ := strings.Cut(s, "\n")
		f.Add([]byte(body))
	}
	f.Add([]byte(`{"id":"a\"b","trace_id":"t","in_progress":true,"subsegments":[{"name":"x","namespace":"aws"},1,"s",{"subsegments":[]}]}`))
	f.Add([]byte(`{"id":1,"trace_id":["t"],"parent_id":null,"in_progress":"true"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		h, _, ok := scanHead(b)
		var top map[string]json.RawMessage
		if json.Unmarshal(b, &top) != nil {
			if ok {
				t.Fatalf("scanned a non-object: %s", b)
			}
			return
		}
		if !ok {
			t.Fatalf("an object did not scan: %s", b)
		}
		str := func(k string) string {
			var v string
			if json.Unmarshal(top[k], &v) != nil {
				return ""
			}
			return v
		}
		var ip bool
		_ = json.Unmarshal(top["in_progress"], &ip)
		want := docHead{TraceID: str("trace_id"), ID: str("id"), ParentID: str("parent_id"), InProgress: ip}
		if h != want {
			t.Fatalf("scanned %+v, decoded %+v: %s", h, want, b)
		}
	})
}
