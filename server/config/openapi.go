package config

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// defResult is what an OpenAPI definition contributes besides routes.
type defResult struct {
	cors             *Cors
	binaryMediaTypes []string
}

// definition reads an API's DefinitionBody (or the local file named by
// DefinitionUri) and adds its routes to a.
func (l *loader) definition(s *apiSet, a *API, p props) (defResult, error) {
	key := "DefinitionBody"
	doc := p.get(key)
	if doc == nil && p.raw(key) == nil {
		key = "DefinitionUri"
		uri := p.get(key)
		if uri == nil {
			return defResult{}, nil
		}
		where, ok := scalar(uri)
		if !ok || strings.Contains(where, "://") {
			p.notEmulated(uri, key, "a definition in S3 cannot be read locally: only event routes are served")
			return defResult{}, nil
		}
		raw, err := l.readDoc(where)
		if err != nil {
			return defResult{}, &Error{File: l.file, Line: uri.Line, Resource: p.res, Property: p.prefix + key, Message: "read definition", Err: err}
		}
		doc, _ = l.resolve(raw, p.at(key))
	}
	return l.openAPI(s, a, doc, p, key)
}

// openAPI adds the routes of an OpenAPI document (Swagger 2.0 or OpenAPI 3,
// which share everything we read: paths and x-amazon-apigateway-* keys) to
// a. p and key name the property that holds it, for messages.
func (l *loader) openAPI(s *apiSet, a *API, doc *yaml.Node, p props, key string) (defResult, error) {
	if doc == nil {
		return defResult{}, nil // unresolvable, already reported
	}
	if !isMap(doc) {
		return defResult{}, p.errorf(doc, key, "must be an OpenAPI document, got %s", describe(doc))
	}
	at := p.at(key)
	authorizers, keySchemes, err := l.securitySchemes(a, doc, at)
	if err != nil {
		return defResult{}, err
	}
	global := get(doc, "security")
	var res defResult
	for _, pp := range pairs(get(doc, "paths")) {
		path := pp.key
		if path == "/$default" || path == "$default" {
			path = "$default" // how HTTP API OpenAPI writes the default route
		}
		for _, op := range pairs(pp.v) {
			method := opMethod(op.key)
			if method == "" {
				continue // parameters, summary, other extensions
			}
			opAt := at.field("paths").field(pp.key).field(op.key)
			r, err := l.operation(a, path, method, op.v, op.k, opAt)
			if err != nil {
				return defResult{}, err
			}
			if r == nil {
				s.unbound = append(s.unbound, unboundOp{api: a, key: (&Route{Method: method, Path: path}).Key(), n: op.k, at: opAt})
				continue
			}
			sec := get(op.v, "security")
			if sec == nil {
				sec = global
			}
			r.Authorizer, r.Scopes, r.APIKeyRequired = securityOf(sec, authorizers, keySchemes)
			if r.APIKeyRequired && a.Type != RESTAPI {
				r.APIKeyRequired = false
				l.notEmulatedAt(op.k, opAt, "API keys are a REST API feature: an HTTP API ignores an apiKey security requirement")
			}
			l.operationExtensions(r, op.v, opAt)
			l.addRoute(a, r, op.k, opAt)
			s.fromDefinition[r] = true
		}
	}
	for _, kv := range pairs(doc) {
		kat := at.field(kv.key)
		switch kv.key {
		case "x-amazon-apigateway-cors":
			if a.Type != HTTPAPI {
				l.notEmulatedAt(kv.k, kat, "x-amazon-apigateway-cors applies to HTTP APIs only; this REST API ignores it, as API Gateway does")
				continue
			}
			c, err := corsObject(kv.v)
			if err != nil {
				return defResult{}, p.errorf(kv.v, key+".x-amazon-apigateway-cors", "%v", err)
			}
			res.cors = c
		case "x-amazon-apigateway-api-key-source":
			src, _ := scalar(kv.v)
			a.APIKeySource = strings.ToUpper(src)
		case "x-amazon-apigateway-binary-media-types":
			if n := deref(kv.v); isSeq(n) && a.Type == RESTAPI {
				for _, it := range n.Content {
					if t, ok := scalar(it); ok {
						res.binaryMediaTypes = append(res.binaryMediaTypes, t)
					}
				}
			}
		default:
			if msg, listed := docExtensions[kv.key]; listed && msg != inert {
				l.notEmulatedAt(kv.k, kat, "%s", msg)
			} else if !listed && strings.HasPrefix(kv.key, "x-amazon-apigateway-") {
				l.notEmulatedAt(kv.k, kat, "%s is not emulated: gatescope ignores it", kv.key)
			}
		}
	}
	return res, nil
}

