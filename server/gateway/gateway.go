// Package gateway is the API listener: it turns each HTTP request into an
// API Gateway event with apigw, invokes the function through lambda, maps the
// answer back with apigw and hands the finished Exchange to capture. Data
// flows one way; capture never holds up a response.
package gateway

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gatescope/gatescope/server/apigw"
	"github.com/gatescope/gatescope/server/authz"
	"github.com/gatescope/gatescope/server/awsid"
	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/lambda"
	"github.com/gatescope/gatescope/server/trace"
)

// Invoker runs a function (lambda.Manager).
type Invoker interface {
	Invoke(ctx context.Context, name string, req lambda.Request) (*lambda.Result, error)
}

// Sink takes finished exchanges without blocking (capture.Pipeline).
type Sink interface {
	Submit(x *exchange.Exchange) bool
}

var _ Invoker = (*lambda.Manager)(nil)

// Access is API Gateway's access control (authz.Service): who may call a
// route, and whether the gateway may invoke its function.
type Access interface {
	Authorize(ctx context.Context, m *apigw.Match, req *apigw.Request) authz.Decision
	MayInvoke(fn string, m *apigw.Match) (bool, string)
}

var _ Access = (*authz.Service)(nil)

// Gateway serves a project's APIs.
type Gateway struct {
	logger  *slog.Logger
	invoker Invoker
	sink    Sink
	session func() string
	now     func() time.Time
	ws      wsState // WebSocket connections (websocket.go)
	// current is what the gateway serves: a deployment replaces it whole,
	// so each request sees one deployment's routes and access control.
	current atomic.Pointer[deployed]
}

// deployed is the routes of one deployment and the access control that
// goes with them.
type deployed struct {
	router *apigw.Router
	access Access // nil: every caller is let in
	// deployment numbers the deployment (0: none numbered).
	deployment int64
	// before is the routes before it, to tell a request for a route it
	// removed why it is gone; nil at start.
	before *apigw.Router
}

// New returns a Gateway. session returns the id of the session new
// exchanges belong to.
func New(logger *slog.Logger, router *apigw.Router, invoker Invoker, sink Sink, session func() string, opts ...Option) *Gateway {
	g := &Gateway{logger: logger, invoker: invoker, sink: sink, session: session, now: time.Now}
	g.current.Store(&deployed{router: router})
	g.ws.limits = WSLimits{}.withDefaults()
	for _, o := range opts {
		o(g)
	}
	return g
}

// WithAccess makes the gateway enforce access control (authorizers, IAM,
// API keys, the functions' resource-based policies) and returns it. Call
// it before serving.
func (g *Gateway) WithAccess(a Access) *Gateway {
	s := *g.current.Load()
	s.access = a
	g.current.Store(&s)
	return g
}

// WithDeployment numbers what the gateway serves at start and returns it.
// Call it before serving.
func (g *Gateway) WithDeployment(deployment int64) *Gateway {
	s := *g.current.Load()
	s.deployment = deployment
	g.current.Store(&s)
	return g
}

// Deploy replaces the routes and access control at once: a request is
// served wholly by the deployment it arrived in, and requests arriving
// after Deploy returns by the new one. A request for a route the
// deployment removed is answered as a missing route, explained as such.
func (g *Gateway) Deploy(router *apigw.Router, access Access, deployment int64) {
	before := g.current.Load().router
	g.current.Store(&deployed{router: router, access: access, deployment: deployment, before: before})
}

