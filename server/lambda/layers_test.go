package lambda

import (
	"archive/zip"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"log/slog"

	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/testenv"
)

// writeFiles writes files (path → content; a path ending in "*" is made
// executable, without the star) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) string {
	t.Helper()
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

// zipOf packs files (as writeFiles takes them) into a .zip in a new
// directory and returns its path.
func zipOf(t *testing.T, files map[string]string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "package.zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, content := range files {
		mode := os.FileMode(0o644)
		if n, ok := strings.CutSuffix(name, "*"); ok {
			name, mode = n, 0o755
		}
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(content))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

func decode(t *testing.T, res *Result) map[string]any {
	t.Helper()
	if res.FunctionError != "" {
		t.Fatalf("function error %s\n%s", res.Payload, res.Log)
	}
	var m map[string]any
	if err := json.Unmarshal(res.Payload, &m); err != nil {
		t.Fatalf("payload %s: %v", res.Payload, err)
	}
	return m
}

// TestNodeLayers: a Node.js function finds its layers' packages (from
// CommonJS and ES modules), programs and libraries as it would in /opt;
// a later layer wins over an earlier one.
func TestNodeLayers(t *testing.T) {
	testenv.Need(t, "node")
	code := writeFiles(t, t.TempDir(), map[string]string{
		"index.js": `const { execFileSync } = require('node:child_process');
exports.handler = async () => ({
  common: require('common').name,
  shared: require('shared').from,
  esm: (await import('./esm.mjs')).default,
  tool: execFileSync('layer-tool').toString().trim(),
  libs: process.env.LD_LIBRARY_PATH,
});`,
		"esm.mjs": `import versioned from 'versioned'; import shared from 'shared'; export default versioned.v + '/' + shared.from;`,
	})
	first := writeFiles(t, t.TempDir(), map[string]string{
		"nodejs/node_modules/common/index.js":     `exports.name = 'common';`,
		"nodejs/node_modules/shared/index.js":     `exports.from = 'first';`,
		"nodejs/node_modules/shared/package.json": `{"name":"shared"}`,
		"bin/layer-tool*":                         "#!/bin/sh\necho from the first layer\n",
		"lib/libfirst.so":                         "",
	})
	second := zipOf(t, map[string]string{
		"nodejs/node20/node_modules/versioned/index.js": `module.exports = { v: 'node20' };`,
		"nodejs/node_modules/shared/index.js":           `exports.from = 'second';`,
		"lib/libsecond.so":                              "",
	})
	fn := &config.Function{Name: "Fn", Runtime: "nodejs20.x", Handler: "index.handler", CodeDir: code, Timeout: 10 * time.Second, MemoryMB: 128,
		Layers: []*config.Layer{{Name: "First", Content: first}, {Name: "Second", Content: second}}}
	m := newManager(t, fn)
	got := decode(t, invoke(t, m, "Fn", `{}`))
	want := map[string]any{"common": "common", "shared": "second", "esm": "node20/second", "tool": "from the first layer"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
	c := m.Code("Fn")
	if len(c.LayerDirs) != 2 || c.LayerDirs[0] != first || !strings.HasPrefix(c.LayerDirs[1], cacheDir) {
		t.Fatalf("layer dirs %v: want the first as it is and the second unpacked in the cache", c.LayerDirs)
	}
	if libs, want := got["libs"], filepath.Join(c.LayerDirs[1], "lib")+":"+filepath.Join(first, "lib"); !strings.HasSuffix(libs.(string), want) {
		t.Errorf("LD_LIBRARY_PATH = %v, want it to end with %s", libs, want)
	}
}

// TestPythonLayers: python/ and python/lib/python3.x/site-packages, and a
// layer sam build builds with the runtime's builder (its content is
// /opt/python).
func TestPythonLayers(t *testing.T) {
	testenv.Need(t, "python3")
	minor := strings.TrimSpace(string(must(exec.Command("python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])").Output())))
	code := writeFiles(t, t.TempDir(), map[string]string{
		"app.py": `import plain, sitepkg, built
def handler(event, context):
    return {"plain": plain.NAME, "sitepkg": sitepkg.NAME, "built": built.NAME}
`,
	})
	layer := writeFiles(t, t.TempDir(), map[string]string{
		"python/plain.py": `NAME = "plain"`,
		"python/lib/python" + minor + "/site-packages/sitepkg/__init__.py": `NAME = "site-packages"`,
	})
	built := writeFiles(t, t.TempDir(), map[string]string{"built.py": `NAME = "built by sam's python builder"`})
	fn := &config.Function{Name: "Py", Runtime: "python" + minor, Handler: "app.handler", CodeDir: code, Timeout: 10 * time.Second, MemoryMB: 128,
		Layers: []*config.Layer{{Name: "Plain", Content: layer}, {Name: "Built", Content: built, Build: &config.Build{Method: "python" + minor}}}}
	m := newManager(t, fn)
	got := decode(t, invoke(t, m, "Py", `{}`))
	if got["plain"] != "plain" || got["sitepkg"] != "site-packages" || got["built"] != "built by sam's python builder" {
		t.Errorf("got %v", got)
	}
}

// TestMakefileLayer: a layer with BuildMethod makefile is built with make
// build-<LayerId> into ARTIFACTS_DIR, which is then its /opt.
func TestMakefileLayer(t *testing.T) {
	testenv.Need(t, "node")
	testenv.Need(t, "make")
	src := writeFiles(t, t.TempDir(), map[string]string{
		"Makefile": "build-Made:\n\tmkdir -p $(ARTIFACTS_DIR)/nodejs/node_modules/made\n" +
			"\techo \"exports.v = '$$(cat version.txt)'\" > $(ARTIFACTS_DIR)/nodejs/node_modules/made/index.js\n",
		"version.txt": "made by make",
	})
	code := writeFiles(t, t.TempDir(), map[string]string{"index.js": `exports.handler = async () => ({ v: require('made').v });`})
	fn := &config.Function{Name: "Fn", Runtime: "nodejs20.x", Handler: "index.handler", CodeDir: code, Timeout: 10 * time.Second, MemoryMB: 128,
		Layers: []*config.Layer{{Name: "Made", Content: src, Build: &config.Build{Method: "makefile", File: "template.yaml", Line: 9}}}}
	m := newManager(t, fn)
	if got := decode(t, invoke(t, m, "Fn", `{}`)); got["v"] != "made by make" {
		t.Errorf("got %v", got)
	}
	if _, err := os.Stat(filepath.Join(src, "nodejs")); err == nil {
		t.Error("make ran in the source directory; sam build runs it in a copy")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestLayerErrorsNameTheFunction: a layer that cannot be had fails the
// function's preparation, naming both.
func TestLayerErrorsNameTheFunction(t *testing.T) {
	testenv.Need(t, "make")
	src := writeFiles(t, t.TempDir(), map[string]string{"Makefile": "build-Broken:\n\t@echo compiling; exit 3\n"})
	for _, tt := range []struct {
		layer *config.Layer
		want  string
	}{
		{&config.Layer{Name: "Gone", Content: "/does/not/exist"}, "function Fn: layer Gone: its content /does/not/exist is not a directory or a .zip file"},
		{&config.Layer{Name: "Broken", Content: src, Build: &config.Build{Method: "makefile", File: "template.yaml", Line: 12}},
			"function Fn: layer Broken: template.yaml:12: make build-Broken (in a copy of " + src + ") failed: exit status 2\ncompiling\nmake: *** [" + src + "/Makefile:2: build-Broken] Error 3"},
	} {
		fn := &config.Function{Name: "Fn", Runtime: "nodejs20.x", Handler: "index.handler", CodeDir: t.TempDir(), Timeout: time.Second, MemoryMB: 128,
			Layers: []*config.Layer{tt.layer}}
		m := New(slog.New(slog.DiscardHandler), &config.Project{Functions: []*config.Function{fn}}, Options{CacheDir: t.TempDir()})
		err := m.Prepare(context.Background())
		m.Close()
		if err == nil || err.Error() != tt.want {
			t.Errorf("err = %v\nwant %s", err, tt.want)
		}
	}
}

// TestMakefileFunction: a provided.al2023 function with BuildMethod
// makefile, as SAM's Go and Rust templates write them: make builds the
// bootstrap into ARTIFACTS_DIR.
func TestMakefileFunction(t *testing.T) {
	testenv.Need(t, "make")
	testenv.Need(t, "go")
	// The Go sources are this module's test function (a copy would lack
	// the module), so the Makefile builds them where they are.
	src := writeFiles(t, t.TempDir(), map[string]string{
		"Makefile": "build-GoMake:\n\tCGO_ENABLED=0 go build -C " + testdata(t, "gofn") + " -tags lambda.norpc -o $(ARTIFACTS_DIR)/bootstrap .\n",
	})
	fn := &config.Function{Name: "GoMake", Runtime: "provided.al2023", Handler: "bootstrap", CodeDir: src, Timeout: 10 * time.Second, MemoryMB: 128,
		Build: &config.Build{Method: "makefile", File: "template.yaml", Line: 4}}
	m := newManager(t, fn)
	if res := invoke(t, m, "GoMake", `{"echo":"made"}`); string(res.Payload) != `{"echo":"made"}` {
		t.Errorf("payload %s", res.Payload)
	}
	if dir := m.Code("GoMake").Dir; !strings.HasPrefix(dir, filepath.Join(cacheDir, "build")) {
		t.Errorf("runs from %s, want the build's ARTIFACTS_DIR in the cache", dir)
	}
}
