package reload

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/lambda"
	"github.com/gatescope/gatescope/server/testenv"
	"github.com/gatescope/gatescope/store"
	"github.com/google/go-cmp/cmp"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func pyApp(v string) string {
	return fmt.Sprintf("import os\nVERSION = %q\ndef handler(event, context):\n    return {\"version\": VERSION, \"stage\": os.environ.get(\"STAGE\", \"\")}\n", v)
}

// template is a SAM template with Python functions (name → route path),
// each with its own directory.
func template(stage string, fns ...string) string {
	var b strings.Builder
	b.WriteString("Transform: AWS::Serverless-2016-10-31\nResources:\n")
	for i := 0; i < len(fns); i += 2 {
		fmt.Fprintf(&b, "  %s:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n      Handler: app.handler\n      CodeUri: %s/\n",
			fns[i], strings.ToLower(fns[i]))
		if stage != "" && fns[i] == "B" {
			fmt.Fprintf(&b, "      Environment:\n        Variables:\n          STAGE: %s\n", stage)
		}
		fmt.Fprintf(&b, "      Events:\n        Get:\n          Type: HttpApi\n          Properties:\n            Method: GET\n            Path: %s\n", fns[i+1])
	}
	return b.String()
}

// fixture is a project served by a Reloader, with a real Manager, store
// and watcher, as serve wires them.
type fixture struct {
	t      *testing.T
	dir    string
	tpl    string
	m      *lambda.Manager
	db     *store.DB
	mu     sync.Mutex
	routes []*config.Project // what Routes was asked to serve, in order
	served []int64
	done   chan *exchange.Deployment
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	testenv.Need(t, "python3")
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, dir: dir, tpl: filepath.Join(dir, "template.yaml"), done: make(chan *exchange.Deployment, 20)}
	write(t, filepath.Join(dir, "a/app.py"), pyApp("a1"))
	write(t, filepath.Join(dir, "b/app.py"), pyApp("b1"))
	write(t, f.tpl, template("one", "A", "/a", "B", "/b"))
	load := func() (*config.Project, error) { return config.Load(f.tpl, config.Options{}) }
	p, err := load()
	if err != nil {
		t.Fatal(err)
	}
	if f.db, err = store.Open(filepath.Join(t.TempDir(), "gs.db"), store.Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.db.Close() })
	ctx := context.Background()
	start, err := Begin(ctx, f.db, p, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	f.m = lambda.New(logger, p, lambda.Options{CacheDir: filepath.Join(t.TempDir(), "cache"), Deployment: start.ID})
	t.Cleanup(f.m.Close)
	if err := f.m.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	if err := Started(ctx, f.db, start, f.m.Code); err != nil {
		t.Fatal(err)
	}
	r, err := New(Options{Logger: logger, Project: p, Load: load, Functions: f.m, Store: f.db,
		Routes: func(p *config.Project) (func(int64), error) {
			return func(d int64) {
				f.mu.Lock()
				f.routes, f.served = append(f.routes, p), append(f.served, d)
				f.mu.Unlock()
			}, nil
		},
		Done: func(d *exchange.Deployment) { f.done <- d }})
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() { r.Run(rctx); close(stopped) }()
	t.Cleanup(func() { cancel(); r.Close(); <-stopped })
	return f
}

// next waits for the next deployment to end.
func (f *fixture) next() *exchange.Deployment {
	f.t.Helper()
	select {
	case d := <-f.done:
		return d
	case <-time.After(60 * time.Second):
		f.t.Fatal("no deployment ended within 60s")
		return nil
	}
}

func (f *fixture) invoke(name string) (version, stage string, res *lambda.Result) {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := f.m.Invoke(ctx, name, lambda.Request{Payload: []byte(`{}`)})
	if err != nil {
		f.t.Fatalf("invoke %s: %v", name, err)
	}
	var out struct{ Version, Stage string }
	json.Unmarshal(res.Payload, &out)
	return out.Version, out.Stage, res
}

