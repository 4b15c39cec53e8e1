package apigw

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gatescope/gatescope/server/config"
)

// Authorizers as API Gateway runs them, the pure part: the events a Lambda
// authorizer gets (TOKEN, REQUEST, HTTP API payload 1.0 and 2.0), the ARNs
// policies and permissions are matched against, and the
// requestContext.authorizer (and identity) the function then sees. What
// runs them, caches and counts is server/authz.

// Auth is what the gateway established about a caller before the invoke;
// the event's requestContext carries it. Request.Auth holds it.
type Auth struct {
	Kind AuthKind
	// Lambda authorizers: the principal, how long the authorizer took, and
	// its context object (nil when it returned none).
	PrincipalID        string
	IntegrationLatency int64 // ms
	Context            json.RawMessage
	// JWT and Cognito authorizers: the verified claims (the token's
	// payload), and for JWT the token's scopes (nil when the route has
	// none).
	Claims json.RawMessage
	Scopes []string
	// IAM authorization: who signed the request.
	IAM *IAMIdentity
	// APIKey and APIKeyID are the API key the request used (REST).
	APIKey, APIKeyID string
}

// AuthKind says which authorizer established an Auth.
type AuthKind int

const (
	// AuthNone: no authorizer ran (an API key alone may be set).
	AuthNone AuthKind = iota
	// AuthLambda: a Lambda authorizer (TOKEN, REQUEST, HTTP API).
	AuthLambda
	// AuthJWT: an HTTP API JWT authorizer.
	AuthJWT
	// AuthCognito: a REST Cognito user pool authorizer.
	AuthCognito
	// AuthIAM: IAM authorization (SigV4).
	AuthIAM
)

// IAMIdentity is the signer of a SigV4 request as API Gateway reports it.
type IAMIdentity struct {
	AccessKey, AccountID, Caller, User, UserARN string
}

// region is the API's region, as its ARNs name it.
func region(api *config.API) string {
	if api.Region == "" {
		return config.DefaultRegion
	}
	return api.Region
}

func executeAPI(api *config.API, apiID, resource string) string {
	return "arn:aws:execute-api:" + region(api) + ":" + accountID(api) + ":" + apiID + "/" + resource
}

// MethodARN is the ARN of the call an authorizer decides, as the event's
// methodArn (REST) or routeArn (HTTP API) carries it and its policy is
// matched against: <api>/<stage>/<VERB>/<path as requested>, the stage
// prefix removed; the root is …/GET/.
func MethodARN(m *Match, req *Request) string {
	return executeAPI(m.API, m.apiIDOrDerive(), stageName(m)+"/"+req.Method+m.Path)
}

// SourceARN is the execute-api ARN API Gateway invokes a route's function
// as (Lambda's AWS:SourceArn): <api>/<stage>/<METHOD>/<resource path>,
// with the method and path as the route declares them (ANY stays ANY,
// {id} stays {id}); an HTTP API's $default route is <api>/<stage>/$default.
func SourceARN(m *Match) string {
	r := m.Route
	if r.Path == "$default" {
		return executeAPI(m.API, m.apiIDOrDerive(), stageName(m)+"/$default")
	}
	return executeAPI(m.API, m.apiIDOrDerive(), stageName(m)+"/"+r.Method+r.Path)
}

// AuthorizerID is an authorizer's id (6 characters), stable per API and
// name.
func AuthorizerID(apiID, name string) string { return shortID(apiID+" authorizer "+name, 6) }

// AuthorizerARN is the execute-api ARN API Gateway invokes an authorizer's
// function as: <api>/authorizers/<id>.
func AuthorizerARN(m *Match, az *config.Authorizer) string {
	id := m.apiIDOrDerive()
	return executeAPI(m.API, id, "authorizers/"+AuthorizerID(id, az.Name))
}

// ExecuteAPIPrefix is the start of every execute-api ARN of an API, for
// rewriting ARNs a template wrote with the API's logical id (what its Ref
// yields locally) to the API id events carry.
func ExecuteAPIPrefix(api *config.API) (logical, derived string) {
	base := "arn:aws:execute-api:" + region(api) + ":" + accountID(api) + ":"
	return base + api.ID + "/", base + APIID(api.ID) + "/"
}