// docExtensions are the document-level x-amazon-apigateway-* keys besides
// the ones openAPI reads: "" (inert) or the sentence listed.
var docExtensions = map[string]string{
	"x-amazon-apigateway-gateway-responses":            msgGatewayResp,
	"x-amazon-apigateway-request-validators":           inert, // listed where an operation uses one
	"x-amazon-apigateway-request-validator":            msgValidation,
	"x-amazon-apigateway-policy":                       msgResPolicy,
	"x-amazon-apigateway-minimum-compression-size":     msgCompression,
	"x-amazon-apigateway-endpoint-configuration":       inert,
	"x-amazon-apigateway-importexport-version":         inert,
	"x-amazon-apigateway-documentation":                inert,
	"x-amazon-apigateway-tag-value":                    inert,
	"x-amazon-apigateway-disable-execute-api-endpoint": inert,
}

// operationExtensions reads an operation's x-amazon-apigateway-auth and
// lists the x-amazon-apigateway-* keys that nothing emulates.
func (l *loader) operationExtensions(r *Route, op *yaml.Node, at loc) {
	for _, kv := range pairs(op) {
		switch kv.key {
		case "x-amazon-apigateway-integration":
		case "x-amazon-apigateway-request-validator":
			l.notEmulatedAt(kv.k, at.field(kv.key), msgValidation)
		case "x-amazon-apigateway-auth":
			if t, _ := scalar(getFold(kv.v, "type")); strings.EqualFold(t, "AWS_IAM") {
				r.Authorizer = IAMAuthorizerName
			}
		default:
			if strings.HasPrefix(kv.key, "x-amazon-apigateway-") {
				l.notEmulatedAt(kv.k, at.field(kv.key), "%s is not emulated: gatescope ignores it", kv.key)
			}
		}
	}
}

// securitySchemes reads the document's security schemes: authorizers
// (x-amazon-apigateway-authorizer) are added to a, AWS_IAM for SigV4
// schemes; it returns the schemes' authorizer names and the API key
// schemes.
func (l *loader) securitySchemes(a *API, doc *yaml.Node, at loc) (map[string]string, map[string]bool, error) {
	out, keys := map[string]string{}, map[string]bool{}
	where := "securityDefinitions" // Swagger 2.0
	schemes := get(doc, where)
	if schemes == nil {
		where = "components.securitySchemes"
		schemes = get(get(doc, "components"), "securitySchemes")
	}
	for _, kv := range pairs(schemes) {
		kat := at.field(where).field(kv.key)
		authType, _ := scalar(get(kv.v, "x-amazon-apigateway-authtype"))
		switch {
		case strings.EqualFold(authType, "awsSigv4"):
			out[kv.key] = IAMAuthorizerName
		case get(kv.v, "x-amazon-apigateway-authorizer") != nil:
			out[kv.key] = kv.key
			if a.Authorizer(kv.key) != nil {
				continue // SAM's Auth.Authorizers declared it; SAM's wins
			}
			az, err := l.schemeAuthorizer(a, kv, kat)
			if err != nil {
				return nil, nil, err
			}
			a.Authorizers = append(a.Authorizers, az)
		case authType != "":
			l.notEmulatedAt(kv.k, kat, "x-amazon-apigateway-authtype %s without an x-amazon-apigateway-authorizer is not emulated: routes using it are served without it", authType)
		default:
			if t, _ := scalar(get(kv.v, "type")); t == "apiKey" {
				keys[kv.key] = true
			}
		}
	}
	return out, keys, nil
}

