package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestMappingOpenAPI reads non-proxy integrations from an OpenAPI
// definition: custom Lambda, mock and HTTP ones are served; an SQS one
// stays listed.
func TestMappingOpenAPI(t *testing.T) {
	src := `Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: app.handler, CodeUri: .}
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: dev
      Variables: {backend: "localhost:8080"}
      DefinitionBody:
        openapi: "3.0.1"
        paths:
          /items/{id}:
            post:
              responses:
                "200": {description: ok, headers: {X-Id: {schema: {type: string}}}}
                "404": {description: missing}
              x-amazon-apigateway-integration:
                type: aws
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
                passthroughBehavior: when_no_templates
                contentHandling: CONVERT_TO_TEXT
                requestParameters:
                  integration.request.header.X-Id: method.request.path.id
                requestTemplates:
                  application/json: '{"id": "$input.params(''id'')"}'
                  text/plain: ""
                responses:
                  ".*not found.*":
                    statusCode: "404"
                  default:
                    statusCode: "200"
                    responseParameters: {method.response.header.X-Id: "'static'"}
                    responseTemplates: {application/json: "$input.json('$')"}
          /mock:
            get:
              responses: {"200": {description: ok}}
              x-amazon-apigateway-integration:
                type: mock
                requestTemplates: {application/json: '{"statusCode": 200}'}
                responses: {default: {statusCode: 200}}
          /proxy/{proxy+}:
            x-amazon-apigateway-any-method:
              x-amazon-apigateway-integration:
                type: http_proxy
                httpMethod: ANY
                uri: http://${stageVariables.backend}/{proxy}
                requestParameters: {integration.request.path.proxy: method.request.path.proxy}
          /queue:
            post:
              x-amazon-apigateway-integration:
                type: aws
                httpMethod: POST
                uri: arn:aws:apigateway:us-east-1:sqs:path/123456789012/q
`
	p := mustParse(t, src, Options{})
	routes := p.APIs[0].Routes
	if len(routes) != 4 {
		t.Fatalf("%d routes, want 4", len(routes))
	}
	custom := routes[0]
	if !custom.Emulated() || custom.Function != "Fn" || custom.Integration.Kind != CustomIntegration {
		t.Errorf("custom Lambda: emulated %v, function %q, kind %q", custom.Emulated(), custom.Function, custom.Integration.Kind)
	}
	m := custom.Integration.Mapping
	want := &Mapping{
		Passthrough:       WhenNoTemplates,
		ContentHandling:   "CONVERT_TO_TEXT",
		RequestParameters: []Parameter{{To: "integration.request.header.X-Id", From: "method.request.path.id"}},
		RequestTemplates:  []Template{{ContentType: "application/json", Text: `{"id": "$input.params('id')"}`}},
		Responses: []IntegrationResponse{
			{Pattern: ".*not found.*", StatusCode: "404"},
			{Default: true, StatusCode: "200",
				Parameters: []Parameter{{To: "method.response.header.X-Id", From: "'static'"}},
				Templates:  []Template{{ContentType: "application/json", Text: "$input.json('$')"}}},
		},
	}
	ignore := cmpopts.IgnoreFields(Template{}, "Parsed", "Err")
	if d := cmp.Diff(want, m, ignore, cmpopts.IgnoreFields(IntegrationResponse{}, "Regexp")); d != "" {
		t.Errorf("custom mapping (-want +got):\n%s", d)
	}
	if m.RequestTemplates[0].Parsed == nil || m.Responses[0].Regexp == nil || !m.Responses[0].Regexp.MatchString("item not found") {
		t.Errorf("templates are parsed and patterns compiled, anchored: %+v", m.Responses[0])
	}
	if d := cmp.Diff([]MethodResponse{{StatusCode: "200", Headers: []string{"X-Id"}}, {StatusCode: "404"}}, custom.MethodResponses); d != "" {
		t.Errorf("method responses (-want +got):\n%s", d)
	}
	if mock := routes[1]; !mock.Emulated() || mock.Integration.Kind != MockIntegration || len(mock.Integration.Mapping.RequestTemplates) != 1 {
		t.Errorf("mock: %+v", mock.Integration)
	}
	if hp := routes[2]; !hp.Emulated() || hp.Integration.Type != "HTTP_PROXY" || hp.Integration.Mapping.URI != "http://${stageVariables.backend}/{proxy}" || hp.Integration.Mapping.HTTPMethod != "ANY" {
		t.Errorf("HTTP proxy: %+v %+v", hp.Integration, hp.Integration.Mapping)
	}
	if q := routes[3]; q.Emulated() || q.Integration.Mapping != nil {
		t.Errorf("SQS integration is served: %+v", q.Integration)
	}
	if len(p.NotEmulated) != 1 || p.NotEmulated[0].Property != "DefinitionBody.paths./queue.post.x-amazon-apigateway-integration" {
		t.Errorf("not emulated: %v", p.NotEmulated)
	}
}

// TestMappingCloudFormation reads an AWS::ApiGateway::Method's
// Integration and MethodResponses, and lists a selection pattern Go cannot
// run.
func TestMappingCloudFormation(t *testing.T) {
	src := `Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: nodejs20.x, Handler: index.handler, Code: {ZipFile: x}}
  Rest:
    Type: AWS::ApiGateway::RestApi
  Get:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Rest
      ResourceId: !GetAtt Rest.RootResourceId
      HttpMethod: GET
      AuthorizationType: NONE
      MethodResponses:
        - StatusCode: "200"
          ResponseParameters: {method.response.header.X-Req: true}
        - StatusCode: "400"
      Integration:
        Type: AWS
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
        RequestTemplates:
          application/json: |
            #if($x
        IntegrationResponses:
          - StatusCode: "200"
            ResponseParameters: {method.response.header.X-Req: integration.response.header.X-Req}
          - StatusCode: "400"
            SelectionPattern: "(?=bad).*"
`
	p := mustParse(t, src, Options{})
	rt := p.APIs[0].Routes[0]
	if !rt.Emulated() || rt.Function != "Fn" {
		t.Fatalf("route %s: emulated %v, function %q", rt.Key(), rt.Emulated(), rt.Function)
	}
	m := rt.Integration.Mapping
	if len(m.Responses) != 2 || !m.Responses[0].Default || m.Responses[1].Pattern != "(?=bad).*" || m.Responses[1].Regexp != nil {
		t.Errorf("responses: %+v", m.Responses)
	}
	if m.RequestTemplates[0].Err == nil {
		t.Errorf("a template that does not parse keeps its error")
	}
	if d := cmp.Diff([]MethodResponse{{StatusCode: "200", Headers: []string{"X-Req"}}, {StatusCode: "400"}}, rt.MethodResponses); d != "" {
		t.Errorf("method responses (-want +got):\n%s", d)
	}
	var lookaround, parse bool
	for _, w := range p.NotEmulated {
		lookaround = lookaround || w.Resource == "Get" && w.Property == "Integration.IntegrationResponses"
	}
	for _, w := range p.Warnings {
		parse = parse || w.Resource == "Get" && w.Property == "Integration.RequestTemplates.application/json"
	}
	if !lookaround || !parse {
		t.Errorf("want the lookaround pattern listed and the broken template warned about:\nnot emulated %v\nwarnings %v", p.NotEmulated, p.Warnings)
	}
}
