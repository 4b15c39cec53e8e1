// Package lambda runs functions the way AWS Lambda does: each execution
// environment is a real OS process polling its own Runtime API endpoint, one
// invocation at a time, in a pool per function bounded by its concurrency
// limit. Deployed functions are invoked through aws-sdk-go-v2 instead.
package lambda

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatescope/gatescope/server/trace"
)

// Lambda's synchronous payload limits (bytes).
const (
	MaxRequestBytes  = 6291456
	MaxResponseBytes = 6291556
)

// Invoker invokes functions by name. Manager implements it for local and
// remote functions alike.
type Invoker interface {
	Invoke(ctx context.Context, name string, req Request) (*Result, error)
}

// Request is one synchronous invocation.
type Request struct {
	Payload []byte
	// TraceID is the caller's X-Amzn-Trace-Id ("Root=1-…;Parent=…;Sampled=…"):
	// its Root and sampling decision go on to the runtime, its Parent
	// becomes the parent of Lambda's segment. A trace is started when
	// empty.
	TraceID string
	// ClientContext and CognitoIdentity are JSON, passed through when set.
	ClientContext   string
	CognitoIdentity string
}

// Result is a finished invocation. A function error is a Result with
// FunctionError set, not a Go error: that is how Lambda reports it too.
type Result struct {
	RequestID string
	// Payload is the function's response, or the error JSON when FunctionError is set.
	Payload []byte
	// FunctionError is "" or "Unhandled" (X-Amz-Function-Error).
	FunctionError string
	// Log is the invocation's log, START to REPORT, as CloudWatch would show
	// it, the function's output cut to MaxLogBytes (see logBuf).
	Log string
	// LogTruncated is how many bytes of the function's output Log leaves
	// out (0: none).
	LogTruncated int64
	// Target is "local" or the ARN the function was invoked at.
	Target string
	// Queued is how long the invocation waited for a free environment.
	Queued       time.Duration
	Cold         bool
	InitDuration time.Duration
	Duration     time.Duration
	MaxMemoryMB  int
	// Trace is what Lambda's segments record of a local invocation (nil
	// for a remote one): ids, times, the error's cause.
	Trace *trace.Invocation
	// LogTimes say when the function wrote its output: offsets in Log
	// where a read began, and its time.
	LogTimes []LogTime
	// Deployment is the deployment of the code that ran (see
	// Manager.Deploy), and Version identifies that code (a digest of its
	// sources, 12 hex digits); both zero for remote functions.
	Deployment int64
	Version    string
}

// LogTime is one read of a function's output: where in Log, and when.
type LogTime struct {
	Offset int
	At     time.Time
}

// ErrorType returns the errorType of a function error payload, or "".
func (r *Result) ErrorType() string {
	if r.FunctionError == "" {
		return ""
	}
	return parseFunctionError(r.Payload).Type
}

// Sentinel errors, each matching one Lambda service error.
var (
	ErrFunctionNotFound = errors.New("function not found")                   // ResourceNotFoundException
	ErrThrottled        = errors.New("function is at its concurrency limit") // TooManyRequestsException
	ErrRequestTooLarge  = errors.New("request payload too large")            // RequestTooLargeException
)

// ServiceError is an error the Lambda service (local or remote) answered an
// invoke with, such as ResourceNotFoundException or ServiceException.
type ServiceError struct {
	Type    string // e.g. "TooManyRequestsException"
	Message string
	Status  int
	Err     error // the sentinel it corresponds to, if any
}

func (e *ServiceError) Error() string { return fmt.Sprintf("%s: %s", e.Type, e.Message) }
func (e *ServiceError) Unwrap() error { return e.Err }
