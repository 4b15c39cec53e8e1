package web

// AuthorizerView is the inspector's authorizer step: what the authorizer
// was asked and answered, what API Gateway decided, and what the function
// then received in requestContext.authorizer.
type AuthorizerView struct {
	Name     string
	Type     string // TOKEN, REQUEST, COGNITO_USER_POOLS, JWT, AWS_IAM
	Function string
	// Decision is allow, deny, unauthorized or error; Allowed is allow.
	Decision string
	Allowed  bool
	Cached   bool
	Cold     bool
	Duration string
	// Explanation says why access was refused.
	Explanation string
	Event       Body
	Output      Body
	Context     Body
	Error       *FuncError
	Logs        []LogLine
	// EventTitle and OutputTitle name the two parts for the authorizer's
	// kind ("Event sent to AuthFn", "Token claims", ...).
	EventTitle, OutputTitle string
}
