package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/apigw"
	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/gateway"
	"github.com/gatescope/gatescope/server/lambda"
	"github.com/gatescope/gatescope/server/reload"
	"github.com/gatescope/gatescope/server/watch"
	"github.com/gatescope/gatescope/store"
)

// Hot reload: how long from a save to the first response from the new
// code, per runtime, and what the watcher costs while nothing changes.
//
//	go test ./bench -run '^$' -bench 'Reload|WatcherIdle' -benchtime 10x

// reloadApp is a Node.js, a Python and a Go function behind the gateway,
// with the watcher and the reloader serve wires, in a temporary directory.
type reloadApp struct {
	dir  string
	url  string
	db   *store.DB
	done chan *exchange.Deployment
}

var reloadSources = map[string]func(v string) string{
	"node": func(v string) string {
		return "exports.handler = async () => ({statusCode: 200, body: '" + v + "'});\n"
	},
	"python": func(v string) string {
		return "def handler(event, context):\n    return {'statusCode': 200, 'body': '" + v + "'}\n"
	},
	// A runtime client of its own: the module needs nothing downloaded.
	"go": func(v string) string {
		return `package main

import (
	"io"
	"net/http"
	"os"
	"strings"
)

func main() {
	api := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/invocation/"
	for {
		resp, err := http.Get(api + "next")
		if err != nil {
			os.Exit(1)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		r, err := http.Post(api+resp.Header.Get("Lambda-Runtime-Aws-Request-Id")+"/response", "application/json",
			strings.NewReader(` + "`" + `{"statusCode":200,"body":"` + v + `"}` + "`" + `))
		if err == nil {
			r.Body.Close()
		}
	}
}
`
	},
}

var reloadFiles = map[string]string{"node": "node/index.js", "python": "py/app.py", "go": "go/main.go"}

func localPython(tb testing.TB) string {
	out, err := exec.Command("python3", "-c", "import sys; print('python%d.%d' % sys.version_info[:2])").Output()
	if err != nil {
		tb.Skip("python3:", err)
	}
	return strings.TrimSpace(string(out))
}

