package apigw

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/exchange"
)

// Bodies API Gateway answers with itself, byte for byte (spec: "gateway
// answers"). REST's 5xx bodies have a space after the colon; the others not.
const (
	bodyHTTPInternal     = `{"message":"Internal Server Error"}`
	bodyHTTPUnavailable  = `{"message":"Service Unavailable"}`
	bodyHTTPNotFound     = `{"message":"Not Found"}`
	bodyHTTPTooLarge     = `{"message":"Request Entity Too Large"}`
	bodyRESTInternal     = `{"message": "Internal server error"}`
	bodyRESTTimeout      = `{"message": "Endpoint request timed out"}`
	bodyRESTMissingToken = `{"message":"Missing Authentication Token"}`
	bodyRESTTooLarge     = `{"message":"Request Too Long"}`
)

// Limits quoted in explanations.
const (
	lambdaRequestLimit  = 6291456
	lambdaResponseLimit = 6291556
)

// baseHeader returns the headers API Gateway puts on every response of an
// API type: apigw-requestid (HTTP API), x-amzn-RequestId and x-amz-apigw-id
// (REST).
func baseHeader(t config.APIType, req *Request) http.Header {
	h := make(http.Header, 6)
	if t == config.RESTAPI {
		h["X-Amzn-Requestid"] = []string{req.RequestID}
		if req.ExtendedRequestID != "" {
			h["X-Amz-Apigw-Id"] = []string{req.ExtendedRequestID}
		}
	} else {
		h["Apigw-Requestid"] = []string{req.RequestID}
	}
	return h
}

// gatewayAnswer is a response API Gateway makes itself, not the function.
func gatewayAnswer(t config.APIType, req *Request, status int, body, errorType string, outcome exchange.Outcome, explanation string) *Response {
	h := baseHeader(t, req)
	h["Content-Type"] = []string{"application/json"}
	if errorType != "" {
		h["X-Amzn-Errortype"] = []string{errorType}
	}
	return &Response{Status: status, Header: h, Body: []byte(body), Outcome: outcome, Explanation: explanation}
}

// failure answers an integration failure the way each API type does: HTTP
// APIs say 500 for everything; REST says 502 when the function misbehaved
// and 500 when Lambda refused the invoke.
func failure(t config.APIType, req *Request, functionFault bool, outcome exchange.Outcome, explanation string) *Response {
	if t != config.RESTAPI {
		return gatewayAnswer(t, req, http.StatusInternalServerError, bodyHTTPInternal, "", outcome, explanation)
	}
	status := http.StatusInternalServerError
	if functionFault {
		status = http.StatusBadGateway
	}
	return gatewayAnswer(t, req, status, bodyRESTInternal, "InternalServerErrorException", outcome, explanation)
}

// malformed answers a function output API Gateway cannot map; blame is
// the field the explanation is about (nil for none).
func malformed(m *Match, req *Request, explanation string, blame *exchange.Blame) *Response {
	resp := failure(m.API.Type, req, true, exchange.OutcomeMalformedResponse, explanation)
	resp.Blame = blame
	return resp
}

// outputField blames a field of the function's output; no path blames the
// whole output.
func outputField(path ...string) *exchange.Blame {
	return &exchange.Blame{Part: exchange.BlameOutput, Path: append([]string{}, path...)}
}

// TooLarge answers a request over MaxRequestBytes; it never reaches a function.
func TooLarge(apiType config.APIType, req *Request) *Response {
	const why = "Request is larger than API Gateway's 10 MB limit (10485760 bytes); send less or upload large files to S3 with a presigned URL"
	if apiType == config.RESTAPI {
		return gatewayAnswer(apiType, req, http.StatusRequestEntityTooLarge, bodyRESTTooLarge, "", exchange.OutcomePayloadTooLarge, why)
	}
	return gatewayAnswer(apiType, req, http.StatusRequestEntityTooLarge, bodyHTTPTooLarge, "", exchange.OutcomePayloadTooLarge, why)
}

// NoRouteResponse answers a request no route matched. With only REST APIs
// configured it is REST's 403 Missing Authentication Token; otherwise the HTTP
// API 404, since an HTTP API would be the one answering at the root. On an
// API's own host it is that API's answer.
func (r *Router) NoRouteResponse(req *Request) *Response {
	t := config.HTTPAPI
	if len(r.apis) > 0 {
		t = config.RESTAPI
		for _, ca := range r.apis {
			if ca.api.Type != config.RESTAPI {
				t = config.HTTPAPI
				break
			}
		}
	}
	keys, more := r.routeKeys(5)
	why := fmt.Sprintf("No route matches %s %s", req.Method, req.RawPath)
	if r.scope != "" {
		why += " on API " + r.scope + " (the request's Host names it)"
	}
	switch {
	case len(keys) == 0:
		why += ": no API routes are configured"
	default:
		why += "; routes are: " + strings.Join(keys, ", ")
		if more > 0 {
			why += fmt.Sprintf(" (and %d more)", more)
		}
	}
	return notFound(t, req, why)
}

func notFound(t config.APIType, req *Request, why string) *Response {
	if t == config.RESTAPI {
		return gatewayAnswer(t, req, http.StatusForbidden, bodyRESTMissingToken, "MissingAuthenticationTokenException", exchange.OutcomeNoRoute, why)
	}
	return gatewayAnswer(t, req, http.StatusNotFound, bodyHTTPNotFound, "", exchange.OutcomeNoRoute, why)
}

