package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// SAM's Auth on APIs and events: authorizers (Lambda TOKEN and REQUEST,
// Cognito, JWT, AWS_IAM), the default authorizer, API keys and usage
// plans. Resource policies are still listed as not emulated.

const (
	// maxAuthorizerTTL is API Gateway's limit on ReauthorizeEvery.
	maxAuthorizerTTL = 3600
	// defaultRESTAuthorizerTTL is API Gateway's default result TTL for
	// REST authorizers (AuthorizerResultTtlInSeconds).
	defaultRESTAuthorizerTTL = 300 * time.Second
)

// apiAuthDefaults is what a SAM API's Auth gives its event routes.
type apiAuthDefaults struct {
	authorizer     string // DefaultAuthorizer, "" for none
	apiKeyRequired bool
}

// apiAuth reads the Auth of an AWS::Serverless::Api or HttpApi into a's
// authorizers and returns the defaults for its event routes.
func (l *loader) apiAuth(a *API, p props) (apiAuthDefaults, error) {
	n := p.get("Auth")
	var d apiAuthDefaults
	if n == nil {
		return d, nil
	}
	at := p.at("Auth")
	for _, kv := range pairs(n) {
		kat := at.field(kv.key)
		switch kv.key {
		case "Authorizers":
			for _, az := range pairs(kv.v) {
				if err := l.samAuthorizer(a, az, kat.field(az.key)); err != nil {
					return d, err
				}
			}
		case "DefaultAuthorizer":
			d.authorizer, _ = scalar(kv.v)
		case "EnableIamAuthorizer":
			// Lets HTTP API routes say AWS_IAM, which gatescope checks.
		case "ApiKeyRequired":
			d.apiKeyRequired = truthy(kv.v)
			if d.apiKeyRequired && a.Type != RESTAPI {
				l.notEmulatedAt(kv.k, kat, "API keys are a REST API feature: an HTTP API ignores ApiKeyRequired")
				d.apiKeyRequired = false
			}
		case "UsagePlan":
			if err := l.samUsagePlan(a, kv.v, kat); err != nil {
				return d, err
			}
		case "ResourcePolicy":
			l.notEmulatedAt(kv.k, kat, msgResPolicy)
		case "InvokeRole", "AddDefaultAuthorizerToCorsPreflight", "AddApiKeyRequiredToCorsPreflight", "Usage":
			// InvokeRole: the role API Gateway uses to invoke functions;
			// IAM roles are not emulated. The CORS preflight flags shape
			// SAM's OPTIONS mock, which gatescope answers unauthorized.
		default:
			l.notEmulatedAt(kv.k, kat, "Auth property %s is not emulated: gatescope ignores it", kv.key)
		}
	}
	if d.authorizer == "NONE" {
		d.authorizer = ""
	}
	// An unknown DefaultAuthorizer is refused where a route uses it
	// (checkRouteAuthorizers): it may name a security scheme of the API's
	// definition, which is read after Auth.
	return d, nil
}

