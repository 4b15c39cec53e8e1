package config

import (
	"path/filepath"
	"testing"
	"time"
)

func TestOpenAPIDefinitionBody(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want func(src string) *Project
	}{
		{
			name: "HTTP API OpenAPI 3",
			src: `Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        openapi: "3.0.1"
        info: {title: items, version: "1"}
        x-amazon-apigateway-cors:
          allowOrigins: ["*"]
          allowMethods: [GET]
          maxAge: 300
        paths:
          /items:
            parameters: []
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Items.Arn}/invocations
                payloadFormatVersion: 1.0
          /items/{proxy+}:
            x-amazon-apigateway-any-method:
              x-amazon-apigateway-integration:
                type: AWS_PROXY
                uri: !GetAtt Items.Arn
                timeoutInMillis: 10000
          /$default:
            x-amazon-apigateway-any-method:
              x-amazon-apigateway-integration:
                type: aws_proxy
                uri: {"Fn::GetAtt": [Items, Arn]}
          /mock:
            get:
              x-amazon-apigateway-integration:
                type: mock
          /ghost:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                uri: arn:aws:lambda:us-east-1:123456789012:function:elsewhere
          /bare:
            get:
              responses: {}
          /filled:
            post:
              responses: {}
  Items:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: provided.al2023
      Handler: bootstrap
      Events:
        Filled:
          Type: HttpApi
          Properties:
            ApiId: !Ref Api
            Path: /filled
            Method: POST
`,
			want: func(src string) *Project {
				get := route(HTTPAPI, "GET", "/items", "Items")
				get.PayloadVersion = "1.0"
				proxy := route(HTTPAPI, "ANY", "/items/{proxy+}", "Items")
				proxy.Timeout = 10 * time.Second
				const body = "DefinitionBody.paths."
				// Routes gatescope does not serve are kept (they must still
				// win their requests) and listed.
				mock := route(HTTPAPI, "GET", "/mock", "")
				mock.Integration = Integration{Kind: MockIntegration, Type: "MOCK"}
				ghost := route(HTTPAPI, "GET", "/ghost", "")
				ghost.Integration = Integration{Type: "AWS_PROXY", Target: "arn:aws:lambda:us-east-1:123456789012:function:elsewhere"}
				return &Project{
					Functions: []*Function{localFn("Items", "provided.al2023", "bootstrap")},
					APIs: []*API{{ID: "Api", Type: HTTPAPI, Stage: "$default",
						Cors: &Cors{AllowOrigins: []string{"*"}, AllowMethods: []string{"GET"}, MaxAge: 300},
						Routes: []*Route{get, proxy, route(HTTPAPI, "ANY", "$default", "Items"), mock, ghost,
							route(HTTPAPI, "POST", "/filled", "Items")}}},
					NotEmulated: []Warning{
						warning(lineOf(t, src, "type: mock", 1), "Api", body+"/mock.get.x-amazon-apigateway-integration",
							"mock integrations of HTTP APIs are not emulated (REST APIs' are): the route answers as a missing route does"),
						warning(lineOf(t, src, "uri: arn:aws:lambda", 1)-1, "Api", body+"/ghost.get.x-amazon-apigateway-integration",
							"the integration invokes a function this template does not define (arn:aws:lambda:us-east-1:123456789012:function:elsewhere): "+
								"the route answers as a missing route does; define the function, or set Metadata.gatescope.arn on one to invoke the deployed one"),
					},
					Warnings: []Warning{
						warning(lineOf(t, src, "get:", 4), "Api", body+"/bare.get",
							"GET /bare has no x-amazon-apigateway-integration and no event declares it; route not served"),
					},
				}
			},
		},
		{
			name: "REST API Swagger 2.0 with a named function and binary types",
			src: `Resources:
  Rest:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      BinaryMediaTypes: [image~1gif]
      DefinitionBody:
        swagger: "2.0"
        x-amazon-apigateway-binary-media-types: [image~1png, image/gif]
        paths:
          /pets/{id}:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                payloadFormatVersion: 2.0
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:${Pets}/invocations
  Pets:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: pets-fn
      Runtime: nodejs20.x
      Handler: index.handler
`,
			want: func(string) *Project {
				pets := localFn("Pets", "nodejs20.x", "index.handler")
				pets.FunctionName = "pets-fn"
				return &Project{
					Functions: []*Function{pets},
					APIs: []*API{{ID: "Rest", Type: RESTAPI, Stage: "Prod",
						BinaryMediaTypes: []string{"image/png", "image/gif"},
						Routes:           []*Route{route(RESTAPI, "GET", "/pets/{id}", "Pets")}}},
				}
			},
		},
		{
			name: "remote function behind an integration",
			src: `Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      CorsConfiguration:
        AllowOrigins: [https://a.example]
      DefinitionBody:
        openapi: "3.0.1"
        x-amazon-apigateway-cors:
          allowOrigins: ["*"]
        paths:
          /r:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Remote.Arn}:live/invocations
  Remote:
    Type: AWS::Serverless::Function
    Metadata:
      gatescope: {arn: "arn:aws:lambda:us-east-1:000000000001:function:deployed"}
`,
			want: func(string) *Project {
				remote := &Function{Name: "Remote", FunctionName: "Remote", ARN: "arn:aws:lambda:us-east-1:000000000001:function:deployed",
					Architecture: "x86_64", Timeout: 3 * time.Second, MemoryMB: 128}
				return &Project{
					Functions: []*Function{remote},
					APIs: []*API{{ID: "Api", Type: HTTPAPI, Stage: "$default",
						Cors:   &Cors{AllowOrigins: []string{"https://a.example"}}, // the property wins over the body
						Routes: []*Route{route(HTTPAPI, "GET", "/r", "Remote")}}},
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, tt.src, Options{})
			want := tt.want(tt.src)
			want.Path = template
			diffProject(t, want, p)
		})
	}
}

func TestOpenAPIFiles(t *testing.T) {
	abs := func(p string) string {
		t.Helper()
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	tests := []struct {
		path string
		want *Project
	}{
		{
			path: "testdata/defuri/template.yaml",
			want: &Project{
				Path:     abs("testdata/defuri/template.yaml"),
				Includes: []string{abs("testdata/defuri/openapi.yaml")},
				Functions: []*Function{{Name: "Items", FunctionName: "Items", Runtime: "python3.12", Handler: "app.handler",
					CodeDir: abs("testdata/defuri/items"), Architecture: "x86_64", Timeout: 3 * time.Second, MemoryMB: 128}},
				APIs: []*API{{ID: "Api", Type: RESTAPI, Stage: "live", BinaryMediaTypes: []string{"image/png"},
					Routes: []*Route{route(RESTAPI, "GET", "/items", "Items")}}},
			},
		},
		{
			path: "testdata/include/template.yaml",
			want: &Project{
				Path:     abs("testdata/include/template.yaml"),
				Includes: []string{abs("testdata/include/api.yaml")},
				Functions: []*Function{{Name: "Hello", FunctionName: "hello-fn", Runtime: "provided.al2023", Handler: "bootstrap",
					CodeDir: abs("testdata/include"), Architecture: "x86_64", Timeout: 3 * time.Second, MemoryMB: 128}},
				APIs: []*API{{ID: "Api", Type: HTTPAPI, Stage: "$default",
					Routes: []*Route{{Method: "GET", Path: "/hello", Function: "Hello", PayloadVersion: "1.0", Timeout: 30 * time.Second}}}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p, err := Load(tt.path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			diffProject(t, tt.want, p)
		})
	}
}