// ServeHTTP answers one request as API Gateway would, then captures it.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.serveWebSocket(w, r) {
		return
	}
	start := g.now()
	body, err := io.ReadAll(io.LimitReader(r.Body, apigw.MaxRequestBytes+1))
	if err != nil {
		// The client went away mid-body (no one to answer), or sent it
		// slower than its read deadline allows (see ui.BodyDeadline):
		// say so rather than let the server answer an empty 200.
		g.logger.Debug("read request body", slog.Any("err", err))
		if errors.Is(err, os.ErrDeadlineExceeded) {
			http.Error(w, "the request body arrived too slowly", http.StatusRequestTimeout)
		}
		return
	}
	req := FromHTTP(r, body, start)
	stripTokenCookie(req.Header)
	resp, x, tr := g.do(r.Context(), req, "")

	h := w.Header()
	for k, vs := range resp.Header {
		h[k] = vs
	}
	// API Gateway sends Content-Length, never chunks; net/http would chunk
	// a body of more than its 2 KB buffer. (No length on statuses without
	// a body.)
	if resp.Status >= 200 && resp.Status != http.StatusNoContent && resp.Status != http.StatusNotModified {
		h.Set("Content-Length", strconv.Itoa(len(resp.Body)))
	}
	w.WriteHeader(resp.Status)
	w.Write(resp.Body)

	sent := g.now()
	x.Timings.SentMs = ms(sent.Sub(start))
	x.DurationMs = x.Timings.SentMs
	tr.finish(x, sent)
	if !g.sink.Submit(x) {
		g.logger.Debug("capture queue full: exchange dropped", slog.String("id", x.ID))
	}
}

// TokenCookie is the dashboard's access-token cookie (token mode). Browsers
// send a host's cookies to every port of it, so the cookie reaches the API
// listener too; the gateway strips it so that functions never see it and
// it is never captured.
const TokenCookie = "gatescope_token"

// stripTokenCookie removes TokenCookie from h's Cookie headers, leaving the
// rest as sent.
func stripTokenCookie(h http.Header) {
	vs, kept := h["Cookie"], 0
	for _, v := range vs {
		if strings.Contains(v, TokenCookie) {
			var rest []string
			for part := range strings.SplitSeq(v, ";") {
				if name, _, _ := strings.Cut(strings.TrimSpace(part), "="); name != TokenCookie {
					rest = append(rest, strings.TrimSpace(part))
				}
			}
			v = strings.Join(rest, "; ")
		}
		if v != "" {
			vs[kept] = v
			kept++
		}
	}
	switch {
	case len(vs) == 0:
	case kept == 0:
		delete(h, "Cookie")
	default:
		h["Cookie"] = vs[:kept]
	}
}

// FromHTTP builds the gateway's view of a request: path and query exactly
// as sent (still percent-encoded), headers as received.
func FromHTTP(r *http.Request, body []byte, received time.Time) *apigw.Request {
	rawPath, rawQuery := r.RequestURI, ""
	if i := strings.IndexByte(rawPath, '?'); i >= 0 {
		rawPath, rawQuery = rawPath[:i], rawPath[i+1:]
	}
	if !strings.HasPrefix(rawPath, "/") { // absolute-form request target
		rawPath, rawQuery = r.URL.EscapedPath(), r.URL.RawQuery
	}
	ip := r.RemoteAddr
	if host, _, err := net.SplitHostPort(ip); err == nil {
		ip = host
	}
	return &apigw.Request{
		Method:     r.Method,
		RawPath:    rawPath,
		RawQuery:   rawQuery,
		Proto:      r.Proto,
		Host:       r.Host,
		Header:     r.Header,
		HeaderCase: headerCase(r),
		Body:       body,
		SourceIP:   ip,
		Time:       received,
	}
}

// Do runs one request through routing, event building, the invoke and
// response mapping. It returns the response to send and the Exchange to
// capture, whose SentMs the caller fills in. Replays call it directly.
func (g *Gateway) Do(ctx context.Context, req *apigw.Request) (*apigw.Response, *exchange.Exchange) {
	return g.DoWith(ctx, req, "")
}

// DoWith is Do with the route's function replaced by target (a function
// name or ARN) when target is not empty: replays against another function.
func (g *Gateway) DoWith(ctx context.Context, req *apigw.Request, target string) (*apigw.Response, *exchange.Exchange) {
	resp, x, tr := g.do(ctx, req, target)
	tr.finish(x, g.now())
	return resp, x
}

