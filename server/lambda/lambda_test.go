package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/testenv"
)

// cacheDir is shared by the package's tests so the Go test function is
// built once per run.
var cacheDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gatescope-lambda-test")
	if err != nil {
		panic(err)
	}
	cacheDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func testdata(t *testing.T, name string) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func goFunction(t *testing.T) *config.Function {
	return &config.Function{
		Name: "GoFn", FunctionName: "go-fn", Runtime: "provided.al2023", Handler: "bootstrap",
		CodeDir: testdata(t, "gofn"), Build: &config.Build{Method: "go1.x"}, Timeout: 2 * time.Second, MemoryMB: 256,
		Env: map[string]string{"GREETING": "hi"},
	}
}

func newManager(t *testing.T, fns ...*config.Function) *Manager {
	t.Helper()
	return newManagerWith(t, Options{}, fns...)
}

// newManagerWith is newManager with options (the shared cache dir is added).
func newManagerWith(t *testing.T, opts Options, fns ...*config.Function) *Manager {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	opts.CacheDir = cacheDir
	m := New(logger, &config.Project{Region: "eu-west-1", Functions: fns}, opts)
	t.Cleanup(m.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := m.Prepare(ctx); err != nil {
		t.Fatalf("prepare: %v", err)
	}
	return m
}

func invoke(t *testing.T, m *Manager, name, payload string) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := m.Invoke(ctx, name, Request{Payload: []byte(payload)})
	if err != nil {
		t.Fatalf("invoke %s %s: %v", name, payload, err)
	}
	return res
}

// waitBusy waits until n environments of the function are in use, so an
// invoke made next meets them busy.
func waitBusy(t *testing.T, m *Manager, name string, n int) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, fmt.Sprintf("%d environments of %s busy", n, name),
		func() bool { return m.Busy(name) == n })
}

var reportRE = regexp.MustCompile(`(?m)^REPORT RequestId: ([0-9a-f-]{36})\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: (\d+) MB\tMax Memory Used: (\d+) MB\t(Init Duration: \d+\.\d\d ms\t)?$`)