// schemeAuthorizer reads one x-amazon-apigateway-authorizer.
func (l *loader) schemeAuthorizer(a *API, kv pair, at loc) (*Authorizer, error) {
	n := get(kv.v, "x-amazon-apigateway-authorizer")
	at = at.field("x-amazon-apigateway-authorizer")
	typ, _ := scalar(getFold(n, "type"))
	az := &Authorizer{Name: kv.key, Line: kv.k.Line}
	var srcs []string
	if s, ok := scalar(getFold(n, "identitySource")); ok {
		srcs = []string{s}
	} else if list, err := l.stringsOf(getFold(n, "identitySource"), at.field("identitySource")); err == nil {
		srcs = list
	}
	header, _ := scalar(get(kv.v, "name")) // an apiKey scheme's header
	in, _ := scalar(get(kv.v, "in"))
	if len(srcs) == 0 && header != "" && in == "header" {
		srcs = []string{"method.request.header." + header}
		if a.Type == HTTPAPI {
			srcs = []string{"$request.header." + header}
		}
	}
	var err error
	switch strings.ToLower(typ) {
	case "token", "request":
		az.Type = TokenAuthorizer
		if strings.EqualFold(typ, "request") {
			az.Type = RequestAuthorizer
		}
		az.FunctionARN, _ = scalar(getFold(n, "authorizerUri"))
		az.Function = l.functionForURI(az.FunctionARN)
		if az.Function == "" {
			l.warnAt(getFold(n, "authorizerUri"), at.field("authorizerUri"), "the authorizer's function %s is not in this template: its routes answer as when API Gateway cannot invoke it", az.FunctionARN)
		}
		az.ValidationExpression, _ = scalar(getFold(n, "identityValidationExpression"))
		if a.Type == RESTAPI {
			az.TTL = defaultRESTAuthorizerTTL
		} else {
			if az.Type == TokenAuthorizer {
				return nil, l.errorf(n, at.res, at.prop, "HTTP API Lambda authorizers are of type request")
			}
			v, _ := scalar(getFold(n, "authorizerPayloadFormatVersion"))
			pv, ok := normalizePayload(v)
			if !ok {
				return nil, l.errorf(n, at.res, at.prop+".authorizerPayloadFormatVersion", "must be 1.0 or 2.0, got %q", v)
			}
			az.PayloadVersion = pv
			az.SimpleResponses = truthy(getFold(n, "enableSimpleResponses"))
		}
	case "cognito_user_pools":
		if a.Type != RESTAPI {
			return nil, l.errorf(n, at.res, at.prop, "cognito_user_pools authorizers are for REST APIs; HTTP APIs use jwt")
		}
		az.Type, az.TTL = CognitoAuthorizer, defaultRESTAuthorizerTTL
		if az.UserPoolARNs, err = l.stringsOf(getFold(n, "providerARNs"), at.field("providerARNs")); err != nil {
			return nil, err
		}
	case "jwt":
		az.Type = JWTAuthorizer
		jc := getFold(n, "jwtConfiguration")
		az.Issuer, _ = scalar(getFold(jc, "issuer"))
		if az.Audiences, err = l.stringsOf(getFold(jc, "audience"), at.field("jwtConfiguration.audience")); err != nil {
			return nil, err
		}
		if len(srcs) == 0 {
			srcs = []string{"$request.header.Authorization"}
		}
	default:
		return nil, l.errorf(n, at.res, at.prop+".type", "must be token, request, cognito_user_pools or jwt, got %q", typ)
	}
	if n := getFold(n, "authorizerResultTtlInSeconds"); n != nil {
		if az.TTL, err = l.ttl(n, at.field("authorizerResultTtlInSeconds")); err != nil {
			return nil, err
		}
	}
	az.InvokeRole, _ = scalar(getFold(n, "authorizerCredentials"))
	return az, l.identity(az, srcs, kv.k, at)
}

