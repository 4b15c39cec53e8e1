package config

import (
	"path/filepath"
	"testing"
	"time"
)

func TestRawRESTAPI(t *testing.T) {
	src := `Resources:
  Items:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      AutoPublishAlias: live
  Rest:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: rest
      BinaryMediaTypes: [image~1png]
  ItemsRes:
    Type: AWS::ApiGateway::Resource
    Properties:
      RestApiId: !Ref Rest
      ParentId: !GetAtt Rest.RootResourceId
      PathPart: items
  ItemRes:
    Type: AWS::ApiGateway::Resource
    Properties:
      RestApiId: !Ref Rest
      ParentId: !Ref ItemsRes
      PathPart: "{id}"
  GetItem:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Rest
      ResourceId: !Ref ItemRes
      HttpMethod: GET
      AuthorizationType: NONE
      OperationName: GetItem
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        TimeoutInMillis: 5000
        Uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Items.Arn}/invocations
  RootAny:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Rest
      ResourceId: !GetAtt Rest.RootResourceId
      HttpMethod: ANY
      AuthorizationType: CUSTOM
      AuthorizerId: !Ref Auth
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Join ["", ["arn:", !Ref AWS::Partition, ":apigateway:", !Ref AWS::Region, ":lambda:path/2015-03-31/functions/", !Ref Items.Alias, "/invocations"]]
  Auth:
    Type: AWS::ApiGateway::Authorizer
    Properties:
      RestApiId: !Ref Rest
      Type: TOKEN
      IdentitySource: method.request.header.Authorization
      AuthorizerUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Items.Arn}/invocations
  PostItems:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Rest
      ResourceId: !Ref ItemsRes
      HttpMethod: POST
      AuthorizationType: NONE
      Integration:
        Type: AWS
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${AWS::Region}:sqs:path/${AWS::AccountId}/${Queue.QueueName}
  Queue:
    Type: AWS::SQS::Queue
  Deployment:
    Type: AWS::ApiGateway::Deployment
    DependsOn: [GetItem]
    Properties:
      RestApiId: !Ref Rest
  Stage:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref Rest
      DeploymentId: !Ref Deployment
      StageName: v1
      TracingEnabled: true
      Variables:
        Mode: test
`
	p := mustParse(t, src, Options{})
	get := route(RESTAPI, "GET", "/items/{id}", "Items")
	get.OperationName, get.Timeout = "GetItem", 5*time.Second
	root := route(RESTAPI, "ANY", "/", "Items") // through the alias
	root.Authorizer = "Auth"
	post := route(RESTAPI, "POST", "/items", "")
	post.Integration = Integration{Kind: CustomIntegration, Type: "AWS",
		Target: "arn:aws:apigateway:us-east-1:sqs:path/123456789012/Queue"}
	fn := localFn("Items", "nodejs20.x", "index.handler")
	auth := &Authorizer{Name: "Auth", Type: TokenAuthorizer, Function: "Items", TTL: 300 * time.Second,
		FunctionARN:     "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:Items/invocations",
		IdentitySources: []IdentitySource{{Kind: "header", Name: "Authorization", Expr: "method.request.header.Authorization"}},
		Line:            lineOf(t, src, "Type: AWS::ApiGateway::Authorizer", 1) - 1}
	want := &Project{
		Path:      template,
		Functions: []*Function{fn},
		APIs: []*API{{ID: "Rest", Type: RESTAPI, Stage: "v1", StageVariables: map[string]string{"Mode": "test"}, TracingEnabled: true,
			BinaryMediaTypes: []string{"image/png"}, Routes: []*Route{get, root, post}, Authorizers: []*Authorizer{auth}}},
		NotEmulated: []Warning{
			warning(lineOf(t, src, "Type: AWS\n", 1), "PostItems", "Integration",
				"AWS service integrations (SQS, Step Functions, EventBridge, DynamoDB, ...) are not emulated: the route answers as a missing route does"),
			warning(lineOf(t, src, "Type: AWS::SQS::Queue", 1)-1, "Queue", "", "AWS::SQS::Queue is not emulated: gatescope does not create it; a function that uses it reaches AWS with your credentials"),
		},
	}
	diffProject(t, want, p)
}

