// Package config loads a SAM template (or native config) into one model of
// functions and APIs. It knows nothing of what happens at run time.
package config

import (
	"strconv"
	"strings"
	"time"
)

// Project is everything gatescope serves, as read from a template.
type Project struct {
	// Path is the template file the project was loaded from ("" for built-ins).
	Path string
	// Includes are the other files loading read, absolute, in the order
	// read: AWS::Include locations and OpenAPI documents (DefinitionUri,
	// BodyS3Location). A change to one changes the project as a change to
	// the template does.
	Includes []string
	// Region and AccountID are where the stack lives: what functions see as
	// AWS_REGION and what ARNs and events name.
	Region    string
	AccountID string
	// Functions in template order.
	Functions []*Function
	// APIs in template order; implicit APIs (ServerlessHttpApi,
	// ServerlessRestApi) come after the explicit ones.
	APIs []*API
	// NotEmulated names what the template declares that gatescope does not
	// do (file:line, resource, property): a feature is either emulated or
	// listed here, never silently ignored.
	NotEmulated []Warning
	// Warnings name what could not be resolved, or was resolved differently
	// from AWS, and how (file:line, resource, property).
	Warnings []Warning
	// APIKeys and UsagePlans are the template's API keys and usage plans.
	APIKeys    []*APIKey
	UsagePlans []*UsagePlan
	// Permissions are the statements that let services invoke functions:
	// the template's AWS::Lambda::Permission resources and the ones SAM adds.
	Permissions []*Permission
}