func TestGoFunctionColdThenWarm(t *testing.T) {
	m := newManager(t, goFunction(t))

	cold := invoke(t, m, "GoFn", `{"echo":"one","print":"hello log"}`)
	if string(cold.Payload) != `{"echo":"one"}` || cold.FunctionError != "" {
		t.Fatalf("payload = %s, error = %q", cold.Payload, cold.FunctionError)
	}
	if !cold.Cold || cold.InitDuration <= 0 {
		t.Errorf("first invoke: cold = %v, init = %v; want a cold start", cold.Cold, cold.InitDuration)
	}
	wantLog := regexp.MustCompile(`^START RequestId: ` + cold.RequestID + ` Version: \$LATEST\n(hello log\nstderr: hello log\n|stderr: hello log\nhello log\n)END RequestId: ` + cold.RequestID + `\n`)
	if !wantLog.MatchString(cold.Log) {
		t.Errorf("log does not frame the function's output:\n%s", cold.Log)
	}
	r := reportRE.FindStringSubmatch(cold.Log)
	if r == nil || r[1] != cold.RequestID || r[2] != "256" || r[4] == "" {
		t.Errorf("cold REPORT line wrong (want Init Duration last):\n%s", cold.Log)
	}
	if r != nil && r[3] == "0" && fileExists("/proc/self/status") {
		t.Errorf("Max Memory Used not read from the process: %q", r[0])
	}

	warm := invoke(t, m, "GoFn", `{"echo":"two"}`)
	if string(warm.Payload) != `{"echo":"two"}` {
		t.Fatalf("warm payload = %s", warm.Payload)
	}
	if warm.Cold || warm.InitDuration != 0 {
		t.Errorf("second invoke: cold = %v, init = %v; want warm reuse", warm.Cold, warm.InitDuration)
	}
	if r := reportRE.FindStringSubmatch(warm.Log); r == nil || r[4] != "" {
		t.Errorf("warm REPORT line must have no Init Duration:\n%s", warm.Log)
	}
	if warm.RequestID == cold.RequestID {
		t.Error("request ids repeat")
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func TestGoFunctionEnvironment(t *testing.T) {
	m := newManager(t, goFunction(t))
	res := invoke(t, m, "GoFn", `{"env":true}`)
	var got map[string]string
	if err := json.Unmarshal(res.Payload, &got); err != nil {
		t.Fatalf("payload %s: %v", res.Payload, err)
	}
	want := map[string]string{
		"requestId":                       res.RequestID,
		"functionArn":                     "arn:aws:lambda:eu-west-1:123456789012:function:go-fn",
		"AWS_LAMBDA_FUNCTION_NAME":        "go-fn",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/go-fn",
		"AWS_REGION":                      "eu-west-1",
		"AWS_DEFAULT_REGION":              "eu-west-1",
		"_HANDLER":                        "bootstrap",
		"TZ":                              ":UTC",
		"GREETING":                        "hi",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if !regexp.MustCompile(`^\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}$`).MatchString(got["AWS_LAMBDA_LOG_STREAM_NAME"]) {
		t.Errorf("log stream name %q", got["AWS_LAMBDA_LOG_STREAM_NAME"])
	}
	if !strings.HasPrefix(got["AWS_LAMBDA_RUNTIME_API"], "127.0.0.1:") {
		t.Errorf("AWS_LAMBDA_RUNTIME_API = %q", got["AWS_LAMBDA_RUNTIME_API"])
	}
	if !strings.HasPrefix(got["_X_AMZN_TRACE_ID"], "Root=1-") {
		t.Errorf("_X_AMZN_TRACE_ID = %q", got["_X_AMZN_TRACE_ID"])
	}
	if got["LAMBDA_TASK_ROOT"] == "" {
		t.Error("LAMBDA_TASK_ROOT unset")
	}
	// The deadline is the configured timeout (2 s) from delivery.
	if ms, _ := strconv.Atoi(got["remainingMs"]); ms < 1500 || ms > 2000 {
		t.Errorf("remaining time %d ms, want just under 2000", ms)
	}
}

func TestFailures(t *testing.T) {
	m := newManager(t, goFunction(t))
	tests := []struct {
		name      string
		payload   string
		wantType  string
		wantMsg   string
		wantInLog string
	}{
		{"function error", `{"fail":"boom"}`, "errorString", "boom", ""},
		{"timeout", `{"sleepMs":5000}`, "Sandbox.Timedout", "Error: Task timed out after 2.00 seconds", "Task timed out after 2.00 seconds"},
		{"exit mid-invocation", `{"exit":3,"print":"about to exit"}`, "Runtime.ExitError", "Error: Runtime exited with error: exit status 3", "about to exit"},
		{"response too large", `{"big":6300000}`, "Function.ResponseSizeTooLarge", "Response payload size exceeded maximum allowed payload size (6291556 bytes).", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := invoke(t, m, "GoFn", tt.payload)
			if res.FunctionError != "Unhandled" {
				t.Fatalf("FunctionError = %q, payload %s", res.FunctionError, res.Payload)
			}
			var fe struct{ ErrorType, ErrorMessage string }
			if err := json.Unmarshal(res.Payload, &fe); err != nil {
				t.Fatalf("error payload %s: %v", res.Payload, err)
			}
			if fe.ErrorType != tt.wantType || !strings.HasSuffix(fe.ErrorMessage, tt.wantMsg) {
				t.Errorf("error = %s, want type %s message ending %q", res.Payload, tt.wantType, tt.wantMsg)
			}
			if strings.HasPrefix(tt.wantType, "Sandbox") || strings.HasPrefix(tt.wantType, "Runtime") {
				if !strings.HasPrefix(fe.ErrorMessage, "RequestId: "+res.RequestID+" Error: ") {
					t.Errorf("message %q must start with the request id", fe.ErrorMessage)
				}
			}
			if tt.wantInLog != "" && !strings.Contains(res.Log, tt.wantInLog) {
				t.Errorf("log lacks %q:\n%s", tt.wantInLog, res.Log)
			}
			if !strings.Contains(res.Log, "END RequestId: "+res.RequestID) {
				t.Errorf("log lacks END:\n%s", res.Log)
			}
			// Whatever happened, the function serves the next request.
			next := invoke(t, m, "GoFn", `{"echo":"after"}`)
			if string(next.Payload) != `{"echo":"after"}` {
				t.Errorf("next invoke: %s", next.Payload)
			}
			broken := tt.wantType == "Sandbox.Timedout" || tt.wantType == "Runtime.ExitError"
			if broken && !next.Cold {
				t.Error("after the environment died, the next invoke must start a fresh one")
			}
		})
	}
}

func TestRequestTooLarge(t *testing.T) {
	m := newManager(t, goFunction(t))
	_, err := m.Invoke(context.Background(), "GoFn", Request{Payload: []byte(`"` + strings.Repeat("x", MaxRequestBytes) + `"`)})
	if !errors.Is(err, ErrRequestTooLarge) {
		t.Fatalf("err = %v, want ErrRequestTooLarge", err)
	}
	if _, err := m.Invoke(context.Background(), "Nope", Request{Payload: []byte(`{}`)}); !errors.Is(err, ErrFunctionNotFound) {
		t.Fatalf("unknown function: err = %v", err)
	}
}

// TestUnreservedFunctionsQueue: past MaxEnvironments an unreserved function
// is never throttled; the invocation waits for the next free environment
// (here a warm one) and says how long it waited, or ends with a
// QueueTimeout carrying its context's error.
func TestUnreservedFunctionsQueue(t *testing.T) {
	m := newManagerWith(t, Options{MaxEnvironments: 2}, goFunction(t))
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = m.Invoke(context.Background(), "GoFn", Request{Payload: []byte(`{"sleepMs":700}`)})
		}()
	}
	waitBusy(t, m, "GoFn", 2)

	// A caller that has already given up is told it waited in vain.
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := m.Invoke(gone, "GoFn", Request{Payload: []byte(`{}`)})
	var qt *QueueTimeout
	if !errors.As(err, &qt) || !errors.Is(err, context.Canceled) || qt.Max != 2 || errors.Is(err, ErrThrottled) {
		t.Fatalf("invoke with a done context over a full pool: err = %v, want a QueueTimeout wrapping context.Canceled", err)
	}

	res, err := m.Invoke(context.Background(), "GoFn", Request{Payload: []byte(`{"echo":"queued"}`)})
	wg.Wait()
	if err != nil || errs[0] != nil || errs[1] != nil {
		t.Fatalf("errors %v / %v / %v: an unreserved function must never be throttled", err, errs[0], errs[1])
	}
	if res.Queued <= 0 || res.Cold || string(res.Payload) != `{"echo":"queued"}` {
		t.Errorf("third invoke: queued %v, cold %v, payload %s; want it to wait, then reuse a warm environment", res.Queued, res.Cold, res.Payload)
	}
}

