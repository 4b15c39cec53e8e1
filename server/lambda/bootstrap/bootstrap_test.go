package bootstrap

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/testenv"
)

const waitTimeout = 15 * time.Second

// ---- a fake Runtime API ----

type invocation struct {
	id      string
	body    string
	headers map[string]string // extra Lambda-Runtime-* headers
}

type post struct {
	kind   string // "response", "error" or "init/error"
	id     string
	body   []byte
	header http.Header
}

type fakeAPI struct {
	srv    *httptest.Server
	events chan invocation
	posts  chan post
	done   chan struct{}
}

func newFakeAPI(t *testing.T) *fakeAPI {
	t.Helper()
	f := &fakeAPI{events: make(chan invocation, 16), posts: make(chan post, 64), done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		select {
		case ev := <-f.events:
			h := w.Header()
			h.Set("Lambda-Runtime-Aws-Request-Id", ev.id)
			h.Set("Lambda-Runtime-Deadline-Ms", fmt.Sprint(time.Now().Add(30*time.Second).UnixMilli()))
			h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:fn-name")
			h.Set("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
			for k, v := range ev.headers {
				h.Set(k, v)
			}
			w.Write([]byte(ev.body))
		case <-r.Context().Done():
		case <-f.done:
		}
	})
	record := func(kind string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			var body bytes.Buffer
			body.ReadFrom(r.Body)
			f.posts <- post{kind: kind, id: r.PathValue("id"), body: body.Bytes(), header: r.Header.Clone()}
			w.WriteHeader(http.StatusAccepted)
			w.Write([]byte(`{"status":"OK"}`))
		}
	}
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", record("response"))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", record("error"))
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", record("init/error"))
	f.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		close(f.done)
		f.srv.Close()
	})
	return f
}

func (f *fakeAPI) addr() string { return strings.TrimPrefix(f.srv.URL, "http://") }

// invoke hands out one event and waits for the runtime's answer to it.
func (f *fakeAPI) invoke(t *testing.T, ev invocation) post {
	t.Helper()
	f.events <- ev
	p := f.wait(t)
	if p.id != ev.id {
		t.Fatalf("posted %s for request %q, want %q", p.kind, p.id, ev.id)
	}
	return p
}

func (f *fakeAPI) wait(t *testing.T) post {
	t.Helper()
	select {
	case p := <-f.posts:
		return p
	case <-time.After(waitTimeout):
		t.Fatalf("no post from the runtime within %s", waitTimeout)
		return post{}
	}
}

// ---- running a bootstrap ----

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type proc struct {
	cmd    *exec.Cmd
	stdout *syncBuffer
	stderr *syncBuffer
	exited chan struct{}
	err    error // set before exited is closed
}

func start(t *testing.T, api *fakeAPI, runtime, dir, handler string) *proc {
	t.Helper()
	testenv.Need(t, Interpreter(runtime))
	argv, err := Install(t.TempDir(), runtime)
	if err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = root
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"AWS_LAMBDA_RUNTIME_API=" + api.addr(),
		"_HANDLER=" + handler,
		"LAMBDA_TASK_ROOT=" + root,
		"AWS_LAMBDA_FUNCTION_NAME=fn-name",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/fn-name",
		"AWS_LAMBDA_LOG_STREAM_NAME=2024/01/01/[$LATEST]0123456789abcdef",
		"AWS_REGION=us-east-1",
		"TZ=:UTC",
		"PYTHONDONTWRITEBYTECODE=1", // keep testdata free of __pycache__
	}
	p := &proc{cmd: cmd, stdout: &syncBuffer{}, stderr: &syncBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		select {
		case <-p.exited:
		case <-time.After(waitTimeout):
			t.Errorf("process %d did not exit after kill", cmd.Process.Pid)
		}
		if t.Failed() {
			t.Logf("stdout:\n%s\nstderr:\n%s", p.stdout, p.stderr)
		}
	})
	return p
}

// exitCode waits for the process to end on its own.
func (p *proc) exitCode(t *testing.T) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(waitTimeout):
		t.Fatalf("runtime still running after %s", waitTimeout)
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		t.Fatalf("wait: %v", p.err)
	}
	return 0
}

