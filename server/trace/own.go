package trace

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Invocation is what the Lambda service did for one invoke, as its
// segments record it. server/lambda fills it in.
type Invocation struct {
	TraceID string // the trace's root id, "1-…"
	// Caller is the parent_id of the AWS::Lambda segment: the subsegment
	// that called (API Gateway's Lambda call, an SDK's Invoke); "" if none.
	Caller string
	// Sampled says the runtime was told Sampled=1, so a traced function
	// sends its own segments.
	Sampled bool
	// ServiceID and FunctionID are the AWS::Lambda and AWS::Lambda::Function
	// segments' ids; FunctionID is the Parent the runtime got.
	ServiceID, FunctionID string

	Function, ARN, Account, Region string
	RequestID                      string
	// Start and End bound the service's part: invoke received, answered.
	Start, End time.Time
	// InitStart and InitEnd bound a cold start's init; zero when warm.
	InitStart, InitEnd time.Time
	// InvokeStart is when the runtime got the event, ResponseAt when it
	// answered, OverheadEnd when the environment was ready again (its next
	// poll, or gatescope's end of the invoke when that came first).
	InvokeStart, ResponseAt, OverheadEnd time.Time
	Timeout                              time.Duration

	// FunctionError is Lambda's X-Amz-Function-Error: the handler failed,
	// timed out or its runtime exited. Payload is the error's JSON and Cause
	// the runtime's Lambda-Runtime-Function-Xray-Error-Cause, when it sent one.
	FunctionError bool
	Payload       []byte
	Cause         json.RawMessage
	// InitFailed says the failure was in init.
	InitFailed bool
}

// LambdaSegments returns the two segments Lambda records for a sampled
// invoke: the service's (AWS::Lambda) and the function's
// (AWS::Lambda::Function) with Initialization (cold start), Invocation
// (the handler) and Overhead (after the response) subsegments. A function
// error makes the function segment a fault with its cause; gatescope's
// own facts (timeout, cold) go in metadata.gatescope.
func LambdaSegments(inv *Invocation) []*Segment {
	if inv == nil || inv.ServiceID == "" {
		return nil
	}
	arn := inv.ARN
	svc := &Segment{
		Name: inv.Function, ID: inv.ServiceID, TraceID: inv.TraceID, ParentID: inv.Caller,
		StartTime: Seconds(inv.Start), EndTime: Seconds(inv.End),
		Origin: "AWS::Lambda", ResourceARN: arn,
		HTTP: &HTTP{Response: &HTTPResponse{Status: 200}},
		AWS:  lambdaAWS{RequestID: inv.RequestID}.json(),
	}
	fnStart := inv.InvokeStart
	if !inv.InitStart.IsZero() {
		fnStart = inv.InitStart
	}
	end := inv.OverheadEnd
	if end.IsZero() {
		end = inv.ResponseAt
	}
	fn := &Segment{
		Name: inv.Function, ID: inv.FunctionID, TraceID: inv.TraceID, ParentID: inv.ServiceID,
		StartTime: Seconds(fnStart), EndTime: Seconds(end),
		Origin: "AWS::Lambda::Function", ResourceARN: arn,
		AWS: lambdaAWS{AccountID: inv.Account, FunctionARN: arn, ResourceName: inv.Function}.json(),
	}
	var meta gatescopeMeta
	meta.Gatescope.TimeoutMs, meta.Gatescope.Cold, meta.Gatescope.Sampled = inv.Timeout.Milliseconds(), !inv.InitStart.IsZero(), inv.Sampled
	fn.Metadata = meta.json()
	arnOnly := lambdaAWS{FunctionARN: arn}.json()
	if !inv.InitStart.IsZero() {
		fn.Subsegments = append(fn.Subsegments, &Segment{Name: "Initialization", ID: NewID(),
			StartTime: Seconds(inv.InitStart), EndTime: Seconds(inv.InitEnd), Fault: inv.InitFailed, AWS: arnOnly})
	}
	if !inv.InvokeStart.IsZero() {
		fn.Subsegments = append(fn.Subsegments, &Segment{Name: "Invocation", ID: NewID(),
			StartTime: Seconds(inv.InvokeStart), EndTime: Seconds(inv.ResponseAt), Fault: inv.FunctionError && !inv.InitFailed,
			AWS: lambdaAWS{FunctionARN: arn, ResourceName: inv.Function}.json()})
		if !inv.OverheadEnd.IsZero() && inv.OverheadEnd.After(inv.ResponseAt) {
			fn.Subsegments = append(fn.Subsegments, &Segment{Name: "Overhead", ID: NewID(),
				StartTime: Seconds(inv.ResponseAt), EndTime: Seconds(inv.OverheadEnd), AWS: arnOnly})
		}
	}
	if inv.FunctionError {
		fn.Fault = true
		fn.Cause = inv.Cause
		if len(fn.Cause) == 0 {
			fn.Cause = causeFromPayload(inv.Payload)
		}
	}
	return []*Segment{svc, fn}
}

