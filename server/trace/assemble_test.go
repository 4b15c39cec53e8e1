package trace

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func docBody(t *testing.T, datagram string) json.RawMessage {
	t.Helper()
	docs, err := ParseDatagram([]byte(datagram))
	if err != nil || len(docs) != 1 {
		t.Fatalf("parse: %v %v", docs, err)
	}
	return docs[0].Body
}

// lambdaTrace is gatescope's segments of one invoke whose function
// segment is the facade 53995c3f42cd8ad8.
func lambdaTrace() []json.RawMessage {
	t0 := time.Unix(1795978993, 0)
	inv := &Invocation{TraceID: "1-5759e988-bd862e3fe1be46a994272793", Caller: "aaaaaaaaaaaaaaaa", Sampled: true,
		ServiceID: "bbbbbbbbbbbbbbbb", FunctionID: "53995c3f42cd8ad8", Function: "fn",
		ARN: "arn:aws:lambda:us-east-1:123456789012:function:fn", Account: "123456789012", RequestID: "r",
		Start: t0, InitStart: t0.Add(time.Millisecond), InitEnd: t0.Add(100 * time.Millisecond),
		InvokeStart: t0.Add(100 * time.Millisecond), ResponseAt: t0.Add(200 * time.Millisecond),
		OverheadEnd: t0.Add(201 * time.Millisecond), End: t0.Add(202 * time.Millisecond), Timeout: 3 * time.Second}
	return Encode(LambdaSegments(inv))
}

func TestAssemble(t *testing.T) {
	inProgress := "{\"format\":\"json\",\"version\":1}\n" +
		`{"trace_id":"1-5759e988-bd862e3fe1be46a994272793","id":"ee0fec52cdc9824b","name":"work","start_time":1795978993.149,"in_progress":true,"type":"subsegment","parent_id":"53995c3f42cd8ad8"}`
	orphan := "{\"format\":\"json\",\"version\":1}\n" +
		`{"trace_id":"1-5759e988-bd862e3fe1be46a994272793","id":"cccccccccccccccc","name":"lost","start_time":1795978993.1,"end_time":1795978993.2,"type":"subsegment","parent_id":"dddddddddddddddd"}`
	docs := lambdaTrace()
	docs = append(docs, docBody(t, inProgress), docBody(t, nodeDatagram), docBody(t, goDatagram), docBody(t, orphan), json.RawMessage(`not json`))
	// A late in-progress copy never replaces the complete document.
	docs = append(docs, docBody(t, inProgress))

	tr := Assemble("1-5759e988-bd862e3fe1be46a994272793", docs)
	var names []string
	for _, s := range tr.Segments {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, ","); got != "fn,fn,lost" {
		t.Fatalf("top-level: %s", got)
	}
	fn := tr.Segments[1]
	if fn.Origin != "AWS::Lambda::Function" || len(fn.Subsegments) != 3 {
		t.Fatalf("function segment: %+v", fn)
	}
	inv := fn.Subsegments[1]
	if inv.Name != "Invocation" || len(inv.Subsegments) != 2 {
		t.Fatalf("Invocation holds %d subsegments, want 2: %+v", len(inv.Subsegments), inv)
	}
	work, ddb := inv.Subsegments[0], inv.Subsegments[1]
	if work.Name != "work" || work.InProgress || !work.Fault || len(work.Subsegments) != 1 || work.Subsegments[0].Name != "inner" {
		t.Errorf("work: %+v", work)
	}
	if string(work.Rest["Dummy"]) != "false" || string(work.Subsegments[0].Rest["Dummy"]) != "false" {
		t.Errorf("unknown keys lost: %v", work.Rest)
	}
	if ddb.Name != "DynamoDB" {
		t.Errorf("second: %+v", ddb)
	}
	if c := work.DecodeCause(); c == nil || c.Exceptions[0].Message != "boom" || c.Exceptions[0].Stack[0].Line != 12 {
		t.Errorf("cause: %s", work.Cause)
	}
	b, _ := json.Marshal(work)
	if !strings.Contains(string(b), `"Dummy":false`) {
		t.Errorf("re-encoded without Dummy: %s", b)
	}

	rows := tr.Rows()
	var got []string
	for _, r := range rows {
		got = append(got, strings.Repeat(" ", r.Depth)+r.Seg.Name)
	}
	want := "fn| fn|  Initialization|  Invocation|   work|    inner|   DynamoDB|  Overhead|lost"
	if strings.Join(got, "|") != want {
		t.Errorf("rows:\n%s\nwant\n%s", strings.Join(got, "|"), want)
	}
}

