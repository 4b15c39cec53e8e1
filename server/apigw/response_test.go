package apigw

import (
	"bytes"
	"fmt"
	"path/filepath"
	"sort"
	"testing"

	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/exchange"
)

const (
	errTimeout  = `{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: 0a1b Error: Task timed out after 3.00 seconds"}`
	errExit     = `{"errorType":"Runtime.ExitError","errorMessage":"RequestId: 0a1b Error: Runtime exited with error: exit status 3"}`
	errHandler  = `{"errorMessage":"boom","errorType":"TypeError","stackTrace":["at x"]}`
	errTooLarge = `{"errorMessage":"Response payload size exceeded maximum allowed payload size (6291556 bytes).","errorType":"Function.ResponseSizeTooLarge"}`
)

func ok(payload string) Invocation { return Invocation{Kind: InvokeOK, Payload: []byte(payload)} }

func TestMapResponse(t *testing.T) {
	httpV2 := httpAPI("HttpApi", route("GET /x"))
	httpV1 := httpAPI("HttpApi", &config.Route{Method: "GET", Path: "/x", PayloadVersion: "1.0"})
	rest := restAPI("RestApi", route("GET /x"))
	rest.BinaryMediaTypes = []string{"image/png"}
	plain := newRequest("GET", "/x", "", "Accept: text/html")
	wantsPNG := newRequest("GET", "/x", "", "Accept: image/png, */*")

	tests := []struct {
		name        string
		api         *config.API
		req         *Request
		inv         Invocation
		status      int
		body        string
		outcome     exchange.Outcome
		explanation string
	}{
		// HTTP API, payload 2.0.
		{"v2_object", httpV2, plain, ok(`{"statusCode":201,"headers":{"content-type":"text/html","x-list":"a,b","Set-Cookie":"h=1"},"cookies":["a=1","b=2; Path=/"],"body":"<p>hi</p>"}`), 201, "<p>hi</p>", exchange.OutcomeOK, ""},
		{"v2_inferred_object", httpV2, plain, ok(`{"hello": "world"}`), 200, `{"hello": "world"}`, exchange.OutcomeOK, ""},
		{"v2_inferred_string", httpV2, plain, ok(`"hello \"you\""`), 200, `hello "you"`, exchange.OutcomeOK, ""},
		{"v2_inferred_number", httpV2, plain, ok(`42`), 200, `42`, exchange.OutcomeOK, ""},
		{"v2_no_content_type", httpV2, plain, ok(`{"statusCode":200,"body":"hi"}`), 200, "hi", exchange.OutcomeOK, ""},
		{"v2_base64", httpV2, plain, ok(`{"statusCode":200,"headers":{"Content-Type":"image/png"},"body":"iVBORw==","isBase64Encoded":true}`), 200, "\x89PNG", exchange.OutcomeOK, ""},
		{"v2_status_string_number", httpV2, plain, ok(`{"statusCode":"404"}`), 404, "", exchange.OutcomeOK, ""},
		{"v2_status_abc", httpV2, plain, ok(`{"statusCode":"abc"}`), 500, `{"message":"Internal Server Error"}`, exchange.OutcomeMalformedResponse, `Function returned statusCode "abc": it must be an integer`},
		{"v2_status_zero", httpV2, plain, ok(`{"statusCode":0}`), 500, `{"message":"Internal Server Error"}`, exchange.OutcomeMalformedResponse, `Function returned statusCode 0: it must be an HTTP status between 100 and 599`},
		{"v2_status_fraction", httpV2, plain, ok(`{"statusCode":200.5}`), 500, `{"message":"Internal Server Error"}`, exchange.OutcomeMalformedResponse, `Function returned statusCode 200.5: it must be an integer`},
		{"v2_body_object", httpV2, plain, ok(`{"statusCode":200,"body":{"a":1}}`), 500, `{"message":"Internal Server Error"}`, exchange.OutcomeMalformedResponse, `Function returned a body that is an object, not a string: JSON-encode it first (e.g. JSON.stringify / json.dumps)`},
		{"v2_bad_base64", httpV2, plain, ok(`{"statusCode":200,"body":"!!","isBase64Encoded":true}`), 500, `{"message":"Internal Server Error"}`, exchange.OutcomeMalformedResponse, "Function set isBase64Encoded but its body is not valid base64: illegal base64 data at input byte 0"},
		{"v2_not_json", httpV2, plain, ok(`hello`), 500, `{"message":"Internal Server Error"}`, exchange.OutcomeMalformedResponse, `Function output is not valid JSON; return a JSON value or a {"statusCode",...} object`},
		{"v2_function_error", httpV2, plain, Invocation{Kind: InvokeFunctionError, Payload: []byte(errHandler)}, 500, `{"message":"Internal Server Error"}`, exchange.OutcomeFunctionError, "Function returned an error: TypeError: boom"},
		{"v2_lambda_timeout", httpV2, plain, Invocation{Kind: InvokeFunctionError, Payload: []byte(errTimeout)}, 500, `{"message":"Internal Server Error"}`, exchange.OutcomeTimeout, "Task timed out after 3.00 seconds. Lambda stopped the function and discarded its environment, so the next call starts cold"},
		{"v2_crash", httpV2, plain, Invocation{Kind: InvokeFunctionError, Payload: []byte(errExit)}, 500, `{"message":"Internal Server Error"}`, exchange.OutcomeFunctionError, "Runtime exited with error: exit status 3 during the invocation, so Lambda discarded its environment"},
		{"v2_response_too_large", httpV2, plain, Invocation{Kind: InvokeFunctionError, Payload: []byte(errTooLarge)}, 500, `{"message":"Internal Server Error"}`, exchange.OutcomePayloadTooLarge, "Lambda rejected the function's response: Response payload size exceeded maximum allowed payload size (6291556 bytes)."},
		{"v2_throttled", httpV2, plain, Invocation{Kind: InvokeThrottled, Detail: "the function is at its concurrency limit (10 environments)"}, 500, `{"message":"Internal Server Error"}`, exchange.OutcomeThrottled, "Lambda throttled the invoke: the function is at its concurrency limit (10 environments)"},
		{"v2_invoke_failed", httpV2, plain, Invocation{Kind: InvokeFailed, Detail: `function "Hello" not found`}, 500, `{"message":"Internal Server Error"}`, exchange.OutcomeInvokeFailed, `Lambda could not invoke the function: function "Hello" not found`},
		{"v2_invoke_too_large", httpV2, plain, Invocation{Kind: InvokeTooLarge}, 500, `{"message":"Internal Server Error"}`, exchange.OutcomePayloadTooLarge, "Lambda rejected the invoke: the event is larger than its 6291456-byte limit for synchronous invokes"},
		{"v2_integration_timeout", httpV2, plain, Invocation{Kind: IntegrationTimeout}, 503, `{"message":"Service Unavailable"}`, exchange.OutcomeTimeout, "API Gateway's integration timeout of 30s fired before the function answered; it cannot wait longer, so make the function faster or make the work asynchronous"},

		// HTTP API, payload 1.0.
		{"httpv1_single_first", httpV1, plain, ok(`{"statusCode":200,"headers":{"X-A":"single"},"multiValueHeaders":{"X-A":["m1","m2"]},"body":"b"}`), 200, "b", exchange.OutcomeOK, ""},
		{"httpv1_base64_always", httpV1, plain, ok(`{"statusCode":200,"body":"aGk=","isBase64Encoded":true}`), 200, "hi", exchange.OutcomeOK, ""},

		// REST.
		{"rest_status_only", rest, plain, ok(`{"statusCode":200}`), 200, "", exchange.OutcomeOK, ""},
		{"rest_no_status", rest, plain, ok(`{"headers":{"X-A":"1"},"body":"x"}`), 200, "x", exchange.OutcomeOK, ""},
		{"rest_status_string", rest, plain, ok(`{"statusCode":"201","body":"made"}`), 201, "made", exchange.OutcomeOK, ""},
		{"rest_header_bool", rest, plain, ok(`{"statusCode":200,"headers":{"X-Flag":true,"X-N":7,"X-Null":null}}`), 200, "", exchange.OutcomeOK, ""},
		{"rest_multi_first", rest, plain, ok(`{"statusCode":200,"headers":{"X-A":"single"},"multiValueHeaders":{"X-A":["m1","m2"]}}`), 200, "", exchange.OutcomeOK, ""},
		{"rest_base64_accept_binary", rest, wantsPNG, ok(`{"statusCode":200,"headers":{"Content-Type":"image/png"},"body":"aGk=","isBase64Encoded":true}`), 200, "hi", exchange.OutcomeOK, ""},
		{"rest_base64_accept_text", rest, plain, ok(`{"statusCode":200,"headers":{"Content-Type":"image/png"},"body":"aGk=","isBase64Encoded":true}`), 200, "aGk=", exchange.OutcomeOK, ""},
		{"rest_status_abc", rest, plain, ok(`{"statusCode":"abc"}`), 502, `{"message": "Internal server error"}`, exchange.OutcomeMalformedResponse, `Function returned statusCode "abc": it must be an integer`},
		{"rest_status_zero", rest, plain, ok(`{"statusCode":0}`), 502, `{"message": "Internal server error"}`, exchange.OutcomeMalformedResponse, `Function returned statusCode 0: it must be an HTTP status between 100 and 599`},
		{"rest_bare_string", rest, plain, ok(`"hello"`), 502, `{"message": "Internal server error"}`, exchange.OutcomeMalformedResponse, `Function returned a string "hello": payload format 1.0 needs an object like {"statusCode":200,"body":"..."}`},
		{"rest_unknown_key", rest, plain, ok(`{"statusCode":200,"cookies":["a=1"]}`), 502, `{"message": "Internal server error"}`, exchange.OutcomeMalformedResponse, `Function returned unknown field "cookies": a REST proxy response may only have statusCode, headers, multiValueHeaders, body and isBase64Encoded`},
		{"rest_multi_not_list", rest, plain, ok(`{"statusCode":200,"multiValueHeaders":{"X-A":"v"}}`), 502, `{"message": "Internal server error"}`, exchange.OutcomeMalformedResponse, `Function returned multiValueHeaders "X-A" as a string: each value must be a list of strings`},
		{"rest_function_error", rest, plain, Invocation{Kind: InvokeFunctionError, Payload: []byte(errHandler)}, 502, `{"message": "Internal server error"}`, exchange.OutcomeFunctionError, "Function returned an error: TypeError: boom"},
		{"rest_lambda_timeout", rest, plain, Invocation{Kind: InvokeFunctionError, Payload: []byte(errTimeout)}, 502, `{"message": "Internal server error"}`, exchange.OutcomeTimeout, "Task timed out after 3.00 seconds. Lambda stopped the function and discarded its environment, so the next call starts cold"},
		{"rest_throttled", rest, plain, Invocation{Kind: InvokeThrottled}, 500, `{"message": "Internal server error"}`, exchange.OutcomeThrottled, "Lambda throttled the invoke: the function is at its concurrency limit"},
		{"rest_invoke_failed", rest, plain, Invocation{Kind: InvokeFailed, Detail: "AccessDeniedException"}, 500, `{"message": "Internal server error"}`, exchange.OutcomeInvokeFailed, "Lambda could not invoke the function: AccessDeniedException"},
		{"rest_invoke_too_large", rest, plain, Invocation{Kind: InvokeTooLarge}, 500, `{"message": "Internal server error"}`, exchange.OutcomePayloadTooLarge, "Lambda rejected the invoke: the event is larger than its 6291456-byte limit for synchronous invokes"},
		{"v2_integration_timeout_queued", httpV2, plain, Invocation{Kind: IntegrationTimeout, Detail: "the request waited 30s for one of the 16 environments of Fn, all busy: raise --max-environments"}, 503, `{"message":"Service Unavailable"}`, exchange.OutcomeTimeout, "API Gateway's integration timeout of 30s fired: the request waited 30s for one of the 16 environments of Fn, all busy: raise --max-environments"},
		{"rest_integration_timeout", rest, plain, Invocation{Kind: IntegrationTimeout}, 504, `{"message": "Endpoint request timed out"}`, exchange.OutcomeTimeout, "API Gateway's integration timeout of 29s fired before the function answered; it cannot wait longer, so make the function faster or make the work asynchronous"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := *tt.req
			if tt.api.Type == config.RESTAPI {
				req.RequestID = restRequestID
			}
			m := mustMatch(t, mustRouter(t, tt.api), &req)
			resp := MapResponse(m, &req, tt.inv)
			if resp.Status != tt.status || string(resp.Body) != tt.body || resp.Outcome != tt.outcome || resp.Explanation != tt.explanation {
				t.Errorf("got  %d %q %s %q\nwant %d %q %s %q", resp.Status, resp.Body, resp.Outcome, resp.Explanation,
					tt.status, tt.body, tt.outcome, tt.explanation)
			}
			checkGolden(t, filepath.Join("responses", tt.name+".txt"), dumpResponse(resp))
		})
	}
}