// lambdaAWS is the aws object of Lambda's segments. Every invoke makes
// four, so they are encoded by hand (json.Marshal was 1 % of the CPU
// of a gateway under load): fields in this order, empty ones left out.
type lambdaAWS struct {
	AccountID    string // account_id
	FunctionARN  string // function_arn
	ResourceName string // resource_names, a list of this one name
	RequestID    string // request_id
}

func (a lambdaAWS) json() json.RawMessage {
	b := make([]byte, 0, 64+len(a.AccountID)+len(a.FunctionARN)+len(a.ResourceName)+len(a.RequestID))
	b = append(b, '{')
	field := func(key, v string) {
		if v == "" {
			return
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(b, key...)
		b = appendString(b, v)
	}
	field(`"account_id":`, a.AccountID)
	field(`"function_arn":`, a.FunctionARN)
	if a.ResourceName != "" {
		field(`"resource_names":[`, a.ResourceName)
		b = append(b, ']')
	}
	field(`"request_id":`, a.RequestID)
	return append(b, '}')
}

// gatescopeMeta is gatescope's own namespace in a function segment's
// metadata: what it knows that X-Ray's documents have no field for.
type gatescopeMeta struct {
	Gatescope struct {
		TimeoutMs int64 `json:"timeout_ms"`
		Cold      bool  `json:"cold"`
		Sampled   bool  `json:"sampled"`
	} `json:"gatescope"`
}

// json encodes m as json.Marshal would, by hand (see lambdaAWS).
func (m gatescopeMeta) json() json.RawMessage {
	b := make([]byte, 0, 72)
	b = append(b, `{"gatescope":{"timeout_ms":`...)
	b = strconv.AppendInt(b, m.Gatescope.TimeoutMs, 10)
	b = append(b, `,"cold":`...)
	b = strconv.AppendBool(b, m.Gatescope.Cold)
	b = append(b, `,"sampled":`...)
	b = strconv.AppendBool(b, m.Gatescope.Sampled)
	return append(b, `}}`...)
}

// causeFromPayload makes a cause of a function error's JSON, for runtimes
// that send no error-cause header (and Lambda's own errors: timeouts,
// exits): the error's type, message and stack.
func causeFromPayload(p []byte) json.RawMessage {
	var fe struct {
		Type    string          `json:"errorType"`
		Message string          `json:"errorMessage"`
		Stack   json.RawMessage `json:"stackTrace"`
		Trace   []string        `json:"trace"`
	}
	_ = json.Unmarshal(p, &fe)
	e := Exception{ID: NewID(), Type: fe.Type, Message: fe.Message}
	var lines []string
	var frames []StackFrame
	switch {
	case json.Unmarshal(fe.Stack, &lines) == nil && len(lines) > 0:
	case json.Unmarshal(fe.Stack, &frames) == nil && len(frames) > 0:
		e.Stack = frames // aws-lambda-go's panics: {path, line, label}
	default:
		lines = fe.Trace // Node.js
	}
	for _, l := range lines {
		if len(e.Stack) == 100 {
			break
		}
		e.Stack = append(e.Stack, StackFrame{Label: l})
	}
	if e.Type == "" && e.Message == "" {
		e.Message = "the function failed"
	}
	return mustJSON(Cause{Exceptions: []Exception{e}})
}

// Stage is what a REST API stage did for one request, as its segment
// records it. HTTP APIs are not traced by X-Ray and have none.
type Stage struct {
	TraceID string
	// ID is the stage segment's id, InvokeID its Lambda subsegment's (the
	// Parent Lambda got).
	ID, InvokeID string
	Sampled      bool // the stage has TracingEnabled

	APIID, Stage, Account, Region string
	RequestID, ExtendedRequestID  string
	Method, URL, ClientIP, UA     string
	XForwardedFor                 bool
	Status, ContentLength         int
	Start, End                    time.Time

	// The Lambda call, when there was one (InvokeStart not zero).
	Function, FunctionARN  string
	InvokeStart, InvokeEnd time.Time
	// InvokeStatus is Lambda's answer (200, even for a function error;
	// 429 throttled); 0 when none came (integration timeout, failure).
	InvokeStatus int
}

// StageSegment returns API Gateway's segment of a REST API stage (doc:
// apigateway-understanding-xray-traces), with its Lambda subsegment.
func StageSegment(st *Stage) *Segment {
	seg := &Segment{
		Name: st.APIID + "/" + st.Stage, ID: st.ID, TraceID: st.TraceID,
		StartTime: Seconds(st.Start), EndTime: Seconds(st.End),
		Origin:      "AWS::ApiGateway::Stage",
		ResourceARN: fmt.Sprintf("arn:aws:apigateway:%s::/restapis/%s/stages/%s", st.Region, st.APIID, st.Stage),
		HTTP: &HTTP{
			Request:  &HTTPRequest{Method: st.Method, URL: st.URL, ClientIP: st.ClientIP, UserAgent: st.UA, XForwardedFor: st.XForwardedFor},
			Response: &HTTPResponse{Status: st.Status, ContentLength: mustJSON(st.ContentLength)},
		},
	}
	var aws stageAWS
	aws.XRay.SamplingRuleName = "Default"
	aws.APIGateway.AccountID, aws.APIGateway.RestAPIID, aws.APIGateway.Stage, aws.APIGateway.RequestID = st.Account, st.APIID, st.Stage, st.RequestID
	seg.AWS = mustJSON(aws)
	seg.Annotations = mustJSON(stageAnnotations{APIID: st.APIID, Stage: st.Stage})
	var meta stageMeta
	meta.Default.ExtendedRequestID, meta.Default.RequestID = st.ExtendedRequestID, st.RequestID
	seg.Metadata = mustJSON(meta)
	setHTTPStatus(seg, st.Status)
	if !st.InvokeStart.IsZero() {
		call := &Segment{
			Name: "Lambda", ID: st.InvokeID, Namespace: "aws",
			StartTime: Seconds(st.InvokeStart), EndTime: Seconds(st.InvokeEnd),
			HTTP: &HTTP{Request: &HTTPRequest{Method: "POST",
				URL: fmt.Sprintf("https://lambda.%s.amazonaws.com/2015-03-31/functions/%s/invocations", st.Region, st.FunctionARN)}},
			AWS: mustJSON(callAWS{FunctionName: st.Function, Region: st.Region, Operation: "Invoke", ResourceNames: []string{st.Function}}),
		}
		if st.InvokeStatus != 0 {
			call.HTTP.Response = &HTTPResponse{Status: st.InvokeStatus}
			setHTTPStatus(call, st.InvokeStatus)
		} else {
			call.Fault = true // no answer: the integration timed out or failed
		}
		seg.Subsegments = []*Segment{call}
	}
	return seg
}

// The objects of API Gateway's segments, typed: encoding maps costs more.
type (
	stageAWS struct {
		XRay struct {
			SamplingRuleName string `json:"sampling_rule_name"`
		} `json:"xray"`
		APIGateway struct {
			AccountID string `json:"account_id"`
			RestAPIID string `json:"rest_api_id"`
			Stage     string `json:"stage"`
			RequestID string `json:"request_id"`
		} `json:"api_gateway"`
	}
	stageAnnotations struct {
		APIID string `json:"aws:api_id"`
		Stage string `json:"aws:api_stage"`
	}
	stageMeta struct {
		Default struct {
			ExtendedRequestID string `json:"extended_request_id"`
			RequestID         string `json:"request_id"`
		} `json:"default"`
	}
	callAWS struct {
		FunctionName  string   `json:"function_name"`
		Region        string   `json:"region"`
		Operation     string   `json:"operation"`
		ResourceNames []string `json:"resource_names"`
	}
)

// setHTTPStatus marks a segment by its HTTP status as X-Ray does: 429
// throttle (and error), other 4xx error, 5xx fault.
func setHTTPStatus(s *Segment, status int) {
	switch {
	case status == 429:
		s.Throttle, s.Error = true, true
	case status >= 500:
		s.Fault = true
	case status >= 400:
		s.Error = true
	}
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only gatescope's own values, which always encode
	}
	return b
}

// Encode returns the documents as JSON, one each.
func Encode(segs []*Segment) []json.RawMessage {
	out := make([]json.RawMessage, 0, len(segs))
	for _, s := range segs {
		if s != nil {
			out = append(out, s.AppendJSON(make([]byte, 0, 1024)))
		}
	}
	return out
}
