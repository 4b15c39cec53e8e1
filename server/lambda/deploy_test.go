package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/testenv"
	"github.com/google/go-cmp/cmp"
)

// pyVersionFn is a Python function answering {"version": VERSION} from
// its own directory.
func pyVersionFn(t *testing.T, name, version string) *config.Function {
	t.Helper()
	testenv.Need(t, "python3")
	dir := writeFiles(t, t.TempDir(), map[string]string{"app.py": pyVersion(version)})
	return &config.Function{Name: name, Runtime: "python3.12", Handler: "app.handler", CodeDir: dir, Timeout: 10 * time.Second, MemoryMB: 128}
}

func pyVersion(v string) string {
	return fmt.Sprintf("VERSION = %q\ndef handler(event, context):\n    return {\"version\": VERSION}\n", v)
}

func versionOf(t *testing.T, res *Result) string {
	t.Helper()
	var out struct{ Version string }
	if err := json.Unmarshal(res.Payload, &out); err != nil || res.FunctionError != "" {
		t.Fatalf("payload %s (%s): %v\n%s", res.Payload, res.FunctionError, err, res.Log)
	}
	return out.Version
}

// TestDeployCode: a change to one function's code redeploys that function
// alone: its next invoke starts a new environment on the new code, the
// other function's stays warm, and each result names the deployment of
// the code that ran.
func TestDeployCode(t *testing.T) {
	a, b := pyVersionFn(t, "A", "a1"), pyVersionFn(t, "B", "b1")
	m := newManagerWith(t, Options{Deployment: 1}, a, b)
	for _, name := range []string{"A", "B"} {
		if r := invoke(t, m, name, `{}`); !r.Cold || r.Deployment != 1 || len(r.Version) != 12 {
			t.Fatalf("%s first invoke: cold %v deployment %d version %q", name, r.Cold, r.Deployment, r.Version)
		}
	}
	v1 := m.Code("A").Version

	// A save that changes nothing (touch, or saving unchanged) is no change.
	now := time.Now()
	os.Chtimes(filepath.Join(a.CodeDir, "app.py"), now, now)
	if got := m.Stale([]string{"A", "B"}); len(got) != 0 {
		t.Errorf("Stale after a touch = %v, want none", got)
	}

	writeFiles(t, a.CodeDir, map[string]string{"app.py": pyVersion("a2")})
	if got := m.Stale([]string{"A", "B"}); !cmp.Equal(got, []string{"A"}) {
		t.Fatalf("Stale = %v, want [A]", got)
	}
	r := m.Deploy(2, nil, []string{"A"})
	if want := []Change{{Function: "A", Kind: ChangeCode}}; !cmp.Equal(r.Changes, want) {
		t.Errorf("changes %+v, want %+v", r.Changes, want)
	}
	// Deploy returned at once, the build may be under way: the next invoke
	// waits for it and never runs the old code.
	ra := invoke(t, m, "A", `{}`)
	if v := versionOf(t, ra); v != "a2" || !ra.Cold || ra.Deployment != 2 || ra.Version == v1 {
		t.Errorf("A after the deployment: %s cold %v deployment %d version %s (was %s)", v, ra.Cold, ra.Deployment, ra.Version, v1)
	}
	if !strings.Contains(ra.Log, "Init Duration") {
		t.Errorf("A's new environment reports no Init Duration:\n%s", ra.Log)
	}
	rb := invoke(t, m, "B", `{}`)
	if v := versionOf(t, rb); v != "b1" || rb.Cold || rb.Deployment != 1 || strings.Contains(rb.Log, "Init Duration") {
		t.Errorf("B after A's deployment: %s cold %v deployment %d; want it warm on deployment 1\n%s", v, rb.Cold, rb.Deployment, rb.Log)
	}
	got := r.Wait()
	if len(got) != 1 || got[0].Outcome != Deployed || got[0].Version != ra.Version || got[0].Err != nil {
		t.Errorf("rollout: %+v", got)
	}
	if c := m.Code("A"); c.Deployment != 2 || c.Version != ra.Version || c.Updating || c.UpdateErr != nil {
		t.Errorf("Code(A) = %+v", c)
	}
	if r := invoke(t, m, "A", `{}`); r.Cold {
		t.Error("A's new environment did not stay warm")
	}
}

