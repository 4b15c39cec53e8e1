package config

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const authTemplate = `Transform: AWS::Serverless-2016-10-31
Resources:
  Rest:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      Auth:
        DefaultAuthorizer: TokenAuth
        ApiKeyRequired: true
        UsagePlan:
          CreateUsagePlan: PER_API
          Throttle: {BurstLimit: 2, RateLimit: 1}
          Quota: {Limit: 100, Period: DAY}
        Authorizers:
          TokenAuth:
            FunctionArn: !GetAtt AuthFn.Arn
            Identity:
              Header: X-Token
              ValidationExpression: "^Bearer .+$"
              ReauthorizeEvery: 60
          RequestAuth:
            FunctionArn: !GetAtt AuthFn.Arn
            FunctionPayloadType: REQUEST
            Identity:
              Headers: [X-User]
              QueryStrings: [tenant]
              ReauthorizeEvery: 0
          Pool:
            UserPoolArn: !GetAtt UserPool.Arn
            AuthorizationScopes: [items/read]
  Http:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Jwt
        EnableIamAuthorizer: true
        Authorizers:
          Jwt:
            JwtConfiguration:
              issuer: https://issuer.example.com
              audience: [api-client]
            AuthorizationScopes: [read]
          Lambda:
            FunctionArn: !GetAtt AuthFn.Arn
            AuthorizerPayloadFormatVersion: 2.0
            EnableSimpleResponses: true
            EnableFunctionDefaultPermissions: true
            Identity:
              Headers: [Authorization]
              ReauthorizeEvery: 30
  UserPool:
    Type: AWS::Cognito::UserPool
  AuthFn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: nodejs20.x, Handler: index.handler, CodeUri: auth/}
  Items:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      CodeUri: src/
      Events:
        Get:
          Type: Api
          Properties: {RestApiId: !Ref Rest, Path: "/items/{id}", Method: GET}
        Post:
          Type: Api
          Properties:
            RestApiId: !Ref Rest
            Path: /items
            Method: POST
            Auth: {Authorizer: RequestAuth, ApiKeyRequired: false}
        Pooled:
          Type: Api
          Properties:
            RestApiId: !Ref Rest
            Path: /pool
            Method: ANY
            Auth: {Authorizer: Pool, AuthorizationScopes: [items/write]}
        Open:
          Type: Api
          Properties:
            RestApiId: !Ref Rest
            Path: /
            Method: GET
            Auth: {Authorizer: NONE}
        Signed:
          Type: Api
          Properties:
            RestApiId: !Ref Rest
            Path: /signed
            Method: GET
            Auth: {Authorizer: AWS_IAM}
        HttpDefault:
          Type: HttpApi
          Properties: {ApiId: !Ref Http}
        HttpLambda:
          Type: HttpApi
          Properties:
            ApiId: !Ref Http
            Path: /lambda
            Method: GET
            Auth: {Authorizer: Lambda}
  Key:
    Type: AWS::ApiGateway::ApiKey
    Properties: {Name: dev, Value: dev-key-0123456789abcd, Enabled: true}
  Plan:
    Type: AWS::ApiGateway::UsagePlan
    Properties:
      ApiStages: [{ApiId: !Ref Rest, Stage: Prod}]
      Throttle: {BurstLimit: 5, RateLimit: 10}
  PlanKey:
    Type: AWS::ApiGateway::UsagePlanKey
    Properties: {KeyId: !Ref Key, KeyType: API_KEY, UsagePlanId: !Ref Plan}
  Explicit:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !GetAtt Items.Arn
      Action: lambda:InvokeFunction
      Principal: apigateway.amazonaws.com
      SourceArn: !Sub arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${Rest}/Prod/GET/items/*
`