// AuthorizerRefARN is an authorizer's execute-api ARN as a template
// writes it with the authorizer's Ref (its logical id, locally) and as
// API Gateway invokes the function (the authorizer id), for rewriting as
// ExecuteAPIPrefix does.
func AuthorizerRefARN(api *config.API, az *config.Authorizer) (logical, derived string) {
	l, d := ExecuteAPIPrefix(api)
	return l + "authorizers/" + az.Name, d + "authorizers/" + AuthorizerID(APIID(api.ID), az.Name)
}

// IdentityValue reads one identity source from the request: a header
// (any case), a query string parameter (its last value), a stage
// variable, or a context value ($context.requestId, sourceIp, ...); ""
// when absent.
func IdentityValue(m *Match, req *Request, src config.IdentitySource) string {
	switch src.Kind {
	case "header":
		return strings.Join(req.Header.Values(src.Name), ",")
	case "querystring":
		v := ""
		for _, p := range parseQuery(req.RawQuery) {
			if p.key == src.Name {
				v = p.value
			}
		}
		return v
	case "stageVariables":
		return m.API.StageVariables[src.Name]
	case "context":
		switch src.Name {
		case "requestId":
			return req.RequestID
		case "identity.sourceIp", "sourceIp":
			return req.SourceIP
		case "httpMethod":
			return req.Method
		case "stage":
			return stageName(m)
		case "resourcePath":
			return m.Route.Path
		case "routeKey":
			return m.Route.Key()
		case "apiId":
			return m.apiIDOrDerive()
		case "identity.userAgent":
			return req.Header.Get("User-Agent")
		}
	}
	return ""
}

// TokenEvent is a REST TOKEN authorizer's event:
// {"type":"TOKEN","authorizationToken":…,"methodArn":…}.
func TokenEvent(m *Match, req *Request, token string) []byte {
	w := jsonw{b: make([]byte, 0, 256)}
	w.open('{')
	w.str("type", "TOKEN")
	w.str("authorizationToken", token)
	w.str("methodArn", MethodARN(m, req))
	w.close('}')
	return w.b
}

// RequestEvent is a REQUEST authorizer's event: for REST, the payload 1.0
// request with type and methodArn first; for HTTP APIs with payload 1.0,
// also version, identitySource and authorizationToken (the identity
// values joined with ","); for payload 2.0, version, type, routeArn and
// identitySource (the values) before the 2.0 request. No body is passed.
func RequestEvent(m *Match, req *Request, az *config.Authorizer, identity []string) []byte {
	ae := &authorizerEvent{arn: MethodARN(m, req), identity: identity}
	if m.API.Type == config.HTTPAPI && az.PayloadVersion == "2.0" {
		return buildV2(m, req, ae)
	}
	ae.v1Identity = m.API.Type == config.HTTPAPI
	return buildV1(m, req, ae)
}

// authorizerEvent is what a REQUEST authorizer's event adds to the request
// event it is built from.
type authorizerEvent struct {
	arn      string
	identity []string
	// v1Identity writes identitySource and authorizationToken (HTTP API
	// payload 1.0).
	v1Identity bool
}

// writeV1 writes type and methodArn (and the HTTP API 1.0 identity).
func (ae *authorizerEvent) writeV1(w *jsonw) {
	w.str("type", "REQUEST")
	w.str("methodArn", ae.arn)
	if ae.v1Identity {
		joined := strings.Join(ae.identity, ",")
		w.str("identitySource", joined)
		w.str("authorizationToken", joined)
	}
}

// writeV2 writes type, routeArn and identitySource.
func (ae *authorizerEvent) writeV2(w *jsonw) {
	w.str("type", "REQUEST")
	w.str("routeArn", ae.arn)
	w.strList("identitySource", ae.identity)
}