// samAuthorizer reads one entry of a SAM API's Auth.Authorizers.
func (l *loader) samAuthorizer(a *API, az pair, at loc) error {
	n := az.v
	if !isMap(n) {
		return l.errorf(az.k, at.res, at.prop, "must be a mapping, got %s", describe(n))
	}
	out := &Authorizer{Name: az.key, Line: az.k.Line}
	known := map[string]bool{}
	read := func(k string) *yaml.Node { known[k] = true; return get(n, k) }
	var err error
	switch {
	case a.Type == HTTPAPI && get(n, "JwtConfiguration") != nil:
		out.Type = JWTAuthorizer
		jwt := read("JwtConfiguration")
		out.Issuer, _ = scalar(getFold(jwt, "issuer"))
		if out.Audiences, err = l.stringsOf(getFold(jwt, "audience"), at.field("JwtConfiguration.audience")); err != nil {
			return err
		}
		src := "$request.header.Authorization"
		if s, ok := scalar(read("IdentitySource")); ok {
			src = s
		}
		if err := l.identity(out, []string{src}, az.k, at); err != nil {
			return err
		}
		if out.Scopes, err = l.stringsOf(read("AuthorizationScopes"), at.field("AuthorizationScopes")); err != nil {
			return err
		}
		if out.Issuer == "" {
			return l.errorf(jwt, at.res, at.prop+".JwtConfiguration", "needs an issuer")
		}
	case a.Type == RESTAPI && get(n, "UserPoolArn") != nil:
		out.Type = CognitoAuthorizer
		if out.UserPoolARNs, err = l.stringsOf(read("UserPoolArn"), at.field("UserPoolArn")); err != nil {
			return err
		}
		if out.Scopes, err = l.stringsOf(read("AuthorizationScopes"), at.field("AuthorizationScopes")); err != nil {
			return err
		}
		if err := l.restIdentity(out, read("Identity"), at.field("Identity"), az.k); err != nil {
			return err
		}
	case get(n, "FunctionArn") != nil:
		out.Type = RequestAuthorizer
		arn, _ := scalar(read("FunctionArn"))
		out.FunctionARN = arn
		out.Function = l.functionForURI(arn)
		if out.Function == "" {
			l.warnAt(get(n, "FunctionArn"), at.field("FunctionArn"), "the authorizer's function %s is not in this template: its routes answer as when API Gateway cannot invoke it", arn)
		}
		out.InvokeRole, _ = scalar(read("FunctionInvokeRole"))
		if a.Type == RESTAPI {
			if pt, ok := scalar(read("FunctionPayloadType")); !ok || strings.EqualFold(pt, "TOKEN") {
				out.Type = TokenAuthorizer
			} else if !strings.EqualFold(pt, "REQUEST") {
				return l.errorf(get(n, "FunctionPayloadType"), at.res, at.prop+".FunctionPayloadType", "must be TOKEN or REQUEST, got %q", pt)
			}
			if err := l.restIdentity(out, read("Identity"), at.field("Identity"), az.k); err != nil {
				return err
			}
			if !truthy(read("DisableFunctionDefaultPermissions")) && out.Function != "" {
				l.samAuthorizerPermission(a, out, az.k.Line)
			}
		} else {
			v, ok := scalar(read("AuthorizerPayloadFormatVersion"))
			pv, valid := normalizePayload(v)
			if !ok || !valid {
				return l.errorf(nodeOr(get(n, "AuthorizerPayloadFormatVersion"), az.k), at.res, at.prop+".AuthorizerPayloadFormatVersion", "is required for an HTTP API Lambda authorizer and must be 1.0 or 2.0")
			}
			out.PayloadVersion = pv
			out.SimpleResponses = truthy(read("EnableSimpleResponses"))
			if out.SimpleResponses && pv != "2.0" {
				return l.errorf(get(n, "EnableSimpleResponses"), at.res, at.prop+".EnableSimpleResponses", "needs AuthorizerPayloadFormatVersion 2.0")
			}
			if err := l.httpIdentity(out, read("Identity"), at.field("Identity"), az.k); err != nil {
				return err
			}
			if truthy(read("EnableFunctionDefaultPermissions")) && out.Function != "" {
				l.samAuthorizerPermission(a, out, az.k.Line)
			}
		}
	default:
		return l.errorf(az.k, at.res, at.prop, "is neither a Lambda authorizer (FunctionArn) nor a %s", map[APIType]string{RESTAPI: "Cognito authorizer (UserPoolArn)", HTTPAPI: "JWT authorizer (JwtConfiguration)"}[a.Type])
	}
	for _, kv := range pairs(n) {
		if !known[kv.key] {
			l.notEmulatedAt(kv.k, at.field(kv.key), "authorizer property %s is not emulated: gatescope ignores it", kv.key)
		}
	}
	return l.addAuthorizer(a, out, az.k, at)
}

// addAuthorizer adds az to a; a name declared twice is an error, as in
// API Gateway.
func (l *loader) addAuthorizer(a *API, az *Authorizer, n *yaml.Node, at loc) error {
	if a.Authorizer(az.Name) != nil {
		return l.errorf(n, at.res, at.prop, "authorizer %s is declared twice on API %s", az.Name, a.ID)
	}
	a.Authorizers = append(a.Authorizers, az)
	return nil
}