// TestCodeChange: a saved handler redeploys its function alone; a save
// that changes nothing deploys nothing.
func TestCodeChange(t *testing.T) {
	f := newFixture(t)
	f.invoke("A")
	f.invoke("B")
	start, _ := f.db.Deployments(context.Background(), 1)

	now := time.Now()
	os.Chtimes(filepath.Join(f.dir, "a/app.py"), now, now) // touched: nothing to deploy
	write(t, filepath.Join(f.dir, "a/.app.py.swp"), "")    // the editor's swap: not a change
	write(t, filepath.Join(f.dir, "a/app.py"), pyApp("a2"))
	d := f.next()
	want := &exchange.Deployment{ID: start[0].ID + 1, Trigger: exchange.TriggerCode, Status: exchange.DeployDeployed,
		Files: []string{"a/app.py"}, Changes: []string{"function A: code changed"},
		Functions: []exchange.DeployedFunction{{Name: "A", Change: "code", Status: "deployed"}}}
	if diff := cmp.Diff(want, d, ignoreTimes); diff != "" {
		t.Errorf("deployment (-want +got):\n%s", diff)
	}
	if v, _, res := f.invoke("A"); v != "a2" || !res.Cold || res.Deployment != d.ID {
		t.Errorf("A: %s cold %v deployment %d", v, res.Cold, res.Deployment)
	}
	if v, _, res := f.invoke("B"); v != "b1" || res.Cold {
		t.Errorf("B: %s cold %v, want its warm environment", v, res.Cold)
	}
	stored, err := f.db.Deployment(context.Background(), d.ID)
	if err != nil || stored.Status != exchange.DeployDeployed || len(stored.Functions) != 1 {
		t.Errorf("stored: %+v %v", stored, err)
	}
}

var ignoreTimes = cmpIgnore()

func cmpIgnore() cmp.Option {
	return cmp.FilterPath(func(p cmp.Path) bool {
		switch p.Last().String() {
		case ".StartedAt", ".DurationMs", ".BuildMs", ".Version":
			return true
		}
		return false
	}, cmp.Ignore())
}

// TestTemplateChange: an edited template adds and removes routes and
// functions and changes configuration; a template that no longer loads
// keeps the last good one serving and says where it breaks, until fixed.
func TestTemplateChange(t *testing.T) {
	f := newFixture(t)
	f.invoke("A")
	f.invoke("B")

	write(t, filepath.Join(f.dir, "c/app.py"), pyApp("c1"))
	write(t, f.tpl, template("two", "B", "/b", "C", "/c")) // A and /a removed, C and /c added, B's STAGE changed
	d := f.next()
	if d.Trigger != exchange.TriggerTemplate || d.Status != exchange.DeployDeployed || d.Error != "" {
		t.Fatalf("deployment %+v", d)
	}
	wantChanges := []string{"route GET /c added → C", "route GET /a removed",
		"function B: Environment changed", "function C added", "function A removed"}
	if !cmp.Equal(d.Changes, wantChanges) {
		t.Errorf("changes:\n%s", cmp.Diff(wantChanges, d.Changes))
	}
	f.mu.Lock()
	if len(f.routes) != 1 || len(f.routes[0].Functions) != 2 || f.served[0] != d.ID {
		t.Errorf("routes served: %d projects, deployments %v", len(f.routes), f.served)
	}
	f.mu.Unlock()
	if _, stage, res := f.invoke("B"); stage != "two" || !res.Cold {
		t.Errorf("B after its Environment changed: STAGE %q cold %v", stage, res.Cold)
	}
	if v, _, _ := f.invoke("C"); v != "c1" {
		t.Errorf("C: %q", v)
	}

	// Broken: the last good template keeps serving.
	write(t, f.tpl, template("two", "B", "/b", "C", "/c")+"      Timeout: [oops\n")
	bad := f.next()
	if bad.Status != exchange.DeployFailed || !strings.Contains(bad.Error, "template.yaml:") {
		t.Fatalf("broken template: %+v", bad)
	}
	if !strings.Contains(Summary(bad), "the last good one keeps serving") {
		t.Errorf("summary: %s", Summary(bad))
	}
	if v, _, res := f.invoke("C"); v != "c1" || res.Cold {
		t.Errorf("C while the template is broken: %q cold %v", v, res.Cold)
	}
	// Fixed as it was: a deployment says it loads again.
	write(t, f.tpl, template("two", "B", "/b", "C", "/c"))
	fixed := f.next()
	if fixed.Status != exchange.DeployDeployed || fixed.ID != bad.ID+1 {
		t.Errorf("fixed template: %+v", fixed)
	}
	if _, _, res := f.invoke("C"); res.Cold {
		t.Error("C went cold though the fix changed nothing of it")
	}
}