// reserved is a ReservedConcurrentExecutions value.
func reserved(n int) *int { return &n }

// TestReservedConcurrencyThrottles: past its reserved concurrency a
// function is throttled with Lambda's TooManyRequestsException, as in AWS.
func TestReservedConcurrencyThrottles(t *testing.T) {
	fn := goFunction(t)
	fn.ReservedConcurrency = reserved(2)
	m := newManager(t, fn)

	var wg sync.WaitGroup
	results := make([]*Result, 3)
	errs := make([]error, 3)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = m.Invoke(context.Background(), "GoFn", Request{Payload: []byte(`{"sleepMs":700}`)})
		}()
	}
	waitBusy(t, m, "GoFn", 2)
	_, errs[2] = m.Invoke(context.Background(), "GoFn", Request{Payload: []byte(`{}`)})
	wg.Wait()
	if n := m.Busy("GoFn"); n != 0 {
		t.Errorf("Busy = %d after every invoke returned, want 0", n)
	}
	if n := m.Busy("Nope"); n != 0 {
		t.Errorf("Busy of an unknown function = %d", n)
	}
	for i := range 2 {
		if errs[i] != nil || !results[i].Cold {
			t.Errorf("parallel invoke %d: err %v, cold %v; want its own new environment", i, errs[i], results[i] != nil && results[i].Cold)
		}
	}
	var se *ServiceError
	if !errors.Is(errs[2], ErrThrottled) || !errors.As(errs[2], &se) || se.Type != "TooManyRequestsException" {
		t.Fatalf("third invoke over a limit of 2: err = %v, want TooManyRequestsException", errs[2])
	}
	// Both environments are warm now.
	for range 2 {
		if r := invoke(t, m, "GoFn", `{}`); r.Cold {
			t.Error("invoke after the burst started a new environment")
		}
	}
}

func TestIdleEnvironmentsAreReaped(t *testing.T) {
	m := newManager(t, goFunction(t))
	invoke(t, m, "GoFn", `{}`)
	p := m.pools["GoFn"]
	if n := p.reap(time.Now().Add(-time.Hour)); n != 0 {
		t.Fatalf("reaped %d recently used environments", n)
	}
	if n := p.reap(time.Now().Add(time.Second)); n != 1 {
		t.Fatalf("reaped %d, want 1", n)
	}
	if r := invoke(t, m, "GoFn", `{}`); !r.Cold {
		t.Error("invoke after reaping must be cold")
	}
}