// waitOutput polls stdout until re matches: the writes precede the post, but
// the pipe reader may lag behind.
func (p *proc) waitOutput(t *testing.T, re *regexp.Regexp) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !re.MatchString(p.stdout.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("stdout never matched %s:\n%s", re, p.stdout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ---- JSON helpers ----

func compact(t *testing.T, b []byte) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatalf("not JSON: %v: %s", err, b)
	}
	return buf.String()
}

// keys returns the top-level keys of a JSON object in wire order.
func keys(t *testing.T, b []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", b)
	}
	var out []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

type nodeError struct {
	ErrorType    string   `json:"errorType"`
	ErrorMessage string   `json:"errorMessage"`
	Trace        []string `json:"trace"`
}

func checkNodeError(t *testing.T, p post, kind, errorType, message string) nodeError {
	t.Helper()
	if p.kind != kind {
		t.Fatalf("posted %s %s, want %s", p.kind, p.body, kind)
	}
	if got, want := strings.Join(keys(t, p.body), ","), "errorType,errorMessage,trace"; got != want {
		t.Errorf("keys %s, want %s", got, want)
	}
	var e nodeError
	if err := json.Unmarshal(p.body, &e); err != nil {
		t.Fatal(err)
	}
	if e.ErrorType != errorType {
		t.Errorf("errorType %q, want %q", e.ErrorType, errorType)
	}
	if !strings.HasPrefix(e.ErrorMessage, message) {
		t.Errorf("errorMessage %q, want prefix %q", e.ErrorMessage, message)
	}
	if got := p.header.Get("Lambda-Runtime-Function-Error-Type"); got != errorType {
		t.Errorf("Lambda-Runtime-Function-Error-Type %q, want %q", got, errorType)
	}
	return e
}

// ---- tests ----

func TestScript(t *testing.T) {
	for _, tc := range []struct{ runtime, name, interp string }{
		{"nodejs20.x", "bootstrap.mjs", "node"},
		{"node", "bootstrap.mjs", "node"},
		{"python3.12", "bootstrap.py", "python3"},
		{"python", "bootstrap.py", "python3"},
		{"provided.al2023", "", ""},
		{"go1.x", "", ""},
	} {
		name, data, ok := Script(tc.runtime)
		if name != tc.name || ok != (tc.name != "") || (ok && len(data) == 0) || Interpreter(tc.runtime) != tc.interp {
			t.Errorf("Script(%q) = %q, %d bytes, %v; Interpreter %q", tc.runtime, name, len(data), ok, Interpreter(tc.runtime))
		}
	}
	dir := t.TempDir()
	// Another gatescope's script where an older layout kept it: never run.
	os.WriteFile(filepath.Join(dir, "bootstrap.mjs"), []byte("another version"), 0o644)
	sum := sha256.Sum256(Node)
	for range 2 { // the second call finds the file up to date
		argv, err := Install(dir, "nodejs22.x")
		if err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile(argv[1]); err != nil || !bytes.Equal(got, Node) || argv[0] != "node" {
			t.Fatalf("Install wrote %v (%v)", argv, err)
		}
		// Named for its content, so versions sharing a cache stay apart.
		if want := filepath.Join(dir, hex.EncodeToString(sum[:versionBytes]), "bootstrap.mjs"); argv[1] != want {
			t.Errorf("installed at %s, want %s", argv[1], want)
		}
	}
	if _, err := Install(dir, "java21"); err == nil {
		t.Error("Install accepted java21")
	}
}

const (
	clientContext = `{"client":{"installation_id":"i-1","app_title":"demo"},"custom":{"k":"v"},"env":{"platform":"test"}}`
	identity      = `{"cognitoIdentityId":"us-east-1:abc","cognitoIdentityPoolId":"us-east-1:pool"}`
	traceID       = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
)