// securityOf reads an operation's security requirement: the first scheme
// that is an authorizer (with its scopes), and whether an API key scheme
// is required.
func securityOf(sec *yaml.Node, authorizers map[string]string, keys map[string]bool) (name string, scopes []string, apiKey bool) {
	if !isSeq(sec) {
		return "", nil, false
	}
	for _, req := range deref(sec).Content {
		for _, kv := range pairs(req) {
			if keys[kv.key] {
				apiKey = true
			}
			if n, ok := authorizers[kv.key]; ok && name == "" {
				name = n
				for _, it := range items(kv.v) {
					if s, ok := scalar(it); ok {
						scopes = append(scopes, s)
					}
				}
			}
		}
	}
	return name, scopes, apiKey
}

// operation turns one OpenAPI operation into a route; nil when it has no
// integration. A route whose integration is not a Lambda proxy of a
// function in the template is kept (it must still win its requests over
// less specific routes) and listed.
func (l *loader) operation(a *API, path, method string, op, keyNode *yaml.Node, at loc) (*Route, error) {
	integ := get(op, "x-amazon-apigateway-integration")
	if integ == nil {
		return nil, nil
	}
	at = at.field("x-amazon-apigateway-integration")
	typ, _ := scalar(getFold(integ, "type"))
	uri, _ := scalar(get(integ, "uri"))
	subtype, _ := scalar(get(integ, "integrationSubtype"))
	r := &Route{Method: method, Path: path, PayloadVersion: "1.0", Timeout: defaultRESTTimeout}
	if opID, ok := scalar(get(op, "operationId")); ok {
		r.OperationName = opID
	}
	if a.Type == HTTPAPI {
		r.PayloadVersion, r.Timeout = "2.0", defaultHTTPTimeout
	}
	l.integrate(r, typ, subtype, uri)
	if a.Type == RESTAPI {
		r.MethodResponses = openAPIMethodResponses(op)
		l.readMapping(a, r, integ, at, false)
	}
	l.listIntegration(a.Type, r, nodeOr(integ, keyNode), at)
	if a.Type == HTTPAPI {
		if n := get(integ, "payloadFormatVersion"); n != nil {
			s, _ := scalar(n)
			pv, ok := normalizePayload(s)
			if !ok {
				return nil, l.errorf(n, at.res, at.prop+".payloadFormatVersion", "must be 1.0 or 2.0, got %s", describe(n))
			}
			r.PayloadVersion = pv
		}
	}
	if n := get(integ, "timeoutInMillis"); n != nil {
		s, _ := scalar(n)
		ms, err := strconv.Atoi(s)
		if err == nil {
			err = checkRouteTimeout(a.Type, ms)
		}
		if err != nil {
			return nil, l.errorf(n, at.res, at.prop+".timeoutInMillis", "must be a whole number of milliseconds within API Gateway's limits, got %s", describe(n))
		}
		r.Timeout = time.Duration(ms) * time.Millisecond
	}
	return r, nil
}

// integrate sets r's integration and, for a Lambda proxy of a function in
// the template, its function (with the zero Integration); a custom
// (non-proxy) Lambda integration gets its function too.
func (l *loader) integrate(r *Route, typ, subtype, uri string) {
	r.Integration = integrationOf(typ, subtype, uri)
	switch {
	case r.Integration.Kind == ProxyIntegration:
		if r.Function = l.functionForURI(uri); r.Function != "" {
			r.Integration = Integration{}
		}
	case r.Integration.Type == "AWS" && lambdaURI(uri):
		r.Function = l.functionForURI(uri)
	}
}

// integrationOf classifies an integration by its type (AWS_PROXY, AWS,
// HTTP, HTTP_PROXY, MOCK; any case) and, for HTTP API AWS_PROXY, its
// subtype (a service action such as SQS-SendMessage).
func integrationOf(typ, subtype, target string) Integration {
	in := Integration{Type: strings.ToUpper(typ), Target: target}
	switch in.Type {
	case "AWS_PROXY":
		if subtype != "" {
			in.Kind, in.Type = CustomIntegration, in.Type+" "+subtype
		}
	case "MOCK":
		in.Kind = MockIntegration
	case "HTTP", "HTTP_PROXY":
		in.Kind = HTTPIntegration
	default:
		in.Kind = CustomIntegration
	}
	return in
}