// do is DoWith, leaving the exchange's trace to be finished when the
// response has been sent.
func (g *Gateway) do(ctx context.Context, req *apigw.Request, target string) (*apigw.Response, *exchange.Exchange, *pendingTrace) {
	start := req.Time
	x := &exchange.Exchange{
		ID:        exchange.NewID(start),
		Session:   g.session(),
		StartedAt: start,
		Request:   captureRequest(req),
	}
	var rb [12]byte
	rand.Read(rb[:])
	req.TraceID = awsid.TraceRoot(start, rb)
	x.TraceID = req.TraceID

	sv := g.current.Load()
	x.Deployment = sv.deployment
	// A Host naming one API (<api-id>.localhost) is routed within it alone.
	router := sv.router.For(req.Host)
	m, matched := router.Match(req.Method, req.RawPath)
	apiType := config.HTTPAPI
	if matched {
		apiType = m.API.Type
	}
	g.assignIDs(req, apiType)
	x.RequestID = req.RequestID

	tr := &pendingTrace{}
	if matched && apiType == config.RESTAPI {
		tr.stage = g.stageFacts(m, req)
	}
	var resp *apigw.Response
	switch {
	case len(req.Body) > apigw.MaxRequestBytes:
		resp = apigw.TooLarge(apiType, req)
	default:
		if pre, ok := router.Preflight(req); ok {
			resp = pre
			break
		}
		if !matched {
			resp = router.NoRouteResponse(req)
			sv.explainRemoved(req, resp)
			break
		}
		if !m.Route.Emulated() && target == "" {
			resp = apigw.NotServedResponse(m, req)
			break
		}
		if refused := g.authorize(ctx, sv.access, m, req, x); refused != nil {
			resp = refused
			break
		}
		if m.Route.Integration.Mapping != nil {
			resp = g.integrate(ctx, m, req, x, target)
			break
		}
		resp = g.invoke(ctx, sv.access, m, req, x, target, tr)
	}
	if matched {
		x.API = exchange.APIRef{ID: m.API.ID, Type: string(m.API.Type), Stage: m.API.Stage}
		x.RouteKey = m.Route.Key()
		x.Function.Name = m.Route.Function
		if target != "" {
			x.Function.Name = target
		}
	}
	x.Response = captureResponse(resp)
	x.Outcome = resp.Outcome
	if x.Outcome == "" {
		x.Outcome = exchange.OutcomeOK
	}
	x.Explanation = resp.Explanation
	x.Blame = resp.Blame
	x.Timings.ResponseMappedMs = ms(g.now().Sub(start))
	return resp, x, tr
}

// explainRemoved adds to a missing route's explanation that the route
// was there before this deployment, when it was.
func (s *deployed) explainRemoved(req *apigw.Request, resp *apigw.Response) {
	if s.before == nil || s.deployment == 0 {
		return
	}
	if m, ok := s.before.For(req.Host).Match(req.Method, req.RawPath); ok && m.Route.Emulated() {
		resp.Explanation = strings.TrimSuffix(resp.Explanation, ".") +
			fmt.Sprintf(". Route %s was removed from the template by deployment %d.", m.Route.Key(), s.deployment)
	}
}

// assignIDs gives the request the ids its API type uses: a UUID request id
// for REST, a short base64 id for HTTP APIs.
func (g *Gateway) assignIDs(req *apigw.Request, t config.APIType) {
	var b [28]byte
	rand.Read(b[:])
	ext := awsid.HTTPRequestID([12]byte(b[16:28]))
	req.ExtendedRequestID = ext
	if t == config.RESTAPI {
		req.RequestID = awsid.UUID([16]byte(b[:16]))
	} else {
		req.RequestID = ext
	}
}