func TestAuthorizers(t *testing.T) {
	p := mustParse(t, authTemplate, Options{})
	rest, http := p.APIs[0], p.APIs[1]
	hdr := func(kind, name, expr string) IdentitySource {
		return IdentitySource{Kind: kind, Name: name, Expr: expr}
	}
	wantRest := []*Authorizer{
		{Name: "TokenAuth", Type: TokenAuthorizer, Function: "AuthFn", FunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:AuthFn",
			IdentitySources: []IdentitySource{hdr("header", "X-Token", "method.request.header.X-Token")}, ValidationExpression: "^Bearer .+$",
			TTL: time.Minute, Line: lineOf(t, authTemplate, "TokenAuth:", 1)},
		{Name: "RequestAuth", Type: RequestAuthorizer, Function: "AuthFn", FunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:AuthFn",
			IdentitySources: []IdentitySource{hdr("header", "X-User", "method.request.header.X-User"), hdr("querystring", "tenant", "method.request.querystring.tenant")},
			Line:            lineOf(t, authTemplate, "RequestAuth:", 1)},
		{Name: "Pool", Type: CognitoAuthorizer, UserPoolARNs: []string{"arn:aws:cognito-idp:us-east-1:123456789012:userpool/UserPool"},
			Scopes: []string{"items/read"}, TTL: 5 * time.Minute,
			IdentitySources: []IdentitySource{hdr("header", "Authorization", "method.request.header.Authorization")}, Line: lineOf(t, authTemplate, "Pool:", 1)},
	}
	if diff := cmp.Diff(wantRest, rest.Authorizers); diff != "" {
		t.Errorf("REST authorizers (-want +got):\n%s", diff)
	}
	wantHTTP := []*Authorizer{
		{Name: "Jwt", Type: JWTAuthorizer, Issuer: "https://issuer.example.com", Audiences: []string{"api-client"}, Scopes: []string{"read"},
			IdentitySources: []IdentitySource{hdr("header", "Authorization", "$request.header.Authorization")}, Line: lineOf(t, authTemplate, "Jwt:", 1)},
		{Name: "Lambda", Type: RequestAuthorizer, Function: "AuthFn", FunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:AuthFn",
			PayloadVersion: "2.0", SimpleResponses: true, TTL: 30 * time.Second,
			IdentitySources: []IdentitySource{hdr("header", "Authorization", "$request.header.Authorization")}, Line: lineOf(t, authTemplate, "Lambda:", 1)},
	}
	if diff := cmp.Diff(wantHTTP, http.Authorizers); diff != "" {
		t.Errorf("HTTP authorizers (-want +got):\n%s", diff)
	}

	type routeAuth struct {
		Authorizer string
		Scopes     []string
		Key        bool
	}
	got := map[string]routeAuth{}
	for _, a := range p.APIs {
		for _, r := range a.Routes {
			got[a.ID+" "+r.Key()] = routeAuth{r.Authorizer, r.Scopes, r.APIKeyRequired}
		}
	}
	want := map[string]routeAuth{
		"Rest GET /items/{id}": {"TokenAuth", nil, true},
		"Rest POST /items":     {"RequestAuth", nil, false},
		"Rest ANY /pool":       {"Pool", []string{"items/write"}, true},
		"Rest GET /":           {"", nil, true},
		"Rest GET /signed":     {"AWS_IAM", nil, true},
		"Http $default":        {"Jwt", nil, false},
		"Http GET /lambda":     {"Lambda", nil, false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("route auth (-want +got):\n%s", diff)
	}

	wantKeys := []*APIKey{{ID: "Key", Name: "dev", Value: "dev-key-0123456789abcd", Enabled: true, Line: lineOf(t, authTemplate, "  Key:", 1)}}
	if diff := cmp.Diff(wantKeys, p.APIKeys); diff != "" {
		t.Errorf("API keys (-want +got):\n%s", diff)
	}
	wantPlans := []*UsagePlan{
		{ID: "RestUsagePlan", Stages: []APIStage{{"Rest", "Prod"}}, Throttle: &Throttle{BurstLimit: 2, RateLimit: 1},
			Quota: &Quota{Limit: 100, Period: "DAY"}, FlagKeys: true, Line: lineOf(t, authTemplate, "CreateUsagePlan", 1)},
		{ID: "Plan", Stages: []APIStage{{"Rest", "Prod"}}, Throttle: &Throttle{BurstLimit: 5, RateLimit: 10}, Keys: []string{"Key"},
			Line: lineOf(t, authTemplate, "  Plan:", 1)},
	}
	if diff := cmp.Diff(wantPlans, p.UsagePlans); diff != "" {
		t.Errorf("usage plans (-want +got):\n%s", diff)
	}
	for _, w := range p.NotEmulated {
		if w.Resource != "UserPool" && (strings.Contains(w.Message, "authorizer") || strings.Contains(w.Message, "API key")) {
			t.Errorf("listed as not emulated: %v", w)
		}
	}
}

func TestPermissions(t *testing.T) {
	p := mustParse(t, authTemplate, Options{})
	const arn = "arn:aws:execute-api:us-east-1:123456789012:"
	type perm struct{ Function, Sid, SourceArn string }
	var got []perm
	for _, pm := range p.Permissions {
		if pm.Principal != "apigateway.amazonaws.com" || pm.Action != "lambda:InvokeFunction" {
			t.Errorf("%s: principal %s action %s", pm.Sid, pm.Principal, pm.Action)
		}
		got = append(got, perm{pm.Function, pm.Sid, pm.SourceArn})
	}
	want := []perm{
		{"AuthFn", "RestTokenAuthAuthorizerPermission", arn + "Rest/authorizers/*"},
		{"AuthFn", "RestRequestAuthAuthorizerPermission", arn + "Rest/authorizers/*"},
		{"AuthFn", "HttpLambdaAuthorizerPermission", arn + "Http/authorizers/*"}, // EnableFunctionDefaultPermissions
		{"Items", "ItemsGetPermission", arn + "Rest/*/GET/items/*"},
		{"Items", "ItemsPostPermission", arn + "Rest/*/POST/items"},
		{"Items", "ItemsPooledPermission", arn + "Rest/*/*/pool"},
		{"Items", "ItemsOpenPermission", arn + "Rest/*/GET/"},
		{"Items", "ItemsSignedPermission", arn + "Rest/*/GET/signed"},
		{"Items", "ItemsHttpDefaultPermission", arn + "Http/*/*"},
		{"Items", "ItemsHttpLambdaPermission", arn + "Http/*/GET/lambda"},
		{"Items", "Explicit", arn + "Rest/Prod/GET/items/*"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("permissions (-want +got):\n%s", diff)
	}
	if last := p.Permissions[len(p.Permissions)-1]; last.SAM || last.Origin != template+":"+strconv.Itoa(lineOf(t, authTemplate, "  Explicit:", 1)) {
		t.Errorf("explicit permission: SAM %v origin %q", last.SAM, last.Origin)
	}
}

func TestAuthErrors(t *testing.T) {
	for _, tt := range []struct{ name, src, want string }{
		{"unknown event authorizer", `Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties: {StageName: Prod}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      Events:
        Get:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /x, Method: GET, Auth: {Authorizer: Missing}}
`, "names Missing, which API Api does not declare"},
		{"unknown default authorizer", `Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties: {StageName: Prod, Auth: {DefaultAuthorizer: Missing}}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      Events:
        Get:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /x, Method: GET}
`, "route GET /x names authorizer Missing, which API Api does not declare"},
		{"TTL too long", `Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      Auth:
        Authorizers:
          A: {FunctionArn: arn:aws:lambda:us-east-1:123456789012:function:x, Identity: {ReauthorizeEvery: 7200}}
`, "must be a whole number of seconds from 0 to 3600"},
		{"HTTP lambda without payload version", `Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        Authorizers:
          A: {FunctionArn: arn:aws:lambda:us-east-1:123456789012:function:x}
`, "AuthorizerPayloadFormatVersion: is required"},
		{"bad identity source", `Resources:
  Rest:
    Type: AWS::ApiGateway::RestApi
  A:
    Type: AWS::ApiGateway::Authorizer
    Properties: {RestApiId: !Ref Rest, Type: REQUEST, IdentitySource: "method.request.body.x", AuthorizerUri: x}
`, `identity source "method.request.body.x" is not a header`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(template, []byte(tt.src), Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestOpenAPISecuritySchemes(t *testing.T) {
	src := `Resources:
  Rest:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      DefinitionBody:
        swagger: "2.0"
        x-amazon-apigateway-api-key-source: AUTHORIZER
        securityDefinitions:
          api_key: {type: apiKey, name: x-api-key, in: header}
          sigv4: {type: apiKey, name: Authorization, in: header, x-amazon-apigateway-authtype: awsSigv4}
          Custom:
            type: apiKey
            name: X-Auth
            in: header
            x-amazon-apigateway-authtype: custom
            x-amazon-apigateway-authorizer:
              type: token
              authorizerUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${AuthFn.Arn}/invocations
              authorizerResultTtlInSeconds: 0
        paths:
          /a:
            get:
              security: [{Custom: []}, {api_key: []}]
              x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations"}
          /b:
            get:
              security: [{sigv4: []}]
              x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations"}
  Fn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: nodejs20.x, Handler: index.handler}
  AuthFn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: nodejs20.x, Handler: index.handler}
`
	p := mustParse(t, src, Options{})
	a := p.APIs[0]
	if a.APIKeySource != "AUTHORIZER" {
		t.Errorf("APIKeySource = %q", a.APIKeySource)
	}
	az := a.Authorizer("Custom")
	if az == nil || az.Type != TokenAuthorizer || az.Function != "AuthFn" || az.TTL != 0 ||
		len(az.IdentitySources) != 1 || az.IdentitySources[0].Expr != "method.request.header.X-Auth" {
		t.Fatalf("Custom = %+v", az)
	}
	if r := a.Routes[0]; r.Authorizer != "Custom" || !r.APIKeyRequired {
		t.Errorf("/a: authorizer %q key %v", r.Authorizer, r.APIKeyRequired)
	}
	if r := a.Routes[1]; r.Authorizer != IAMAuthorizerName {
		t.Errorf("/b: authorizer %q", r.Authorizer)
	}
	if len(p.NotEmulated) != 0 {
		t.Errorf("not emulated: %v", p.NotEmulated)
	}
}
