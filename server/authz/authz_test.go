package authz

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/apigw"
	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/lambda"
)

// fakeInvoker answers like a Lambda authorizer: answer(event) is its
// output; errors starting with "error:" are function errors.
type fakeInvoker struct {
	calls  atomic.Int32
	answer func(event map[string]any) (string, string)
}

func (f *fakeInvoker) Invoke(_ context.Context, name string, req lambda.Request) (*lambda.Result, error) {
	f.calls.Add(1)
	var ev map[string]any
	json.Unmarshal(req.Payload, &ev)
	out, fnErr := f.answer(ev)
	return &lambda.Result{Payload: []byte(out), FunctionError: fnErr, Log: "START RequestId: x\n"}, nil
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func policy(effect, resource string, ctx string) string {
	return `{"principalId":"p","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"` +
		effect + `","Resource":"` + resource + `"}]},"context":` + ctx + `}`
}

const authTemplate = `Resources:
  Rest:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      Auth:
        Authorizers:
          Tok:
            FunctionArn: !GetAtt AuthFn.Arn
            Identity: {ReauthorizeEvery: 60, ValidationExpression: "Bearer .+"}
          Req:
            FunctionArn: !GetAtt AuthFn.Arn
            FunctionPayloadType: REQUEST
            Identity: {Headers: [X-User], ReauthorizeEvery: 60}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      Events:
        Tok:
          Type: Api
          Properties: {RestApiId: !Ref Rest, Path: "/items/{id}", Method: ANY, Auth: {Authorizer: Tok}}
        Req:
          Type: Api
          Properties: {RestApiId: !Ref Rest, Path: /req, Method: GET, Auth: {Authorizer: Req}}
  AuthFn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: nodejs20.x, Handler: index.handler}
`

type harness struct {
	t      testing.TB
	svc    *Service
	router *apigw.Router
	clock  *clock
	inv    *fakeInvoker
}

func newHarness(t testing.TB, src string, inv *fakeInvoker, o Options) *harness {
	t.Helper()
	p, err := config.Parse("/srv/app/template.yaml", []byte(src), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	router, err := apigw.NewRouter(p.APIs)
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	o.Invoker, o.Now = inv, c.now
	return &harness{t: t, svc: New(p, o), router: router, clock: c, inv: inv}
}

func (h *harness) do(method, path string, headers ...string) Decision {
	h.t.Helper()
	hdr := http.Header{}
	for _, kv := range headers {
		k, v, _ := strings.Cut(kv, ": ")
		hdr.Add(k, v)
	}
	raw, query, _ := strings.Cut(path, "?")
	req := &apigw.Request{Method: method, RawPath: raw, RawQuery: query, Host: "localhost:3000", Header: hdr, Time: h.clock.t,
		RequestID: "r", SourceIP: "127.0.0.1"}
	m, ok := h.router.Match(method, raw)
	if !ok {
		h.t.Fatalf("no route for %s %s", method, path)
	}
	return h.svc.Authorize(context.Background(), m, req)
}

func status(d Decision) int {
	if d.Refused == nil {
		return 200
	}
	return d.Refused.Status
}

// TestLambdaAuthorizerCache: a TOKEN authorizer's answer is cached per
// token for its TTL and each request is judged by the cached policy.
func TestLambdaAuthorizerCache(t *testing.T) {
	inv := &fakeInvoker{answer: func(ev map[string]any) (string, string) {
		arn := ev["methodArn"].(string)
		base := arn[:strings.Index(arn, "/Prod/")+len("/Prod")]
		return policy("Allow", base+"/GET/items/1", `{"n":1}`), ""
	}}
	h := newHarness(t, authTemplate, inv, Options{})
	d := h.do("GET", "/items/1", "Authorization: Bearer a")
	if status(d) != 200 || d.Step.Cached || d.Step.Decision != exchange.DecisionAllow || inv.calls.Load() != 1 {
		t.Fatalf("first: %d cached %v calls %d", status(d), d.Step.Cached, inv.calls.Load())
	}
	if d.Auth.PrincipalID != "p" || string(d.Auth.Context) != `{"n":1}` || !strings.Contains(string(d.Step.Context), `"principalId":"p"`) {
		t.Errorf("auth %+v, context %s", d.Auth, d.Step.Context)
	}
	d = h.do("GET", "/items/1", "Authorization: Bearer a")
	if status(d) != 200 || !d.Step.Cached || inv.calls.Load() != 1 || d.Auth.IntegrationLatency != 0 {
		t.Fatalf("second: %d cached %v calls %d", status(d), d.Step.Cached, inv.calls.Load())
	}
	// The cached policy is re-evaluated against this request's method ARN.
	d = h.do("DELETE", "/items/7", "Authorization: Bearer a")
	if status(d) != 403 || !d.Step.Cached || inv.calls.Load() != 1 {
		t.Fatalf("other method: %d cached %v calls %d", status(d), d.Step.Cached, inv.calls.Load())
	}
	if want := "The policy allows GET /items/1 but this is DELETE /items/7 (a cached answer"; !strings.HasPrefix(d.Refused.Explanation, want) {
		t.Errorf("explanation %q", d.Refused.Explanation)
	}
	// Another token is another cache entry; the TTL expires entries.
	h.do("GET", "/items/1", "Authorization: Bearer b")
	if inv.calls.Load() != 2 {
		t.Errorf("another token: %d calls", inv.calls.Load())
	}
	h.clock.t = h.clock.t.Add(61 * time.Second)
	if d := h.do("GET", "/items/1", "Authorization: Bearer a"); d.Step.Cached || inv.calls.Load() != 3 {
		t.Errorf("after the TTL: cached %v calls %d", d.Step.Cached, inv.calls.Load())
	}
}

func TestLambdaAuthorizerRefusals(t *testing.T) {
	var answer string
	var fnErr string
	inv := &fakeInvoker{answer: func(map[string]any) (string, string) { return answer, fnErr }}
	h := newHarness(t, authTemplate, inv, Options{})
	for _, tt := range []struct {
		name, token, answer, fnErr string
		status                     int
		body, errType, why         string
		decision                   string
		invoked                    bool
	}{
		{"no token", "", "", "", 401, `{"message":"Unauthorized"}`, "UnauthorizedException", "No token: authorizer Tok", exchange.DecisionUnauthorized, false},
		{"validation expression", "Basic x", "", "", 401, `{"message":"Unauthorized"}`, "UnauthorizedException", "does not match Tok's ValidationExpression Bearer .+", exchange.DecisionUnauthorized, false},
		{"Unauthorized", "Bearer u", `{"errorMessage":"Unauthorized","errorType":"Error"}`, "Unhandled", 401, `{"message":"Unauthorized"}`, "UnauthorizedException", `failed with the message "Unauthorized"`, exchange.DecisionUnauthorized, true},
		{"other error", "Bearer e", `{"errorMessage":"boom","errorType":"Error"}`, "Unhandled", 500, `{"message":null}`, "AuthorizerConfigurationException", `only the exact message "Unauthorized" makes a 401`, exchange.DecisionError, true},
		{"object context", "Bearer o", policy("Allow", "*", `{"user":{"id":1}}`), "", 500, `{"message":null}`, "AuthorizerConfigurationException", `context value "user" as an object`, exchange.DecisionError, true},
		{"explicit deny", "Bearer d", policy("Deny", "*", `{}`), "", 403, `{"Message":"User is not authorized to access this resource with an explicit deny"}`, "AccessDeniedException", "The policy denies GET /items/1", exchange.DecisionDeny, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			answer, fnErr = tt.answer, tt.fnErr
			before := inv.calls.Load()
			var hdr []string
			if tt.token != "" {
				hdr = append(hdr, "Authorization: "+tt.token)
			}
			d := h.do("GET", "/items/1", hdr...)
			if d.Refused == nil {
				t.Fatal("allowed")
			}
			r := d.Refused
			if r.Status != tt.status || string(r.Body) != tt.body || r.Header.Get("X-Amzn-Errortype") != tt.errType || !strings.Contains(r.Explanation, tt.why) {
				t.Errorf("got %d %s %s %q", r.Status, r.Body, r.Header.Get("X-Amzn-Errortype"), r.Explanation)
			}
			if d.Step.Decision != tt.decision || (inv.calls.Load() > before) != tt.invoked {
				t.Errorf("decision %s, invoked %v", d.Step.Decision, inv.calls.Load() > before)
			}
		})
	}
	// A caching REQUEST authorizer answers 401 without invoking when an
	// identity source is missing.
	before := inv.calls.Load()
	if d := h.do("GET", "/req"); status(d) != 401 || inv.calls.Load() != before || !strings.Contains(d.Refused.Explanation, "lacks the X-User header") {
		t.Errorf("missing identity source: %d, calls %d → %d, %q", status(d), before, inv.calls.Load(), d.Refused.Explanation)
	}
}

// TestAuthorizerFunctionPolicy: an authorizer's function with an explicit
// permission that does not allow the authorizer's ARN (and no SAM
// statement, which would: SAM's ${Api}/authorizers/* covers every
// authorizer of the API) is not invoked: 500.
func TestAuthorizerFunctionPolicy(t *testing.T) {
	src := strings.ReplaceAll(authTemplate, "FunctionArn: !GetAtt AuthFn.Arn\n",
		"FunctionArn: !GetAtt AuthFn.Arn\n            DisableFunctionDefaultPermissions: true\n") + `  Perm:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !Ref AuthFn
      Action: lambda:InvokeFunction
      Principal: apigateway.amazonaws.com
      SourceArn: !Sub arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${Rest}/Prod/GET/nothing
`
	inv := &fakeInvoker{answer: func(map[string]any) (string, string) { return policy("Allow", "*", `{}`), "" }}
	h := newHarness(t, src, inv, Options{})
	d := h.do("GET", "/items/1", "Authorization: Bearer a")
	if status(d) != 500 || string(d.Refused.Body) != `{"message":null}` || inv.calls.Load() != 0 {
		t.Fatalf("got %d %s, %d calls", status(d), d.Refused.Body, inv.calls.Load())
	}
	if !strings.Contains(d.Refused.Explanation, "/authorizers/") || !strings.Contains(d.Refused.Explanation, "Its statements: Perm (arn:aws:execute-api:us-east-1:123456789012:"+apigw.APIID("Rest")+"/Prod/GET/nothing)") {
		t.Errorf("explanation %q", d.Refused.Explanation)
	}
	// The route's own function keeps SAM's statement.
	m, _ := h.router.Match("GET", "/items/1")
	if ok, why := h.svc.MayInvoke("Fn", m); !ok {
		t.Errorf("Fn: %s", why)
	}
}

const keyTemplate = `Resources:
  Rest:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      Auth:
        ApiKeyRequired: true
        UsagePlan:
          CreateUsagePlan: PER_API
          Throttle: {BurstLimit: 2, RateLimit: 1}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      Events:
        Get:
          Type: Api
          Properties: {RestApiId: !Ref Rest, Path: /k, Method: GET}
  Quota:
    Type: AWS::ApiGateway::UsagePlan
    Properties:
      ApiStages: [{ApiId: !Ref Rest, Stage: Prod}]
      Quota: {Limit: 2, Period: DAY}
  Key:
    Type: AWS::ApiGateway::ApiKey
    Properties: {Value: template-key-0123456789, Enabled: true}
  Off:
    Type: AWS::ApiGateway::ApiKey
    Properties: {Value: disabled-key-0123456789}
  Lone:
    Type: AWS::ApiGateway::ApiKey
    Properties: {Value: lonely-key-0123456789, Enabled: true}
  QuotaKey:
    Type: AWS::ApiGateway::UsagePlanKey
    Properties: {KeyId: !Ref Key, KeyType: API_KEY, UsagePlanId: !Ref Quota}
`

func TestAPIKeys(t *testing.T) {
	h := newHarness(t, keyTemplate, &fakeInvoker{}, Options{APIKeys: []string{"flag-key"}})
	check := func(name, key string, want int, why string) {
		t.Helper()
		var hdr []string
		if key != "" {
			hdr = []string{"X-Api-Key: " + key}
		}
		d := h.do("GET", "/k", hdr...)
		if status(d) != want {
			t.Fatalf("%s: %d, want %d (%v)", name, status(d), want, d.Refused)
		}
		if d.Refused != nil && !strings.Contains(d.Refused.Explanation, why) {
			t.Errorf("%s: %q, want %q", name, d.Refused.Explanation, why)
		}
		if d.Refused == nil && (d.Auth == nil || d.Auth.APIKey != key || d.Auth.APIKeyID == "") {
			t.Errorf("%s: auth %+v", name, d.Auth)
		}
	}
	check("none", "", 403, "requires an API key and the request sent none in the x-api-key header")
	check("unknown", "nope-nope", 403, "is not an API key gatescope knows (nope…)")
	check("disabled", "disabled-key-0123456789", 403, "API key Off is not enabled")
	check("in no plan", "lonely-key-0123456789", 403, "API key Lone is in no usage plan of API Rest stage Prod")
	// Quota: 2 a day, then 429 Limit Exceeded until the next day.
	check("quota 1", "template-key-0123456789", 200, "")
	check("quota 2", "template-key-0123456789", 200, "")
	d := h.do("GET", "/k", "X-Api-Key: template-key-0123456789")
	if status(d) != 429 || string(d.Refused.Body) != `{"message":"Limit Exceeded"}` || d.Refused.Header.Get("X-Amzn-Errortype") != "LimitExceededException" {
		t.Fatalf("over quota: %d %s", status(d), d.Refused.Body)
	}
	if !strings.Contains(d.Refused.Explanation, "quota of 2 requests per day, which starts again 2026-03-02T00:00:00Z") {
		t.Errorf("quota explanation %q", d.Refused.Explanation)
	}
	h.clock.t = h.clock.t.Add(12 * time.Hour)
	check("next day", "template-key-0123456789", 200, "")
	// Throttle of SAM's plan, which the --api-key keys belong to: burst 2,
	// then 1 a second.
	check("burst 1", "flag-key", 200, "")
	check("burst 2", "flag-key", 200, "")
	d = h.do("GET", "/k", "X-Api-Key: flag-key")
	if status(d) != 429 || string(d.Refused.Body) != `{"message":"Too Many Requests"}` || d.Refused.Header.Get("X-Amzn-Errortype") != "TooManyRequestsException" {
		t.Fatalf("over burst: %d %s", status(d), d.Refused.Body)
	}
	h.clock.t = h.clock.t.Add(time.Second)
	check("refilled", "flag-key", 200, "")
}

func TestPoliciesAPI(t *testing.T) {
	src := `Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      FunctionName: physical-name
      Events:
        Get:
          Type: HttpApi
          Properties: {Path: /x, Method: GET}
`
	h := newHarness(t, src, &fakeInvoker{}, Options{})
	ps := h.svc.Policies()
	m, _ := h.router.Match("GET", "/x")
	if ok, _ := h.svc.MayInvoke("Fn", m); !ok {
		t.Fatal("SAM's statement alone must allow")
	}
	pol, rev, err := ps.GetPolicy("physical-name")
	if err != nil || !strings.Contains(pol, `"Sid":"FnGetPermission"`) || !strings.Contains(pol, "/*/GET/x") {
		t.Fatalf("GetPolicy = %s %v", pol, err)
	}
	// Removing SAM's statement enforces the policy at once.
	if err := ps.RemovePermission("Fn", "FnGetPermission", "stale"); err == nil || !strings.Contains(err.Error(), "PreconditionFailedException") {
		t.Errorf("stale revision: %v", err)
	}
	if err := ps.RemovePermission("arn:aws:lambda:us-east-1:123456789012:function:physical-name", "FnGetPermission", rev); err != nil {
		t.Fatal(err)
	}
	if ok, why := h.svc.MayInvoke("Fn", m); ok || !strings.Contains(why, "Its statements: none") {
		t.Errorf("after remove-permission: %v %q", ok, why)
	}
	if _, _, err := ps.GetPolicy("Fn"); err == nil || !strings.Contains(err.Error(), "The resource you requested does not exist.") {
		t.Errorf("empty policy: %v", err)
	}
	stmt, err := ps.AddPermission("Fn", lambda.PermissionInput{StatementID: "s1", Action: "lambda:InvokeFunction",
		Principal: "apigateway.amazonaws.com", SourceArn: apigw.SourceARN(m)})
	if err != nil || !strings.Contains(stmt, `"Sid":"s1"`) {
		t.Fatalf("AddPermission = %s %v", stmt, err)
	}
	if ok, why := h.svc.MayInvoke("Fn", m); !ok {
		t.Errorf("after add-permission: %s", why)
	}
	for _, tt := range []struct {
		in   lambda.PermissionInput
		want string
	}{
		{lambda.PermissionInput{StatementID: "s1", Action: "lambda:InvokeFunction", Principal: "x"}, "ResourceConflictException"},
		{lambda.PermissionInput{StatementID: "bad id!", Action: "lambda:InvokeFunction", Principal: "x"}, "InvalidParameterValueException"},
		{lambda.PermissionInput{StatementID: "s2", Action: "s3:GetObject", Principal: "x"}, "InvalidParameterValueException"},
	} {
		if _, err := ps.AddPermission("Fn", tt.in); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("AddPermission(%+v) = %v, want %s", tt.in, err, tt.want)
		}
	}
	if _, err := ps.AddPermission("Nope", lambda.PermissionInput{}); err == nil || !strings.Contains(err.Error(), "Function not found") {
		t.Errorf("unknown function: %v", err)
	}
}