// listIntegration lists a route of an API of type t that gatescope routes
// but does not serve.
func (l *loader) listIntegration(t APIType, r *Route, n *yaml.Node, at loc) {
	if r.Emulated() {
		return
	}
	in := r.Integration
	switch {
	case in.Kind == ProxyIntegration, in.Type == "AWS" && lambdaURI(in.Target) && in.Mapping != nil:
		l.notEmulatedAt(n, at, "the integration invokes a function this template does not define (%s): the route answers as a missing route does; define the function, or set Metadata.gatescope.arn on one to invoke the deployed one", in.Target)
	case in.Kind == MockIntegration:
		l.notEmulatedAt(n, at, "mock integrations of %s are not emulated (REST APIs' are): the route answers as a missing route does", apiKind(t))
	case in.Kind == HTTPIntegration:
		l.notEmulatedAt(n, at, "HTTP integrations of %s are not emulated yet (REST APIs' are): the route answers as a missing route does", apiKind(t))
	case in.Type == "AWS" && lambdaURI(in.Target):
		l.notEmulatedAt(n, at, "non-proxy Lambda integrations of %s are not emulated (REST APIs' are): the route answers as a missing route does", apiKind(t))
	default:
		l.notEmulatedAt(n, at, "AWS service integrations (SQS, Step Functions, EventBridge, DynamoDB, ...) are not emulated: the route answers as a missing route does")
	}
}

// apiKind names an API type in a sentence.
func apiKind(t APIType) string {
	if t == WSAPI {
		return "WebSocket APIs"
	}
	return "HTTP APIs"
}

func nodeOr(n, fallback *yaml.Node) *yaml.Node {
	if n != nil {
		return n
	}
	return fallback
}

func opMethod(key string) string {
	switch k := strings.ToLower(key); k {
	case "get", "put", "post", "delete", "patch", "head", "options":
		return strings.ToUpper(k)
	case "x-amazon-apigateway-any-method":
		return "ANY"
	}
	return ""
}

// functionForURI finds the function an integration uri invokes. After
// resolution the uri holds a function ARN (ours are synthesized from the
// FunctionName) or, from an unprocessed file, a literal ${Func.Arn}.
func (l *loader) functionForURI(uri string) string {
	for _, f := range l.functions {
		if f.ARN != "" && strings.Contains(uri, f.ARN) {
			return f.Name
		}
	}
	if _, after, ok := strings.Cut(uri, ":function:"); ok {
		name := after
		if i := strings.IndexAny(name, ":/"); i >= 0 {
			name = name[:i]
		}
		for _, f := range l.functions {
			if f.FunctionName == name {
				return f.Name
			}
		}
		for _, f := range l.functions {
			if f.Name == name {
				return f.Name
			}
		}
	}
	if _, after, ok := strings.Cut(uri, "${"); ok {
		ref, _, _ := strings.Cut(after, "}")
		res, _, _ := strings.Cut(ref, ".")
		for _, f := range l.functions {
			if f.Name == res {
				return f.Name
			}
		}
	}
	return ""
}

// readDoc parses a YAML or JSON file named relative to the template.
func (l *loader) readDoc(path string) (*yaml.Node, error) {
	abs := l.localPath(path)
	if !slices.Contains(l.includes, abs) {
		l.includes = append(l.includes, abs)
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		ln, msg := yamlErrorLine(err)
		return nil, fmt.Errorf("%s:%d: invalid YAML: %s", path, ln, msg)
	}
	root := deref(&doc)
	if root == nil || root.Kind == 0 || root.Kind == yaml.DocumentNode {
		return nil, fmt.Errorf("%s is empty", path)
	}
	l.rewriteTags(root)
	return root, nil
}