func TestAssembleCompleteReplacesInProgress(t *testing.T) {
	start := `{"trace_id":"1-a-b","id":"s1","name":"fn","start_time":1.5,"in_progress":true}`
	done := `{"trace_id":"1-a-b","id":"s1","name":"fn","start_time":1.5,"end_time":2.5}`
	tr := Assemble("1-a-b", []json.RawMessage{json.RawMessage(start), json.RawMessage(done)})
	if len(tr.Segments) != 1 || tr.Segments[0].InProgress || tr.Segments[0].EndTime != 2.5 {
		t.Errorf("got %+v", tr.Segments)
	}
	tr = Assemble("1-a-b", []json.RawMessage{json.RawMessage(start)})
	if len(tr.Segments) != 1 || !tr.Segments[0].InProgress {
		t.Errorf("in progress alone: %+v", tr.Segments)
	}
	// Subsegments that name each other as parents do not loop.
	a := `{"trace_id":"1-a-b","id":"a","name":"a","start_time":1,"end_time":2,"type":"subsegment","parent_id":"b"}`
	bb := `{"trace_id":"1-a-b","id":"b","name":"b","start_time":1,"end_time":2,"type":"subsegment","parent_id":"a"}`
	tr = Assemble("1-a-b", []json.RawMessage{json.RawMessage(a), json.RawMessage(bb)})
	if len(tr.Rows()) != 2 {
		t.Errorf("cycle: %d rows", len(tr.Rows()))
	}
}

func TestLambdaSegmentsShape(t *testing.T) {
	t0 := time.Unix(1795978993, 0)
	inv := &Invocation{TraceID: "1-5759e988-bd862e3fe1be46a994272793", ServiceID: "s", FunctionID: "f", Function: "fn",
		ARN: "arn", Start: t0, InvokeStart: t0, ResponseAt: t0.Add(time.Second), End: t0.Add(time.Second),
		FunctionError: true, Payload: []byte(`{"errorType":"TypeError","errorMessage":"x is undefined","trace":["TypeError: x","    at handler (/var/task/index.js:3:9)"]}`)}
	segs := LambdaSegments(inv)
	svc, fn := segs[0], segs[1]
	if svc.Origin != "AWS::Lambda" || svc.HTTP.Response.Status != 200 || svc.ParentID != "" || svc.Status() != StatusOK {
		t.Errorf("service: %+v", svc)
	}
	if fn.Origin != "AWS::Lambda::Function" || fn.ParentID != "s" || fn.Status() != StatusFault || len(fn.Subsegments) != 1 ||
		fn.Subsegments[0].Name != "Invocation" || !fn.Subsegments[0].Fault {
		t.Errorf("function: %+v", fn)
	}
	c := fn.DecodeCause()
	if c == nil || c.Exceptions[0].Type != "TypeError" || len(c.Exceptions[0].Stack) != 2 {
		t.Errorf("cause from payload: %s", fn.Cause)
	}
	inv.Cause = json.RawMessage(`{"working_directory":"/var/task","exceptions":[{"type":"E","message":"m"}],"paths":[]}`)
	if fn := LambdaSegments(inv)[1]; string(fn.Cause) != string(inv.Cause) {
		t.Errorf("the runtime's cause is not used as sent: %s", fn.Cause)
	}

	st := StageSegment(&Stage{TraceID: inv.TraceID, ID: "g", InvokeID: "c", APIID: "Api", Stage: "Prod", Region: "us-east-1",
		Account: "123456789012", Status: 502, Start: t0, End: t0.Add(time.Second), Function: "fn", FunctionARN: "arn",
		InvokeStart: t0, InvokeEnd: t0.Add(time.Second), InvokeStatus: 200})
	if st.Name != "Api/Prod" || st.Origin != "AWS::ApiGateway::Stage" || st.Status() != StatusFault ||
		st.ResourceARN != "arn:aws:apigateway:us-east-1::/restapis/Api/stages/Prod" || len(st.Subsegments) != 1 {
		t.Errorf("stage: %+v", st)
	}
	if call := st.Subsegments[0]; call.Name != "Lambda" || call.Namespace != "aws" || call.Status() != StatusOK ||
		!strings.Contains(call.HTTP.Request.URL, "/2015-03-31/functions/arn/invocations") {
		t.Errorf("Lambda call: %+v", call)
	}
	if !strings.Contains(string(st.Annotations), `"aws:api_stage":"Prod"`) {
		t.Errorf("annotations: %s", st.Annotations)
	}
	throttled := StageSegment(&Stage{ID: "g", Status: 500, InvokeStart: t0, InvokeEnd: t0, InvokeStatus: 429})
	if throttled.Subsegments[0].Status() != StatusThrottle {
		t.Errorf("throttled call: %+v", throttled.Subsegments[0])
	}
}

