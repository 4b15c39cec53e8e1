package config

import (
	"testing"
	"time"
)

// route builds an expected route with the API type's defaults.
func route(typ APIType, method, path, fn string) *Route {
	if typ == HTTPAPI {
		return &Route{Method: method, Path: path, Function: fn, PayloadVersion: "2.0", Timeout: 30 * time.Second}
	}
	return &Route{Method: method, Path: path, Function: fn, PayloadVersion: "1.0", Timeout: 29 * time.Second}
}

func TestAPIs(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want func(src string) *Project
	}{
		{
			name: "implicit APIs after explicit ones, routes in template order",
			src: `Resources:
  Items:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Events:
        List:
          Type: HttpApi
          Properties:
            Path: /items
            Method: get
        Any:
          Type: HttpApi
          Properties:
            Path: /items/{id}
            Method: any
        V1:
          Type: HttpApi
          Properties:
            Path: /v1
            Method: POST
            PayloadFormatVersion: 1.0
            TimeoutInMillis: 5000
        V2:
          Type: HttpApi
          Properties:
            Path: /v2
            Method: POST
            PayloadFormatVersion: 2
        Default:
          Type: HttpApi
        Legacy:
          Type: Api
          Properties:
            Path: /legacy/{proxy+}
            Method: ANY
            TimeoutInMillis: 1000
        Queue:
          Type: SQS
          Properties:
            Queue: !GetAtt Jobs.Arn
  Unused:
    Type: AWS::Serverless::HttpApi
`,
			want: func(src string) *Project {
				fn := localFn("Items", "python3.12", "app.handler")
				v1 := route(HTTPAPI, "POST", "/v1", "Items")
				v1.PayloadVersion, v1.Timeout = "1.0", 5*time.Second
				legacy := route(RESTAPI, "ANY", "/legacy/{proxy+}", "Items")
				legacy.Timeout = time.Second
				return &Project{
					Functions: []*Function{fn},
					APIs: []*API{
						{ID: "Unused", Type: HTTPAPI, Stage: "$default"},
						{ID: "ServerlessHttpApi", Type: HTTPAPI, Stage: "$default", Routes: []*Route{
							route(HTTPAPI, "GET", "/items", "Items"),
							route(HTTPAPI, "ANY", "/items/{id}", "Items"),
							v1,
							route(HTTPAPI, "POST", "/v2", "Items"),
							route(HTTPAPI, "ANY", "$default", "Items"),
						}},
						{ID: "ServerlessRestApi", Type: RESTAPI, Stage: "Prod", Routes: []*Route{legacy}},
					},
					NotEmulated: []Warning{warning(lineOf(t, src, "Type: SQS", 1), "Items", "Events.Queue.Type",
						"SQS events are not emulated: nothing sends the function these events locally; use gatescope invoke with a sample event")},
				}
			},
		},
		{
			name: "explicit HTTP API",
			src: `Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      StageName: dev
      StageVariables:
        Table: items
        Version: 2
      CorsConfiguration: true
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: provided.al2023
      Handler: bootstrap
      Events:
        Get:
          Type: HttpApi
          Properties:
            ApiId: !Ref Api
            Path: /hello
            Method: GET
        Implicit:
          Type: HttpApi
          Properties:
            Path: /other
            Method: GET
`,
			want: func(string) *Project {
				return &Project{
					Functions: []*Function{localFn("Hello", "provided.al2023", "bootstrap")},
					APIs: []*API{
						{ID: "Api", Type: HTTPAPI, Stage: "dev",
							StageVariables: map[string]string{"Table": "items", "Version": "2"},
							Cors:           &Cors{AllowOrigins: []string{"*"}, AllowMethods: []string{"*"}, AllowHeaders: []string{"*"}},
							Routes:         []*Route{route(HTTPAPI, "GET", "/hello", "Hello")}},
						{ID: "ServerlessHttpApi", Type: HTTPAPI, Stage: "$default", Routes: []*Route{route(HTTPAPI, "GET", "/other", "Hello")}},
					},
				}
			},
		},
		{
			name: "HTTP API CORS object",
			src: `Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      CorsConfiguration:
        AllowOrigins: [https://example.com, https://app.example.com]
        AllowMethods: [GET, POST]
        AllowHeaders: [content-type]
        ExposeHeaders: [x-request-id]
        MaxAge: 600
        AllowCredentials: true
  Off:
    Type: AWS::Serverless::HttpApi
    Properties:
      CorsConfiguration: false
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: provided.al2023
      Handler: bootstrap
`,
			want: func(string) *Project {
				return &Project{
					Functions: []*Function{localFn("Hello", "provided.al2023", "bootstrap")},
					APIs: []*API{
						{ID: "Api", Type: HTTPAPI, Stage: "$default", Cors: &Cors{
							AllowOrigins:     []string{"https://example.com", "https://app.example.com"},
							AllowMethods:     []string{"GET", "POST"},
							AllowHeaders:     []string{"content-type"},
							ExposeHeaders:    []string{"x-request-id"},
							MaxAge:           600,
							AllowCredentials: true,
						}},
						{ID: "Off", Type: HTTPAPI, Stage: "$default"},
					},
				}
			},
		},
		{
			name: "explicit REST API",
			src: `Resources:
  Rest:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      Variables:
        Mode: test
      BinaryMediaTypes: [image~1png, "*~1*"]
      Cors: "'*'"
  Quoted:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      Cors:
        AllowOrigin: "'https://example.com'"
        AllowMethods: "'GET, POST,OPTIONS'"
        AllowHeaders: "'Content-Type,X-Api-Key'"
        MaxAge: "'600'"
        AllowCredentials: true
  NoOrigin:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      Cors:
        AllowHeaders: "'origin, x-requested-with'"
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: provided.al2023
      Handler: bootstrap
      Events:
        Get:
          Type: Api
          Properties:
            RestApiId: !Ref Rest
            Path: /hello
            Method: get
`,
			want: func(string) *Project {
				return &Project{
					Functions: []*Function{localFn("Hello", "provided.al2023", "bootstrap")},
					APIs: []*API{
						{ID: "Rest", Type: RESTAPI, Stage: "v1",
							StageVariables:   map[string]string{"Mode": "test"},
							BinaryMediaTypes: []string{"image/png", "*/*"},
							Cors:             &Cors{AllowOrigins: []string{"*"}},
							Routes:           []*Route{route(RESTAPI, "GET", "/hello", "Hello")}},
						{ID: "Quoted", Type: RESTAPI, Stage: "Prod", Cors: &Cors{
							AllowOrigins:     []string{"https://example.com"},
							AllowMethods:     []string{"GET, POST,OPTIONS"}, // sent as written
							AllowHeaders:     []string{"Content-Type,X-Api-Key"},
							MaxAge:           600,
							AllowCredentials: true,
						}},
						// SAM's default origin is '*'; the header keeps its space.
						{ID: "NoOrigin", Type: RESTAPI, Stage: "Prod", Cors: &Cors{
							AllowOrigins: []string{"*"}, AllowHeaders: []string{"origin, x-requested-with"}}},
					},
				}
			},
		},
		{
			name: "Globals configure implicit APIs",
			src: `Globals:
  Api:
    Cors: "'*'"
    BinaryMediaTypes: [application~1octet-stream]
  HttpApi:
    CorsConfiguration: true
    StageVariables:
      Env: local
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: provided.al2023
      Handler: bootstrap
      Events:
        Rest:
          Type: Api
          Properties:
            Path: /r
            Method: get
        Http:
          Type: HttpApi
          Properties:
            Path: /h
            Method: get
`,
			want: func(string) *Project {
				return &Project{
					Functions: []*Function{localFn("Hello", "provided.al2023", "bootstrap")},
					APIs: []*API{
						{ID: "ServerlessRestApi", Type: RESTAPI, Stage: "Prod",
							BinaryMediaTypes: []string{"application/octet-stream"},
							Cors:             &Cors{AllowOrigins: []string{"*"}},
							Routes:           []*Route{route(RESTAPI, "GET", "/r", "Hello")}},
						{ID: "ServerlessHttpApi", Type: HTTPAPI, Stage: "$default",
							StageVariables: map[string]string{"Env": "local"},
							Cors:           &Cors{AllowOrigins: []string{"*"}, AllowMethods: []string{"*"}, AllowHeaders: []string{"*"}},
							Routes:         []*Route{route(HTTPAPI, "GET", "/h", "Hello")}},
					},
				}
			},
		},
		{
			name: "duplicate route: the later function wins, with a warning",
			src: `Resources:
  A:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: provided.al2023
      Handler: bootstrap
      Events:
        Get:
          Type: HttpApi
          Properties: {Path: /x, Method: GET}
  B:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: provided.al2023
      Handler: bootstrap
      Events:
        Get:
          Type: HttpApi
          Properties: {Path: /x, Method: get}
`,
			want: func(src string) *Project {
				return &Project{
					Functions: []*Function{localFn("A", "provided.al2023", "bootstrap"), localFn("B", "provided.al2023", "bootstrap")},
					APIs:      []*API{{ID: "ServerlessHttpApi", Type: HTTPAPI, Stage: "$default", Routes: []*Route{route(HTTPAPI, "GET", "/x", "B")}}},
					Warnings: []Warning{warning(lineOf(t, src, "Path: /x", 2), "B", "Events.Get.Properties.Path",
						"route GET /x on API ServerlessHttpApi is declared more than once; B replaces A")},
				}
			},
		},
		{
			name: "event on an API that cannot be resolved",
			src: `Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: provided.al2023
      Handler: bootstrap
      Events:
        Get:
          Type: HttpApi
          Properties:
            ApiId: !ImportValue shared-api
            Path: /x
            Method: GET
`,
			want: func(src string) *Project {
				ln := lineOf(t, src, "ApiId:", 1)
				return &Project{
					Functions: []*Function{localFn("Hello", "provided.al2023", "bootstrap")},
					Warnings: []Warning{
						warning(ln, "Hello", "Events.Get.Properties.ApiId", "Fn::ImportValue cannot be resolved locally (it reads another stack's exports); value dropped"),
						warning(ln, "Hello", "Events.Get.Properties.ApiId", "the event's API cannot be resolved locally; route not served"),
					},
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
