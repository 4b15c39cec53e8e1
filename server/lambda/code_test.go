package lambda

import (
	"archive/zip"
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

// TestInlineCode: code written in the template runs as index.js or
// index.py, as CloudFormation writes it.
func TestInlineCode(t *testing.T) {
	testenv.Need(t, "node")
	testenv.Need(t, "python3")
	fns := []*config.Function{
		{Name: "Node", Runtime: "nodejs20.x", Handler: "index.handler", Timeout: 10 * time.Second, MemoryMB: 128,
			InlineCode: "exports.handler = async (event) => ({ inline: 'node', got: event.n });\n"},
		{Name: "Py", Runtime: "python3.12", Handler: "index.handler", Timeout: 10 * time.Second, MemoryMB: 128,
			InlineCode: "def handler(event, context):\n    return {'inline': 'python', 'got': event['n']}\n"},
		// The handler names a file CloudFormation does not write.
		{Name: "Misnamed", Runtime: "nodejs20.x", Handler: "app.handler", Timeout: 10 * time.Second, MemoryMB: 128,
			InlineCode: "exports.handler = async () => 1;\n"},
	}
	m := newManager(t, fns...)
	for _, tt := range []struct{ fn, want string }{{"Node", "node"}, {"Py", "python"}} {
		got := decode(t, invoke(t, m, tt.fn, `{"n":7}`))
		if got["inline"] != tt.want || got["got"] != 7.0 {
			t.Errorf("%s: got %v", tt.fn, got)
		}
	}
	res := invoke(t, m, "Misnamed", `{}`)
	if res.ErrorType() != "Runtime.ImportModuleError" {
		t.Errorf("a handler beside index.js: %s %s", res.FunctionError, res.Payload)
	}
	if dir := m.Code("Node").Dir; !strings.HasPrefix(dir, filepath.Join(cacheDir, "inline")) {
		t.Errorf("inline code runs from %s, want the cache", dir)
	}
}

// TestZipCode: a .zip CodeUri is unpacked into the cache, keeping modes,
// once per content.
func TestZipCode(t *testing.T) {
	testenv.Need(t, "node")
	pkg := zipOf(t, map[string]string{
		"index.mjs":                     "import dep from 'dep'; export const handler = async () => ({ from: 'zip', dep });",
		"node_modules/dep/index.js":     "module.exports = 'packaged';",
		"node_modules/dep/package.json": `{"name":"dep","main":"index.js"}`,
		"bin/tool*":                     "#!/bin/sh\n",
	})
	fn := &config.Function{Name: "Zipped", Runtime: "nodejs20.x", Handler: "index.handler", CodeDir: pkg, Timeout: 10 * time.Second, MemoryMB: 128}
	m := newManager(t, fn)
	got := decode(t, invoke(t, m, "Zipped", `{}`))
	if got["from"] != "zip" || got["dep"] != "packaged" {
		t.Errorf("got %v", got)
	}
	dir := m.Code("Zipped").Dir
	if st, err := os.Stat(filepath.Join(dir, "bin/tool")); err != nil || st.Mode().Perm()&0o100 == 0 {
		t.Errorf("bin/tool lost its mode: %v %v", st, err)
	}
	again := newManager(t, &config.Function{Name: "Again", Runtime: "nodejs20.x", Handler: "index.handler", CodeDir: pkg, Timeout: time.Second, MemoryMB: 128})
	if d := again.Code("Again").Dir; d != dir {
		t.Errorf("the same package unpacked twice: %s and %s", dir, d)
	}
}

// TestZipOutsideRefused: an entry that climbs out of the code directory
// fails the preparation instead of writing elsewhere.
func TestZipOutsideRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "evil.zip")
	f, _ := os.Create(path)
	zw := zip.NewWriter(f)
	w, _ := zw.Create("../escaped.js")
	w.Write([]byte("x"))
	zw.Close()
	f.Close()
	fn := &config.Function{Name: "Evil", Runtime: "nodejs20.x", Handler: "index.handler", CodeDir: path, Timeout: time.Second, MemoryMB: 128}
	m := New(slog.New(slog.DiscardHandler), &config.Project{Functions: []*config.Function{fn}}, Options{CacheDir: t.TempDir()})
	defer m.Close()
	err := m.Prepare(context.Background())
	if err == nil || !strings.Contains(err.Error(), `function Evil: unpack `+path+`: entry "../escaped.js" would land outside the code directory`) {
		t.Errorf("err = %v", err)
	}
}