func TestNodeInvoke(t *testing.T) {
	type check func(t *testing.T, p post, id string)
	exact := func(want string) check {
		return func(t *testing.T, p post, id string) {
			t.Helper()
			if p.kind != "response" {
				t.Fatalf("posted %s %s, want a response", p.kind, p.body)
			}
			if got, want := compact(t, p.body), strings.ReplaceAll(want, "REQID", id); got != want {
				t.Errorf("response\n got %s\nwant %s", got, want)
			}
		}
	}
	fails := func(errorType, message, trace0 string) check {
		return func(t *testing.T, p post, id string) {
			t.Helper()
			e := checkNodeError(t, p, "error", errorType, message)
			if e.ErrorMessage != message {
				t.Errorf("errorMessage %q, want %q", e.ErrorMessage, message)
			}
			if trace0 == "" {
				if len(e.Trace) != 0 {
					t.Errorf("trace %q, want []", e.Trace)
				}
			} else if len(e.Trace) < 2 || e.Trace[0] != trace0 || !strings.Contains(strings.Join(e.Trace, "\n"), "    at ") {
				t.Errorf("trace %q, want %q then stack frames", e.Trace, trace0)
			}
		}
	}
	for _, tc := range []struct {
		name, dir, handler string
		headers            map[string]string
		check              check
	}{
		{"cjs async context", "cjs", "index.echo",
			map[string]string{"Lambda-Runtime-Client-Context": clientContext, "Lambda-Runtime-Cognito-Identity": identity},
			exact(`{"event":{"n":7},"functionName":"fn-name","functionVersion":"$LATEST","memoryLimitInMB":"128",` +
				`"logGroupName":"/aws/lambda/fn-name","logStreamName":"2024/01/01/[$LATEST]0123456789abcdef","awsRequestId":"REQID",` +
				`"invokedFunctionArn":"arn:aws:lambda:us-east-1:123456789012:function:fn-name","remainingPositive":true,` +
				`"clientContext":` + clientContext + `,"identity":` + identity + `,"waits":true,"traceId":"` + traceID + `"}`)},
		{"cjs no client context", "cjs", "index.echo", nil,
			func(t *testing.T, p post, id string) {
				var got struct{ ClientContext, Identity any }
				json.Unmarshal(p.body, &got)
				if p.kind != "response" || got.ClientContext != nil || got.Identity != nil {
					t.Errorf("got %s %s", p.kind, p.body)
				}
			}},
		{"cjs callback", "cjs", "index.callback", nil, exact(`{"via":"callback","n":7}`)},
		{"callback without waiting for the event loop", "cjs", "index.noWait", nil, exact(`"early"`)},
		{"nested module path", "cjs", "src/app.handler", nil, exact(`"from src/app.js"`)},
		{"esm .mjs", "mjs", "index.handler", nil, exact(`{"kind":"mjs","event":{"n":7}}`)},
		{"esm .js with type module", "esmjs", "index.handler", nil, exact(`{"kind":"esm-js","meta":"string"}`)},
		{"undefined is null", "cjs", "index.undef", nil, exact(`null`)},
		{"sync handler without callback is null", "cjs", "index.syncNoCallback", nil, exact(`null`)},
		{"thrown error", "cjs", "index.throws", nil, fails("Error", "boom", "Error: boom")},
		{"type error", "cjs", "index.typeError", nil,
			fails("TypeError", "Cannot read properties of null (reading 'x')", "TypeError: Cannot read properties of null (reading 'x')")},
		{"callback error", "cjs", "index.callbackError", nil, fails("RangeError", "out of range", "RangeError: out of range")},
		{"thrown string", "cjs", "index.throwString", nil, func(t *testing.T, p post, id string) {
			checkNodeError(t, p, "error", "string", "plain string")
			if got := compact(t, p.body); got != `{"errorType":"string","errorMessage":"plain string","trace":[]}` {
				t.Errorf("got %s", got)
			}
		}},
		{"unserializable result", "cjs", "index.circular", nil,
			fails("Error", "Unable to stringify response body", "Error: Unable to stringify response body")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t)
			start(t, api, "nodejs20.x", "testdata/node/"+tc.dir, tc.handler)
			// Twice: the loop must carry on after every kind of outcome.
			for _, id := range []string{"req-1", "req-2"} {
				p := api.invoke(t, invocation{id: id, body: `{"n":7}`, headers: tc.headers})
				tc.check(t, p, id)
			}
		})
	}
}

