package gateway

import (
	"errors"
	"net/http"
	"time"

	"github.com/gatescope/gatescope/server/apigw"
	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/lambda"
	"github.com/gatescope/gatescope/server/trace"
)

// pendingTrace gathers an exchange's own segments while the request runs:
// a REST stage's (finished when the response is sent) and Lambda's.
type pendingTrace struct {
	stage    *trace.Stage // REST APIs only: X-Ray does not trace HTTP APIs
	lambda   []*trace.Segment
	logTimes []exchange.LogTime
}

// stageFacts starts a REST stage's segment.
func (g *Gateway) stageFacts(m *apigw.Match, req *apigw.Request) *trace.Stage {
	return &trace.Stage{
		TraceID: trace.RootFromHeaderID(req.TraceID), ID: trace.NewID(), InvokeID: trace.NewID(),
		Sampled: m.API.TracingEnabled,
		APIID:   m.API.ID, Stage: m.API.Stage, Account: m.API.AccountID, Region: m.API.Region,
		RequestID: req.RequestID, ExtendedRequestID: req.ExtendedRequestID,
		Method: req.Method, URL: "http://" + req.Host + req.RawPath, ClientIP: req.SourceIP,
		UA: req.Header.Get("User-Agent"), XForwardedFor: req.Header.Get("X-Forwarded-For") != "",
		Start: req.Time,
	}
}

// lambdaHeader is the X-Amzn-Trace-Id API Gateway gives Lambda: the
// trace's root; for a REST API also its Lambda subsegment as Parent and,
// when the stage traces, Sampled=1. Otherwise the decision is Lambda's
// (Tracing: Active samples), as for an HTTP API, which X-Ray does not
// trace.
func (tr *pendingTrace) lambdaHeader(traceID string, tracing bool) string {
	h := trace.Header{Root: trace.RootFromHeaderID(traceID)}
	if tr.stage != nil {
		h.Parent = tr.stage.InvokeID
		if tracing {
			h.Sampled = trace.SampledYes
		}
	}
	return h.String()
}

// invoked records the Lambda call and what Lambda recorded.
func (tr *pendingTrace) invoked(fn string, start, end time.Time, res *lambda.Result, err error) {
	if st := tr.stage; st != nil {
		st.Function, st.InvokeStart, st.InvokeEnd = fn, start, end
		st.FunctionARN = fn
		var se *lambda.ServiceError
		switch {
		case res != nil:
			st.InvokeStatus = http.StatusOK
			if res.Trace != nil {
				st.Function, st.FunctionARN = res.Trace.Function, res.Trace.ARN
			}
		case errors.As(err, &se) && se.Status != 0:
			st.InvokeStatus = se.Status
		}
	}
	if res != nil && res.Trace != nil {
		tr.lambda = trace.LambdaSegments(res.Trace)
		tr.logTimes = logTimes(res.LogTimes)
	}
}

// finish writes the exchange's segments, the stage ending at end.
func (tr *pendingTrace) finish(x *exchange.Exchange, end time.Time) {
	var segs []*trace.Segment
	if st := tr.stage; st != nil {
		st.End, st.Status = end, x.Response.Status
		st.ContentLength = len(x.Response.Body)
		segs = append(segs, trace.StageSegment(st))
	}
	segs = append(segs, tr.lambda...)
	if len(segs) == 0 {
		return
	}
	x.Trace = &exchange.Trace{Segments: trace.Encode(segs), LogTimes: tr.logTimes}
}

func logTimes(lts []lambda.LogTime) []exchange.LogTime {
	if len(lts) == 0 {
		return nil
	}
	out := make([]exchange.LogTime, len(lts))
	for i, lt := range lts {
		out[i] = exchange.LogTime{Offset: lt.Offset, At: lt.At}
	}
	return out
}
