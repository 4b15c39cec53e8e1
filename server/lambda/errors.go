package lambda

import (
	"encoding/json"
	"fmt"
	"strings"
)

// functionError is the error JSON runtimes post to /invocation/{id}/error and
// that Invoke returns with X-Amz-Function-Error.
type functionError struct {
	Type    string `json:"errorType"`
	Message string `json:"errorMessage"`
}

func parseFunctionError(b []byte) functionError {
	var fe functionError
	_ = json.Unmarshal(b, &fe) // a runtime may post anything; an empty type is fine
	return fe
}

// errorPayload builds the JSON Lambda itself returns for failures it detects
// (timeouts, runtime exits), message first as AWS orders it.
func errorPayload(errType, msg string) []byte {
	b, _ := json.Marshal(struct {
		Message string `json:"errorMessage"`
		Type    string `json:"errorType"`
	}{msg, errType})
	return b
}

func timeoutPayload(requestID string, timeout float64) []byte {
	return errorPayload("Sandbox.Timedout", fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", requestID, timeout))
}

func exitPayload(requestID string, exit string) []byte {
	return errorPayload("Runtime.ExitError", fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %s", requestID, exit))
}

// exitText renders a process exit the way Go's os/exec does and Lambda
// echoes it: "exit status 3", "signal: killed".
func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return strings.TrimPrefix(err.Error(), "exec: ")
}