// TestDeployInFlight: an invocation running when its code is redeployed
// finishes on the old code; its environment is not used again.
func TestDeployInFlight(t *testing.T) {
	testenv.Need(t, "python3")
	gate := filepath.Join(t.TempDir(), "gate")
	if err := syscall.Mkfifo(gate, 0o600); err != nil {
		t.Fatal(err)
	}
	code := func(v string) string {
		return fmt.Sprintf("def handler(event, context):\n    if event.get('wait'):\n        open(%q).read()\n    return {'version': %q}\n", gate, v)
	}
	dir := writeFiles(t, t.TempDir(), map[string]string{"app.py": code("old")})
	fn := &config.Function{Name: "Fn", Runtime: "python3.12", Handler: "app.handler", CodeDir: dir, Timeout: 20 * time.Second, MemoryMB: 128}
	m := newManagerWith(t, Options{Deployment: 1}, fn)
	done := make(chan *Result, 1)
	go func() {
		res, _ := m.Invoke(context.Background(), "Fn", Request{Payload: []byte(`{"wait":true}`)})
		done <- res
	}()
	// The handler runs once it holds the gate open for reading.
	var w *os.File
	testenv.Eventually(t, 30*time.Second, "the handler waiting", func() bool {
		f, err := os.OpenFile(gate, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		w = f
		return err == nil
	})
	writeFiles(t, dir, map[string]string{"app.py": code("new")})
	m.Deploy(2, nil, []string{"Fn"}).Wait()
	if r := invoke(t, m, "Fn", `{}`); versionOf(t, r) != "new" || !r.Cold {
		t.Errorf("invoke after the deployment: %s, cold %v", r.Payload, r.Cold)
	}
	w.Write([]byte("go"))
	w.Close()
	if r := <-done; r == nil || versionOf(t, r) != "old" || r.Deployment != 1 {
		t.Fatalf("the invocation in flight: %+v, want it to finish on the old code", r)
	}
	testenv.Eventually(t, 10*time.Second, "the old environment gone", func() bool { return m.Busy("Fn") == 0 })
	if r := invoke(t, m, "Fn", `{}`); versionOf(t, r) != "new" || r.Cold {
		t.Errorf("then: %s cold %v, want the new code's warm environment", r.Payload, r.Cold)
	}
}

// TestDeployFailedBuild: a build that fails leaves the last good code
// serving, warm, and says why with the compiler's file:line; fixing it
// deploys.
func TestDeployFailedBuild(t *testing.T) {
	testenv.Need(t, "node")
	dir := writeFiles(t, t.TempDir(), map[string]string{"app.ts": "export const handler = async () => ({ version: 'ts1' });\n"})
	fn := esbuildFn("Ts", dir, "app.handler", nil)
	m := newManagerWith(t, Options{Deployment: 1}, fn)
	if r := invoke(t, m, "Ts", `{}`); versionOf(t, r) != "ts1" {
		t.Fatalf("first: %s", r.Payload)
	}
	writeFiles(t, dir, map[string]string{"app.ts": "export const handler = async () => ({ version: 'ts2' ;\n"})
	got := m.Deploy(2, nil, []string{"Ts"}).Wait()
	if len(got) != 1 || got[0].Outcome != Failed || got[0].Err == nil || !strings.Contains(got[0].Err.Error(), "app.ts:1:") {
		t.Fatalf("rollout of a syntax error: %+v, want failed naming app.ts:1:", got)
	}
	r := invoke(t, m, "Ts", `{}`)
	if versionOf(t, r) != "ts1" || r.Cold || r.Deployment != 1 {
		t.Errorf("after the failed build: %s cold %v deployment %d, want ts1 warm on deployment 1", r.Payload, r.Cold, r.Deployment)
	}
	if c := m.Code("Ts"); c.State != StateActive || c.Deployment != 1 || c.UpdateErr == nil {
		t.Errorf("Code after the failed build = %+v, want Active on deployment 1 with the error", c)
	}
	// Undoing the mistake brings back the code that serves: a change, since
	// it clears the failure, though there is nothing to restart.
	writeFiles(t, dir, map[string]string{"app.ts": "export const handler = async () => ({ version: 'ts1' });\n"})
	if got := m.Stale([]string{"Ts"}); !cmp.Equal(got, []string{"Ts"}) {
		t.Fatalf("Stale after undoing a failed change = %v, want [Ts]", got)
	}
	if got := m.Deploy(3, nil, []string{"Ts"}).Wait(); got[0].Outcome != Unchanged {
		t.Fatalf("rollout of the undo: %+v, want unchanged", got)
	}
	if c := m.Code("Ts"); c.UpdateErr != nil || c.Deployment != 1 {
		t.Errorf("Code after the undo = %+v, want deployment 1 without the error", c)
	}
	if r := invoke(t, m, "Ts", `{}`); versionOf(t, r) != "ts1" || r.Cold {
		t.Errorf("after the undo: %s cold %v, want ts1 warm", r.Payload, r.Cold)
	}
	if got := m.Stale([]string{"Ts"}); len(got) != 0 {
		t.Errorf("Stale after the undo deployed = %v, want none", got)
	}

	writeFiles(t, dir, map[string]string{"app.ts": "export const handler = async () => ({ version: 'ts3' });\n"})
	if got := m.Deploy(4, nil, []string{"Ts"}).Wait(); got[0].Outcome != Deployed {
		t.Fatalf("rollout of the fix: %+v", got)
	}
	if r := invoke(t, m, "Ts", `{}`); versionOf(t, r) != "ts3" || r.Deployment != 4 {
		t.Errorf("after the fix: %s deployment %d", r.Payload, r.Deployment)
	}
	if c := m.Code("Ts"); c.UpdateErr != nil {
		t.Errorf("the fix left the error: %v", c.UpdateErr)
	}
}

// TestDeploySupersedes: a save during a build cancels it; the build of
// the latest sources is the one that ends (two saves build once), and
// invokes meanwhile wait for it.
func TestDeploySupersedes(t *testing.T) {
	testenv.Need(t, "node")
	testenv.Need(t, "make")
	tmp := t.TempDir()
	gate, runs := filepath.Join(tmp, "gate"), filepath.Join(tmp, "runs")
	if err := syscall.Mkfifo(gate, 0o600); err != nil {
		t.Fatal(err)
	}
	src := writeFiles(t, filepath.Join(tmp, "src"), map[string]string{
		"Makefile": fmt.Sprintf("build-Slow:\n\techo start >> %s\n\tcat %s > /dev/null\n\tcp index.js $(ARTIFACTS_DIR)/\n\techo done >> %s\n", runs, gate, runs),
		"index.js": "exports.handler = async () => ({version: 'v1'});\n",
	})
	fn := &config.Function{Name: "Slow", Runtime: "nodejs20.x", Handler: "index.handler", CodeDir: src, Timeout: 10 * time.Second, MemoryMB: 128,
		Build: &config.Build{Method: "makefile", File: "template.yaml", Line: 3}}
	m := New(slog.New(slog.DiscardHandler), &config.Project{Functions: []*config.Function{fn}}, Options{CacheDir: filepath.Join(tmp, "cache"), Deployment: 1})
	t.Cleanup(m.Close)
	count := func(word string) int { b, _ := os.ReadFile(runs); return strings.Count(string(b), word) }
	prepared := make(chan error, 1)
	go func() { prepared <- m.Prepare(context.Background()) }()
	testenv.Eventually(t, 10*time.Second, "first build started", func() bool { return count("start") == 1 })
	os.WriteFile(gate, []byte("go\n"), 0)
	if err := <-prepared; err != nil {
		t.Fatal(err)
	}

	writeFiles(t, src, map[string]string{"index.js": "exports.handler = async () => ({version: 'v2'});\n"})
	first := m.Deploy(2, nil, []string{"Slow"})
	testenv.Eventually(t, 10*time.Second, "second build started", func() bool { return count("start") == 2 })
	if c := m.Code("Slow"); !c.Updating || c.Deployment != 1 {
		t.Errorf("while rebuilding: %+v, want deployment 1 serving and an update under way", c)
	}
	answered := make(chan *Result, 1)
	go func() {
		res, _ := m.Invoke(context.Background(), "Slow", Request{Payload: []byte(`{}`)})
		answered <- res
	}()
	writeFiles(t, src, map[string]string{"index.js": "exports.handler = async () => ({version: 'v3'});\n"})
	second := m.Deploy(3, nil, []string{"Slow"})
	testenv.Eventually(t, 10*time.Second, "third build started", func() bool { return count("start") == 3 })
	os.WriteFile(gate, []byte("go\n"), 0)

	if res := <-answered; res == nil || versionOf(t, res) != "v3" || res.Deployment != 3 {
		t.Errorf("the invoke during the builds: %+v, want the last save's code", res)
	}
	if got := first.Wait(); got[0].Outcome != Superseded {
		t.Errorf("first rollout: %+v, want superseded", got)
	}
	if got := second.Wait(); got[0].Outcome != Deployed {
		t.Errorf("second rollout: %+v, want deployed", got)
	}
	if n := count("done"); n != 2 {
		t.Errorf("%d builds ended, want 2 (the first at start, then one for both saves)", n)
	}
}

// TestDeployProject: a template change redeploys exactly the functions it
// changes: a changed configuration restarts its function with the new
// configuration, an unchanged function stays warm, a new one runs, a
// removed one is gone.
func TestDeployProject(t *testing.T) {
	a, b, gone := pyVersionFn(t, "A", "a1"), pyVersionFn(t, "B", "b1"), pyVersionFn(t, "Gone", "g1")
	a.Env = map[string]string{"STAGE": "one"}
	m := newManagerWith(t, Options{Deployment: 1}, a, b, gone)
	for _, name := range []string{"A", "B", "Gone"} {
		invoke(t, m, name, `{}`)
	}
	a2 := *a
	a2.Env = map[string]string{"STAGE": "two"}
	b2 := *b // loaded again, the same: no change
	added := pyVersionFn(t, "New", "n1")
	p := &config.Project{Region: "eu-west-1", Functions: []*config.Function{&a2, &b2, added}}
	r := m.Deploy(2, p, nil)
	want := []Change{
		{Function: "A", Kind: ChangeConfiguration, Properties: []string{"Environment"}},
		{Function: "New", Kind: ChangeAdded},
		{Function: "Gone", Kind: ChangeRemoved},
	}
	if !cmp.Equal(r.Changes, want) {
		t.Errorf("changes:\n%s", cmp.Diff(want, r.Changes))
	}
	for _, rb := range r.Wait() {
		if rb.Outcome != Deployed {
			t.Errorf("%s: %+v", rb.Function, rb)
		}
	}
	if ra := invoke(t, m, "A", `{}`); !ra.Cold || ra.Deployment != 2 {
		t.Errorf("A: cold %v deployment %d, want a new environment", ra.Cold, ra.Deployment)
	}
	if rb := invoke(t, m, "B", `{}`); rb.Cold || rb.Deployment != 1 {
		t.Errorf("B: cold %v deployment %d, want its warm environment", rb.Cold, rb.Deployment)
	}
	if rn := invoke(t, m, "New", `{}`); versionOf(t, rn) != "n1" || rn.Deployment != 2 {
		t.Errorf("New: %s deployment %d", rn.Payload, rn.Deployment)
	}
	_, err := m.Invoke(context.Background(), "Gone", Request{Payload: []byte(`{}`)})
	if !errors.Is(err, ErrFunctionNotFound) {
		t.Errorf("Gone: %v, want not found", err)
	}
	if m.Function("Gone") != nil || len(m.Functions()) != 3 {
		t.Errorf("functions after the deployment: %d", len(m.Functions()))
	}
}

func TestChangedProperties(t *testing.T) {
	base := func() *config.Function {
		return &config.Function{Name: "F", Runtime: "nodejs20.x", Handler: "index.handler", CodeDir: "/c", Timeout: time.Second,
			Env: map[string]string{"A": "1"}, Description: "x",
			Build:  &config.Build{Method: "esbuild", File: "t.yaml", Line: 3, Properties: map[string]any{"Minify": true}},
			Layers: []*config.Layer{{Name: "L", Content: "/l", Build: &config.Build{Method: "makefile", Line: 9}}}}
	}
	same := base()
	same.Description, same.Build.Line, same.Layers[0].Build.Line = "y", 30, 90
	if got := changedProperties(base(), same); len(got) != 0 {
		t.Errorf("description and lines: %v, want no change", got)
	}
	other := base()
	other.Timeout, other.Env["A"], other.Build.Properties["Minify"] = 2*time.Second, "2", false
	other.Layers[0].Content = "/l2"
	if got, want := changedProperties(base(), other), []string{"Metadata", "Layers", "Timeout", "Environment"}; !cmp.Equal(got, want) {
		t.Errorf("changed = %v, want %v", got, want)
	}
	if got := PropertiesText([]string{"Metadata", "Layers", "Timeout"}); got != "Metadata, Layers and Timeout" {
		t.Errorf("PropertiesText = %q", got)
	}
}

// TestSources: what is watched for a function, and hashed.
func TestSources(t *testing.T) {
	mod := writeFiles(t, t.TempDir(), map[string]string{"go.mod": "module x\n", "shared/s.go": "package shared\n",
		"fns/hello/main.go": "package main\n", "README.md": "x"})
	hello := filepath.Join(mod, "fns/hello")
	fn := &config.Function{Name: "Hello", Runtime: "provided.al2023", CodeDir: hello, Build: &config.Build{Method: "go1.x"},
		Layers: []*config.Layer{{Name: "L", Content: "/layers/l"}}}
	if got, want := Sources(fn), []string{hello, mod, "/layers/l"}; !cmp.Equal(got, want) {
		t.Errorf("Sources(go in a module) = %v, want %v", got, want)
	}
	fn.Layers = nil
	var d digester
	before, err := d.digest(fn)
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, mod, map[string]string{"README.md": "y"})
	if after, _ := d.digest(fn); after != before {
		t.Error("a README beside the module changed the Go function's digest")
	}
	writeFiles(t, mod, map[string]string{"shared/s.go": "package shared\n\nconst X = 1\n"})
	if after, _ := d.digest(fn); after == before {
		t.Error("a change to a package of its module did not change the Go function's digest")
	}
	inline := &config.Function{Name: "I", Runtime: "python3.12", InlineCode: "x", CodeDir: "/ignored"}
	if got := Sources(inline); got != nil {
		t.Errorf("Sources(inline) = %v, want none", got)
	}
}

