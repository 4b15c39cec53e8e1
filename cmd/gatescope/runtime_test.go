package main

import (
	"archive/zip"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/testenv"
)

// Code as `sam build` makes it, layers, runtimes and what Lambda's
// runtimes ship, each served end to end by the real `serve` wiring.

// writeTree writes files (path → content; a path ending in "*" is made
// executable, without the star) under a new directory and returns it.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		mode := os.FileMode(0o644)
		if n, ok := strings.CutSuffix(name, "*"); ok {
			name, mode = n, 0o755
		}
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// serveLogged is serveTemplate with the log kept.
func serveLogged(t *testing.T, template string) (*app, *logBuffer) {
	t.Helper()
	testenv.Need(t, "node")
	return startAppWith(t, func(f *serveFlags) {
		f.template, f.session = template, ""
	})
}

// localPython is the local python3's runtime name ("python3.11"), so a
// test's functions run without a version warning.
func localPython(t *testing.T) string {
	t.Helper()
	testenv.Need(t, "python3")
	out, err := exec.Command("python3", "-c", "import sys; print('python%d.%d' % sys.version_info[:2])").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// explained returns the stored exchange of a request to path.
func explained(t *testing.T, a *app, path string) *exchange.Exchange {
	t.Helper()
	return waitStored(t, "http://"+a.uiLn.Addr().String(), path)
}

// TestServeLayers: Node.js (CommonJS and ES modules) and Python functions
// use layers declared in the template, from Globals and their own, as
// /opt would give them.
func TestServeLayers(t *testing.T) {
	py := localPython(t)
	dir := writeTree(t, map[string]string{
		"template.yaml": `Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Layers: [!Ref Shared]
Resources:
  Shared:
    Type: AWS::Serverless::LayerVersion
    Properties:
      LayerName: shared
      ContentUri: layers/shared/
  Greeting:
    Type: AWS::Serverless::LayerVersion
    Metadata:
      BuildMethod: ` + py + `
    Properties:
      ContentUri: layers/greeting/
  Node:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: node/
      Handler: app.handler
      Runtime: nodejs20.x
      Events:
        Get: {Type: HttpApi, Properties: {Path: /node, Method: GET}}
  Py:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: py/
      Handler: app.handler
      Runtime: ` + py + `
      Layers: [!Ref Greeting]
      Events:
        Get: {Type: HttpApi, Properties: {Path: /py, Method: GET}}
`,
		"layers/shared/nodejs/node_modules/shared-words/index.js": "exports.word = 'from the shared layer';\n",
		"layers/shared/python/shared_words.py":                    "WORD = 'from the shared layer'\n",
		"layers/shared/bin/shared-tool*":                          "#!/bin/sh\necho tool of the shared layer\n",
		// sam build's python builder puts this directory at /opt/python.
		"layers/greeting/greeting.py": "def greet():\n    return 'hello from a built layer'\n",
		"node/app.mjs": `import { execFileSync } from 'node:child_process';
import shared from 'shared-words';
export const handler = async () => ({ word: shared.word, tool: execFileSync('shared-tool').toString().trim() });
`,
		"py/app.py": "import greeting, shared_words\ndef handler(event, context):\n    return {'greeting': greeting.greet(), 'word': shared_words.WORD}\n",
	})
	a, _ := serveLogged(t, filepath.Join(dir, "template.yaml"))
	code, m, raw := call(t, a, "", "GET", "/node")
	expectEcho(t, "node", code, m, raw, map[string]any{"word": "from the shared layer", "tool": "tool of the shared layer"})
	code, m, raw = call(t, a, "", "GET", "/py")
	expectEcho(t, "python", code, m, raw, map[string]any{"greeting": "hello from a built layer", "word": "from the shared layer"})
}

// TestServeEsbuildTypeScript serves `sam init`'s TypeScript hello world,
// bundled with esbuild as sam build bundles it; its failures point at the
// TypeScript source.
func TestServeEsbuildTypeScript(t *testing.T) {
	a := serveTemplate(t, "testdata/esbuild/template.yaml", "")
	code, m, raw := call(t, a, "", "GET", "/hello")
	expectEcho(t, "esbuild", code, m, raw, map[string]any{"message": "hello world", "path": "/hello"})
	code, _, _ = call(t, a, "", "GET", "/hello?fail=1")
	if code != 502 {
		t.Errorf("a failing function: %d, want REST's 502", code)
	}
	x := explained(t, a, "/hello?fail=1")
	if !strings.Contains(x.Explanation, "failed on purpose") || !strings.Contains(x.Logs, "app.ts:") {
		t.Errorf("explanation %q; logs should name app.ts (source maps):\n%s", x.Explanation, x.Logs)
	}
}

// TestServeEsbuildError: a bundle that cannot be built names the
// function, the template's line and the source's line, in health and
// in the answer of a request.
func TestServeEsbuildError(t *testing.T) {
	testenv.Need(t, "node")
	dir := writeTree(t, map[string]string{
		"template.yaml": `Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: esbuild
    Properties:
      Handler: app.handler
      Runtime: nodejs20.x
      Events:
        Get: {Type: HttpApi, Properties: {Path: /, Method: GET}}
`,
		"app.ts": "import { z } from 'zod';\nexport const handler = async () => z;\n",
	})
	f := serveFlags{template: filepath.Join(dir, "template.yaml"), apiAddr: "127.0.0.1:0", uiAddr: "127.0.0.1:0",
		db: filepath.Join(t.TempDir(), "gs.db"), logLevel: "warn", cacheDir: t.TempDir(), idleTimeout: time.Minute, capture: true, params: keyValues{}}
	a, err := startApp(context.Background(), slog.New(slog.DiscardHandler), f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.shutdown(context.Background()) })
	testenv.Eventually(t, 30*time.Second, "the build failed", func() bool { return a.health() != nil && !strings.Contains(a.health().Error(), "building") })
	want := "function Fn: " + filepath.Join(dir, "template.yaml") + ":6: esbuild failed:\n  app.ts:1:19: Could not resolve \"zod\""
	if err := a.health(); !strings.HasPrefix(err.Error(), want) {
		t.Errorf("health: %v\nwant %s", err, want)
	}
	code, _, _ := call(t, a, "", "GET", "/")
	if x := explained(t, a, "/"); code != 500 || !strings.Contains(x.Explanation, want) {
		t.Errorf("%d %q", code, x.Explanation)
	}
}

