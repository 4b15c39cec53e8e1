package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

// auditFixtures are minimal resources of every type a reader reads, with
// what they need around them. Each type in resourceSpecs must have one.
var auditFixtures = map[string]struct{ props, around string }{
	"AWS::Serverless::Function": {props: "Runtime: python3.12\n      Handler: app.handler\n      CodeUri: src/"},
	"AWS::Lambda::Function":     {props: "Runtime: python3.12\n      Handler: app.handler\n      Code: src/"},
	"AWS::Serverless::Api":      {props: "StageName: Prod"},
	"AWS::Serverless::HttpApi":  {props: "StageName: dev"},
	"AWS::ApiGateway::RestApi":  {props: "Name: rest"},
	"AWS::ApiGateway::Resource": {props: "RestApiId: !Ref Rest\n      ParentId: !GetAtt Rest.RootResourceId\n      PathPart: items", around: auditRest},
	"AWS::ApiGateway::Method": {props: "RestApiId: !Ref Rest\n      ResourceId: !GetAtt Rest.RootResourceId\n      HttpMethod: GET\n      AuthorizationType: NONE\n" +
		"      Integration: {Type: AWS_PROXY, IntegrationHttpMethod: POST, Uri: !GetAtt Fn.Arn}", around: auditRest + auditFn},
	"AWS::ApiGateway::Deployment":    {props: "RestApiId: !Ref Rest\n      StageName: Prod", around: auditRest},
	"AWS::ApiGateway::Stage":         {props: "RestApiId: !Ref Rest\n      StageName: Prod\n      DeploymentId: x", around: auditRest},
	"AWS::ApiGatewayV2::Api":         {props: "ProtocolType: HTTP"},
	"AWS::ApiGatewayV2::Route":       {props: "ApiId: !Ref Http\n      RouteKey: GET /x\n      Target: !Sub integrations/${Integ}", around: auditHTTP + auditInteg + auditFn},
	"AWS::ApiGatewayV2::Integration": {props: "ApiId: !Ref Http\n      IntegrationType: AWS_PROXY\n      IntegrationUri: !GetAtt Fn.Arn\n      PayloadFormatVersion: '2.0'", around: auditHTTP + auditFn},
	"AWS::ApiGatewayV2::Stage":       {props: "ApiId: !Ref Http\n      StageName: $default", around: auditHTTP},
	"AWS::ApiGatewayV2::Deployment":  {props: "ApiId: !Ref Http", around: auditHTTP},
	"AWS::ApiGatewayV2::RouteResponse": {props: "ApiId: !Ref Ws\n      RouteId: !Ref WsRoute\n      RouteResponseKey: $default",
		around: auditWS + auditFn},
	"AWS::Lambda::Version":    {props: "FunctionName: !Ref Fn", around: auditFn},
	"AWS::Lambda::Alias":      {props: "FunctionName: !Ref Fn\n      FunctionVersion: $LATEST\n      Name: live", around: auditFn},
	"AWS::Lambda::Permission": {props: "FunctionName: !Ref Fn\n      Action: lambda:InvokeFunction\n      Principal: apigateway.amazonaws.com", around: auditFn},
	"AWS::ApiGateway::Authorizer": {props: "RestApiId: !Ref Rest\n      Type: TOKEN\n      IdentitySource: method.request.header.Authorization\n      AuthorizerUri: !GetAtt Fn.Arn",
		around: auditRest + auditFn},
	"AWS::ApiGatewayV2::Authorizer": {props: "ApiId: !Ref Http\n      AuthorizerType: JWT\n      JwtConfiguration: {Issuer: https://i.example.com}", around: auditHTTP},
	"AWS::ApiGateway::ApiKey":       {props: "Value: abcdefghijklmnopqrst\n      Enabled: true"},
	"AWS::ApiGateway::UsagePlan":    {props: "ApiStages: [{ApiId: !Ref Rest, Stage: Prod}]", around: auditRest},
	"AWS::ApiGateway::UsagePlanKey": {props: "KeyId: !Ref Key\n      KeyType: API_KEY\n      UsagePlanId: !Ref Plan",
		around: "  Key:\n    Type: AWS::ApiGateway::ApiKey\n    Properties: {Value: abcdefghijklmnopqrst, Enabled: true}\n  Plan:\n    Type: AWS::ApiGateway::UsagePlan\n"},
	"AWS::Serverless::LayerVersion": {props: "ContentUri: layer/"},
	"AWS::Lambda::LayerVersion":     {props: "Content: layer/"},
}

const (
	auditRest  = "  Rest:\n    Type: AWS::ApiGateway::RestApi\n"
	auditHTTP  = "  Http:\n    Type: AWS::ApiGatewayV2::Api\n    Properties: {ProtocolType: HTTP}\n"
	auditInteg = "  Integ:\n    Type: AWS::ApiGatewayV2::Integration\n    Properties: {ApiId: !Ref Http, IntegrationType: AWS_PROXY, IntegrationUri: !GetAtt Fn.Arn, PayloadFormatVersion: '2.0'}\n"
	auditFn    = "  Fn:\n    Type: AWS::Serverless::Function\n    Properties: {Runtime: python3.12, Handler: app.handler}\n"
	auditWS    = "  Ws:\n    Type: AWS::ApiGatewayV2::Api\n    Properties: {ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.action}\n" +
		"  WsInteg:\n    Type: AWS::ApiGatewayV2::Integration\n    Properties: {ApiId: !Ref Ws, IntegrationType: AWS_PROXY, IntegrationUri: !GetAtt Fn.Arn}\n" +
		"  WsRoute:\n    Type: AWS::ApiGatewayV2::Route\n    Properties: {ApiId: !Ref Ws, RouteKey: $default, RouteResponseSelectionExpression: $default, Target: !Sub 'integrations/${WsInteg}'}\n" +
		"  WsStage:\n    Type: AWS::ApiGatewayV2::Stage\n    Properties: {ApiId: !Ref Ws, StageName: prod}\n"
)