// NotServedResponse answers a request routed to a route gatescope does not
// serve (its integration is not a Lambda proxy of a function in the
// project): as API Gateway answers a missing route, with the reason. It
// is never served as a proxy, nor by a less specific route.
func NotServedResponse(m *Match, req *Request) *Response {
	rt := m.Route
	var why string
	switch {
	case rt.Integration.Kind == config.ProxyIntegration:
		why = fmt.Sprintf("Route %s of API %s invokes a function this template does not define (%s), so gatescope cannot serve it", rt.Key(), m.API.ID, rt.Integration.Target)
	default:
		what := rt.Integration.Type
		if rt.Integration.Target != "" {
			what += " " + rt.Integration.Target
		}
		why = fmt.Sprintf("Route %s of API %s has a %s integration (%s), which gatescope does not emulate yet; API Gateway would answer from that integration, not a function",
			rt.Key(), m.API.ID, rt.Integration.Kind, what)
	}
	return notFound(m.API.Type, req, why+" (see the not-emulated list at start, or gatescope check)")
}

// invokeFailure maps every non-OK invocation to the gateway's answer.
func invokeFailure(m *Match, req *Request, inv Invocation) *Response {
	t := m.API.Type
	switch inv.Kind {
	case InvokeFunctionError:
		e := ExplainInvocation(inv, eventFacts(m, req))
		resp := failure(t, req, true, e.Outcome, e.Explanation)
		resp.Blame = e.Blame
		return resp
	case InvokeThrottled:
		detail := inv.Detail
		if detail == "" {
			detail = "the function is at its concurrency limit"
		}
		return failure(t, req, false, exchange.OutcomeThrottled, "Lambda throttled the invoke: "+detail)
	case InvokeTooLarge:
		why := fmt.Sprintf("Lambda rejected the invoke: the event is larger than its %d-byte limit for synchronous invokes", lambdaRequestLimit)
		if inv.Detail != "" {
			why += " (" + inv.Detail + ")"
		}
		return failure(t, req, false, exchange.OutcomePayloadTooLarge, why)
	case IntegrationTimeout:
		limit := m.Route.IntegrationTimeout(t)
		why := fmt.Sprintf("API Gateway's integration timeout of %s fired before the function answered; it cannot wait longer, so make the function faster or make the work asynchronous", limit)
		if inv.Detail != "" { // e.g. the request never got an environment
			why = fmt.Sprintf("API Gateway's integration timeout of %s fired: %s", limit, inv.Detail)
		}
		if t == config.RESTAPI {
			return gatewayAnswer(t, req, http.StatusGatewayTimeout, bodyRESTTimeout, "InternalServerErrorException", exchange.OutcomeTimeout, why)
		}
		return gatewayAnswer(t, req, http.StatusServiceUnavailable, bodyHTTPUnavailable, "", exchange.OutcomeTimeout, why)
	default: // InvokeFailed and anything unknown
		detail := inv.Detail
		if detail == "" {
			detail = "unknown error"
		}
		return failure(t, req, false, exchange.OutcomeInvokeFailed, "Lambda could not invoke the function: "+detail)
	}
}

// What Lambda's runtimes ship that a local interpreter lacks: the AWS SDK.
var (
	// Node.js: "Cannot find package '@aws-sdk/client-s3' imported from
	// ..." (ES modules) or "Cannot find module 'aws-sdk'" (CommonJS).
	missingNodeModule = regexp.MustCompile(`Cannot find (?:package|module) '((?:@aws-sdk/[^/']+)|aws-sdk)(?:/[^']*)?'`)
	// Python: "No module named 'boto3'" (or 'botocore', 'botocore.x').
	missingPythonModule = regexp.MustCompile(`No module named '(boto3|botocore)(?:\.[^']*)?'`)
)

// sdkHint says what to do when a function fails for want of the AWS SDK,
// which Lambda's runtimes include and a local interpreter may not.
func sdkHint(msg string) string {
	if m := missingNodeModule.FindStringSubmatch(msg); m != nil {
		if m[1] == "aws-sdk" {
			return "Lambda's Node.js 18 and later runtimes do not include the AWS SDK for JavaScript v2 ('aws-sdk'), only v3 (@aws-sdk/*), " +
				"so this fails deployed too: package aws-sdk with the function (npm install aws-sdk) or move to v3"
		}
		return fmt.Sprintf("Lambda's Node.js runtimes include the AWS SDK for JavaScript v3, so %s is there when deployed without being packaged; "+
			"locally it must be installed: npm install --save-dev %s in the function's code directory or its project "+
			"(a dev dependency stays out of the deployment package)", m[1], m[1])
	}
	if m := missingPythonModule.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("Lambda's Python runtimes include boto3 and botocore, so %s is there when deployed without being packaged; "+
			"locally install it for the python3 that runs the function: python3 -m pip install boto3 "+
			"(in a requirements-dev.txt, it stays out of the deployment package)", m[1])
	}
	return ""
}

// stripRequestID removes the "RequestId: <id> Error: " Lambda prefixes to
// its own error messages.
func stripRequestID(msg string) string {
	if strings.HasPrefix(msg, "RequestId: ") {
		if _, rest, ok := strings.Cut(msg, " Error: "); ok {
			return rest
		}
	}
	return msg
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// quoteJSON shows a raw JSON value in an explanation.
func quoteJSON(raw []byte) string {
	return clip(string(raw), 60)
}