// TestServeMakefileInlineZip: a makefile build, InlineCode (SAM) and
// Code.ZipFile (CloudFormation), and a .zip CodeUri, behind one API.
func TestServeMakefileInlineZip(t *testing.T) {
	testenv.Need(t, "make")
	py := localPython(t)
	dir := writeTree(t, map[string]string{
		"template.yaml": `Transform: AWS::Serverless-2016-10-31
Resources:
  Made:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: makefile
    Properties:
      CodeUri: made/
      Handler: app.handler
      Runtime: nodejs20.x
      Events:
        Get: {Type: HttpApi, Properties: {Path: /made, Method: GET}}
  Inline:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
      Runtime: ` + py + `
      InlineCode: |
        import os
        def handler(event, context):
            return {"from": "InlineCode", "fn": os.environ["AWS_LAMBDA_FUNCTION_NAME"]}
      Events:
        Get: {Type: HttpApi, Properties: {Path: /inline, Method: GET}}
  ZipFile:
    Type: AWS::Lambda::Function
    Properties:
      Handler: index.handler
      Runtime: nodejs20.x
      Role: arn:aws:iam::123456789012:role/fn
      Code:
        ZipFile: !Sub |
          exports.handler = async () => ({ from: 'Code.ZipFile', region: '${AWS::Region}' });
  Zipped:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: dist/fn.zip
      Handler: main.handler
      Runtime: nodejs20.x
      Events:
        Get: {Type: HttpApi, Properties: {Path: /zipped, Method: GET}}
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      ProtocolType: HTTP
      Target: !GetAtt ZipFile.Arn
`,
		"made/Makefile":    "build-Made:\n\tsed 's/VERSION/'\"$$(cat version.txt)\"'/' app.js.in > $(ARTIFACTS_DIR)/app.js\n",
		"made/version.txt": "made by make\n",
		"made/app.js.in":   "exports.handler = async () => ({ from: 'VERSION' });\n",
	})
	zipTo(t, filepath.Join(dir, "dist/fn.zip"), map[string]string{"main.js": "exports.handler = async () => ({ from: 'a .zip CodeUri' });\n"})
	a, _ := serveLogged(t, filepath.Join(dir, "template.yaml"))
	for _, tt := range []struct {
		host, path string
		want       map[string]any
	}{
		{"", "/made", map[string]any{"from": "made by make"}},
		{"", "/inline", map[string]any{"from": "InlineCode", "fn": "Inline"}},
		{"", "/zipped", map[string]any{"from": "a .zip CodeUri"}},
		{"api.localhost", "/anything", map[string]any{"from": "Code.ZipFile", "region": "us-east-1"}},
	} {
		code, m, raw := call(t, a, tt.host, "GET", tt.path)
		expectEcho(t, tt.path, code, m, raw, tt.want)
	}
}