// TestAuditListsWhatNothingReads walks every resource type and event the
// loader reads: a property it does not know lands in NotEmulated with its
// line; each property the spec lists lands there with its sentence; inert
// properties and the fixture's own (read) properties do not.
func TestAuditListsWhatNothingReads(t *testing.T) {
	for _, typ := range slices.Sorted(maps.Keys(resourceSpecs)) {
		spec := resourceSpecs[typ]
		if spec.inertType != "" {
			continue
		}
		t.Run(typ, func(t *testing.T) {
			var extra strings.Builder
			extra.WriteString("      Bogus: 1\n")
			for _, k := range slices.Sorted(maps.Keys(spec.props)) {
				fmt.Fprintf(&extra, "      %s: x\n", k)
			}
			src, res, prefix := auditTemplate(t, typ, extra.String())
			p := mustParse(t, src, Options{})
			got := map[string]Warning{}
			for _, w := range p.NotEmulated {
				if w.Resource == res && strings.HasPrefix(w.Property, prefix) {
					got[strings.TrimPrefix(w.Property, prefix)] = w
				}
			}
			check := func(key, msg string) {
				t.Helper()
				w, ok := got[key]
				if !ok {
					t.Errorf("%s is not listed; NotEmulated = %v", key, p.NotEmulated)
					return
				}
				if wantLine := lineOf(t, src, "      "+key+": ", 1); w.Line != wantLine || w.Message != msg {
					t.Errorf("%s listed as %d %q, want %d %q", key, w.Line, w.Message, wantLine, msg)
				}
				delete(got, key)
			}
			what := typ
			if ev, ok := strings.CutPrefix(typ, "event "); ok {
				what = ev + " event"
			}
			check("Bogus", what+" property Bogus is not emulated: gatescope ignores it")
			for k, msg := range spec.props {
				if msg != inert {
					check(k, msg)
				}
			}
			for k, w := range got {
				if _, listed := spec.props[k]; !listed || spec.props[k] == inert {
					t.Errorf("%s listed though the fixture or the spec says it is read or inert: %v", k, w)
				}
			}
		})
	}
}

// auditTemplate places a fixture of typ (with extra properties) in a
// template; it returns the template, the resource its findings name and
// their property prefix.
func auditTemplate(t *testing.T, typ, extra string) (src, res, prefix string) {
	t.Helper()
	if ev, ok := strings.CutPrefix(typ, "event "); ok {
		props := "Path: /x\n            Method: GET"
		extra = strings.ReplaceAll(extra, "\n      ", "\n            ")
		src = "Resources:\n  Under:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n      Handler: app.handler\n" +
			"      Events:\n        E:\n          Type: " + ev + "\n          Properties:\n            " + props + "\n      " + extra
		src = strings.Replace(src, "\n      Bogus", "\n            Bogus", 1)
		return src, "Under", "Events.E.Properties."
	}
	f, ok := auditFixtures[typ]
	if !ok {
		t.Fatalf("no fixture for %s: add one to auditFixtures", typ)
	}
	src = "Resources:\n" + f.around + "  Under:\n    Type: " + typ + "\n    Properties:\n      " + f.props + "\n" + extra
	return src, "Under", ""
}

// TestAuditTypes: a type nothing reads is listed at its resource; an inert
// type is not; a fixture alone lists nothing generic (its properties are
// read).
func TestAuditTypes(t *testing.T) {
	src := `Resources:
  Table:
    Type: AWS::DynamoDB::Table
  Nested:
    Type: AWS::Serverless::Application
  Role:
    Type: AWS::IAM::Role
  Logs:
    Type: AWS::Logs::LogGroup
  Custom:
    Type: Custom::Thing
  Alarm:
    Type: AWS::CloudWatch::Alarm
`
	p := mustParse(t, src, Options{})
	want := []Warning{
		warning(2, "Table", "", "AWS::DynamoDB::Table is not emulated: gatescope does not create it; a function that uses it reaches AWS with your credentials"),
		warning(4, "Nested", "", "nested applications are not emulated: their functions and APIs are not served"),
		warning(6, "Role", "", msgIAM),
		warning(10, "Custom", "", "custom resources are not emulated: their provider does not run locally"),
	}
	diffProject(t, &Project{Path: template, NotEmulated: want}, p)

	for typ, f := range auditFixtures {
		src := "Resources:\n" + f.around + "  Under:\n    Type: " + typ + "\n    Properties:\n      " + f.props + "\n"
		p := mustParse(t, src, Options{})
		for _, w := range p.NotEmulated {
			if strings.Contains(w.Message, "gatescope ignores it") {
				t.Errorf("%s fixture: %v", typ, w)
			}
		}
	}
}