// TestIncludedFileChange: a change to a file the template includes is a
// template change.
func TestIncludedFileChange(t *testing.T) {
	testenv.Need(t, "python3")
	dir, _ := filepath.EvalSymlinks(t.TempDir())
	write(t, filepath.Join(dir, "a/app.py"), pyApp("a1"))
	api := func(path string) string {
		return "openapi: 3.0.1\ninfo: {title: x, version: '1'}\npaths:\n  " + path + ":\n    get:\n      x-amazon-apigateway-integration:\n" +
			"        type: aws_proxy\n        httpMethod: POST\n        payloadFormatVersion: '2.0'\n" +
			"        uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${A.Arn}/invocations\n"
	}
	write(t, filepath.Join(dir, "api.yaml"), api("/one"))
	tpl := filepath.Join(dir, "template.yaml")
	write(t, tpl, "Transform: AWS::Serverless-2016-10-31\nResources:\n  Api:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      DefinitionUri: api.yaml\n"+
		"  A:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n      Handler: app.handler\n      CodeUri: a/\n")
	load := func() (*config.Project, error) { return config.Load(tpl, config.Options{}) }
	p, err := load()
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(t.TempDir(), "gs.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := lambda.New(slog.New(slog.DiscardHandler), p, lambda.Options{CacheDir: t.TempDir()})
	defer m.Close()
	done := make(chan *exchange.Deployment, 4)
	r, err := New(Options{Project: p, Load: load, Functions: m, Store: db,
		Routes: func(*config.Project) (func(int64), error) { return func(int64) {}, nil },
		Done:   func(d *exchange.Deployment) { done <- d }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); r.Close() }()
	go r.Run(ctx)
	write(t, filepath.Join(dir, "api.yaml"), api("/two"))
	select {
	case d := <-done:
		if want := []string{"route GET /two added → A", "route GET /one removed"}; !cmp.Equal(d.Changes, want) || !slices.Equal(d.Files, []string{"api.yaml"}) {
			t.Errorf("deployment: changes %q files %q", d.Changes, d.Files)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no deployment after the included file changed")
	}
}

func TestDiffProjects(t *testing.T) {
	route := func(m, p, fn string) *config.Route {
		return &config.Route{Method: m, Path: p, Function: fn, PayloadVersion: "2.0"}
	}
	old := &config.Project{APIs: []*config.API{
		{ID: "Api", Type: config.HTTPAPI, Stage: "$default", Routes: []*config.Route{route("GET", "/a", "A"), route("GET", "/b", "B")}},
		{ID: "Old", Type: config.RESTAPI, Stage: "Prod"},
	}}
	mock := route("POST", "/m", "")
	mock.Integration = config.Integration{Kind: config.MockIntegration}
	newer := &config.Project{APIs: []*config.API{
		{ID: "Api", Type: config.HTTPAPI, Stage: "$default", Cors: &config.Cors{AllowOrigins: []string{"*"}},
			Routes: []*config.Route{route("GET", "/a", "A2"), mock}},
		{ID: "New", Type: config.HTTPAPI, Stage: "$default", Routes: []*config.Route{route("GET", "/n", "N")}},
	}, Permissions: []*config.Permission{{Function: "A", Line: 3}}}
	want := []string{
		"API Api: route GET /a now → A2",
		"API Api: route POST /m added (mock integration, not emulated)",
		"API Api: route GET /b removed",
		"API Api: its settings changed (stage, CORS, authorizers, ...)",
		"HTTP API New added with 1 route",
		"REST API Old removed",
		"permissions, API keys or usage plans changed",
	}
	if got := DiffProjects(old, newer); !cmp.Equal(got, want) {
		t.Errorf("DiffProjects:\n%s", cmp.Diff(want, got))
	}
	moved := &config.Project{APIs: newer.APIs, Permissions: []*config.Permission{{Function: "A", Line: 30}}}
	if !SameAccess(newer, moved) {
		t.Error("a permission written lower in the template is not the same access")
	}
	if got := DiffProjects(newer, moved); len(got) != 0 {
		t.Errorf("nothing served changed, yet: %q", got)
	}
}

func TestSummary(t *testing.T) {
	for _, tt := range []struct {
		d    exchange.Deployment
		want string
	}{
		{exchange.Deployment{ID: 14, Status: exchange.DeployDeployed, Files: []string{"hello/main.go"}, Changes: []string{"function Hello: code changed"},
			Functions: []exchange.DeployedFunction{{Name: "Hello", Status: "deployed", BuildMs: 1834}}},
			"deployment 14 (hello/main.go): function Hello: code changed; function Hello ready in 1.8 s"},
		{exchange.Deployment{ID: 15, Status: exchange.DeployFailed, Changes: []string{"function Hello: code changed"},
			Functions: []exchange.DeployedFunction{{Name: "Hello", Status: "failed", Error: "go build failed:\n./main.go:9:2: undefined: x\n./main.go:10:2: y\nmore\nmore"}}},
			"deployment 15 failed: function Hello: code changed; function Hello: build failed, the last good code keeps serving: go build failed: ⏎ ./main.go:9:2: undefined: x ⏎ ./main.go:10:2: y ⏎ …"},
		{exchange.Deployment{ID: 16, Status: exchange.DeployFailed, Files: []string{"template.yaml"}, Error: "template.yaml:7: bad"},
			"deployment 16 failed (template.yaml): the template does not load, the last good one keeps serving: template.yaml:7: bad"},
	} {
		if got := Summary(&tt.d); got != tt.want {
			t.Errorf("Summary =\n%s\nwant\n%s", got, tt.want)
		}
	}
}