// dumpResponse renders a response for golden files: status line, outcome,
// explanation, headers sorted by name (values in order), blank line, body.
func dumpResponse(r *Response) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%d\noutcome: %s\nexplanation: %s\n", r.Status, r.Outcome, r.Explanation)
	if r.Blame != nil {
		fmt.Fprintf(&b, "blame: %s %q\n", r.Blame.Part, r.Blame.Path)
	}
	keys := make([]string, 0, len(r.Header))
	for k := range r.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range r.Header[k] {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	b.WriteString("\n")
	b.Write(r.Body)
	return b.Bytes()
}

func TestGatewayAnswersExactBytes(t *testing.T) {
	only := func(apis ...*config.API) *Router { return mustRouter(t, apis...) }
	req := newRequest("GET", "/nope", "")
	tests := []struct {
		name    string
		resp    *Response
		status  int
		body    string
		errType string
	}{
		{"http no route", only(httpAPI("H", route("GET /a"))).NoRouteResponse(req), 404, `{"message":"Not Found"}`, ""},
		{"mixed no route", only(restAPI("R", route("GET /a")), httpAPI("H", route("GET /b"))).NoRouteResponse(req), 404, `{"message":"Not Found"}`, ""},
		{"rest no route", only(restAPI("R", route("GET /a"))).NoRouteResponse(req), 403, `{"message":"Missing Authentication Token"}`, "MissingAuthenticationTokenException"},
		{"http too large", TooLarge(config.HTTPAPI, req), 413, `{"message":"Request Entity Too Large"}`, ""},
		{"rest too large", TooLarge(config.RESTAPI, req), 413, `{"message":"Request Too Long"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.resp
			if r.Status != tt.status || string(r.Body) != tt.body || r.Header.Get("X-Amzn-ErrorType") != tt.errType {
				t.Errorf("got %d %s %q", r.Status, r.Body, r.Header.Get("X-Amzn-ErrorType"))
			}
			if r.Header.Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type = %q", r.Header.Get("Content-Type"))
			}
		})
	}
	if n := len(bodyHTTPInternal); n != 35 {
		t.Errorf("HTTP API 500 body is %d bytes, want 35", n)
	}
	if n := len(bodyRESTInternal); n != 36 {
		t.Errorf("REST 5xx body is %d bytes, want 36", n)
	}
}

func TestNoRouteExplanation(t *testing.T) {
	r := mustRouter(t, httpAPI("H", route("GET /a"), route("POST /b"), route("GET /c"), route("GET /d"), route("GET /e"), route("GET /f"), route("GET /g")))
	got := r.NoRouteResponse(newRequest("GET", "/x", "")).Explanation
	want := "No route matches GET /x; routes are: GET /a, POST /b, GET /c, GET /d, GET /e (and 2 more)"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if got := mustRouter(t).NoRouteResponse(newRequest("GET", "/x", "")); got.Explanation != "No route matches GET /x: no API routes are configured" || got.Outcome != exchange.OutcomeNoRoute {
		t.Errorf("empty router: %+v", got)
	}
}