func zipTo(t *testing.T, path string, files map[string]string) {
	t.Helper()
	os.MkdirAll(filepath.Dir(path), 0o755)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, content := range files {
		w, _ := zw.Create(name)
		w.Write([]byte(content))
	}
	zw.Close()
	f.Close()
}

// TestServeSamBuildOutput: the template `sam build` writes
// (.aws-sam/build/template.yaml) points at built code and keeps the
// Metadata that built it; it runs as it is, never built again.
func TestServeSamBuildOutput(t *testing.T) {
	dir := writeTree(t, map[string]string{
		".aws-sam/build/template.yaml": `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  HelloWorldFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: HelloWorldFunction
      Handler: app.lambdaHandler
      Runtime: nodejs20.x
      Layers: [!Ref Deps]
      Events:
        HelloWorld:
          Type: Api
          Properties: {Path: /hello, Method: get}
    Metadata:
      BuildMethod: esbuild
      BuildProperties: {Minify: true, Target: es2020, Sourcemap: true, EntryPoints: [app.ts]}
      SamResourceId: HelloWorldFunction
  Deps:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: Deps
    Metadata:
      BuildMethod: nodejs20.x
      SamResourceId: Deps
`,
		".aws-sam/build/HelloWorldFunction/app.js": "exports.lambdaHandler = async () => ({ statusCode: 200, body: JSON.stringify({ built: 'by sam', dep: require('dep').v }) });\n",
		// sam build put the layer's packages under nodejs/ already.
		".aws-sam/build/Deps/nodejs/node_modules/dep/index.js": "exports.v = 'from the built layer';\n",
	})
	a, _ := serveLogged(t, filepath.Join(dir, ".aws-sam/build/template.yaml"))
	code, m, raw := call(t, a, "", "GET", "/hello")
	expectEcho(t, "sam build output", code, m, raw, map[string]any{"built": "by sam", "dep": "from the built layer"})
}

// TestServeRuntimeVersions: a runtime whose version the local interpreter
// is not runs with a warning naming both; a runtime Lambda does not have
// stops serve at its line, as CloudFormation would refuse it.
func TestServeRuntimeVersions(t *testing.T) {
	testenv.Need(t, "node")
	local, err := exec.Command("node", "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	major := strings.Split(strings.TrimPrefix(strings.TrimSpace(string(local)), "v"), ".")[0]
	other := "22"
	if major == other {
		other = "20"
	}
	dir := writeTree(t, map[string]string{
		"template.yaml": `Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
      Runtime: nodejs` + other + `.x
      InlineCode: "exports.handler = async () => ({ node: process.version })"
      Events:
        Get: {Type: HttpApi, Properties: {Path: /, Method: GET}}
`,
	})
	// Only the local node on PATH: no node22 beside it.
	bin := t.TempDir()
	nodePath, _ := exec.LookPath("node")
	os.Symlink(nodePath, filepath.Join(bin, "node"))
	t.Setenv("PATH", bin)
	a, logs := serveLogged(t, filepath.Join(dir, "template.yaml"))
	code, m, raw := call(t, a, "", "GET", "/")
	expectEcho(t, "another version", code, m, raw, map[string]any{"node": strings.TrimSpace(string(local))})
	want := fmt.Sprintf("function Fn: runtime nodejs%s.x, but node%s is not on PATH and node is Node.js %s", other, other, strings.TrimPrefix(strings.TrimSpace(string(local)), "v"))
	testenv.Eventually(t, 10*time.Second, "the warning logged", func() bool { return logs.count(want) == 1 })

	os.WriteFile(filepath.Join(dir, "template.yaml"), []byte("Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: bootstrap\n      Runtime: provided.al2023023\n"), 0o644)
	_, err = startApp(context.Background(), slog.New(slog.DiscardHandler), serveFlags{template: filepath.Join(dir, "template.yaml"),
		apiAddr: "127.0.0.1:0", uiAddr: "127.0.0.1:0", db: filepath.Join(t.TempDir(), "gs.db"), params: keyValues{}})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "template.yaml")+`:6: resource Fn: property Runtime: "provided.al2023023" is not a Lambda runtime`) ||
		!strings.Contains(err.Error(), "did you mean provided.al2023?") {
		t.Errorf("unknown runtime: %v", err)
	}
	code2, _, stderr := runCheckArgs(t, "--template", filepath.Join(dir, "template.yaml"))
	if code2 != 2 || !strings.Contains(stderr, "provided.al2023023") {
		t.Errorf("check: exit %d, %s; want 2 naming the runtime", code2, stderr)
	}
}