func newReloadApp(tb testing.TB) *reloadApp {
	tb.Helper()
	for _, tool := range []string{"node", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			tb.Skip(tool, "is not installed")
		}
	}
	dir, err := filepath.EvalSymlinks(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	files := map[string]string{"go/go.mod": "module fn\n\ngo 1.22\n", "template.yaml": `Transform: AWS::Serverless-2016-10-31
Resources:
  Node:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: node/, Handler: index.handler, Runtime: nodejs20.x, Events: {Get: {Type: HttpApi, Properties: {Path: /node, Method: GET}}}}
  Py:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: py/, Handler: app.handler, Runtime: ` + localPython(tb) + `, Events: {Get: {Type: HttpApi, Properties: {Path: /python, Method: GET}}}}
  Go:
    Type: AWS::Serverless::Function
    Metadata: {BuildMethod: go1.x}
    Properties: {CodeUri: go/, Handler: bootstrap, Runtime: provided.al2023, Events: {Get: {Type: HttpApi, Properties: {Path: /go, Method: GET}}}}
`}
	for r, f := range reloadFiles {
		files[f] = reloadSources[r]("v0")
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	tpl := filepath.Join(dir, "template.yaml")
	load := func() (*config.Project, error) { return config.Load(tpl, config.Options{}) }
	project, err := load()
	if err != nil {
		tb.Fatal(err)
	}
	router, err := apigw.NewRouter(project.APIs)
	if err != nil {
		tb.Fatal(err)
	}
	db, err := store.Open(filepath.Join(tb.TempDir(), "bench.db"), store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	start, err := reload.Begin(ctx, db, project, time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	m := lambda.New(logger, project, lambda.Options{CacheDir: filepath.Join(tb.TempDir(), "cache"), Deployment: start.ID})
	tb.Cleanup(m.Close)
	if err := m.Prepare(ctx); err != nil {
		tb.Fatal(err)
	}
	gw := gateway.New(logger, router, m, discardSink{}, func() string { return "bench" }).WithDeployment(start.ID)
	srv := httptest.NewServer(gw)
	tb.Cleanup(srv.Close)
	a := &reloadApp{dir: dir, url: srv.URL, db: db, done: make(chan *exchange.Deployment, 100)}
	r, err := reload.New(reload.Options{Logger: logger, Project: project, Load: load, Functions: m, Store: db,
		Routes: func(p *config.Project) (func(int64), error) {
			router, err := apigw.NewRouter(p.APIs)
			return func(d int64) { gw.Deploy(router, nil, d) }, err
		},
		Done: func(d *exchange.Deployment) { a.done <- d }})
	if err != nil {
		tb.Fatal(err)
	}
	stopped := make(chan struct{})
	go func() { r.Run(ctx); close(stopped) }()
	tb.Cleanup(func() { cancel(); r.Close(); <-stopped })
	for _, path := range []string{"/node", "/python", "/go"} {
		if body := a.get(tb, path); body != "v0" {
			tb.Fatalf("%s: %q", path, body)
		}
	}
	return a
}

type discardSink struct{}

func (discardSink) Submit(*exchange.Exchange) bool { return true }

func (a *reloadApp) get(tb testing.TB, path string) string {
	tb.Helper()
	resp, err := http.Get(a.url + path)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// BenchmarkReload is the time from a save (the file written) to the first
// response from the new code, polling the route as a developer's client
// would; for Go also the build's share of it. The environments the old
// code left are warm, as after a developer's last request.
func BenchmarkReload(b *testing.B) {
	a := newReloadApp(b)
	for _, rt := range []string{"node", "python", "go"} {
		b.Run(rt, func(b *testing.B) {
			path := "/" + rt
			var total, build time.Duration
			i := 0
			for b.Loop() {
				i++
				v := fmt.Sprintf("v%d", i)
				if err := os.WriteFile(filepath.Join(a.dir, reloadFiles[rt]), []byte(reloadSources[rt](v)), 0o644); err != nil {
					b.Fatal(err)
				}
				saved := time.Now()
				deadline := saved.Add(2 * time.Minute)
				for a.get(b, path) != v {
					if time.Now().After(deadline) {
						b.Fatalf("%s: no answer from the new code within 2 minutes", path)
					}
				}
				total += time.Since(saved)
				d := <-a.done
				for _, f := range d.Functions {
					build += time.Duration(f.BuildMs * float64(time.Millisecond))
				}
			}
			n := float64(b.N)
			b.ReportMetric(float64(total.Milliseconds())/n, "ms/save-to-response")
			b.ReportMetric(float64(build.Milliseconds())/n, "ms/build")
			b.ReportMetric(float64((total-build).Milliseconds())/n, "ms/beyond-build")
		})
	}
}

// BenchmarkWatcherIdle watches a tree of 20,000 files (200 directories of
// 100) and measures the process's CPU time over 10 idle seconds, beside
// the same 10 seconds without a watcher (the Go runtime's own wakeups),
// and the time to walk the tree and watch it.
func BenchmarkWatcherIdle(b *testing.B) {
	dir := b.TempDir()
	for d := range 200 {
		sub := filepath.Join(dir, fmt.Sprintf("pkg%03d", d))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			b.Fatal(err)
		}
		for f := range 100 {
			if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%03d.js", f)), []byte("x"), 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	for b.Loop() {
		before := cpu(b)
		time.Sleep(10 * time.Second)
		baseline := cpu(b) - before
		w, err := watch.New(slog.New(slog.DiscardHandler), watch.Options{})
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		w.Set([]string{dir})
		setup := time.Since(t0)
		if w.Dirs() != 201+1 { // the tree and its parent (which would see it replaced)
			b.Fatalf("%d directories watched", w.Dirs())
		}
		ctx, cancel := context.WithCancel(context.Background())
		var changes [][]string
		done := make(chan struct{})
		go func() { w.Run(ctx, func(p []string) { changes = append(changes, slices.Clone(p)) }); close(done) }()
		before = cpu(b)
		time.Sleep(10 * time.Second) // the measurement is of doing nothing
		used := cpu(b) - before
		cancel()
		w.Close()
		<-done
		if len(changes) != 0 {
			b.Fatalf("changes reported while idle: %v", changes)
		}
		b.ReportMetric(float64(setup.Milliseconds()), "ms/watch-20k-files")
		b.ReportMetric(float64(used.Microseconds())/10, "µs-cpu/idle-s")
		b.ReportMetric(float64(baseline.Microseconds())/10, "µs-cpu/idle-s-without-watcher")
	}
}

// cpu is the process's user and system CPU time so far.
func cpu(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
