package lambdaapi

import (
	"encoding/json"
	"net/http"

	"github.com/gatescope/gatescope/server/lambda"
)

func notFound(name string) *lambda.ServiceError {
	return &lambda.ServiceError{Type: "ResourceNotFoundException", Status: 404, Message: "Function not found: " + name}
}

// writeError answers like the Lambda service: x-amzn-ErrorType and a JSON
// body the SDKs decode. Throttles carry Lambda's Reason field.
func writeError(w http.ResponseWriter, se *lambda.ServiceError) {
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
