package exchange

import "encoding/json"

// Authorizer is the authorizer step of an exchange: what API Gateway asked
// the authorizer (a Lambda function's event, a token's claims), what it
// answered, what API Gateway decided, and the requestContext.authorizer
// the route's function then received.
type Authorizer struct {
	// Name is the authorizer's name on its API; Type is TOKEN, REQUEST,
	// COGNITO_USER_POOLS, JWT or AWS_IAM.
	Name string `json:"name"`
	Type string `json:"type"`
	// Function is a Lambda authorizer's function.
	Function string `json:"function,omitempty"`
	// Event is what the authorizer's function was sent.
	Event json.RawMessage `json:"event,omitempty"`
	// Output is what it answered (a policy or a simple response), or, for
	// JWT and Cognito authorizers, the token's verified claims.
	Output json.RawMessage `json:"output,omitempty"`
	// Decision is allow, deny, unauthorized or error.
	Decision string `json:"decision"`
	// Cached is set when the answer came from the authorizer's cache
	// instead of an invoke.
	Cached bool `json:"cached,omitempty"`
	// Context is requestContext.authorizer as the route's function got it.
	Context json.RawMessage `json:"context,omitempty"`
	// Explanation says why, for refusals.
	Explanation string `json:"explanation,omitempty"`
	// StartMs and DurationMs place the step on the exchange's timeline.
	StartMs    float64 `json:"startMs"`
	DurationMs float64 `json:"durationMs"`
	// Logs, Error and Cold describe the authorizer function's invoke.
	Logs  string         `json:"logs,omitempty"`
	Error *FunctionError `json:"error,omitempty"`
	Cold  bool           `json:"cold,omitempty"`
}

// The decisions of an authorizer step.
const (
	DecisionAllow        = "allow"
	DecisionDeny         = "deny"
	DecisionUnauthorized = "unauthorized"
	DecisionError        = "error"
)
