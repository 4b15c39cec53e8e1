// Package lambdaapi is the Lambda service's HTTP API on the ui address, in
// the wire shapes the AWS CLI and SDKs decode: Invoke, and answers in
// Lambda's error shape to every other operation. Package lambda runs the
// functions; this package only speaks the protocol, so lambda stays free of
// HTTP handler code.
package lambdaapi

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/gatescope/gatescope/server/awsid"
	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/lambda"
)

// Service is the Lambda service behind the API (lambda.Manager).
type Service interface {
	Invoke(ctx context.Context, name string, req lambda.Request) (*lambda.Result, error)
	// Function finds a function by name or ARN; nil when there is none.
	Function(name string) *config.Function
	// Functions lists the project's functions, local and remote.
	Functions() []*config.Function
	// Code says how a local function's code stands.
	Code(name string) lambda.Code
	// ARN is a function's ARN.
	ARN(fn *config.Function) string
}

var _ Service = (*lambda.Manager)(nil)

// Observer is told of every finished invoke, synchronous or not (capture
// records it as an exchange).
type Observer func(name string, req lambda.Request, res *lambda.Result, err error, started time.Time)

// API serves Lambda's HTTP API for the functions of svc.
type API struct {
	logger  *slog.Logger
	svc     Service
	observe Observer
	started time.Time // LastModified of functions not prepared yet
}

// New returns the API. A nil svc serves no functions; observe may be nil.
func New(logger *slog.Logger, svc Service, observe Observer) *API {
	if svc == nil {
		svc = noFunctions{}
	}
	if observe == nil {
		observe = func(string, lambda.Request, *lambda.Result, error, time.Time) {}
	}
	return &API{logger: logger, svc: svc, observe: observe, started: time.Now()}
}

// functionName is the name an API path names a function by: an ARN (or a
// partial one, account:function:name) gives its name part.
func functionName(s string) string {
	if parts := strings.Split(s, ":"); len(parts) >= 7 && parts[0] == "arn" {
		return parts[6]
	}
	return s
}

func newRequestID() string { return awsid.NewUUID() }

// noFunctions is a Lambda service without functions.
type noFunctions struct{}

func (noFunctions) Invoke(context.Context, string, lambda.Request) (*lambda.Result, error) {
	return nil, lambda.ErrFunctionNotFound
}
func (noFunctions) Function(string) *config.Function { return nil }
func (noFunctions) Functions() []*config.Function    { return nil }
func (noFunctions) Code(string) lambda.Code          { return lambda.Code{} }
func (noFunctions) ARN(fn *config.Function) string   { return fn.ARN }