// authorize is the access step before the invoke: the route's authorizer
// (or IAM authorization) and its API key, as API Gateway runs them. It
// records the step on the exchange, puts what it established on the
// request for the event, and returns the answer when access is refused.
func (g *Gateway) authorize(ctx context.Context, access Access, m *apigw.Match, req *apigw.Request, x *exchange.Exchange) *apigw.Response {
	if access == nil {
		return nil
	}
	x.Timings.RouteMatchedMs = ms(g.now().Sub(req.Time))
	d := access.Authorize(ctx, m, req)
	x.Authorizer = d.Step
	req.Auth = d.Auth
	if d.Refused != nil {
		return d.Refused
	}
	return nil
}

func (g *Gateway) invoke(ctx context.Context, access Access, m *apigw.Match, req *apigw.Request, x *exchange.Exchange, target string, tr *pendingTrace) *apigw.Response {
	fn := m.Route.Function
	if target != "" {
		fn = target
	}
	start := req.Time
	if x.Timings.RouteMatchedMs == 0 {
		x.Timings.RouteMatchedMs = ms(g.now().Sub(start))
	}
	// A replay aimed at another target is the user's choice; a route's own
	// function is invoked only if its policy lets API Gateway.
	if access != nil && target == "" {
		if ok, why := access.MayInvoke(fn, m); !ok {
			return apigw.PermissionDenied(m, req, upperFirst(why))
		}
	}
	event, err := apigw.BuildEvent(m, req)
	if err != nil {
		// A route with a payload version we cannot build is a config problem.
		return apigw.MapResponse(m, req, apigw.Invocation{Kind: apigw.InvokeFailed, Detail: err.Error()})
	}
	x.Event = event

	ictx, cancel := context.WithTimeout(ctx, m.Route.IntegrationTimeout(m.API.Type))
	defer cancel()
	invokeStart := g.now()
	x.Timings.InvokeStartMs = ms(invokeStart.Sub(start))
	res, err := g.invoker.Invoke(ictx, fn, lambda.Request{
		Payload: event,
		TraceID: tr.lambdaHeader(req.TraceID, m.API.TracingEnabled),
	})
	invokeEnd := g.now()
	x.Timings.InvokeEndMs = ms(invokeEnd.Sub(start))
	tr.invoked(fn, invokeStart, invokeEnd, res, err)
	inv := invocation(ictx, err, res, fn)
	inv.Function = g.functionConfig(fn)
	if res != nil {
		inv.Log = res.Log
	}
	recordInvoke(ictx, x, res, err, inv.Detail)
	return apigw.MapResponse(m, req, inv)
}

// functionConfig is the template's declaration of fn, when the invoker
// knows it (lambda.Manager does), for explanations.
func (g *Gateway) functionConfig(fn string) *config.Function {
	if c, ok := g.invoker.(interface{ Function(string) *config.Function }); ok {
		return c.Function(fn)
	}
	return nil
}

// invocation translates an invoke's result or error for apigw.
func invocation(ctx context.Context, err error, res *lambda.Result, fn string) apigw.Invocation {
	if err == nil {
		if res.FunctionError != "" {
			return apigw.Invocation{Kind: apigw.InvokeFunctionError, Payload: res.Payload}
		}
		return apigw.Invocation{Kind: apigw.InvokeOK, Payload: res.Payload}
	}
	switch {
	case errors.Is(err, context.Canceled):
		return apigw.Invocation{Kind: apigw.InvokeFailed,
			Detail: "the client closed the connection before the function answered (the function runs on, as in Lambda)"}
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil:
		var qt *lambda.QueueTimeout
		if errors.As(err, &qt) {
			return apigw.Invocation{Kind: apigw.IntegrationTimeout, Detail: qt.Error()}
		}
		return apigw.Invocation{Kind: apigw.IntegrationTimeout}
	case errors.Is(err, lambda.ErrThrottled):
		return apigw.Invocation{Kind: apigw.InvokeThrottled, Detail: err.Error()}
	case errors.Is(err, lambda.ErrRequestTooLarge):
		return apigw.Invocation{Kind: apigw.InvokeTooLarge, Detail: err.Error()}
	case errors.Is(err, lambda.ErrFunctionNotFound):
		return apigw.Invocation{Kind: apigw.InvokeFailed, Detail: fmt.Sprintf("function %q not found", fn)}
	default:
		return apigw.Invocation{Kind: apigw.InvokeFailed, Detail: err.Error()}
	}
}