// TestServeMissingSDK: functions that need the AWS SDK Lambda's runtimes
// ship, run where it is not installed, are explained.
func TestServeMissingSDK(t *testing.T) {
	py := localPython(t)
	// A python3 without boto3: a fresh virtual environment first on PATH.
	venv := filepath.Join(t.TempDir(), "venv")
	if out, err := exec.Command("python3", "-m", "venv", "--without-pip", venv).CombinedOutput(); err != nil {
		t.Fatalf("python3 -m venv: %v\n%s", err, out)
	}
	t.Setenv("PATH", filepath.Join(venv, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	dir := writeTree(t, map[string]string{
		"template.yaml": `Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Handler: app.handler
Resources:
  V3:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: v3/
      Runtime: nodejs20.x
      Events:
        Get: {Type: HttpApi, Properties: {Path: /v3, Method: GET}}
  V2:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: v2/
      Runtime: nodejs20.x
      Events:
        Get: {Type: HttpApi, Properties: {Path: /v2, Method: GET}}
  Boto:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: boto/
      Runtime: ` + py + `
      Events:
        Get: {Type: HttpApi, Properties: {Path: /boto3, Method: GET}}
`,
		"v3/app.mjs":  "import { S3Client } from '@aws-sdk/client-s3';\nexport const handler = async () => String(new S3Client({}));\n",
		"v2/app.js":   "const AWS = require('aws-sdk');\nexports.handler = async () => String(AWS);\n",
		"boto/app.py": "import boto3\ndef handler(event, context):\n    return boto3.__version__\n",
	})
	a, _ := serveLogged(t, filepath.Join(dir, "template.yaml"))
	for _, tt := range []struct{ path, want string }{
		{"/v3", "Cannot find package '@aws-sdk/client-s3' imported from " + filepath.Join(dir, "v3/app.mjs") +
			". Lambda's Node.js runtimes include the AWS SDK for JavaScript v3, so @aws-sdk/client-s3 is there when deployed without being packaged; " +
			"locally it must be installed: npm install --save-dev @aws-sdk/client-s3 in the function's code directory or its project"},
		{"/v2", "Cannot find module 'aws-sdk'. Lambda's Node.js 18 and later runtimes do not include the AWS SDK for JavaScript v2 ('aws-sdk'), only v3 (@aws-sdk/*), so this fails deployed too"},
		{"/boto3", "Unable to import module 'app': No module named 'boto3'. Lambda's Python runtimes include boto3 and botocore, so boto3 is there when deployed without being packaged; " +
			"locally install it for the python3 that runs the function: python3 -m pip install boto3"},
	} {
		code, _, raw := call(t, a, "", "GET", tt.path)
		x := explained(t, a, tt.path)
		if code != 500 || x.Outcome != exchange.OutcomeFunctionError || !strings.Contains(x.Explanation, tt.want) {
			t.Errorf("%s: %d %s\nexplanation %q\nwant it to contain %q", tt.path, code, raw, x.Explanation, tt.want)
		}
	}
}