// AuthorizerJSON is requestContext.authorizer as the route's function
// gets it; nil when the event has none (no authorizer, or IAM
// authorization, which fills requestContext.identity instead, except in
// HTTP API payload 2.0).
//
//   - REST, Lambda: {"principalId","integrationLatency", context values as strings}
//   - REST, Cognito: {"claims":{…as strings, exp and iat as dates}}
//   - HTTP API, Lambda: {"lambda": context with JSON types kept, or null}
//   - HTTP API, JWT: payload 2.0 {"jwt":{"claims":{…as strings},"scopes":[…]|null}},
//     payload 1.0 {"claims":{…},"scopes":…}
//   - HTTP API 2.0, IAM: {"iam":{"accessKey",…}}
func AuthorizerJSON(m *Match, a *Auth) []byte {
	if a == nil {
		return nil
	}
	rest := m.API.Type == config.RESTAPI
	v2 := payloadVersion(m) == "2.0"
	w := jsonw{b: make([]byte, 0, 256)}
	switch {
	case a.Kind == AuthLambda && rest:
		w.open('{')
		w.str("principalId", a.PrincipalID)
		w.int("integrationLatency", a.IntegrationLatency)
		writeStringified(&w, a.Context, false)
		w.close('}')
	case a.Kind == AuthLambda:
		w.open('{')
		w.key("lambda")
		if isJSONObject(a.Context) {
			w.b = append(w.b, bytes.TrimSpace(a.Context)...)
		} else {
			w.b = append(w.b, "null"...)
		}
		w.comma = true
		w.close('}')
	case a.Kind == AuthCognito:
		w.open('{')
		w.key("claims")
		w.open('{')
		writeStringified(&w, a.Claims, true)
		w.close('}')
		w.close('}')
	case a.Kind == AuthJWT:
		w.open('{')
		if v2 {
			w.key("jwt")
			w.open('{')
		}
		w.key("claims")
		w.open('{')
		writeStringified(&w, a.Claims, false)
		w.close('}')
		if a.Scopes == nil {
			w.null("scopes")
		} else {
			w.strList("scopes", a.Scopes)
		}
		if v2 {
			w.close('}')
		}
		w.close('}')
	case a.Kind == AuthIAM && !rest && v2 && a.IAM != nil:
		w.open('{')
		w.key("iam")
		w.open('{')
		w.str("accessKey", a.IAM.AccessKey)
		w.str("accountId", a.IAM.AccountID)
		w.str("callerId", a.IAM.Caller)
		w.null("cognitoIdentity")
		w.null("principalOrgId")
		w.str("userArn", a.IAM.UserARN)
		w.str("userId", a.IAM.User)
		w.close('}')
		w.close('}')
	default:
		return nil
	}
	return w.b
}

func isJSONObject(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) > 0 && t[0] == '{'
}

// writeStringified writes an object's members with every value a string,
// as API Gateway passes authorizer context (REST) and token claims:
// numbers as written, booleans as true/false, null kept; lists as "[a b]"
// and objects as "map[k:v]" (claims; an authorizer's context may hold
// neither). cognito writes exp and iat as dates, as REST Cognito
// authorizers pass them. Keys are sorted.
func writeStringified(w *jsonw, raw json.RawMessage, cognito bool) {
	if !isJSONObject(raw) {
		return
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return
	}
	for _, k := range sortedKeys(obj) {
		v := bytes.TrimSpace(obj[k])
		if string(v) == "null" {
			w.null(k)
			continue
		}
		s := Stringify(v)
		if cognito && (k == "exp" || k == "iat") {
			s = cognitoDate(v, s)
		}
		if cognito && k == "cognito:groups" && len(v) > 0 && v[0] == '[' {
			s = cognitoList(v)
		}
		w.str(k, s)
	}
}

// Stringify turns a JSON value into the string API Gateway passes for it:
// a string's contents, a number or boolean as written, a list as
// "[a b]", an object as "map[a:1 b:2]" (keys sorted), null as "".
func Stringify(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return ""
	}
	switch v[0] {
	case '"':
		var s string
		_ = json.Unmarshal(v, &s)
		return s
	case '[':
		var list []json.RawMessage
		if json.Unmarshal(v, &list) != nil {
			return string(v)
		}
		parts := make([]string, len(list))
		for i, it := range list {
			parts[i] = Stringify(it)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case '{':
		var obj map[string]json.RawMessage
		if json.Unmarshal(v, &obj) != nil {
			return string(v)
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ":" + Stringify(obj[k])
		}
		return "map[" + strings.Join(parts, " ") + "]"
	case 'n':
		return ""
	}
	return string(v)
}