// TestRuntimeAPIConnection pins the bootstraps' own HTTP clients: an
// event too large for net/http to announce with Content-Length arrives
// chunked and is read whole, a large result goes out whole, and after an
// answer that closes the connection the next request dials a new one.
func TestRuntimeAPIConnection(t *testing.T) {
	big := strings.Repeat("é", 150<<10) // 300 KB of UTF-8
	for _, rt := range []struct{ runtime, dir, handler string }{
		{"nodejs20.x", "testdata/node/cjs", "index.echo"},
		{"python3.12", "testdata/python", "app.lambda_handler"},
	} {
		t.Run(rt.runtime, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t)
			start(t, api, rt.runtime, rt.dir, rt.handler)
			for _, c := range []struct {
				ev   invocation
				want string
			}{
				{invocation{id: "big", body: `{"n":"` + big + `"}`}, big},
				{invocation{id: "closing", body: `{"n":"a"}`, headers: map[string]string{"Connection": "close"}}, "a"},
				{invocation{id: "after", body: `{"n":"b"}`}, "b"},
			} {
				p := api.invoke(t, c.ev)
				var got struct{ Event struct{ N string } }
				if err := json.Unmarshal(p.body, &got); err != nil || p.kind != "response" {
					t.Fatalf("%s: posted %s of %d bytes: %v", c.ev.id, p.kind, len(p.body), err)
				}
				if got.Event.N != c.want {
					t.Errorf("%s: echoed %d bytes, want %d", c.ev.id, len(got.Event.N), len(c.want))
				}
			}
		})
	}
}

func TestNodeInitError(t *testing.T) {
	for _, tc := range []struct{ name, dir, handler, errorType, message string }{
		{"missing module", "cjs", "nope.handler", "Runtime.ImportModuleError", "Error: Cannot find module 'nope'"},
		{"missing export", "cjs", "index.missing", "Runtime.HandlerNotFound", "index.missing is undefined or not exported"},
		{"export not a function", "cjs", "index.notAFunction", "Runtime.HandlerNotFound", "index.notAFunction is undefined or not exported"},
		{"syntax error", "syntax", "index.handler", "Runtime.UserCodeSyntaxError", "SyntaxError: "},
		{"malformed handler", "cjs", "index", "Runtime.MalformedHandlerName", "Bad handler"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t)
			p := start(t, api, "nodejs20.x", "testdata/node/"+tc.dir, tc.handler)
			checkNodeError(t, api.wait(t), "init/error", tc.errorType, tc.message)
			if code := p.exitCode(t); code == 0 {
				t.Errorf("exit code 0 after an init error")
			}
			p.waitOutput(t, regexp.MustCompile(`\tundefined\tERROR\tUncaught Exception \t\{"errorType":"`+regexp.QuoteMeta(tc.errorType)))
		})
	}
}

func TestNodeConsoleFormat(t *testing.T) {
	api := newFakeAPI(t)
	p := start(t, api, "nodejs20.x", "testdata/node/cjs", "index.log")
	if got := api.invoke(t, invocation{id: "req-log", body: `{}`}); string(got.body) != `"logged"` {
		t.Fatalf("got %s %s", got.kind, got.body)
	}
	ts := `\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`
	for _, line := range []string{
		`\treq-log\tINFO\thello world`,
		`\treq-log\tWARN\tcareful`,
		`\treq-log\tERROR\ttwo\rlines`, // one record per call
	} {
		p.waitOutput(t, regexp.MustCompile(`(?m)^`+ts+line+`$`))
	}
}

func TestNodeUncaughtException(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "index.js"), []byte(`
exports.handler = async () => { setTimeout(() => { throw new Error('async boom'); }, 1); return new Promise(() => {}); };
`), 0o644)
	api := newFakeAPI(t)
	p := start(t, api, "nodejs20.x", dir, "index.handler")
	checkNodeError(t, api.invoke(t, invocation{id: "req-u", body: `{}`}), "error", "Error", "async boom")
	if code := p.exitCode(t); code != 129 {
		t.Errorf("exit code %d, want 129", code)
	}
}

type pyError struct {
	ErrorMessage string   `json:"errorMessage"`
	ErrorType    string   `json:"errorType"`
	RequestID    string   `json:"requestId"`
	StackTrace   []string `json:"stackTrace"`
}

