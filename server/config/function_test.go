package config

import (
	"fmt"
	"testing"
	"time"
)

func TestFunctions(t *testing.T) {
	tests := []struct {
		name string
		src  string
		opts Options
		want func(src string) *Project
	}{
		{
			name: "defaults",
			src: `Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: provided.al2023
      Handler: bootstrap
`,
			want: func(string) *Project {
				return &Project{Functions: []*Function{localFn("Hello", "provided.al2023", "bootstrap")}}
			},
		},
		{
			name: "every property",
			src: `Resources:
  Hello:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: go1.x
    Properties:
      FunctionName: hello-fn
      CodeUri: src/hello/
      Runtime: provided.al2023
      Handler: bootstrap
      Architectures: [arm64]
      Timeout: "30"
      MemorySize: 512
      ReservedConcurrentExecutions: 2
      Environment:
        Variables:
          NUM: 42
          RATIO: 2.50
          FLAG: false
          ACCOUNT: 012345678901
  Other:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: /opt/other
      Runtime: python3.12
      Handler: app.handler
`,
			want: func(src string) *Project {
				f := localFn("Hello", "provided.al2023", "bootstrap")
				f.FunctionName = "hello-fn"
				f.CodeDir = appDir + "/src/hello"
				f.Build = &Build{Method: "go1.x", File: template, Line: lineOf(t, src, "BuildMethod", 1)}
				f.Architecture = "arm64"
				f.Timeout = 30 * time.Second
				f.MemoryMB = 512
				two := 2
				f.ReservedConcurrency = &two
				f.Env = map[string]string{"NUM": "42", "RATIO": "2.50", "FLAG": "false", "ACCOUNT": "012345678901"}
				o := localFn("Other", "python3.12", "app.handler")
				o.CodeDir = "/opt/other"
				return &Project{Functions: []*Function{f, o}}
			},
		},
		{
			name: "globals merge",
			src: `Globals:
  Function:
    Runtime: nodejs20.x
    Handler: index.handler
    Timeout: 10
    MemorySize: 256
    Architectures: [arm64]
    Environment:
      Variables:
        A: global
        B: global
Resources:
  First:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: 20
      Architectures: []
      Environment:
        Variables:
          B: local
          C: local
  Second:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
`,
			want: func(string) *Project {
				first := localFn("First", "nodejs20.x", "index.handler")
				first.Timeout = 20 * time.Second
				first.MemoryMB = 256
				first.Architecture = "arm64" // lists concatenate: [arm64] + []
				first.Env = map[string]string{"A": "global", "B": "local", "C": "local"}
				second := localFn("Second", "python3.12", "app.handler")
				second.Timeout = 10 * time.Second
				second.MemoryMB = 256
				second.Architecture = "arm64"
				second.Env = map[string]string{"A": "global", "B": "global"}
				return &Project{Functions: []*Function{first, second}}
			},
		},
		{
			name: "intrinsics in typed properties",
			src: `Parameters:
  Timeout:
    Type: Number
    Default: 15
  Stage:
    Type: String
    Default: prod
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: !If [IsProd, provided.al2023, provided.al2]
      Handler: !Sub "${Stage}-bootstrap"
      Timeout: !Ref Timeout
      MemorySize: !If [IsProd, !Ref AWS::NoValue, 1024]
`,
			want: func(string) *Project {
				f := localFn("Hello", "provided.al2023", "prod-bootstrap")
				f.Timeout = 15 * time.Second
				return &Project{Functions: []*Function{f}}
			},
		},
		{
			name: "remote functions",
			src: `Resources:
  Remote:
    Type: AWS::Serverless::Function
    Metadata:
      gatescope:
        arn: arn:aws:lambda:eu-west-1:012345678901:function:deployed
    Properties:
      Timeout: 7
  Other:
    Type: AWS::Serverless::Function
    Metadata:
      GatescopeRemoteArn: !Sub arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:other
    Properties:
      CodeUri: s3://ignored/for/remote.zip
  Caller:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: provided.al2023
      Handler: bootstrap
      Environment:
        Variables:
          REMOTE_ARN: !GetAtt Remote.Arn
`,
			want: func(string) *Project {
				remote := &Function{Name: "Remote", FunctionName: "Remote", ARN: "arn:aws:lambda:eu-west-1:012345678901:function:deployed",
					Architecture: "x86_64", Timeout: 7 * time.Second, MemoryMB: 128}
				other := &Function{Name: "Other", FunctionName: "Other", ARN: "arn:aws:lambda:us-east-1:123456789012:function:other",
					Architecture: "x86_64", Timeout: 3 * time.Second, MemoryMB: 128}
				caller := localFn("Caller", "provided.al2023", "bootstrap")
				caller.Env = map[string]string{"REMOTE_ARN": remote.ARN}
				return &Project{Functions: []*Function{remote, other, caller}}
			},
		},
		{
			name: "AWS::Lambda::Function with a local Code path",
			src: `Resources:
  Plain:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: plain
      Code: build/plain
      Runtime: python3.12
      Handler: app.handler
      Timeout: 60
      MemorySize: 1024
      Environment:
        Variables:
          X: "1"
`,
			want: func(string) *Project {
				f := localFn("Plain", "python3.12", "app.handler")
				f.FunctionName = "plain"
				f.CodeDir = appDir + "/build/plain"
				f.Timeout = time.Minute
				f.MemoryMB = 1024
				f.Env = map[string]string{"X": "1"}
				return &Project{Functions: []*Function{f}}
			},
		},
		{
			name: "code that cannot run locally, and code in the template",
			src: `Resources:
  S3Uri:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: s3://bucket/code.zip
      Runtime: python3.12
      Handler: app.handler
  S3Object:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri:
        Bucket: bucket
        Key: code.zip
      Runtime: python3.12
      Handler: app.handler
  Inline:
    Type: AWS::Serverless::Function
    Properties:
      InlineCode: "def handler(e, c): pass"
      Runtime: python3.12
      Handler: index.handler
  Zip:
    Type: AWS::Lambda::Function
    Properties:
      Code:
        ZipFile: "exports.handler = async () => 1"
      Runtime: nodejs20.x
      Handler: index.handler
  Image:
    Type: AWS::Serverless::Function
    Properties:
      PackageType: Image
      ImageConfig:
        Command: [app.handler]
      Events:
        Get:
          Type: HttpApi
          Properties: {Path: /img, Method: GET}
    Metadata:
      Dockerfile: Dockerfile
`,
			want: func(src string) *Project {
				var fns []*Function
				for _, n := range []string{"S3Uri", "S3Object", "Inline", "Zip"} {
					f := localFn(n, "python3.12", "app.handler")
					f.CodeDir = ""
					fns = append(fns, f)
				}
				fns[2].Handler, fns[2].InlineCode = "index.handler", "def handler(e, c): pass"
				fns[3].Runtime, fns[3].Handler, fns[3].InlineCode = "nodejs20.x", "index.handler", "exports.handler = async () => 1"
				img := localFn("Image", "", "")
				img.CodeDir = ""
				fns = append(fns, img)
				// The image function's route is still served: it answers
				// with the invoke's failure, which names the function.
				return &Project{Functions: fns, APIs: []*API{{ID: "ServerlessHttpApi", Type: HTTPAPI, Stage: "$default",
					Routes: []*Route{route(HTTPAPI, "GET", "/img", "Image")}}}, NotEmulated: []Warning{
					warning(lineOf(t, src, "s3://bucket", 1), "S3Uri", "CodeUri", "code in S3 (s3://bucket/code.zip) cannot run locally; point CodeUri at the source directory"),
					warning(lineOf(t, src, "Bucket: bucket", 1), "S3Object", "CodeUri", "code in S3 (Bucket/Key) cannot run locally; point CodeUri at the source directory"),
					warning(lineOf(t, src, "PackageType: Image", 1), "Image", "PackageType",
						"container images cannot run locally; set Metadata.gatescope.arn to invoke the deployed function"),
				}}
			},
		},
		{
			name: "resource conditions",
			src: `Parameters:
  WithDebug:
    Type: String
    Default: "false"
Conditions:
  Debug: !Equals [!Ref WithDebug, "true"]
Resources:
  Debugger:
    Type: AWS::Serverless::Function
    Condition: Debug
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Events:
        Get:
          Type: HttpApi
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Policies:
        - DynamoDBCrudPolicy:
            TableName: !Ref SomeTable
`,
			want: func(src string) *Project {
				// Policies names a table that does not exist: nothing reads
				// it, so no warning; it is listed, as IAM is not enforced.
				return &Project{Functions: []*Function{localFn("Hello", "python3.12", "app.handler")},
					NotEmulated: []Warning{warning(lineOf(t, src, "Policies:", 1), "Hello", "Policies", msgIAM)}}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, tt.src, tt.opts)
			want := tt.want(tt.src)
			want.Path = template
			diffProject(t, want, p)
		})
	}
}

// TestTimeoutAt: explanations of timeouts name where Timeout is set, the
// function's own property or Globals', and nothing for Lambda's default.
func TestTimeoutAt(t *testing.T) {
	src := `Globals:
  Function:
    Timeout: 10
Resources:
  Own:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      Timeout: 1
  Global:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
  Plain:
    Type: AWS::Lambda::Function
    Properties:
      Code: fn
      Runtime: nodejs20.x
      Handler: index.handler
`
	p := mustParse(t, src, Options{})
	want := map[string]string{
		"Own":    fmt.Sprintf("%s:%d", template, lineOf(t, src, "Timeout: 1\n", 1)),
		"Global": fmt.Sprintf("%s:%d", template, lineOf(t, src, "Timeout: 10", 1)),
		"Plain":  "",
	}
	for name, at := range want {
		if f := p.Function(name); f == nil || f.TimeoutAt != at {
			t.Errorf("%s: TimeoutAt = %+v, want %q", name, f, at)
		}
	}
}