// restIdentity reads a REST authorizer's Identity: Header (TOKEN,
// Cognito; default Authorization), ValidationExpression, ReauthorizeEvery,
// or for REQUEST Headers, QueryStrings, StageVariables and Context.
func (l *loader) restIdentity(az *Authorizer, n *yaml.Node, at loc, where *yaml.Node) error {
	az.TTL = defaultRESTAuthorizerTTL
	var exprs []string
	header := "Authorization"
	for _, kv := range pairs(n) {
		kat := at.field(kv.key)
		switch kv.key {
		case "Header":
			if az.Type == RequestAuthorizer {
				return l.errorf(kv.k, kat.res, kat.prop, "a REQUEST authorizer takes Headers, QueryStrings, StageVariables or Context")
			}
			header, _ = scalar(kv.v)
		case "ValidationExpression":
			az.ValidationExpression, _ = scalar(kv.v)
			if _, err := regexp.Compile(az.ValidationExpression); err != nil {
				return l.errorf(kv.v, kat.res, kat.prop, "is not a regular expression: %v", err)
			}
		case "ReauthorizeEvery":
			ttl, err := l.ttl(kv.v, kat)
			if err != nil {
				return err
			}
			az.TTL = ttl
		case "Headers", "QueryStrings", "StageVariables", "Context":
			if az.Type != RequestAuthorizer {
				return l.errorf(kv.k, kat.res, kat.prop, "only a REQUEST authorizer takes %s; a %s authorizer reads one Header", kv.key, az.Type)
			}
			names, err := l.stringsOf(kv.v, kat)
			if err != nil {
				return err
			}
			prefix := map[string]string{"Headers": "method.request.header.", "QueryStrings": "method.request.querystring.",
				"StageVariables": "stageVariables.", "Context": "context."}[kv.key]
			for _, name := range names {
				exprs = append(exprs, prefix+name)
			}
		default:
			l.notEmulatedAt(kv.k, kat, "Identity property %s is not emulated: gatescope ignores it", kv.key)
		}
	}
	if az.Type != RequestAuthorizer {
		exprs = []string{"method.request.header." + header}
	}
	return l.identity(az, exprs, where, at)
}

// httpIdentity reads an HTTP API Lambda authorizer's Identity (Headers,
// QueryStrings, StageVariables, Context, ReauthorizeEvery). HTTP API
// authorizers cache nothing unless told.
func (l *loader) httpIdentity(az *Authorizer, n *yaml.Node, at loc, where *yaml.Node) error {
	var exprs []string
	for _, kv := range pairs(n) {
		kat := at.field(kv.key)
		switch kv.key {
		case "ReauthorizeEvery":
			ttl, err := l.ttl(kv.v, kat)
			if err != nil {
				return err
			}
			az.TTL = ttl
		case "Headers", "QueryStrings", "StageVariables", "Context":
			names, err := l.stringsOf(kv.v, kat)
			if err != nil {
				return err
			}
			prefix := map[string]string{"Headers": "$request.header.", "QueryStrings": "$request.querystring.",
				"StageVariables": "$stageVariables.", "Context": "$context."}[kv.key]
			for _, name := range names {
				exprs = append(exprs, prefix+name)
			}
		default:
			l.notEmulatedAt(kv.k, kat, "Identity property %s is not emulated: gatescope ignores it", kv.key)
		}
	}
	return l.identity(az, exprs, where, at)
}

// identity sets an authorizer's identity sources; a source gatescope
// cannot read is an error, as API Gateway rejects it at deploy.
func (l *loader) identity(az *Authorizer, exprs []string, n *yaml.Node, at loc) error {
	srcs, bad := identitySources(exprs)
	if len(bad) > 0 {
		return l.errorf(n, at.res, at.prop, "identity source %q is not a header, query string, stage variable or context value", bad[0])
	}
	az.IdentitySources = srcs
	if az.TTL > 0 && az.Type == RequestAuthorizer && len(srcs) == 0 {
		// API Gateway needs identity sources to cache by; without them a
		// REQUEST authorizer runs on every request.
		az.TTL = 0
	}
	return nil
}

// ttl reads ReauthorizeEvery / AuthorizerResultTtlInSeconds: 0 to 3600 s.
func (l *loader) ttl(n *yaml.Node, at loc) (time.Duration, error) {
	s, _ := scalar(n)
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 || v > maxAuthorizerTTL {
		return 0, l.errorf(n, at.res, at.prop, "must be a whole number of seconds from 0 to %d, got %s", maxAuthorizerTTL, describe(n))
	}
	return time.Duration(v) * time.Second, nil
}

