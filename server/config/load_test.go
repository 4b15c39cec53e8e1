package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// contractWant is what the shared contract app must load to; file is the
// template's path as given to Load.
func contractWant(dir, file string) *Project {
	fn := func(name, runtime, handler, code string, build *Build) *Function {
		return &Function{Name: name, FunctionName: name, Runtime: runtime, Handler: handler,
			CodeDir: filepath.Join(dir, code), Build: build, Architecture: "x86_64",
			Timeout: 5 * time.Second, MemoryMB: 128}
	}
	return &Project{
		Path: filepath.Join(dir, "template.yaml"),
		Functions: []*Function{
			fn("Hello", "provided.al2023", "bootstrap", "hello", &Build{Method: "go1.x", File: file, Line: 8}),
			fn("NodeHello", "nodejs20.x", "index.handler", "nodefn", nil),
		},
		APIs: []*API{{ID: "ServerlessHttpApi", Type: HTTPAPI, Stage: "$default", Routes: []*Route{
			route(HTTPAPI, "GET", "/hello", "Hello"),
			route(HTTPAPI, "GET", "/node", "NodeHello"),
		}}},
	}
}

func TestContractApp(t *testing.T) {
	// The copy in testdata always; the shared original beside the checkout
	// (as CI and developers lay it out) when it is there.
	paths := []string{"testdata/contract/template.yaml"}
	if shared := "../../../shared/contract/app/template.yaml"; fileExists(shared) {
		paths = append(paths, shared)
	}
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			p, err := Load(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			dir, err := filepath.Abs(filepath.Dir(path))
			if err != nil {
				t.Fatal(err)
			}
			diffProject(t, contractWant(dir, path), p)
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("testdata/nope.yaml", Options{})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want fs.ErrNotExist", err)
	}
	if want := "load template testdata/nope.yaml: open testdata/nope.yaml: no such file or directory"; err.Error() != want {
		t.Errorf("err = %q\nwant  %q", err, want)
	}
}