// TestDeployUnnumbered: deployments need no numbers (a store that failed
// to record one) to replace what runs.
func TestDeployUnnumbered(t *testing.T) {
	a := pyVersionFn(t, "A", "a1")
	m := newManager(t, a)
	invoke(t, m, "A", `{}`)
	writeFiles(t, a.CodeDir, map[string]string{"app.py": pyVersion("a2")})
	m.Deploy(0, nil, []string{"A"}).Wait()
	if r := invoke(t, m, "A", `{}`); versionOf(t, r) != "a2" || !r.Cold {
		t.Errorf("after an unnumbered deployment: %s cold %v", r.Payload, r.Cold)
	}
}

// TestDeployInitError: new code that fails to start (a syntax error in a
// Python or Node.js handler, which nothing builds) is tried before it
// serves: the last good code keeps serving, warm, and the error names the
// file and line.
func TestDeployInitError(t *testing.T) {
	for _, tt := range []struct {
		tool, runtime, file, good, bad, fixed, want string
	}{
		{"python3", "python3.12", "app.py", pyVersion("p1"), "def handler(event, context):\n    return {'version': 'p2'\n",
			pyVersion("p3"), "app.py, line"},
		{"node", "nodejs20.x", "app.js", "exports.handler = async () => ({version: 'n1'});\n", "exports.handler = async () => ({version: 'n2';\n",
			"exports.handler = async () => ({version: 'n3'});\n", "app.js:1"},
	} {
		t.Run(tt.runtime, func(t *testing.T) {
			testenv.Need(t, tt.tool)
			dir := writeFiles(t, t.TempDir(), map[string]string{tt.file: tt.good})
			fn := &config.Function{Name: "Fn", Runtime: tt.runtime, Handler: "app.handler", CodeDir: dir, Timeout: 10 * time.Second, MemoryMB: 128}
			m := newManagerWith(t, Options{Deployment: 1}, fn)
			good := versionOf(t, invoke(t, m, "Fn", `{}`))
			writeFiles(t, dir, map[string]string{tt.file: tt.bad})
			got := m.Deploy(2, nil, []string{"Fn"}).Wait()
			if got[0].Outcome != Failed || got[0].Err == nil || !strings.Contains(got[0].Err.Error(), tt.want) ||
				!strings.Contains(got[0].Err.Error(), "the new code fails to start: Runtime.UserCodeSyntaxError") {
				t.Fatalf("rollout of a syntax error: %+v, want failed naming %s", got, tt.want)
			}
			t.Logf("the error:\n%v", got[0].Err)
			if r := invoke(t, m, "Fn", `{}`); versionOf(t, r) != good || r.Cold || r.Deployment != 1 {
				t.Errorf("after it: %s cold %v deployment %d, want the last good code, warm", r.Payload, r.Cold, r.Deployment)
			}
			writeFiles(t, dir, map[string]string{tt.file: tt.fixed})
			if got := m.Deploy(3, nil, []string{"Fn"}).Wait(); got[0].Outcome != Deployed {
				t.Fatalf("rollout of the fix: %+v", got)
			}
			r := invoke(t, m, "Fn", `{}`)
			if v := versionOf(t, r); v == good || !r.Cold || r.InitDuration <= 0 || !strings.Contains(r.Log, "Init Duration") {
				t.Errorf("after the fix: %s cold %v init %v, want the new code's first invocation to report its init\n%s", v, r.Cold, r.InitDuration, r.Log)
			}
		})
	}
}

