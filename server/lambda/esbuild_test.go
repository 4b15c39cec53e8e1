package lambda

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/testenv"
)

// samInitTS is the code of `sam init`'s TypeScript hello world: types-only
// imports, a handler in app.ts, a helper module and an npm dependency.
func samInitTS(t *testing.T) string {
	t.Helper()
	return writeFiles(t, t.TempDir(), map[string]string{
		"package.json": `{"name":"hello-world","dependencies":{"tiny-dep":"1.0.0"},"devDependencies":{"@aws-sdk/client-fake":"3.0.0"}}`,
		"app.ts": `import { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { greet } from './lib/greet';
import { shout } from 'tiny-dep';

export const lambdaHandler = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    if (event.path === '/fail') {
        throw new Error('failed in app.ts');
    }
    if (event.path === '/sdk') {
        // External, as the runtime provides it: resolved when it runs.
        const { name } = require('@aws-sdk/client-fake');
        return { statusCode: 200, body: name };
    }
    const options: string = process.env.NODE_OPTIONS ?? '';
    return { statusCode: 200, body: JSON.stringify({ message: shout(greet('world')), options }) };
};
`,
		"lib/greet.ts":                                   "export function greet(who: string): string { return `hello ${who}`; }\n",
		"node_modules/tiny-dep/package.json":             `{"name":"tiny-dep","main":"index.js"}`,
		"node_modules/tiny-dep/index.js":                 "exports.shout = (s) => s.toUpperCase();\n",
		"node_modules/@aws-sdk/client-fake/package.json": `{"name":"@aws-sdk/client-fake","main":"index.js"}`,
		"node_modules/@aws-sdk/client-fake/index.js":     "exports.name = 'the runtime-provided SDK (a stand-in installed beside the source)';\n",
	})
}

func esbuildFn(name, dir, handler string, props map[string]any) *config.Function {
	return &config.Function{Name: name, Runtime: "nodejs20.x", Handler: handler, CodeDir: dir, Timeout: 10 * time.Second, MemoryMB: 128,
		Build: &config.Build{Method: "esbuild", Properties: props, File: "template.yaml", Line: 7}}
}

func TestEsbuild(t *testing.T) {
	testenv.Need(t, "node")
	dir := samInitTS(t)
	// sam init's properties.
	fn := esbuildFn("Hello", dir, "app.lambdaHandler", map[string]any{
		"Minify": true, "Target": "es2020", "Sourcemap": true, "EntryPoints": []string{"app.ts"}, "External": []string{"@aws-sdk/*"}})
	m := newManager(t, fn)

	got := decode(t, invoke(t, m, "Hello", `{"path":"/"}`))
	if got["statusCode"] != 200.0 || !strings.Contains(got["body"].(string), `"message":"HELLO WORLD"`) ||
		!strings.Contains(got["body"].(string), `"options":"--enable-source-maps"`) {
		t.Errorf("got %v; want the bundle's answer, with source maps enabled as sam build enables them", got)
	}
	// Source maps: the stack names the TypeScript source.
	res := invoke(t, m, "Hello", `{"path":"/fail"}`)
	if res.FunctionError == "" || !strings.Contains(string(res.Payload), "app.ts:") {
		t.Errorf("error %s: want a stack through app.ts", res.Payload)
	}
	// An external package resolves as the source would resolve it.
	got = decode(t, invoke(t, m, "Hello", `{"path":"/sdk"}`))
	if !strings.Contains(got["body"].(string), "runtime-provided SDK") {
		t.Errorf("external package: %v", got)
	}

	// Unchanged sources reuse the bundle.
	again := newManager(t, esbuildFn("Hello", dir, "app.lambdaHandler", fn.Build.Properties))
	if a, b := m.Code("Hello").Dir, again.Code("Hello").Dir; a != b || !strings.HasPrefix(a, cacheDir) {
		t.Errorf("bundles %s and %s: want one, in the cache", a, b)
	}
	// "./node_modules/*" marks every dependency external, as SAM does: the
	// bundle leaves tiny-dep out, and it resolves where it is installed.
	ext := newManager(t, esbuildFn("Hello", dir, "app.lambdaHandler", map[string]any{"External": []string{"./node_modules/*"}, "Minify": false}))
	if got := decode(t, invoke(t, ext, "Hello", `{"path":"/"}`)); !strings.Contains(got["body"].(string), "HELLO WORLD") {
		t.Errorf("with dependencies external: %v", got)
	}
	if bundle, _ := os.ReadFile(filepath.Join(ext.Code("Hello").Dir, "app.js")); !strings.Contains(string(bundle), `require("tiny-dep")`) {
		t.Errorf("tiny-dep was bundled:\n%s", bundle)
	}

	writeFiles(t, dir, map[string]string{"lib/greet.ts": "export function greet(who: string): string { return `bye ${who}`; }\n"})
	changed := newManager(t, esbuildFn("Hello", dir, "app.lambdaHandler", fn.Build.Properties))
	if got := decode(t, invoke(t, changed, "Hello", `{"path":"/"}`)); !strings.Contains(got["body"].(string), "BYE WORLD") {
		t.Errorf("after an edit: %v", got)
	}
}