// TestAPIKeyFromAuthorizer: with the API key source AUTHORIZER, the key is
// the Lambda authorizer's usageIdentifierKey, not the x-api-key header.
func TestAPIKeyFromAuthorizer(t *testing.T) {
	src := strings.Replace(authTemplate, "      StageName: Prod\n", "      StageName: Prod\n      ApiKeySourceType: AUTHORIZER\n      Auth:\n        ApiKeyRequired: true\n", 1)
	src = strings.Replace(src, "      Auth:\n        Authorizers:", "        Authorizers:", 1)
	key := ""
	inv := &fakeInvoker{answer: func(map[string]any) (string, string) {
		out := policy("Allow", "*", `{}`)
		if key != "" {
			out = strings.TrimSuffix(out, "}") + `,"usageIdentifierKey":"` + key + `"}`
		}
		return out, ""
	}}
	h := newHarness(t, src, inv, Options{APIKeys: []string{"from-authorizer"}})
	if d := h.do("GET", "/items/1", "Authorization: Bearer a", "X-Api-Key: from-authorizer"); status(d) != 403 ||
		!strings.Contains(d.Refused.Explanation, "the authorizer's usageIdentifierKey (the API's key source is AUTHORIZER)") {
		t.Errorf("no usageIdentifierKey: %d %v", status(d), d.Refused)
	}
	key = "from-authorizer"
	if d := h.do("GET", "/items/1", "Authorization: Bearer b"); status(d) != 200 || d.Auth.APIKey != "from-authorizer" || d.Auth.PrincipalID != "p" {
		t.Errorf("usageIdentifierKey: %d %+v", status(d), d.Auth)
	}
}

