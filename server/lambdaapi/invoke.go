package lambdaapi

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

	"github.com/gatescope/gatescope/server/lambda"
)

// Invoke serves Invoke (2015-03-31):
// POST /2015-03-31/functions/{name}/invocations.
func (a *API) Invoke(w http.ResponseWriter, r *http.Request) {
	// Serving the Invoke API, gatescope is the Lambda service of whatever
	// account the caller addresses: an ARN names a function by its name.
	name := functionName(r.PathValue("name"))
	w.Header().Set("X-Amzn-Requestid", newRequestID())
	if a.svc.Function(name) == nil {
		writeError(w, notFound(name))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, lambda.MaxRequestBytes+1))
	if err != nil {
		writeError(w, &lambda.ServiceError{Type: "ServiceException", Status: 500, Message: "reading the request body: " + err.Error()})
		return
	}
	if len(body) > lambda.MaxRequestBytes {
		writeError(w, &lambda.ServiceError{Type: "RequestTooLargeException", Status: 413,
			Message: fmt.Sprintf("Request must be smaller than %d bytes for the InvokeFunction operation", lambda.MaxRequestBytes)})
		return
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	} else if !json.Valid(body) {
		writeError(w, &lambda.ServiceError{Type: "InvalidRequestContentException", Status: 400,
			Message: "Could not parse request body into json: the payload is not valid JSON"})
		return
	}
	req := lambda.Request{Payload: body, TraceID: r.Header.Get("X-Amzn-Trace-Id")}
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
			res, err := a.svc.Invoke(context.Background(), name, req)
			if err != nil {
				a.logger.Warn("async invoke failed", slog.String("function", name), slog.Any("err", err))
			}
			a.observe(name, req, res, err, start)
		}()
		w.WriteHeader(http.StatusAccepted)
		return
	default:
		writeError(w, &lambda.ServiceError{Type: "InvalidParameterValueException", Status: 400,
			Message: "Unsupported invocation type " + typ})
		return
	}

	start := time.Now()
	res, err := a.svc.Invoke(r.Context(), name, req)
	a.observe(name, req, res, err, start)
	if err != nil {
		var se *lambda.ServiceError
		if !errors.As(err, &se) {
			se = &lambda.ServiceError{Type: "ServiceException", Status: 500, Message: err.Error()}
		}
		writeError(w, se)
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
