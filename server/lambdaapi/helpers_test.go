package lambdaapi

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/lambda"
	"github.com/gatescope/gatescope/server/testenv"
)

// cacheDir is shared by the package's tests so the Go test function is
// built once per run.
var cacheDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gatescope-lambdaapi-test")
	if err != nil {
		panic(err)
	}
	cacheDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// goFunction is lambda's test function: it echoes, prints, fails and
// sleeps as its event asks.
func goFunction(t *testing.T) *config.Function {
	t.Helper()
	dir, err := filepath.Abs("../lambda/testdata/gofn")
	if err != nil {
		t.Fatal(err)
	}
	return &config.Function{
		Name: "GoFn", FunctionName: "go-fn", Runtime: "provided.al2023", Handler: "bootstrap",
		CodeDir: dir, Build: &config.Build{Method: "go1.x"}, Timeout: 2 * time.Second, MemoryMB: 256,
		Env: map[string]string{"GREETING": "hi"},
	}
}

func reserved(n int) *int { return &n }

// startManager is a Manager for fns in eu-west-1, not prepared yet.
func startManager(t *testing.T, fns ...*config.Function) *lambda.Manager {
	t.Helper()
	m := lambda.New(slog.New(slog.NewTextHandler(io.Discard, nil)),
		&config.Project{Region: "eu-west-1", Functions: fns}, lambda.Options{CacheDir: cacheDir})
	t.Cleanup(m.Close)
	return m
}

// newManager is a Manager for fns whose code is ready to run.
func newManager(t *testing.T, fns ...*config.Function) *lambda.Manager {
	t.Helper()
	m := startManager(t, fns...)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := m.Prepare(ctx); err != nil {
		t.Fatalf("prepare: %v", err)
	}
	return m
}

// serveAPI serves m's Lambda API on 127.0.0.1 with the routes the ui
// address gives it (server/ui/routes.go) and returns its URL.
func serveAPI(t *testing.T, m *lambda.Manager, observe Observer) string {
	t.Helper()
	api := New(slog.New(slog.NewTextHandler(io.Discard, nil)), m, observe)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2015-03-31/functions/{name}/invocations", api.Invoke)
	mux.HandleFunc("GET /2016-08-19/account-settings", api.GetAccountSettings)
	mux.HandleFunc("GET /2016-08-19/account-settings/{$}", api.GetAccountSettings)
	mux.HandleFunc("GET /2015-03-31/functions", api.ListFunctions)
	mux.HandleFunc("GET /2015-03-31/functions/{$}", api.ListFunctions)
	mux.HandleFunc("GET /2015-03-31/functions/{name}", api.GetFunction)
	mux.HandleFunc("GET /2015-03-31/functions/{name}/configuration", api.GetFunctionConfiguration)
	for _, p := range Prefixes {
		mux.HandleFunc(p, api.Unknown)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// waitBusy waits until n environments of the function are in use, so an
// invoke made next meets them busy.
func waitBusy(t *testing.T, m *lambda.Manager, name string, n int) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, fmt.Sprintf("%d environments of %s busy", n, name),
		func() bool { return m.Busy(name) == n })
}

type staticCreds struct{}

func (staticCreds) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test", Source: "test"}, nil
}