// TestTemplateIsNotCode: a function whose code directory holds the
// template (CodeUri: .) and gatescope's database is not changed by them.
func TestTemplateIsNotCode(t *testing.T) {
	dir := writeFiles(t, t.TempDir(), map[string]string{"template.yaml": "a", "api.yaml": "a", "app.py": "x = 1\n", "gs.db": "1"})
	fn := &config.Function{Name: "Fn", Runtime: "python3.12", Handler: "app.handler", CodeDir: dir}
	p := &config.Project{Path: filepath.Join(dir, "template.yaml"), Includes: []string{filepath.Join(dir, "api.yaml")}, Functions: []*config.Function{fn}}
	m := New(slog.New(slog.DiscardHandler), p, Options{CacheDir: t.TempDir(), Ignore: []string{filepath.Join(dir, "gs.db")}})
	defer m.Close()
	before, err := m.sums.digest(fn)
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, map[string]string{"template.yaml": "b", "api.yaml": "b", "gs.db": "2"})
	if after, _ := m.sums.digest(fn); after != before {
		t.Error("the template, an include or the database changed the function's version")
	}
	writeFiles(t, dir, map[string]string{"app.py": "x = 2\n"})
	if after, _ := m.sums.digest(fn); after == before {
		t.Error("its code changed, its version did not")
	}
}

