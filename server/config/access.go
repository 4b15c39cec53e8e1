package config

import (
	"strings"
	"time"
)

// What a template says about access: authorizers (on APIs), API keys and
// usage plans, and the permissions that let API Gateway invoke functions.
// auth.go, accessres.go and permissions.go read them.

// AuthorizerType is the kind of an authorizer, as API Gateway names it.
type AuthorizerType string

// The authorizer types gatescope enforces.
const (
	// TokenAuthorizer is a REST Lambda authorizer of type TOKEN: the
	// function gets one header's value.
	TokenAuthorizer AuthorizerType = "TOKEN"
	// RequestAuthorizer is a Lambda authorizer of type REQUEST (REST), or an
	// HTTP API Lambda authorizer: the function gets the request.
	RequestAuthorizer AuthorizerType = "REQUEST"
	// CognitoAuthorizer is a REST Cognito user pool authorizer.
	CognitoAuthorizer AuthorizerType = "COGNITO_USER_POOLS"
	// JWTAuthorizer is an HTTP API JWT authorizer.
	JWTAuthorizer AuthorizerType = "JWT"
	// IAMAuthorizer is IAM authorization: SigV4-signed requests.
	IAMAuthorizer AuthorizerType = "AWS_IAM"
)

// IAMAuthorizerName is the authorizer name routes with IAM authorization
// carry (Route.Authorizer), as SAM writes it.
const IAMAuthorizerName = "AWS_IAM"

// Authorizer is one authorizer of an API.
type Authorizer struct {
	// Name is what routes call it (Route.Authorizer): the SAM Authorizers
	// key, the OpenAPI security scheme, or the resource's logical id.
	Name string
	Type AuthorizerType
	// Function is the logical name of a Lambda authorizer's function in
	// the project; "" when FunctionARN names none (the route then answers
	// as API Gateway does when it cannot invoke the authorizer).
	Function string
	// FunctionARN is the function as the template names it, for messages.
	FunctionARN string
	// InvokeRole is the role API Gateway invokes the function with
	// (authorizer credentials); when set, the function's resource policy
	// is not consulted.
	InvokeRole string
	// IdentitySources say where the identity comes from, in the API
	// type's notation: method.request.header.Authorization (REST),
	// $request.header.Authorization (HTTP).
	IdentitySources []IdentitySource
	// ValidationExpression is a TOKEN authorizer's regular expression the
	// token must match (for Cognito, the aud claim); "" for none.
	ValidationExpression string
	// TTL caches the authorizer's results; 0 disables caching.
	TTL time.Duration
	// PayloadVersion is an HTTP API Lambda authorizer's payload format
	// ("1.0" or "2.0"); "" for REST.
	PayloadVersion string
	// SimpleResponses is EnableSimpleResponses (HTTP API, payload 2.0):
	// the function answers {"isAuthorized": bool}.
	SimpleResponses bool
	// Issuer and Audiences configure a JWT authorizer.
	Issuer    string
	Audiences []string
	// UserPoolARNs are a Cognito authorizer's user pools.
	UserPoolARNs []string
	// Scopes are the authorizer's default authorization scopes (SAM's
	// AuthorizationScopes on a Cognito or JWT authorizer); a route's own
	// scopes replace them.
	Scopes []string
	// Line is where it is declared.
	Line int
}

// Lambda reports whether the authorizer invokes a function.
func (a *Authorizer) Lambda() bool {
	return a.Type == TokenAuthorizer || a.Type == RequestAuthorizer
}

// IdentitySource is one place a request's identity comes from.
type IdentitySource struct {
	// Kind is "header", "querystring", "stageVariables" or "context".
	Kind string
	// Name is the header, parameter, variable or context field.
	Name string
	// Expr is the source as declared (method.request.header.Auth,
	// $request.header.Auth).
	Expr string
}

// ParseIdentitySource reads one identity source in either notation:
// method.request.header.X, method.request.querystring.X, stageVariables.X,
// context.X (REST); $request.header.X, $request.querystring.X,
// $stageVariables.X, $context.X (HTTP). ok is false for anything else.
func ParseIdentitySource(expr string) (IdentitySource, bool) {
	e := strings.TrimSpace(expr)
	for _, p := range []struct{ prefix, kind string }{
		{"method.request.header.", "header"}, {"method.request.querystring.", "querystring"},
		{"method.request.multivaluequerystring.", "querystring"}, {"method.request.multivalueheader.", "header"},
		{"stageVariables.", "stageVariables"}, {"context.", "context"},
		{"$request.header.", "header"}, {"$request.querystring.", "querystring"},
		{"$stageVariables.", "stageVariables"}, {"$context.", "context"},
	} {
		if name, ok := strings.CutPrefix(e, p.prefix); ok && name != "" {
			return IdentitySource{Kind: p.kind, Name: name, Expr: e}, true
		}
	}
	return IdentitySource{}, false
}

// identitySources parses a comma-separated or listed set of sources,
// returning the ones it could not read.
func identitySources(exprs []string) (out []IdentitySource, bad []string) {
	for _, list := range exprs {
		for e := range strings.SplitSeq(list, ",") {
			if strings.TrimSpace(e) == "" {
				continue
			}
			if s, ok := ParseIdentitySource(e); ok {
				out = append(out, s)
			} else {
				bad = append(bad, strings.TrimSpace(e))
			}
		}
	}
	return out, bad
}

// APIKey is an API key requests may send in x-api-key.
type APIKey struct {
	// ID is the logical id (or "--api-key" for keys given on the
	// command line).
	ID      string
	Name    string
	Value   string
	Enabled bool
	// Stages are the API stages the key is bound to without a usage plan
	// (StageKeys).
	Stages []APIStage
	Line   int
}

// APIStage names one stage of one API (by the API's logical id).
type APIStage struct {
	API, Stage string
}

// UsagePlan limits the API keys associated with it on its stages.
type UsagePlan struct {
	ID     string
	Name   string
	Stages []APIStage
	// Throttle and Quota are nil when the plan sets none.
	Throttle *Throttle
	Quota    *Quota
	// Keys are the logical ids of the API keys in the plan.
	Keys []string
	// FlagKeys is set for the plans SAM creates (Auth.UsagePlan), whose
	// generated keys cannot be known locally: the --api-key keys stand in
	// for them.
	FlagKeys bool
	Line     int
}

// Throttle is a token bucket: RateLimit requests per second on average,
// BurstLimit at once.
type Throttle struct {
	BurstLimit int
	RateLimit  float64
}

// Quota is a number of requests per period (DAY, WEEK or MONTH), starting
// Offset days (or hours, for DAY) into the period.
type Quota struct {
	Limit  int
	Period string
	Offset int
}

// Permission is one statement that lets a service invoke a function:
// an AWS::Lambda::Permission, or one SAM adds for an event or an
// authorizer.
type Permission struct {
	// Function is the logical name of the function it applies to.
	Function string
	// Sid is the statement id: the resource's logical id, or the one SAM
	// generates.
	Sid           string
	Principal     string
	Action        string
	SourceArn     string
	SourceAccount string
	// SAM is set for the statements SAM adds; a template with only those
	// keeps working whatever gatescope routes to the function.
	SAM bool
	// Origin says where the statement comes from, for explanations.
	Origin string
	Line   int
}