// stringsOf reads a string or a list of strings.
func (l *loader) stringsOf(n *yaml.Node, at loc) ([]string, error) {
	if n == nil {
		return nil, nil
	}
	if s, ok := scalar(n); ok {
		return []string{s}, nil
	}
	if !isSeq(n) {
		return nil, l.errorf(n, at.res, at.prop, "must be a string or a list of strings, got %s", describe(n))
	}
	var out []string
	for _, it := range deref(n).Content {
		s, ok := scalar(it)
		if !ok {
			return nil, l.errorf(it, at.res, at.prop, "must be a list of strings, got an item %s", describe(it))
		}
		out = append(out, s)
	}
	return out, nil
}

// eventAuth reads an Api or HttpApi event's Auth into r: its authorizer
// (the event's own, else its API's default; NONE for none), scopes and
// whether it needs an API key.
func (l *loader) eventAuth(a *API, r *Route, p props, def apiAuthDefaults) error {
	n := p.get("Auth")
	r.Authorizer, r.APIKeyRequired = def.authorizer, def.apiKeyRequired
	at := p.at("Auth")
	var nameNode *yaml.Node
	for _, kv := range pairs(n) {
		kat := at.field(kv.key)
		switch kv.key {
		case "Authorizer":
			if s, ok := scalar(kv.v); ok {
				r.Authorizer, nameNode = s, kv.v
			}
		case "ApiKeyRequired":
			r.APIKeyRequired = truthy(kv.v)
			if r.APIKeyRequired && a.Type != RESTAPI {
				l.notEmulatedAt(kv.k, kat, "API keys are a REST API feature: an HTTP API ignores ApiKeyRequired")
				r.APIKeyRequired = false
			}
		case "AuthorizationScopes":
			scopes, err := l.stringsOf(kv.v, kat)
			if err != nil {
				return err
			}
			r.Scopes = scopes
		case "ResourcePolicy":
			l.notEmulatedAt(kv.k, kat, msgResPolicy)
		case "InvokeRole", "OverrideApiAuth":
			// InvokeRole: IAM roles are not emulated; OverrideApiAuth only
			// matters to SAM's own API generation.
		default:
			l.notEmulatedAt(kv.k, kat, "Auth property %s is not emulated: gatescope ignores it", kv.key)
		}
	}
	switch r.Authorizer {
	case "NONE":
		r.Authorizer = ""
	case "", IAMAuthorizerName:
	default:
		if a.Authorizer(r.Authorizer) == nil && nameNode != nil {
			return l.errorf(nameNode, at.res, at.prop+".Authorizer", "names %s, which API %s does not declare in Auth.Authorizers", r.Authorizer, a.ID)
		}
	}
	return nil
}

// checkRouteAuthorizers makes sure every route's authorizer exists: SAM
// and API Gateway refuse to deploy a route naming an unknown one.
func (l *loader) checkRouteAuthorizers(apis []*API) error {
	for _, a := range apis {
		for _, r := range a.Routes {
			if r.Authorizer == "" || r.Authorizer == IAMAuthorizerName || a.Authorizer(r.Authorizer) != nil {
				continue
			}
			if a.Type == WSAPI {
				continue // listed as a whole
			}
			return &Error{File: l.file, Resource: a.ID, Message: fmt.Sprintf("route %s names authorizer %s, which API %s does not declare", r.Key(), r.Authorizer, a.ID)}
		}
	}
	return nil
}

// settings reads a throttling/caching/logging settings property (REST
// MethodSettings, HTTP API DefaultRouteSettings and RouteSettings, a
// stage's settings): logging and metrics have nothing to emulate; anything
// else (throttling, caching) is listed.
func (l *loader) settings(p props, key string) {
	n := p.get(key)
	if n == nil {
		return
	}
	var entries []*yaml.Node
	switch {
	case isSeq(n):
		entries = deref(n).Content
	case key == "RouteSettings":
		for _, kv := range pairs(n) { // route key → settings
			entries = append(entries, kv.v)
		}
	default:
		entries = []*yaml.Node{n}
	}
	for _, e := range entries {
		for _, kv := range pairs(e) {
			switch kv.key {
			case "ResourcePath", "HttpMethod", "LoggingLevel", "MetricsEnabled", "DataTraceEnabled", "DetailedMetricsEnabled":
				continue
			}
			p.notEmulated(kv.k, key, msgThrottle)
			return
		}
	}
}

// truthy reads a YAML boolean as CloudFormation does (true, "true").
func truthy(n *yaml.Node) bool {
	s, ok := scalar(n)
	if !ok {
		return false
	}
	b, err := strconv.ParseBool(s)
	return err == nil && b
}
