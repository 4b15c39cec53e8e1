package config

import (
	"strings"
	"testing"
	"time"
)

// TestWebSocketAPI reads a WebSocket API as AWS's chat sample declares it:
// the Api with its selection expression, $connect/$disconnect/$default and
// a custom route, integrations by GetAtt, Fn::Sub and a literal ARN, a
// two-way route (RouteResponseSelectionExpression and a $default
// RouteResponse), a Deployment and a Stage; an authorizer on $connect is
// named by the route and listed, as are what only non-proxy routes use.
func TestWebSocketAPI(t *testing.T) {
	src := `Transform: AWS::Serverless-2016-10-31
Resources:
  OnConnect:
    Type: AWS::Serverless::Function
    Properties: {Runtime: nodejs20.x, Handler: index.handler}
  Chat:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: app.handler, FunctionName: chat-fn}
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: chat
      ProtocolType: WEBSOCKET
      RouteSelectionExpression: $request.body.action
  ConnectInteg:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${OnConnect.Arn}/invocations
  ChatInteg:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationUri: !GetAtt Chat.Arn
      TimeoutInMillis: 5000
      ContentHandlingStrategy: CONVERT_TO_TEXT
  LiteralInteg:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationUri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:chat-fn/invocations
  Mock:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: MOCK
      RequestTemplates: {"200": "{}"}
  ConnectRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Api
      RouteKey: $connect
      AuthorizationType: CUSTOM
      AuthorizerId: !Ref Auth
      Target: !Join [/, [integrations, !Ref ConnectInteg]]
  DisconnectRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Api
      RouteKey: $disconnect
      Target: !Sub integrations/${ConnectInteg}
  SendRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Api
      RouteKey: sendmessage
      RouteResponseSelectionExpression: $default
      Target: !Sub integrations/${ChatInteg}
  SendResponse:
    Type: AWS::ApiGatewayV2::RouteResponse
    Properties:
      ApiId: !Ref Api
      RouteId: !Ref SendRoute
      RouteResponseKey: $default
  EchoRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Api
      RouteKey: echo
      RouteResponseSelectionExpression: $default
      Target: !Sub integrations/${LiteralInteg}
  DefaultRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Api
      RouteKey: $default
      Target: !Sub integrations/${ChatInteg}
  DefaultResponse:
    Type: AWS::ApiGatewayV2::RouteResponse
    Properties:
      ApiId: !Ref Api
      RouteId: !Ref DefaultRoute
      RouteResponseKey: $default
  PingRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Api
      RouteKey: ping
      Target: !Sub integrations/${Mock}
  Auth:
    Type: AWS::ApiGatewayV2::Authorizer
    Properties:
      ApiId: !Ref Api
      AuthorizerType: REQUEST
      IdentitySource: [route.request.querystring.token]
  Deployment:
    Type: AWS::ApiGatewayV2::Deployment
    DependsOn: [ConnectRoute, SendRoute]
    Properties:
      ApiId: !Ref Api
  Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties:
      ApiId: !Ref Api
      StageName: production
      DeploymentId: !Ref Deployment
      DefaultRouteSettings:
        ThrottlingBurstLimit: 10
`
	p := mustParse(t, src, Options{})
	ws := func(key, fn string) *Route {
		return &Route{Path: key, Function: fn, PayloadVersion: "1.0", Timeout: 29 * time.Second}
	}
	connect := ws("$connect", "OnConnect")
	connect.Authorizer = "Auth"
	send := ws("sendmessage", "Chat")
	send.Timeout, send.TwoWay = 5*time.Second, true
	echo := ws("echo", "Chat")
	dflt := ws("$default", "Chat")
	dflt.Timeout = 5 * time.Second
	ping := ws("ping", "")
	ping.Integration = Integration{Kind: MockIntegration, Type: "MOCK"}
	want := &Project{
		Path:      template,
		Functions: []*Function{localFn("OnConnect", "nodejs20.x", "index.handler"), localFn("Chat", "python3.12", "app.handler")},
		APIs: []*API{{ID: "Api", Type: WSAPI, Stage: "production", RouteSelection: "$request.body.action",
			Routes: []*Route{connect, ws("$disconnect", "OnConnect"), send, echo, dflt, ping}}},
		NotEmulated: []Warning{
			warning(lineOf(t, src, "Target: !Sub integrations/${Mock}", 1), "PingRoute", "Target",
				"mock integrations of WebSocket APIs are not emulated (REST APIs' are): the route answers as a missing route does"),
			warning(lineOf(t, src, "Auth:", 1), "Auth", "", msgWebSocketAuthorizer),
			warning(lineOf(t, src, "ThrottlingBurstLimit", 1), "Stage", "DefaultRouteSettings", msgThrottle),
		},
		Warnings: []Warning{
			warning(lineOf(t, src, "EchoRoute:", 1), "EchoRoute", "RouteResponseSelectionExpression",
				"route echo has no $default AWS::ApiGatewayV2::RouteResponse, so, as in AWS, it is one-way: the function's answer is not sent to the client"),
			warning(lineOf(t, src, "DefaultRoute:", 1), "DefaultRoute", "RouteResponseSelectionExpression",
				"route $default has a $default route response but no RouteResponseSelectionExpression: $default, so, as in AWS, it is one-way"),
		},
	}
	want.Functions[1].FunctionName = "chat-fn"
	diffProject(t, want, p)
	if !p.APIs[0].Emulated() || !p.APIs[0].Routes[0].Emulated() || p.APIs[0].Routes[5].Emulated() {
		t.Error("a WebSocket API and its proxy routes are served, its mock route is not")
	}
}