func TestRawRESTAPIErrors(t *testing.T) {
	const api = `  Rest:
    Type: AWS::ApiGateway::RestApi
`
	tests := []struct{ name, src, want string }{
		{"resource of another API", `Resources:
` + api + `  Other:
    Type: AWS::ApiGateway::RestApi
  Res:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Other, ParentId: !GetAtt Other.RootResourceId, PathPart: x}
  M:
    Type: AWS::ApiGateway::Method
    Properties: {RestApiId: !Ref Rest, ResourceId: !Ref Res, HttpMethod: GET}
`, template + ":11: resource M: property ResourceId: Res belongs to another API than Rest"},
		{"cycle", `Resources:
` + api + `  A:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Rest, ParentId: !Ref B, PathPart: a}
  B:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Rest, ParentId: !Ref A, PathPart: b}
  M:
    Type: AWS::ApiGateway::Method
    Properties: {RestApiId: !Ref Rest, ResourceId: !Ref A, HttpMethod: GET}
`, template + ":12: resource M: property ResourceId: resource A is its own ancestor"},
		{"method of no API", `Resources:
` + api + `  M:
    Type: AWS::ApiGateway::Method
    Properties: {RestApiId: Nope, ResourceId: x, HttpMethod: GET}
`, template + ":6: resource M: property RestApiId: Nope names no AWS::ApiGateway::RestApi in the template"},
		{"path part with a slash", `Resources:
` + api + `  A:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Rest, ParentId: !GetAtt Rest.RootResourceId, PathPart: a/b}
`, template + ":6: resource A: property PathPart: must be one path segment, got \"a/b\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(template, []byte(tt.src), Options{})
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v\nwant  %s", err, tt.want)
			}
		})
	}
}

