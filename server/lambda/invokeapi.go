package lambda

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gatescope/gatescope/server/awsid"
)

// InvokeAPI serves Lambda's Invoke API (2015-03-31) so the AWS CLI and SDKs
// can call local functions: POST /2015-03-31/functions/{name}/invocations.
type InvokeAPI struct {
	logger  *slog.Logger
	invoker Invoker
	exists  func(name string) bool
	observe Observer
}

// Observer is told of every finished invoke, synchronous or not (capture
// records it as an exchange).
type Observer func(name string, req Request, res *Result, err error, started time.Time)

// NewInvokeAPI returns the handler. exists reports whether a function name
// (or ARN) is known, so DryRun can answer without invoking; observe may be nil.
func NewInvokeAPI(logger *slog.Logger, invoker Invoker, exists func(string) bool, observe Observer) *InvokeAPI {
	if observe == nil {
		observe = func(string, Request, *Result, error, time.Time) {}
	}
	return &InvokeAPI{logger: logger, invoker: invoker, exists: exists, observe: observe}
}

// Invoke serves POST /2015-03-31/functions/{name}/invocations.
func (a *InvokeAPI) Invoke(w http.ResponseWriter, r *http.Request) {
	// Serving the Invoke API, gatescope is the Lambda service of whatever
	// account the caller addresses: an ARN names a function by its name.
	name := r.PathValue("name")
	if parts := strings.Split(name, ":"); len(parts) >= 7 && parts[0] == "arn" {
		name = parts[6]
	}
	w.Header().Set("X-Amzn-Requestid", awsid.NewUUID())
	if !a.exists(name) {
		writeServiceError(w, &ServiceError{Type: "ResourceNotFoundException", Status: 404, Message: "Function not found: " + name})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestBytes+1))
	if err != nil {
		writeServiceError(w, &ServiceError{Type: "ServiceException", Status: 500, Message: "reading the request body: " + err.Error()})
		return
	}
	if len(body) > MaxRequestBytes {
		writeServiceError(w, &ServiceError{Type: "RequestTooLargeException", Status: 413,
			Message: fmt.Sprintf("Request must be smaller than %d bytes for the InvokeFunction operation", MaxRequestBytes)})
		return
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	} else if !json.Valid(body) {
		writeServiceError(w, &ServiceError{Type: "InvalidRequestContentException", Status: 400,
			Message: "Could not parse request body into json: the payload is not valid JSON"})
		return
	}
	req := Request{Payload: body, TraceID: r.Header.Get("X-Amzn-Trace-Id")}
	if cc := r.Header.Get("X-Amz-Client-Context"); cc != "" {
		if b, err := base64.StdEncoding.DecodeString(cc); err == nil {
			req.ClientContext = string(b)
		}
	}

	switch typ := r.Header.Get("X-Amz-Invocation-Type"); typ {
	case "", "RequestResponse":
	case "DryRun":
		w.WriteHeader(http.StatusNoContent)
		return
	case "Event":
		// Asynchronous: accepted now, run in the background like Lambda's queue.
		go func() {
			start := time.Now()
			res, err := a.invoker.Invoke(context.Background(), name, req)
			if err != nil {
				a.logger.Warn("async invoke failed", slog.String("function", name), slog.Any("err", err))
			}
			a.observe(name, req, res, err, start)
		}()
		w.WriteHeader(http.StatusAccepted)
		return
	default:
		writeServiceError(w, &ServiceError{Type: "InvalidParameterValueException", Status: 400,
			Message: "Unsupported invocation type " + typ})
		return
	}

	start := time.Now()
	res, err := a.invoker.Invoke(r.Context(), name, req)
	a.observe(name, req, res, err, start)
	if err != nil {
		var se *ServiceError
		if !errors.As(err, &se) {
			se = &ServiceError{Type: "ServiceException", Status: 500, Message: err.Error()}
		}
		writeServiceError(w, se)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amz-Executed-Version", "$LATEST")
	if res.RequestID != "" {
		h.Set("X-Amzn-Requestid", res.RequestID)
	}
	if res.FunctionError != "" {
		h.Set("X-Amz-Function-Error", res.FunctionError)
	}
	if strings.EqualFold(r.Header.Get("X-Amz-Log-Type"), "Tail") {
		h.Set("X-Amz-Log-Result", base64.StdEncoding.EncodeToString(logTail(res.Log, 4096)))
	}
	w.WriteHeader(http.StatusOK)
	w.Write(res.Payload)
}

// logTail is the last n bytes of a log, as X-Amz-Log-Result carries.
func logTail(log string, n int) []byte {
	if len(log) > n {
		log = log[len(log)-n:]
	}
	return []byte(log)
}

// writeServiceError answers like the Lambda service: x-amzn-ErrorType and a
// JSON body the SDKs decode. Throttles carry Lambda's Reason field.
func writeServiceError(w http.ResponseWriter, se *ServiceError) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-Errortype", se.Type)
	status := se.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	w.WriteHeader(status)
	var body any = struct {
		Type    string `json:"Type"`
		Message string `json:"Message"`
	}{"User", se.Message}
	if se.Type == "ServiceException" {
		body = struct {
			Type    string `json:"Type"`
			Message string `json:"Message"`
		}{"Service", se.Message}
	}
	if se.Type == "TooManyRequestsException" {
		body = struct {
			Reason  string `json:"Reason"`
			Type    string `json:"Type"`
			Message string `json:"message"`
		}{"ReservedFunctionConcurrentInvocationLimitExceeded", "User", "Rate Exceeded."}
	}
	json.NewEncoder(w).Encode(body)
}