// TestAuthorizerPermissionByRef: a permission whose SourceArn names the
// authorizer by its Ref (${Api}/authorizers/${Authorizer}, as
// serverless-patterns' apigw-lambda-authorizer writes it) allows API
// Gateway to invoke that authorizer's function, as deployed, where the
// Ref is the authorizer id the call's ARN carries; another authorizer's
// Ref does not. Spec: websocket-authorizers-permissions.md, Lambda
// permissions (authorizers …:<api>/authorizers/<id>).
func TestAuthorizerPermissionByRef(t *testing.T) {
	const src = `Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: a}
  Get:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: GET
      AuthorizationType: CUSTOM
      AuthorizerId: !Ref Token
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
  Token:
    Type: AWS::ApiGateway::Authorizer
    Properties:
      Name: token
      Type: TOKEN
      RestApiId: !Ref Api
      IdentitySource: method.request.header.authorizationToken
      AuthorizerUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${AuthFn.Arn}/invocations
  TokenTwo:
    Type: AWS::ApiGateway::Authorizer
    Properties:
      Name: token-two
      Type: TOKEN
      RestApiId: !Ref Api
      IdentitySource: method.request.header.authorizationToken
      AuthorizerUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${OtherFn.Arn}/invocations
  Fn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: nodejs20.x, Handler: index.handler}
  AuthFn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: nodejs20.x, Handler: auth.handler}
  OtherFn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: nodejs20.x, Handler: other.handler}
  AuthPerm:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !Ref AuthFn
      Action: lambda:InvokeFunction
      Principal: apigateway.amazonaws.com
      SourceArn: !Sub arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/authorizers/${Token}
  OtherPerm:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !Ref OtherFn
      Action: lambda:InvokeFunction
      Principal: apigateway.amazonaws.com
      SourceArn: !Sub arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/authorizers/${TokenTwo}
  Deployment:
    Type: AWS::ApiGateway::Deployment
    DependsOn: [Get]
    Properties: {RestApiId: !Ref Api}
  Stage:
    Type: AWS::ApiGateway::Stage
    Properties: {RestApiId: !Ref Api, DeploymentId: !Ref Deployment, StageName: Prod}
`
	inv := &fakeInvoker{answer: func(map[string]any) (string, string) { return policy("Allow", "*", `{}`), "" }}
	h := newHarness(t, src, inv, Options{})
	if d := h.do("GET", "/", "authorizationToken: Bearer allow"); status(d) != 200 || inv.calls.Load() != 1 {
		t.Fatalf("the authorizer its permission names: %d %v, %d calls", status(d), d.Refused, inv.calls.Load())
	}
	// Each statement names its own authorizer: Token's is not TokenTwo's,
	// though one logical id extends the other.
	p, err := config.Parse("/srv/app/template.yaml", []byte(src), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ps := NewPolicies(p)
	arn := map[string]string{}
	for _, az := range p.APIs[0].Authorizers {
		_, arn[az.Name] = apigw.AuthorizerRefARN(p.APIs[0], az)
	}
	for _, c := range []struct {
		fn, authorizer string
		want           bool
	}{
		{"AuthFn", "Token", true}, {"AuthFn", "TokenTwo", false},
		{"OtherFn", "TokenTwo", true}, {"OtherFn", "Token", false},
	} {
		if ok, why := ps.MayInvoke(c.fn, arn[c.authorizer]); ok != c.want {
			t.Errorf("%s as %s (%s): %v, want %v; %s", c.fn, c.authorizer, arn[c.authorizer], ok, c.want, why)
		}
	}
}