func TestNodeAndPython(t *testing.T) {
	tests := []struct {
		tool, runtime, dir, handler string
		wantPayload                 string
		wantErrType                 string
		wantLog                     string
	}{
		{"node", "nodejs20.x", "nodefn", "index.handler", `"echo":"n"`, "TypeError", "node got"},
		{"node", "nodejs22.x", "nodefn", "esm.handler", `{"esm":true,"echo":"n"}`, "", ""},
		{"python3", "python3.12", "pyfn", "app.handler", `"echo": "n"`, "ValueError", "python got"},
	}
	for _, tt := range tests {
		t.Run(tt.runtime+"/"+tt.handler, func(t *testing.T) {
			testenv.Need(t, tt.tool)
			fn := &config.Function{Name: "Fn", Runtime: tt.runtime, Handler: tt.handler, CodeDir: testdata(t, tt.dir),
				Timeout: 5 * time.Second, MemoryMB: 128}
			m := newManager(t, fn)
			res := invoke(t, m, "Fn", `{"echo":"n"}`)
			if res.FunctionError != "" || !strings.Contains(string(res.Payload), tt.wantPayload) {
				t.Fatalf("payload %s (error %q), want it to contain %s\nlog:\n%s", res.Payload, res.FunctionError, tt.wantPayload, res.Log)
			}
			if !strings.Contains(res.Log, tt.wantLog) || !strings.Contains(res.Log, "REPORT RequestId: "+res.RequestID) {
				t.Errorf("log:\n%s", res.Log)
			}
			if tt.wantErrType == "" {
				return
			}
			res = invoke(t, m, "Fn", `{"fail":"bad input"}`)
			var fe struct{ ErrorType, ErrorMessage string }
			json.Unmarshal(res.Payload, &fe)
			if res.FunctionError != "Unhandled" || fe.ErrorType != tt.wantErrType || fe.ErrorMessage != "bad input" {
				t.Errorf("error invoke: %q %s", res.FunctionError, res.Payload)
			}
			if r := invoke(t, m, "Fn", `{"echo":"again"}`); r.Cold {
				t.Error("a handled error must not cost the environment")
			}
		})
	}
}

func TestInitFailure(t *testing.T) {
	testenv.Need(t, "node")
	fn := &config.Function{Name: "Fn", Runtime: "nodejs20.x", Handler: "index.missing", CodeDir: testdata(t, "nodefn"),
		Timeout: 5 * time.Second}
	m := newManager(t, fn)
	res := invoke(t, m, "Fn", `{}`)
	var fe struct{ ErrorType string }
	json.Unmarshal(res.Payload, &fe)
	if res.FunctionError != "Unhandled" || fe.ErrorType != "Runtime.HandlerNotFound" {
		t.Fatalf("got %q %s, want Runtime.HandlerNotFound", res.FunctionError, res.Payload)
	}
	// The failed environment is gone, so the limit of 1 is free again.
	if res := invoke(t, m, "Fn", `{}`); res.FunctionError != "Unhandled" {
		t.Fatalf("second invoke: %s", res.Payload)
	}
}

// TestZeroConcurrency: ReservedConcurrentExecutions: 0 throttles every
// invoke, which is how AWS lets a function be switched off.
func TestZeroConcurrency(t *testing.T) {
	fn := goFunction(t)
	fn.ReservedConcurrency = reserved(0)
	m := newManager(t, fn)
	_, err := m.Invoke(context.Background(), "GoFn", Request{Payload: []byte(`{}`)})
	var se *ServiceError
	if !errors.As(err, &se) || se.Type != "TooManyRequestsException" {
		t.Fatalf("err = %v, want TooManyRequestsException", err)
	}
}

func TestPrepareErrorsNameTheFunction(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	broken := t.TempDir()
	os.WriteFile(filepath.Join(broken, "go.mod"), []byte("module broken\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(broken, "main.go"), []byte("package main\n\nfunc main() { undefinedCall() }\n"), 0o644)
	tests := []struct {
		fn   *config.Function
		want string
	}{
		{&config.Function{Name: "Broken", Runtime: "provided.al2023", Handler: "bootstrap", CodeDir: broken, Build: &config.Build{Method: "go1.x"}},
			"function Broken: go build in " + broken + " failed:\n# broken\n./main.go:3:15: undefined: undefinedCall"},
		{&config.Function{Name: "NoBinary", Runtime: "provided.al2", Handler: "bootstrap", CodeDir: t.TempDir()},
			"function NoBinary: "},
		{&config.Function{Name: "Java", Runtime: "java21", Handler: "x", CodeDir: t.TempDir()},
			"function Java: runtime java21 is not supported"},
		{&config.Function{Name: "Gone", Runtime: "nodejs20.x", Handler: "x.y", CodeDir: "/does/not/exist"},
			"function Gone: CodeUri /does/not/exist is not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.fn.Name, func(t *testing.T) {
			m := New(logger, &config.Project{Functions: []*config.Function{tt.fn}}, Options{CacheDir: t.TempDir()})
			defer m.Close()
			err := m.Prepare(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			// Invoking it reports the same problem instead of hanging.
			if _, ierr := m.Invoke(context.Background(), tt.fn.Name, Request{Payload: []byte(`{}`)}); ierr == nil || !strings.Contains(ierr.Error(), tt.fn.Name) {
				t.Errorf("invoke err = %v", ierr)
			}
		})
	}
}