func TestRawHTTPAPIs(t *testing.T) {
	src := `Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Code: src/
  Live:
    Type: AWS::Lambda::Alias
    Properties:
      FunctionName: !Ref Fn
      FunctionVersion: $LATEST
      Name: live
  Quick:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: quick
      ProtocolType: HTTP
      Target: !GetAtt Fn.Arn
      CorsConfiguration:
        AllowOrigins: ["*"]
  Http:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      ProtocolType: HTTP
  Lambda:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Http
      IntegrationType: AWS_PROXY
      IntegrationUri: !Ref Live
      PayloadFormatVersion: "1.0"
      TimeoutInMillis: 6000
  ToSqs:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Http
      IntegrationType: AWS_PROXY
      IntegrationSubtype: SQS-SendMessage
      RequestParameters:
        QueueUrl: https://sqs.example/q
        MessageBody: $request.body
  GetItems:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Http
      RouteKey: GET /items
      AuthorizationType: JWT
      AuthorizerId: !Ref Jwt
      Target: !Join [/, [integrations, !Ref Lambda]]
  Send:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Http
      RouteKey: POST /send
      Target: !Sub integrations/${ToSqs}
  Jwt:
    Type: AWS::ApiGatewayV2::Authorizer
    Properties:
      ApiId: !Ref Http
      AuthorizerType: JWT
      IdentitySource: [$request.header.Authorization]
      JwtConfiguration:
        Issuer: https://issuer.example.com
        Audience: [api]
  Dev:
    Type: AWS::ApiGatewayV2::Stage
    Properties:
      ApiId: !Ref Http
      StageName: dev
      StageVariables: {Env: dev}
  Ws:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      ProtocolType: WEBSOCKET
      RouteSelectionExpression: $request.body.action
  WsInteg:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Ws
      IntegrationType: AWS_PROXY
      IntegrationUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
  Connect:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Ws
      RouteKey: $connect
      Target: !Sub integrations/${WsInteg}
`
	p := mustParse(t, src, Options{})
	fn := localFn("Fn", "python3.12", "app.handler")
	fn.CodeDir = appDir + "/src"
	items := route(HTTPAPI, "GET", "/items", "Fn")
	items.PayloadVersion, items.Timeout, items.Authorizer = "1.0", 6*time.Second, "Jwt"
	send := route(HTTPAPI, "POST", "/send", "")
	send.Integration = Integration{Kind: CustomIntegration, Type: "AWS_PROXY SQS-SendMessage"}
	connect := &Route{Path: "$connect", Function: "Fn", PayloadVersion: "1.0", Timeout: 29 * time.Second}
	want := &Project{
		Path:      template,
		Functions: []*Function{fn},
		APIs: []*API{
			{ID: "Quick", Type: HTTPAPI, Stage: "$default", Cors: &Cors{AllowOrigins: []string{"*"}},
				Routes: []*Route{route(HTTPAPI, "ANY", "$default", "Fn")}},
			{ID: "Http", Type: HTTPAPI, Stage: "dev", StageVariables: map[string]string{"Env": "dev"}, Routes: []*Route{items, send},
				Authorizers: []*Authorizer{{Name: "Jwt", Type: JWTAuthorizer, Issuer: "https://issuer.example.com", Audiences: []string{"api"},
					IdentitySources: []IdentitySource{{Kind: "header", Name: "Authorization", Expr: "$request.header.Authorization"}},
					Line:            lineOf(t, src, "Jwt:", 1)}}},
			{ID: "Ws", Type: WSAPI, Stage: "Prod", RouteSelection: "$request.body.action", Routes: []*Route{connect}},
		},
		NotEmulated: []Warning{
			warning(lineOf(t, src, "Target: !Sub integrations/${ToSqs}", 1), "Send", "Target",
				"AWS service integrations (SQS, Step Functions, EventBridge, DynamoDB, ...) are not emulated: the route answers as a missing route does"),
		},
		Warnings: []Warning{warning(lineOf(t, src, "Ws:", 1), "Ws", "",
			"no Stage or Deployment deploys this API, so AWS would not serve it; gatescope serves it as stage Prod")},
	}
	diffProject(t, want, p)
}

// TestRawBodies: a REST API's OpenAPI from a local BodyS3Location, deployed
// by a Deployment's StageName with StageDescription's variables; an HTTP API
// whose Body makes it one (no ProtocolType) and warns it has no stage.
func TestRawBodies(t *testing.T) {
	const path = "testdata/bodyfile/template.yaml"
	p, err := Load(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(p.Path)
	list := route(RESTAPI, "GET", "/items", "Items")
	list.OperationName = "ListItems"
	hello := route(HTTPAPI, "GET", "/hello", "Items")
	hello.OperationName = "SayHello"
	fn := localFn("Items", "python3.12", "app.handler")
	fn.CodeDir = filepath.Join(dir, "src")
	want := &Project{
		Path:      p.Path,
		Includes:  []string{filepath.Join(dir, "openapi.yaml")},
		Functions: []*Function{fn},
		APIs: []*API{
			{ID: "Rest", Type: RESTAPI, Stage: "live", StageVariables: map[string]string{"table": "items"}, Routes: []*Route{list}},
			{ID: "Http", Type: HTTPAPI, Stage: "$default", Routes: []*Route{hello}},
		},
		NotEmulated: []Warning{{File: path, Line: 20, Resource: "Deployment", Property: "StageDescription.ThrottlingRateLimit", Message: msgThrottle}},
		Warnings: []Warning{{File: path, Line: 21, Resource: "Http",
			Message: "no Stage or Deployment deploys this API, so AWS would not serve it; gatescope serves it as stage $default"}},
	}
	diffProject(t, want, p)
}