// Function returns the function with the given logical name, or nil.
func (p *Project) Function(name string) *Function {
	for _, f := range p.Functions {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// Warning is a non-fatal finding of the loader, such as an intrinsic
// function that cannot be resolved locally, or a feature that is not emulated.
type Warning struct {
	File     string
	Line     int
	Resource string
	Property string
	Message  string
}

func (w Warning) String() string {
	s := w.File
	if w.Line > 0 {
		s += ":" + strconv.Itoa(w.Line)
	}
	if w.Resource != "" {
		s += ": " + w.Resource
		if w.Property != "" {
			s += "." + w.Property
		}
	}
	return s + ": " + w.Message
}

// Function is one AWS::Serverless::Function, local or remote.
type Function struct {
	// Name is the logical id in the template (what routes and the Invoke API use).
	Name string
	// FunctionName is the physical name (FunctionName property, else Name).
	FunctionName string
	// ARN, when set, makes the function remote: it is invoked through the AWS SDK.
	ARN string

	Description string
	Runtime     string // e.g. "provided.al2023", "nodejs20.x", "python3.12"
	Handler     string // e.g. "bootstrap", "index.handler", "app.lambda_handler"
	CodeDir     string // absolute directory (or .zip file) of CodeUri
	// InlineCode is the function's code written in the template (SAM's
	// InlineCode, CloudFormation's Code.ZipFile), for Node.js and Python.
	InlineCode string
	// Build is how sam build builds the code (Metadata.BuildMethod); nil
	// when the code runs as it is.
	Build *Build
	// Layers are the function's layers, in order (Globals' first).
	Layers       []*Layer
	Architecture string // "x86_64" or "arm64"
	Timeout      time.Duration
	MemoryMB     int
	Env          map[string]string
	// ReservedConcurrency is ReservedConcurrentExecutions, nil when the
	// template sets none. A reserved function throttles past its limit (0
	// throttles every invoke) as AWS does; an unreserved one never does.
	ReservedConcurrency *int
	// Tracing is the function's X-Ray mode: TracingActive samples every
	// invocation whose caller did not decide; "" (PassThrough) samples only
	// what the caller sampled. SAM's Tracing, TracingConfig.Mode.
	Tracing string
}

// TracingActive is the X-Ray mode in which a function samples invocations
// its caller left undecided (SAM Tracing: Active).
const TracingActive = "Active"

// Remote reports whether the function is invoked in AWS rather than run locally.
func (f *Function) Remote() bool { return f.ARN != "" }

// APIType is the kind of API Gateway API.
type APIType string

const (
	HTTPAPI APIType = "HTTP"      // API Gateway v2 HTTP API
	RESTAPI APIType = "REST"      // API Gateway v1 REST API
	WSAPI   APIType = "WEBSOCKET" // API Gateway v2 WebSocket API
)

// API is one API Gateway API and its routes.
type API struct {
	// ID is the logical id (ServerlessHttpApi / ServerlessRestApi for implicit
	// APIs). Lower-cased, it is the API's own host: <id>.localhost.
	ID    string
	Type  APIType
	Stage string // "$default" for HTTP APIs unless set; "Prod" for implicit REST APIs
	// Region and AccountID are the project's, copied so that apigw, which
	// sees one API at a time, names them in events and domain names.
	Region    string
	AccountID string
	// StageVariables (HttpApi StageVariables, Api Variables); nil when none.
	StageVariables map[string]string
	// BinaryMediaTypes for REST APIs, with SAM's "~1" already turned into "/".
	BinaryMediaTypes []string
	// TracingEnabled is a REST API stage's X-Ray tracing (SAM
	// TracingEnabled, a Stage's TracingEnabled): the stage samples requests
	// and Lambda records what it samples.
	TracingEnabled bool
	Cors           *Cors
	// RouteSelection is a WebSocket API's RouteSelectionExpression, e.g.
	// "$request.body.action": what picks a message's route.
	RouteSelection string
	Routes         []*Route
	// Authorizers are the API's authorizers, by the name routes use.
	Authorizers []*Authorizer
	// APIKeySource is where a REST API reads API keys: HEADER (x-api-key,
	// the default) or AUTHORIZER (a Lambda authorizer's usageIdentifierKey).
	APIKeySource string
}

// Authorizer returns the API's authorizer called name, or nil.
func (a *API) Authorizer(name string) *Authorizer {
	for _, az := range a.Authorizers {
		if az.Name == name {
			return az
		}
	}
	return nil
}

// Host is the host name that addresses this API alone: its lower-case
// logical id under localhost, which browsers and curl resolve to loopback.
func (a *API) Host() string { return strings.ToLower(a.ID) + ".localhost" }

// Emulated reports whether gatescope serves the API's type: HTTP, REST and
// WebSocket APIs all are.
func (a *API) Emulated() bool {
	return a.Type == HTTPAPI || a.Type == RESTAPI || a.Type == WSAPI
}

// Route is one route key and its integration.
type Route struct {
	// Method is upper case, or "ANY"; "" for a WebSocket route.
	Method string
	// Path is the resource path as declared, e.g. "/items/{id}", "/{proxy+}";
	// "$default" for an HTTP API's default route.
	Path string
	// Function is the logical name of the integrated function; "" for an
	// integration that invokes none (an HTTP endpoint, a mock, another
	// AWS service).
	Function string
	// Integration says how the route is answered: a Lambda proxy (the zero
	// value) or a kind gatescope does not serve yet.
	Integration Integration
	// Authorizer is the name of the route's authorizer (one of its API's
	// Authorizers, or IAMAuthorizerName); "" when it has none.
	Authorizer string
	// Scopes are the route's authorization scopes (JWT and Cognito
	// authorizers); nil leaves the authorizer's own.
	Scopes []string
	// APIKeyRequired makes a REST route require an API key.
	APIKeyRequired bool
	// OperationName is the operation's name (OpenAPI operationId, a REST
	// method's OperationName); REST events carry it.
	OperationName string
	// PayloadVersion is "1.0" or "2.0".
	PayloadVersion string
	// Timeout is the integration timeout (HTTP API TimeoutInMillis; 30 s / 29 s default).
	Timeout time.Duration
	// TwoWay marks a WebSocket route whose function's answer goes back to
	// the client: it has a $default RouteResponse and the route's
	// RouteResponseSelectionExpression is $default. Other routes are one-way.
	TwoWay bool
	// MethodResponses are a REST method's declared responses (OpenAPI
	// responses, a Method's MethodResponses): the statuses an integration
	// response may answer with and the headers it may map.
	MethodResponses []MethodResponse
}

// Emulated reports whether gatescope serves the route: Lambda proxy
// integrations of a function in the project, and a REST API's custom
// Lambda, mock and HTTP integrations (those with a Mapping). Any other
// route (an AWS service integration, an HTTP API's non-proxy one) is still
// routed, so that no less specific route answers in its place, but it is
// answered as API Gateway answers a missing route, and it is listed in
// Project.NotEmulated.
func (r *Route) Emulated() bool {
	if r.Integration.Mapping != nil {
		return r.Integration.Kind != CustomIntegration || r.Function != ""
	}
	return r.Integration.Kind == ProxyIntegration && r.Function != ""
}

// IntegrationKind is what a route's integration does.
type IntegrationKind string

// The kinds of integration, as `gatescope check` names them.
const (
	// ProxyIntegration is a Lambda proxy integration (AWS_PROXY of a
	// function): the zero value.
	ProxyIntegration IntegrationKind = ""
	// CustomIntegration is an AWS integration: non-proxy Lambda (mapping
	// templates) or another service (SQS, Step Functions, EventBridge, ...).
	CustomIntegration IntegrationKind = "custom"
	// MockIntegration answers from mapping templates, invoking nothing.
	MockIntegration IntegrationKind = "mock"
	// HTTPIntegration forwards to an HTTP endpoint (HTTP or HTTP_PROXY).
	HTTPIntegration IntegrationKind = "http"
)

func (k IntegrationKind) String() string {
	if k == ProxyIntegration {
		return "proxy"
	}
	return string(k)
}

// Integration is a route's integration beyond its function.
type Integration struct {
	Kind IntegrationKind
	// Type is the integration type as the template wrote it (AWS, HTTP_PROXY,
	// MOCK, or AWS_PROXY with a service subtype), for messages.
	Type string
	// Target is what the integration calls (a URL, a service action, a
	// function ARN), for messages; "" when unknown.
	Target string
	// Mapping is how a REST API's non-proxy integration (custom Lambda,
	// mock, HTTP, HTTP_PROXY) maps requests and responses; nil for
	// proxies and for what gatescope does not emulate.
	Mapping *Mapping
}

// Key is the route key as API Gateway writes it: "GET /items/{id}" or "$default".
func (r *Route) Key() string {
	if r.Path == "$default" || r.Method == "" {
		return r.Path // $default; a WebSocket route key ($connect, an action)
	}
	return r.Method + " " + r.Path
}

// Cors is an API's CORS configuration (HttpApi CorsConfiguration or Api Cors).
type Cors struct {
	AllowOrigins     []string
	AllowMethods     []string
	AllowHeaders     []string
	ExposeHeaders    []string
	MaxAge           int // seconds; 0 = not set
	AllowCredentials bool
}