// TestSyntaxErrorInANewFile: a syntax error in a file made after the
// function was prepared is found too.
func TestSyntaxErrorInANewFile(t *testing.T) {
	testenv.Need(t, "node")
	dir := writeFiles(t, t.TempDir(), map[string]string{"index.js": "exports.handler = async () => require('./lib').v;\n", "lib.js": "exports.v = 1;\n"})
	fn := &config.Function{Name: "Fn", Runtime: "nodejs20.x", Handler: "index.handler", CodeDir: dir, Timeout: 10 * time.Second, MemoryMB: 128}
	m := newManager(t, fn)
	invoke(t, m, "Fn", `{}`)
	writeFiles(t, dir, map[string]string{"index.js": "require('./util');\nexports.handler = async () => 2;\n", "util.js": "module.exports = {\n  a: 1,,\n};\n"})
	got := m.Deploy(2, nil, []string{"Fn"}).Wait()
	if err := got[0].Err; err == nil || !strings.Contains(err.Error(), "util.js:2") || strings.Contains(err.Error(), "bootstrap") {
		t.Errorf("the error: %v\nwant it to name util.js:2 and no frame of gatescope's runtime client", err)
	}
}

// TestInitErrorLeavesOutTheRuntimeClient: a failed deployment quotes the
// user's frames of an init error's stack, not gatescope's runtime client's
// (installed under runtimes/<version>/ of the cache).
func TestInitErrorLeavesOutTheRuntimeClient(t *testing.T) {
	payload := `{"errorType":"Error","errorMessage":"boom","trace":["Error: boom",` +
		`"    at Object.<anonymous> (/app/index.js:3:7)",` +
		`"    at loadModule (file:///home/u/.cache/gatescope/runtimes/3f2a9c0d1e4b/bootstrap.mjs:190:10)"],` +
		`"stackTrace":["  File \"/home/u/.cache/gatescope/runtimes/77aa00bb11cc/bootstrap.py\", line 90, in load"]}`
	err := initError(&config.Function{Name: "Fn"}, []byte(payload), "", "")
	want := "function Fn: the new code fails to start: Error: boom\n    at Object.<anonymous> (/app/index.js:3:7)"
	if err.Error() != want {
		t.Errorf("got\n%s\nwant\n%s", err, want)
	}
}