// TestEsbuildLayouts: SAM's defaults (no properties: the Handler's file,
// CommonJS, minified), a handler in a subdirectory (moved to the bundle's
// top level, as sam build moves it), and ES module output.
func TestEsbuildLayouts(t *testing.T) {
	testenv.Need(t, "node")
	dir := writeFiles(t, t.TempDir(), map[string]string{
		"src/handlers/get.ts": "export const handler = async (): Promise<object> => ({ where: 'src/handlers/get.ts', esm: typeof import.meta.url === 'string' });\n",
		"index.js":            "exports.handler = async () => ({ where: 'index.js' });\n",
	})
	fns := []*config.Function{
		esbuildFn("Defaults", dir, "index.handler", nil),
		esbuildFn("Nested", dir, "src/handlers/get.handler", nil),
		esbuildFn("ESM", dir, "get.handler", map[string]any{
			"Format": "esm", "OutExtension": []string{".js=.mjs"}, "EntryPoints": []string{"src/handlers/get.ts"}}),
	}
	m := newManager(t, fns...)
	for _, tt := range []struct {
		fn, where string
		esm       bool
	}{{"Defaults", "index.js", false}, {"Nested", "src/handlers/get.ts", false}, {"ESM", "src/handlers/get.ts", true}} {
		got := decode(t, invoke(t, m, tt.fn, `{}`))
		if got["where"] != tt.where || (tt.esm && got["esm"] != true) {
			t.Errorf("%s: got %v", tt.fn, got)
		}
	}
}

// TestEsbuildErrors name the function, the template's line and the
// source's.
func TestEsbuildErrors(t *testing.T) {
	dir := writeFiles(t, t.TempDir(), map[string]string{
		"app.ts": "import missing from 'not-installed';\nexport const handler = async () => missing;\n",
	})
	for _, tt := range []struct {
		fn   *config.Function
		want string
	}{
		{esbuildFn("Unresolved", dir, "app.handler", nil),
			"function Unresolved: template.yaml:7: esbuild failed:\n  app.ts:1:21: Could not resolve \"not-installed\" (You can mark the path \"not-installed\" as external to exclude it from the bundle, which will remove this error and leave the unresolved path in the bundle.)"},
		{esbuildFn("NoEntry", dir, "main.handler", nil),
			"function NoEntry: template.yaml:7: esbuild: entry point " + dir + "/main does not exist (nor with .ts or .js)"},
		{esbuildFn("BadFlag", dir, "app.handler", map[string]any{"Format": "amd", "External": []string{"not-installed"}}),
			"function BadFlag: template.yaml:7: esbuild: BuildProperties: "},
	} {
		m := New(slog.New(slog.DiscardHandler), &config.Project{Functions: []*config.Function{tt.fn}}, Options{CacheDir: t.TempDir()})
		err := m.Prepare(context.Background())
		m.Close()
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("err = %v\nwant %s", err, tt.want)
		}
	}
}