// TestWebSocketAPIErrors: what API Gateway refuses in a WebSocket API stops
// loading at its line.
func TestWebSocketAPIErrors(t *testing.T) {
	head := `Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: app.handler}
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.action}
`
	tests := []struct{ name, src, want string }{
		{"payload 2.0", `  Integ:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {ApiId: !Ref Api, IntegrationType: AWS_PROXY, IntegrationUri: !GetAtt Fn.Arn, PayloadFormatVersion: "2.0"}
`, `:10: resource Integ: property PayloadFormatVersion: a WebSocket API's integrations use payload format 1.0, got "2.0"`},
		{"timeout over 29 s", `  Integ:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {ApiId: !Ref Api, IntegrationType: AWS_PROXY, IntegrationUri: !GetAtt Fn.Arn, TimeoutInMillis: 30000}
`, `:10: resource Integ: property TimeoutInMillis: must be between 50 and 29000 ms, got 30000`},
		{"route response of another API's route", `  Other:
    Type: AWS::ApiGatewayV2::Api
    Properties: {ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.action}
  Integ:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {ApiId: !Ref Other, IntegrationType: AWS_PROXY, IntegrationUri: !GetAtt Fn.Arn}
  R:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Other, RouteKey: $default, Target: !Sub "integrations/${Integ}"}
  RR:
    Type: AWS::ApiGatewayV2::RouteResponse
    Properties: {ApiId: !Ref Api, RouteId: !Ref R, RouteResponseKey: $default}
`, `:19: resource RR: property RouteId: R names no AWS::ApiGatewayV2::Route of Api`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(template, []byte(head+tt.src), Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestWebSocketSelectionDefault: CloudFormation requires a
// RouteSelectionExpression; without one gatescope routes by action and says
// so, and a WebSocket API nothing deploys is served as stage Prod.
func TestWebSocketSelectionDefault(t *testing.T) {
	src := `Resources:
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {ProtocolType: WEBSOCKET}
`
	p := mustParse(t, src, Options{})
	want := &Project{Path: template, APIs: []*API{{ID: "Api", Type: WSAPI, Stage: "Prod", RouteSelection: "$request.body.action"}},
		Warnings: []Warning{
			warning(2, "Api", "RouteSelectionExpression", "a WebSocket API needs a RouteSelectionExpression; gatescope routes messages by $request.body.action"),
			warning(2, "Api", "", "no Stage or Deployment deploys this API, so AWS would not serve it; gatescope serves it as stage Prod"),
		}}
	diffProject(t, want, p)
}