func TestErrors(t *testing.T) {
	const fn = `Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: provided.al2023
      Handler: bootstrap
`
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"empty", "", "template.yaml: template is empty"},
		{"invalid YAML", "Resources:\n  Hello:\n    Type: [\n", "template.yaml:3: invalid YAML: did not find expected node content"},
		{"not a mapping", "- a\n", `template.yaml:1: template must be a mapping of sections, got a list`},
		{"no Resources", "Parameters: {}\n", "template.yaml: no Resources section"},
		{"empty Resources", "Resources: {}\n", "template.yaml:1: no Resources section"},
		{"Resources a list", "Resources: [a]\n", "template.yaml:1: Resources must be a mapping, got a list"},
		{"resource without Type", "Resources:\n  Hello:\n    Properties: {}\n", "template.yaml:2: resource Hello: property Type: missing resource Type"},
		{"no Runtime", "Resources:\n  Hello:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: bootstrap\n",
			"template.yaml:2: resource Hello: property Runtime: required for a local function (or set Metadata.gatescope.arn to invoke the deployed one)"},
		{"no Handler", "Resources:\n  Hello:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n",
			"template.yaml:2: resource Hello: property Handler: required for a local function (or set Metadata.gatescope.arn to invoke the deployed one)"},
		{"unknown runtime", "Resources:\n  Hello:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: bootstrap\n      Runtime: provided.al2023023\n",
			`template.yaml:6: resource Hello: property Runtime: "provided.al2023023" is not a Lambda runtime; CloudFormation would refuse it ` +
				`(Value 'provided.al2023023' at 'runtime' failed to satisfy constraint: Member must satisfy enum value set); did you mean provided.al2023?`},
		{"unknown runtime from Globals", "Globals:\n  Function:\n    Runtime: nodejs22\n" + "Resources:\n  Hello:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: index.handler\n",
			`template.yaml:3: resource Hello: property Runtime: "nodejs22" is not a Lambda runtime; CloudFormation would refuse it ` +
				`(Value 'nodejs22' at 'runtime' failed to satisfy constraint: Member must satisfy enum value set); did you mean nodejs22.x?`},
		{"InlineCode for Go", "Resources:\n  Hello:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: bootstrap\n      Runtime: provided.al2023\n      InlineCode: package main\n",
			`template.yaml:7: resource Hello: property InlineCode: code written in the template runs only on Node.js and Python runtimes, not provided.al2023; CloudFormation would refuse it`},
		{"Handler not a string", fn + "      Timeout: 3\n      MemorySize: [1]\n",
			"template.yaml:8: resource Hello: property MemorySize: must be a string, got a list"},
		{"Timeout zero", fn + "      Timeout: 0\n", "template.yaml:7: resource Hello: property Timeout: must be between 1 and 900 seconds, got 0"},
		{"Timeout too long", fn + "      Timeout: \"901\"\n", "template.yaml:7: resource Hello: property Timeout: must be between 1 and 900 seconds, got 901"},
		{"Timeout not a number", fn + "      Timeout: 2.5\n", `template.yaml:7: resource Hello: property Timeout: must be a whole number, got "2.5"`},
		{"Timeout from Globals", "Globals:\n  Function:\n    Timeout: 1000\n" + fn,
			"template.yaml:3: resource Hello: property Timeout: must be between 1 and 900 seconds, got 1000"},
		{"MemorySize", fn + "      MemorySize: 64\n", "template.yaml:7: resource Hello: property MemorySize: must be between 128 and 10240 MB, got 64"},
		{"Architectures", fn + "      Architectures: [arm]\n", `template.yaml:7: resource Hello: property Architectures: must be x86_64 or arm64, got "arm"`},
		{"ReservedConcurrentExecutions", fn + "      ReservedConcurrentExecutions: -1\n",
			"template.yaml:7: resource Hello: property ReservedConcurrentExecutions: must not be negative, got -1"},
		{"bad remote ARN", "Resources:\n  Hello:\n    Type: AWS::Serverless::Function\n    Metadata:\n      gatescope: {arn: arn:aws:s3:::bucket}\n",
			`template.yaml:5: resource Hello: property Metadata.gatescope.arn: must be a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>), got "arn:aws:s3:::bucket"`},
		{"Api event without Path", fn + "      Events:\n        Get:\n          Type: Api\n          Properties:\n            Method: get\n",
			"template.yaml:8: resource Hello: property Events.Get.Properties.Path: required for an Api event"},
		{"Api event without Method", fn + "      Events:\n        Get:\n          Type: Api\n          Properties:\n            Path: /x\n",
			"template.yaml:8: resource Hello: property Events.Get.Properties.Method: required for an Api event"},
		{"bad method", fn + "      Events:\n        Get:\n          Type: HttpApi\n          Properties:\n            Path: /x\n            Method: fetch\n",
			`template.yaml:12: resource Hello: property Events.Get.Properties.Method: unknown HTTP method "FETCH"`},
		{"path without slash", fn + "      Events:\n        Get:\n          Type: HttpApi\n          Properties:\n            Path: x\n            Method: get\n",
			`template.yaml:11: resource Hello: property Events.Get.Properties.Path: must start with /, got "x"`},
		{"bad payload version", fn + "      Events:\n        Get:\n          Type: HttpApi\n          Properties:\n            PayloadFormatVersion: 3.0\n",
			`template.yaml:11: resource Hello: property Events.Get.Properties.PayloadFormatVersion: must be 1.0 or 2.0, got "3.0"`},
		{"bad route timeout", fn + "      Events:\n        Get:\n          Type: HttpApi\n          Properties:\n            TimeoutInMillis: 31000\n",
			"template.yaml:11: resource Hello: property Events.Get.Properties.TimeoutInMillis: must be between 50 and 30000 ms, got 31000"},
		{"ApiId names no API", fn + "      Events:\n        Get:\n          Type: HttpApi\n          Properties:\n            ApiId: !Ref Hello\n",
			"template.yaml:11: resource Hello: property Events.Get.Properties.ApiId: Hello names no AWS::Serverless::HttpApi in the template"},
		{"RestApiId names an HTTP API", "Resources:\n  H:\n    Type: AWS::Serverless::HttpApi\n" + fn[len("Resources:\n"):] +
			"      Events:\n        Get:\n          Type: Api\n          Properties:\n            RestApiId: !Ref H\n            Path: /x\n            Method: get\n",
			"template.yaml:13: resource Hello: property Events.Get.Properties.RestApiId: H names no AWS::Serverless::Api in the template"},
		{"bad CorsConfiguration", "Resources:\n  H:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      CorsConfiguration: yes\n",
			`template.yaml:5: resource H: property CorsConfiguration: must be true, false or an object, got "yes"`},
		{"bad Cors MaxAge", "Resources:\n  R:\n    Type: AWS::Serverless::Api\n    Properties:\n      Cors:\n        MaxAge: \"'ten'\"\n",
			`template.yaml:6: resource R: property Cors.MaxAge: must be a whole number of seconds, got "ten"`},
		{"bad StageName in Globals", "Globals:\n  HttpApi:\n    StageName: [a]\n" + fn + "      Events:\n        Get:\n          Type: HttpApi\n",
			"template.yaml:3: resource Globals: property HttpApi.StageName: must be a string, got a list"},
		{"missing DefinitionUri", "Resources:\n  R:\n    Type: AWS::Serverless::Api\n    Properties:\n      DefinitionUri: nope.yaml\n",
			"template.yaml:5: resource R: property DefinitionUri: read definition: open " + filepath.Join(mustAbs(t, "."), "nope.yaml") + ": no such file or directory"},
		{"bad integration payload version", "Resources:\n  H:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      DefinitionBody:\n        paths:\n          /x:\n            get:\n              x-amazon-apigateway-integration:\n                type: aws_proxy\n                uri: !GetAtt Hello.Arn\n                payloadFormatVersion: \"3\"\n" + fn[len("Resources:\n"):],
			`template.yaml:12: resource H: property DefinitionBody.paths./x.get.x-amazon-apigateway-integration.payloadFormatVersion: must be 1.0 or 2.0, got "3"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse("template.yaml", []byte(tt.src), Options{})
			if err == nil {
				t.Fatalf("no error; project %+v", p)
			}
			if err.Error() != tt.want {
				t.Errorf("err = %q\nwant  %q", err, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.File != "template.yaml" {
				t.Errorf("err is %T, want *Error naming template.yaml", err)
			}
		})
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestBadTags loads a template that misuses every tag: it must load, keep
// what resolves and warn about the rest.
func TestBadTags(t *testing.T) {
	p, err := Load("testdata/badtags.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := p.Function("Hello")
	if f == nil {
		t.Fatal("function Hello missing")
	}
	wantEnv := map[string]string{"U": "aGk=", "V": "y", "W": "${unterminated", "X": "us-east-1b"}
	if diff := cmp.Diff(wantEnv, f.Env); diff != "" {
		t.Errorf("Env mismatch (-want +got):\n%s", diff)
	}
	if f.Timeout != 5*time.Second {
		t.Errorf("Timeout = %v, want 5s (unknown tag ignored)", f.Timeout)
	}
	wantRoutes := []*Route{route(HTTPAPI, "GET", "/items/us-east-1", "Hello")}
	if len(p.APIs) != 1 || !cmp.Equal(wantRoutes, p.APIs[0].Routes) {
		t.Errorf("APIs = %v, want one with %v", p.APIs, wantRoutes)
	}
	// One warning per dropped variable (A..T), plus the unknown tag and the
	// event whose Type is dropped.
	if len(p.Warnings) < 20 {
		t.Errorf("got %d warnings, want at least 20", len(p.Warnings))
	}
	for _, w := range p.Warnings {
		if w.File != "testdata/badtags.yaml" || w.Line == 0 || w.Message == "" {
			t.Errorf("warning without file, line or message: %+v", w)
		}
		t.Log(w)
	}
}

// FuzzParse: any input yields a project or an error, never a panic.
func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/badtags.yaml", "testdata/contract/template.yaml", "testdata/include/template.yaml"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(intrinsicsHeader + "!Sub [\"${A}\", {A: !If [IsDev, !Ref Hello, x]}]\n"))
	f.Add([]byte("Resources:\n  A: &a\n    Type: AWS::Serverless::Function\n    Properties: {Runtime: x, Handler: y, FunctionName: !Ref A}\n  B: *a\n"))
	f.Add([]byte("Conditions:\n  C: !Condition C\nResources:\n  A:\n    Type: X\n    Condition: C\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("template.yaml", data, Options{})
		if (p == nil) == (err == nil) {
			t.Fatalf("want exactly one of project and error; got %v, %v", p, err)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "template.yaml") {
			t.Fatalf("error does not name the file: %v", err)
		}
	})
}

// TestAliasBomb: nested aliases must not make loading hang.
func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("Bomb:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 12; i++ {
		fmt.Fprintf(&b, "  a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	b.WriteString("Resources:\n  Hello:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n      Handler: y\n      Environment:\n        Variables:\n          V: *a11\n")
	done := make(chan struct{})
	go func() {
		defer close(done)
		p, err := Parse("template.yaml", []byte(b.String()), Options{})
		if err != nil {
			t.Errorf("Parse: %v", err)
			return
		}
		if len(p.Warnings) == 0 {
			t.Error("no warning about the oversized value")
		}
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Parse did not finish")
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

// The stack's region and account reach the project and every API, so that
// the Lambda environment, ARNs and events all name the same ones.
func TestParseNamesRegionAndAccount(t *testing.T) {
	src := `
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Events:
        Get:
          Type: HttpApi
          Properties: {Path: /hello, Method: get}
`
	for _, tt := range []struct {
		opts            Options
		region, account string
	}{
		{Options{}, DefaultRegion, DefaultAccountID},
		{Options{Region: "eu-west-1", AccountID: "012345678901"}, "eu-west-1", "012345678901"},
	} {
		p := mustParse(t, src, tt.opts)
		if p.Region != tt.region || p.AccountID != tt.account {
			t.Errorf("%+v: project in %s/%s, want %s/%s", tt.opts, p.Region, p.AccountID, tt.region, tt.account)
		}
		for _, a := range p.APIs {
			if a.Region != tt.region || a.AccountID != tt.account {
				t.Errorf("%+v: API %s in %s/%s, want %s/%s", tt.opts, a.ID, a.Region, a.AccountID, tt.region, tt.account)
			}
		}
	}
}
