// Package exchange holds the record every part of gatescope shares: one
// request through the gateway (or one direct invoke) with its event, the
// function's answer, the response, outcome, timings and logs. It imports
// nothing of gatescope's, so the store, the live feed and exports can use
// it without pulling in HTTP, websockets or the template parser.
package exchange

import (
	"encoding/json"
	"time"
)

// Exchange is one request through gatescope: the HTTP request, the Lambda
// event built from it, the function's answer, the HTTP response and how long
// each step took. It is the one model used by the store, the JSON API, the
// live feed and exports.
type Exchange struct {
	ID          string          `json:"id"`
	Session     string          `json:"session"`
	API         APIRef          `json:"api"`
	RouteKey    string          `json:"routeKey"`
	RequestID   string          `json:"requestId"`
	TraceID     string          `json:"traceId"`
	StartedAt   time.Time       `json:"startedAt"`
	DurationMs  float64         `json:"durationMs"`
	Request     HTTPRequest     `json:"request"`
	Event       json.RawMessage `json:"event"`
	Function    FunctionCall    `json:"function"`
	Response    HTTPResponse    `json:"response"`
	Outcome     Outcome         `json:"outcome"`
	Explanation string          `json:"explanation"`
	Timings     Timings         `json:"timings"`
	// Mapping is what a REST non-proxy integration (custom Lambda, mock,
	// HTTP) did between the request and the response; nil for proxies.
	Mapping *Mapping `json:"mapping,omitempty"`
	Logs    string   `json:"logs"`
	// LogsTruncated is how many bytes of the function's output Logs leaves
	// out: an invocation keeps its log's first part and last 64 KB, 1 MiB
	// in all, and marks the cut in the text. 0 when the log is whole.
	LogsTruncated int64 `json:"logsTruncated,omitempty"`
	// Authorizer is the access step before the invoke (an authorizer, IAM
	// authorization); nil when the route has none.
	Authorizer *Authorizer `json:"authorizer,omitempty"`
	ReplayOf   string      `json:"replayOf,omitempty"`
	// ConnectionID and Frames are set on exchanges of WebSocket APIs
	// (websocket.go).
	ConnectionID string  `json:"connectionId,omitempty"`
	Frames       []Frame `json:"frames,omitempty"`
	// Deployment is the deployment that served the exchange: the latest
	// one whose routes or whose build of the function's code it ran on
	// (0: not recorded, as in imports and older exchanges).
	Deployment int64 `json:"deployment,omitempty"`
	// Starred and Note are the user's annotations; the store keeps them
	// beside the exchange and exports carry them.
	Starred bool   `json:"starred,omitempty"`
	Note    string `json:"note,omitempty"`
	// Trace is gatescope's own part of the exchange's X-Ray trace. It is
	// not in the Exchange JSON: GET /api/exchanges/{id}/trace serves the
	// whole trace, with what the functions sent.
	Trace *Trace `json:"-"`
}

// Trace is what gatescope recorded of an exchange's trace.
type Trace struct {
	// Segments are gatescope's own segment documents: the REST API
	// stage's, Lambda's service and function segments.
	Segments []json.RawMessage
	// LogTimes say when the function wrote its log: each is the offset in
	// Logs where a read of its output began, and the time of that read. A
	// line was written at the time of the last read that began at or
	// before it.
	LogTimes []LogTime
}

// LogTime is one read of a function's output.
type LogTime struct {
	Offset int
	At     time.Time
}

// APIRef names the API an exchange went through.
type APIRef struct {
	ID    string `json:"id"`
	Type  string `json:"type"`
	Stage string `json:"stage"`
}

// HTTPRequest is the request as the gateway received it. URL is the path and
// query exactly as sent. Body is base64 when IsBase64 is set (binary bodies).
type HTTPRequest struct {
	Method   string              `json:"method"`
	URL      string              `json:"url"`
	Headers  map[string][]string `json:"headers"`
	Body     string              `json:"body"`
	IsBase64 bool                `json:"isBase64"`
	// Truncated is the original size when the stored body was cut; 0 otherwise.
	Truncated int `json:"truncated,omitempty"`
}

// HTTPResponse is the response the gateway sent.
type HTTPResponse struct {
	Status    int                 `json:"status"`
	Headers   map[string][]string `json:"headers"`
	Body      string              `json:"body"`
	IsBase64  bool                `json:"isBase64"`
	Truncated int                 `json:"truncated,omitempty"`
}

// FunctionCall is what the function was asked and answered.
type FunctionCall struct {
	Name string `json:"name"`
	// Target is "local" or the ARN of a deployed function.
	Target string `json:"target"`
	// RawResponse is the function's output exactly as returned (JSON, or a
	// JSON string holding non-JSON output).
	RawResponse json.RawMessage `json:"rawResponse,omitempty"`
	// Error is set when the function or the invoke failed.
	Error *FunctionError `json:"error,omitempty"`
	Cold  bool           `json:"cold"`
	// Version identifies the code that ran (a local function's code
	// digest, as its deployment reports it); "" for deployed functions.
	Version string `json:"version,omitempty"`
}

// FunctionError is a function error payload or an invoke failure.
type FunctionError struct {
	Type       string   `json:"type"`
	Message    string   `json:"message"`
	StackTrace []string `json:"stackTrace,omitempty"`
}

// Timings are offsets from StartedAt in milliseconds, plus the durations the
// runtime reported. Zero means the step did not happen.
type Timings struct {
	RouteMatchedMs float64 `json:"routeMatchedMs"`
	InvokeStartMs  float64 `json:"invokeStartMs"`
	// EnvWaitMs is how long the invocation waited for a free execution
	// environment (all were busy, at --max-environments).
	EnvWaitMs        float64 `json:"envWaitMs,omitempty"`
	InitDurationMs   float64 `json:"initDurationMs,omitempty"`
	FunctionMs       float64 `json:"functionMs"`
	InvokeEndMs      float64 `json:"invokeEndMs"`
	ResponseMappedMs float64 `json:"responseMappedMs"`
	SentMs           float64 `json:"sentMs"`
}

// Failed reports whether the exchange failed: an outcome other than ok, or
// a 5xx answer (a function may answer 500 itself). An exchange with no
// outcome (a browser's HAR entry) is judged by its status alone. The list, the inspector,
// the live feed, filters and replay all use this one definition.
func (x *Exchange) Failed() bool {
	return Failed(x.Outcome, x.Response.Status)
}

// Failed is Exchange.Failed for callers that hold only the two fields.
func Failed(o Outcome, status int) bool {
	return (o != "" && o != OutcomeOK) || status >= 500
}