// cognitoDate writes a numeric time claim as Java's Date.toString does,
// which is how REST Cognito authorizers pass exp and iat (obs).
func cognitoDate(v json.RawMessage, fallback string) string {
	var f float64
	if json.Unmarshal(v, &f) != nil {
		return fallback
	}
	return time.Unix(int64(f), 0).UTC().Format("Mon Jan 02 15:04:05 UTC 2006")
}

// cognitoList writes a list claim (cognito:groups) comma-joined (inf).
func cognitoList(v json.RawMessage) string {
	var list []json.RawMessage
	if json.Unmarshal(v, &list) != nil {
		return string(v)
	}
	parts := make([]string, len(list))
	for i, it := range list {
		parts[i] = Stringify(it)
	}
	return strings.Join(parts, ",")
}

// identityV1 writes requestContext.identity for payload 1.0 events: all
// null but sourceIp and userAgent, unless an API key was used (REST) or
// the request was signed (IAM).
func identityV1(w *jsonw, req *Request, rest bool) {
	a := req.Auth
	var iam *IAMIdentity
	if a != nil && a.Kind == AuthIAM {
		iam = a.IAM
	}
	w.key("identity")
	w.open('{')
	if rest {
		if a != nil && a.APIKey != "" {
			w.str("apiKey", a.APIKey)
			w.str("apiKeyId", a.APIKeyID)
		} else {
			w.null("apiKey")
			w.null("apiKeyId")
		}
	}
	if iam != nil {
		w.str("accessKey", iam.AccessKey)
		w.str("accountId", iam.AccountID)
		w.str("caller", iam.Caller)
	} else {
		w.null("accessKey")
		w.null("accountId")
		w.null("caller")
	}
	if rest {
		w.null("cognitoAmr")
	}
	w.null("cognitoAuthenticationProvider")
	w.null("cognitoAuthenticationType")
	w.null("cognitoIdentityId")
	w.null("cognitoIdentityPoolId")
	w.null("principalOrgId")
	w.str("sourceIp", req.SourceIP)
	if iam != nil {
		w.str("user", iam.User)
	} else {
		w.null("user")
	}
	w.strOrNull("userAgent", req.Header.Get("User-Agent"))
	if iam != nil {
		w.str("userArn", iam.UserARN)
	} else {
		w.null("userArn")
	}
	w.close('}')
}

// writeAuthorizer writes requestContext.authorizer when one ran.
func writeAuthorizer(w *jsonw, m *Match, req *Request) {
	if b := AuthorizerJSON(m, req.Auth); b != nil {
		w.key("authorizer")
		w.b = append(w.b, b...)
		w.comma = true
	}
}

// DescribeIdentity names an authorizer's identity sources for
// explanations: "the X-Token header", "the X-User header and the tenant
// query string parameter".
func DescribeIdentity(srcs []config.IdentitySource) string {
	parts := make([]string, len(srcs))
	for i, s := range srcs {
		switch s.Kind {
		case "header":
			parts[i] = "the " + s.Name + " header"
		case "querystring":
			parts[i] = "the " + s.Name + " query string parameter"
		case "stageVariables":
			parts[i] = "stage variable " + s.Name
		default:
			parts[i] = "context value " + s.Name
		}
	}
	switch len(parts) {
	case 0:
		return "no identity source"
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// AuthorizerName says which authorizer a route uses, for explanations:
// `authorizer TokenAuth (Lambda TOKEN, function AuthFn)`.
func AuthorizerName(az *config.Authorizer) string {
	switch az.Type {
	case config.TokenAuthorizer, config.RequestAuthorizer:
		return fmt.Sprintf("authorizer %s (Lambda %s, function %s)", az.Name, az.Type, az.Function)
	case config.CognitoAuthorizer:
		return fmt.Sprintf("authorizer %s (Cognito user pool)", az.Name)
	case config.JWTAuthorizer:
		return fmt.Sprintf("authorizer %s (JWT, issuer %s)", az.Name, az.Issuer)
	}
	return "authorizer " + az.Name
}