func TestExports(t *testing.T) {
	tr := Assemble("1-5759e988-bd862e3fe1be46a994272793", append(lambdaTrace(), docBody(t, goDatagram)))
	x := ExportXRay(tr)
	if len(x.Traces) != 1 || len(x.Traces[0].Segments) != 2 || x.Traces[0].Duration != 0.202 {
		t.Fatalf("xray export: %+v", x)
	}
	var doc Segment
	if err := json.Unmarshal([]byte(x.Traces[0].Segments[1].Document), &doc); err != nil || doc.Subsegments[1].Subsegments[0].Name != "work" {
		t.Errorf("document: %v %s", err, x.Traces[0].Segments[1].Document)
	}
	b, err := json.Marshal(ExportOTLP(tr))
	if err != nil {
		t.Fatal(err)
	}
	// What we export, an OTLP receiver (our own) reads back.
	docs, err := DecodeOTLP(b, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 7 {
		t.Errorf("round trip: %d spans, want 7 (2 segments, 3 Lambda subsegments, work, inner)", len(docs))
	}
	byID := map[string]Doc{}
	for _, d := range docs {
		byID[d.ID] = d
	}
	if d := byID["ee0fec52cdc9824b"]; d.TraceID != "1-5759e988-bd862e3fe1be46a994272793" || d.ParentID == "" {
		t.Errorf("work span: %+v", d)
	}
	if d := byID["a1b2c3d4e5f60718"]; d.ParentID != "ee0fec52cdc9824b" {
		t.Errorf("inner's parent is its embedding subsegment, not the facade: %+v", d)
	}
	if !strings.Contains(string(b), `"exception.message"`) {
		t.Error("cause not exported as an exception event")
	}
}

// BenchmarkOwnSegments is what gatescope's own segments cost each request:
// a REST stage's and Lambda's two, built and encoded.
func BenchmarkOwnSegments(b *testing.B) {
	t0 := time.Unix(1795978993, 0)
	inv := &Invocation{TraceID: "1-5759e988-bd862e3fe1be46a994272793", Caller: "aaaaaaaaaaaaaaaa", Sampled: true,
		ServiceID: "bbbbbbbbbbbbbbbb", FunctionID: "53995c3f42cd8ad8", Function: "fn",
		ARN: "arn:aws:lambda:us-east-1:123456789012:function:fn", Account: "123456789012", RequestID: "r",
		Start: t0, InvokeStart: t0.Add(100 * time.Millisecond), ResponseAt: t0.Add(200 * time.Millisecond),
		OverheadEnd: t0.Add(201 * time.Millisecond), End: t0.Add(202 * time.Millisecond), Timeout: 3 * time.Second}
	st := &Stage{TraceID: inv.TraceID, ID: "g", InvokeID: "c", APIID: "Api", Stage: "Prod", Region: "us-east-1",
		Account: "123456789012", Status: 200, Start: t0, End: t0.Add(time.Second), Function: "fn", FunctionARN: "arn",
		InvokeStart: t0, InvokeEnd: t0.Add(time.Second), InvokeStatus: 200, URL: "http://localhost:3000/Prod/x", Method: "GET"}
	b.ReportAllocs()
	for b.Loop() {
		Encode(append([]*Segment{StageSegment(st)}, LambdaSegments(inv)...))
	}
}
