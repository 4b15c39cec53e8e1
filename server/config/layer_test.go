package config

import (
	"testing"
)

func TestLayers(t *testing.T) {
	src := `Globals:
  Function:
    Runtime: python3.12
    Handler: app.handler
    Layers:
      - !Ref Shared
Resources:
  Shared:
    Type: AWS::Serverless::LayerVersion
    Metadata:
      BuildMethod: python3.12
    Properties:
      LayerName: shared-libs
      ContentUri: layers/shared/
      CompatibleRuntimes: [python3.12]
  Tools:
    Type: AWS::Lambda::LayerVersion
    Properties:
      Content: layers/tools.zip
      Description: binaries in bin/
  Made:
    Type: AWS::Serverless::LayerVersion
    Metadata:
      BuildMethod: makefile
    Properties:
      ContentUri: layers/made
  InS3:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: s3://bucket/layer.zip
  Odd:
    Type: AWS::Serverless::LayerVersion
    Metadata:
      BuildMethod: rust-cargolambda
    Properties:
      ContentUri: layers/odd
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Layers:
        - !Ref Tools
        - !Sub arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:layer:shared-libs:3
        - !Ref Made
        - !Ref InS3
        - arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension:14
  Remote:
    Type: AWS::Serverless::Function
    Metadata:
      gatescope:
        arn: arn:aws:lambda:us-east-1:210987654321:function:remote
    Properties:
      Layers:
        - arn:aws:lambda:us-east-1:210987654321:layer:theirs:1
`
	p := mustParse(t, src, Options{})
	shared := &Layer{Name: "Shared", ARN: "arn:aws:lambda:us-east-1:123456789012:layer:Shared:1", Content: appDir + "/layers/shared",
		Build: &Build{Method: "python3.12", File: template, Line: lineOf(t, src, "BuildMethod: python3.12", 1)}}
	tools := &Layer{Name: "Tools", ARN: "arn:aws:lambda:us-east-1:123456789012:layer:Tools:1", Content: appDir + "/layers/tools.zip"}
	made := &Layer{Name: "Made", ARN: "arn:aws:lambda:us-east-1:123456789012:layer:Made:1", Content: appDir + "/layers/made",
		Build: &Build{Method: "makefile", File: template, Line: lineOf(t, src, "BuildMethod: makefile", 1)}}
	fn := localFn("Fn", "python3.12", "app.handler")
	fn.Layers = []*Layer{shared, tools, shared, made}
	remote := &Function{Name: "Remote", FunctionName: "Remote", ARN: "arn:aws:lambda:us-east-1:210987654321:function:remote",
		Runtime: "python3.12", Handler: "app.handler", Architecture: "x86_64", Timeout: fn.Timeout, MemoryMB: 128}
	want := &Project{Path: template, Functions: []*Function{fn, remote}, NotEmulated: []Warning{
		warning(lineOf(t, src, "s3://bucket", 1), "InS3", "ContentUri",
			"layer content in S3 (s3://bucket/layer.zip) cannot be used locally; point ContentUri at the layer's directory"),
		warning(lineOf(t, src, "rust-cargolambda", 1), "Odd", "Metadata.BuildMethod",
			"BuildMethod rust-cargolambda is not one sam build has for layers (makefile or a runtime's name): the layer's content is used as it is"),
		warning(lineOf(t, src, "LambdaInsightsExtension", 1), "Fn", "Layers",
			"layer arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension:14 is not in this template: gatescope does not download published layers, "+
				"so the function runs without its /opt contents; declare the layer in the template with its content to use it"),
	}}
	diffProject(t, want, p)
	if got := shared.Subfolder(); got != "python" {
		t.Errorf("a python3.12 layer lands in %q, want python/", got)
	}
	if made.Subfolder() != "" || tools.Subfolder() != "" {
		t.Errorf("a makefile layer and an unbuilt one are the whole of /opt")
	}
}

// TestLayerFromCDK: the CDK names a layer's local content in its asset
// metadata, and the function's Layers by Ref.
func TestLayerFromCDK(t *testing.T) {
	src := `Resources:
  DepsLayer1A2B:
    Type: AWS::Lambda::LayerVersion
    Properties:
      Content:
        S3Bucket: cdk-assets
        S3Key: abc.zip
      CompatibleRuntimes: [nodejs20.x]
    Metadata:
      aws:asset:path: asset.abc
      aws:asset:is-bundled: false
      aws:asset:property: Content
  Handler886CB40B:
    Type: AWS::Lambda::Function
    Properties:
      Code: fn/
      Runtime: nodejs20.x
      Handler: index.handler
      Layers:
        - Ref: DepsLayer1A2B
`
	p := mustParse(t, src, Options{})
	fn := localFn("Handler886CB40B", "nodejs20.x", "index.handler")
	fn.CodeDir = appDir + "/fn"
	fn.Layers = []*Layer{{Name: "DepsLayer1A2B", ARN: "arn:aws:lambda:us-east-1:123456789012:layer:DepsLayer1A2B:1", Content: appDir + "/asset.abc"}}
	diffProject(t, &Project{Path: template, Functions: []*Function{fn}}, p)
}

// TestBuiltTemplate: `sam build` writes a template whose code is built; its
// Metadata still names the build, which must not run again.
func TestBuiltTemplate(t *testing.T) {
	src := `Resources:
  Fn:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: esbuild
      SamResourceId: Fn
    Properties:
      CodeUri: Fn
      Runtime: nodejs20.x
      Handler: app.handler
      Layers: [!Ref Deps]
  Deps:
    Type: AWS::Serverless::LayerVersion
    Metadata:
      BuildMethod: nodejs20.x
    Properties:
      ContentUri: Deps
`
	p, err := Parse("/srv/app/.aws-sam/build/template.yaml", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	fn := p.Functions[0]
	if fn.Build == nil || !fn.Build.Done || fn.CodeDir != "/srv/app/.aws-sam/build/Fn" {
		t.Fatalf("function %+v build %+v, want built code", fn, fn.Build)
	}
	if ly := fn.Layers[0]; !ly.Build.Done || ly.Subfolder() != "" || ly.Content != "/srv/app/.aws-sam/build/Deps" {
		t.Errorf("layer %+v: sam build already put its content in nodejs/", ly)
	}
	if len(p.NotEmulated) != 0 {
		t.Errorf("a built template lists %v", p.NotEmulated)
	}
}