func TestPythonInvoke(t *testing.T) {
	app, err := filepath.Abs("testdata/python/app.py")
	if err != nil {
		t.Fatal(err)
	}
	quoted := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	for _, tc := range []struct {
		name, handler string
		headers       map[string]string
		kind, want    string // want: exact compact JSON, REQID = request id
	}{
		{"ok", "app.lambda_handler", nil, "response", `{"event":{"n":2},"ok":true}`},
		{"none is null", "app.none", nil, "response", `null`},
		{"package module", "pkg.mod.fn", nil, "response", `{"module":"pkg.mod","n":4}`},
		{"context", "app.ctx",
			map[string]string{"Lambda-Runtime-Client-Context": clientContext, "Lambda-Runtime-Cognito-Identity": identity},
			"response", `{"aws_request_id":"REQID","function_name":"fn-name","function_version":"$LATEST","memory_limit_in_mb":"128",` +
				`"invoked_function_arn":"arn:aws:lambda:us-east-1:123456789012:function:fn-name","log_group_name":"/aws/lambda/fn-name",` +
				`"log_stream_name":"2024/01/01/[$LATEST]0123456789abcdef","remaining_positive":true,"client_custom":{"k":"v"},` +
				`"client_app_title":"demo","cognito_identity_id":"us-east-1:abc","trace_id":"` + traceID + `"}`},
		{"context without client context", "app.ctx", nil, "response",
			`{"aws_request_id":"REQID","function_name":"fn-name","function_version":"$LATEST","memory_limit_in_mb":"128",` +
				`"invoked_function_arn":"arn:aws:lambda:us-east-1:123456789012:function:fn-name","log_group_name":"/aws/lambda/fn-name",` +
				`"log_stream_name":"2024/01/01/[$LATEST]0123456789abcdef","remaining_positive":true,"client_custom":null,` +
				`"client_app_title":null,"cognito_identity_id":null,"trace_id":"` + traceID + `"}`},
		{"exception", "app.fail", nil, "error",
			`{"errorMessage":"bad value","errorType":"ValueError","requestId":"REQID","stackTrace":[` +
				quoted(`  File "`+app+`", line 10, in fail`+"\n"+`    raise ValueError("bad value")`+"\n") + `]}`},
		{"unserializable", "app.unserializable", nil, "error",
			`{"errorMessage":"Unable to marshal response: {1, 2} is not JSON serializable","errorType":"Runtime.MarshalError","requestId":"REQID","stackTrace":[]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t)
			start(t, api, "python3.12", "testdata/python", tc.handler)
			for _, id := range []string{"req-1", "req-2"} {
				p := api.invoke(t, invocation{id: id, body: `{"n":2}`, headers: tc.headers})
				if p.kind != tc.kind {
					t.Fatalf("posted %s %s, want %s", p.kind, p.body, tc.kind)
				}
				if got, want := compact(t, p.body), strings.ReplaceAll(tc.want, "REQID", id); got != want {
					t.Errorf("body\n got %s\nwant %s", got, want)
				}
				if tc.kind == "error" {
					var e pyError
					json.Unmarshal(p.body, &e)
					if got := p.header.Get("Lambda-Runtime-Function-Error-Type"); got != e.ErrorType {
						t.Errorf("Lambda-Runtime-Function-Error-Type %q, want %q", got, e.ErrorType)
					}
				}
			}
		})
	}
}

func TestPythonInitError(t *testing.T) {
	for _, tc := range []struct{ name, dir, handler, errorType, message string }{
		{"import error", "testdata/python", "nope.handler", "Runtime.ImportModuleError", "Unable to import module 'nope': No module named 'nope'"},
		{"handler not found", "testdata/python", "app.missing", "Runtime.HandlerNotFound", "Handler 'missing' missing on module 'app'"},
		{"syntax error", "testdata/python/syntax", "broken.handler", "Runtime.UserCodeSyntaxError", "Syntax error in module 'broken': "},
		{"malformed handler", "testdata/python", "app", "Runtime.MalformedHandlerName", "Bad handler 'app': "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t)
			p := start(t, api, "python3.12", tc.dir, tc.handler)
			got := api.wait(t)
			if got.kind != "init/error" {
				t.Fatalf("posted %s %s, want init/error", got.kind, got.body)
			}
			if k, want := strings.Join(keys(t, got.body), ","), "errorMessage,errorType,requestId,stackTrace"; k != want {
				t.Errorf("keys %s, want %s", k, want)
			}
			var e pyError
			if err := json.Unmarshal(got.body, &e); err != nil {
				t.Fatal(err)
			}
			if e.ErrorType != tc.errorType || !strings.HasPrefix(e.ErrorMessage, tc.message) || e.RequestID != "" || e.StackTrace == nil {
				t.Errorf("got %s, want %s: %s...", got.body, tc.errorType, tc.message)
			}
			if e.ErrorMessage == tc.message && e.ErrorType != "Runtime.UserCodeSyntaxError" {
				if c := compact(t, got.body); c != fmt.Sprintf(`{"errorMessage":%q,"errorType":%q,"requestId":"","stackTrace":[]}`, tc.message, tc.errorType) {
					t.Errorf("got %s", c)
				}
			}
			if h := got.header.Get("Lambda-Runtime-Function-Error-Type"); h != tc.errorType {
				t.Errorf("Lambda-Runtime-Function-Error-Type %q, want %q", h, tc.errorType)
			}
			if code := p.exitCode(t); code == 0 {
				t.Errorf("exit code 0 after an init error")
			}
			p.waitOutput(t, regexp.MustCompile(`\[ERROR\] `+regexp.QuoteMeta(tc.errorType)+`: `))
		})
	}
}

func TestPythonLogging(t *testing.T) {
	api := newFakeAPI(t)
	p := start(t, api, "python3.12", "testdata/python", "app.log")
	if got := api.invoke(t, invocation{id: "req-log", body: `{}`}); string(got.body) != `"logged"` {
		t.Fatalf("got %s %s", got.kind, got.body)
	}
	p.waitOutput(t, regexp.MustCompile(`(?m)^plain print$`))
	p.waitOutput(t, regexp.MustCompile(`(?m)^\[WARNING\]\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\treq-log\twarned here$`))
}

func TestNodeUnhandledRejection(t *testing.T) {
	api := newFakeAPI(t)
	p := start(t, api, "nodejs20.x", "testdata/node/cjs", "index.unhandledRejection")
	e := checkNodeError(t, api.invoke(t, invocation{id: "req-r", body: `{}`}), "error", "Runtime.UnhandledPromiseRejection", "Error: nobody awaits me")
	if len(e.Trace) == 0 || !strings.HasPrefix(e.Trace[0], "Runtime.UnhandledPromiseRejection: Error: nobody awaits me") {
		t.Errorf("trace %q", e.Trace)
	}
	if code := p.exitCode(t); code != 128 {
		t.Errorf("exit code %d, want 128", code)
	}
}

// A handler that keeps work pending and never settles must neither post nor
// exit: the Go side's timeout is what ends it.
func TestNodeNeverSettles(t *testing.T) {
	api := newFakeAPI(t)
	p := start(t, api, "nodejs20.x", "testdata/node/cjs", "index.pendingTimer")
	api.events <- invocation{id: "req-h", body: `{}`}
	select {
	case got := <-api.posts:
		t.Fatalf("posted %s %s", got.kind, got.body)
	case <-p.exited:
		t.Fatalf("runtime exited: %v", p.err)
	case <-time.After(700 * time.Millisecond):
	}
}

// TestOwnFrame: a frame is the runtime client's only where Install puts
// it, under a directory named for its version; a user's own bootstrap.py
// is the user's.
func TestOwnFrame(t *testing.T) {
	for _, c := range []struct {
		line string
		want bool
	}{
		{"    at invoke (file:///home/u/.cache/gatescope/runtimes/3f2a9c0d1e4b/bootstrap.mjs:429:20)", true},
		{`  File "/home/u/.cache/gatescope/runtimes/77aa00bb11cc/bootstrap.py", line 90, in load`, true},
		{`    at invoke (C:\cache\runtimes\3f2a9c0d1e4b/bootstrap.mjs:1:2)`, true},
		{`  File "/app/src/bootstrap.py", line 3, in handler`, false},
		{"    at loadModule (file:///cache/runtimes/bootstrap.mjs:190:10)", false},
		{"    at Object.<anonymous> (/app/index.js:3:7)", false},
	} {
		if got := OwnFrame(c.line); got != c.want {
			t.Errorf("OwnFrame(%q) = %v, want %v", c.line, got, c.want)
		}
	}
}