func errorType(err error, ctx context.Context) string {
	var se *lambda.ServiceError
	switch {
	case errors.As(err, &se):
		return se.Type
	case ctx.Err() != nil:
		return "IntegrationTimeout"
	default:
		return "InvokeError"
	}
}

// recordInvoke writes an invoke made within ctx into x: how long it waited
// for an environment, what the function did, and an error's type with
// detail, its explanation for apigw. Every invoke the gateway makes
// (proxy, mapped, WebSocket) records itself here.
func recordInvoke(ctx context.Context, x *exchange.Exchange, res *lambda.Result, err error, detail string) {
	var qt *lambda.QueueTimeout
	if errors.As(err, &qt) {
		x.Timings.EnvWaitMs = ms(qt.Waited)
	}
	if res != nil {
		recordResult(x, res)
	} else {
		x.Function.Target = "local"
	}
	if err != nil {
		x.Function.Error = &exchange.FunctionError{Type: errorType(err, ctx), Message: detail}
	}
}

// recordResult copies what Lambda answered into the exchange.
func recordResult(x *exchange.Exchange, res *lambda.Result) {
	// Served by the later of the routes' deployment and that of the code
	// that ran (an environment started before a deployment that did not
	// change its function runs on).
	x.Deployment = max(x.Deployment, res.Deployment)
	x.Function.Target = res.Target
	x.Function.Cold = res.Cold
	x.Function.Version = res.Version
	x.Function.RawResponse = rawJSON(res.Payload)
	x.Logs, x.LogsTruncated = res.Log, res.LogTruncated
	x.Timings.InitDurationMs = ms(res.InitDuration)
	x.Timings.EnvWaitMs = ms(res.Queued)
	x.Timings.FunctionMs = ms(res.Duration)
	if res.FunctionError != "" {
		var fe struct {
			Type    string          `json:"errorType"`
			Message string          `json:"errorMessage"`
			Stack   json.RawMessage `json:"stackTrace"`
			Trace   []string        `json:"trace"`
		}
		_ = json.Unmarshal(res.Payload, &fe)
		e := &exchange.FunctionError{Type: fe.Type, Message: fe.Message, StackTrace: fe.Trace}
		var lines []string
		if json.Unmarshal(fe.Stack, &lines) == nil && len(lines) > 0 {
			e.StackTrace = lines
		}
		x.Function.Error = e
	}
}

// rawJSON keeps a function's output as JSON when it is, and as a JSON
// string holding it when it is not.
func rawJSON(b []byte) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	if json.Valid(b) {
		return json.RawMessage(b)
	}
	s, _ := json.Marshal(string(b))
	return s
}

func captureRequest(req *apigw.Request) exchange.HTTPRequest {
	u := req.RawPath
	if req.RawQuery != "" {
		u += "?" + req.RawQuery
	}
	body, b64 := bodyText(req.Body)
	return exchange.HTTPRequest{Method: req.Method, URL: u, Headers: sentHeaders(req), Body: body, IsBase64: b64}
}

// sentHeaders are the request headers under the names the client used,
// as a browser's network panel shows them, Host included: Go's server
// moves it out of the header map, but curl and HAR exports rebuild the
// URL the client used from it.
func sentHeaders(req *apigw.Request) map[string][]string {
	h := make(map[string][]string, len(req.Header)+1)
	for k, vs := range req.Header {
		if sent, ok := req.HeaderCase[k]; ok {
			k = sent
		}
		h[k] = vs
	}
	if req.Host != "" && req.Header.Get("Host") == "" {
		name := "Host"
		if sent, ok := req.HeaderCase["Host"]; ok {
			name = sent
		}
		h[name] = []string{req.Host}
	}
	return h
}

func captureResponse(resp *apigw.Response) exchange.HTTPResponse {
	body, b64 := bodyText(resp.Body)
	return exchange.HTTPResponse{Status: resp.Status, Headers: resp.Header, Body: body, IsBase64: b64}
}

// bodyText stores text bodies as they are and binary ones as base64.
func bodyText(b []byte) (string, bool) {
	if utf8.Valid(b) {
		return string(b), false
	}
	return base64.StdEncoding.EncodeToString(b), true
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// InvokeExchange records a direct function invoke (Invoke API, CLI or an
// event replay) as an Exchange: the request is the Invoke API call, the
// response what Lambda answered.
func InvokeExchange(session, fn string, event []byte, res *lambda.Result, err error, start, end time.Time) *exchange.Exchange {
	x := &exchange.Exchange{
		ID:        exchange.NewID(start),
		Session:   session,
		StartedAt: start,
		Request: exchange.HTTPRequest{
			Method:  http.MethodPost,
			URL:     "/2015-03-31/functions/" + fn + "/invocations",
			Headers: map[string][]string{"Content-Type": {"application/json"}},
			Body:    string(event),
		},
		Event:   rawJSON(event),
		Outcome: exchange.OutcomeOK,
	}
	x.Function.Name = fn
	x.Timings.InvokeStartMs = 0
	x.Timings.InvokeEndMs = ms(end.Sub(start))
	x.Timings.SentMs = x.Timings.InvokeEndMs
	x.DurationMs = x.Timings.SentMs
	if err != nil {
		var se *lambda.ServiceError
		status, typ := http.StatusInternalServerError, "ServiceException"
		if errors.As(err, &se) {
			status, typ = se.Status, se.Type
		}
		x.Function.Target = "local"
		x.Function.Error = &exchange.FunctionError{Type: typ, Message: err.Error()}
		x.Response = exchange.HTTPResponse{Status: status, Headers: map[string][]string{"X-Amzn-Errortype": {typ}}}
		x.Outcome = exchange.OutcomeInvokeFailed
		if errors.Is(err, lambda.ErrThrottled) {
			x.Outcome = exchange.OutcomeThrottled
		} else if errors.Is(err, lambda.ErrRequestTooLarge) {
			x.Outcome = exchange.OutcomePayloadTooLarge
		}
		x.Explanation = "The invoke failed: " + err.Error() + "."
		return x
	}
	recordResult(x, res)
	x.RequestID = res.RequestID
	x.Deployment = res.Deployment
	h := map[string][]string{"Content-Type": {"application/json"}, "X-Amz-Executed-Version": {"$LATEST"}}
	if res.FunctionError != "" {
		h["X-Amz-Function-Error"] = []string{res.FunctionError}
		e := apigw.ExplainInvocation(apigw.Invocation{Kind: apigw.InvokeFunctionError, Payload: res.Payload, Log: res.Log}, nil)
		x.Outcome, x.Explanation, x.Blame = e.Outcome, e.Explanation, e.Blame
	}
	if res.Trace != nil {
		x.TraceID = "Root=" + res.Trace.TraceID
		x.Trace = &exchange.Trace{Segments: trace.Encode(trace.LambdaSegments(res.Trace)), LogTimes: logTimes(res.LogTimes)}
	}
	body, b64 := bodyText(res.Payload)
	x.Response = exchange.HTTPResponse{Status: http.StatusOK, Headers: h, Body: body, IsBase64: b64}
	return x
}
