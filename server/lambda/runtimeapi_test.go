package lambda

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/testenv"
)

// runtimeEnv is an environment's Runtime API without a process: the test
// plays the runtime over raw connections and hands events in as the pool
// would.
func runtimeEnv(t *testing.T) *env {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{
		fn: &config.Function{Name: "F"}, ln: ln, started: time.Now(),
		next: make(chan *invocation), ready: make(chan struct{}), exited: make(chan struct{}),
		stop: make(chan struct{}), swept: make(chan struct{}),
	}
	go e.serveRuntimeAPI(ln)
	t.Cleanup(func() {
		e.stopOnce.Do(func() { close(e.stop); e.closeConns() })
	})
	return e
}

// runtimeConn is one connection of the runtime to the Runtime API.
type runtimeConn struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dialRuntime(t *testing.T, e *env) *runtimeConn {
	t.Helper()
	c, err := net.Dial("tcp", e.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return &runtimeConn{t: t, c: c, br: bufio.NewReader(c)}
}

// do sends a raw request and reads the answer with net/http's client
// parser, which checks that it is well-formed HTTP/1.1.
func (rc *runtimeConn) do(raw string) (*http.Response, string) {
	rc.t.Helper()
	if _, err := io.WriteString(rc.c, raw); err != nil {
		rc.t.Fatal(err)
	}
	return rc.read()
}

func (rc *runtimeConn) read() (*http.Response, string) {
	rc.t.Helper()
	resp, err := http.ReadResponse(rc.br, nil)
	if err != nil {
		rc.t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		rc.t.Fatal(err)
	}
	return resp, string(b)
}

func testInvocation(id, payload string) *invocation {
	return &invocation{id: id, payload: []byte(payload), deadline: time.UnixMilli(1700000000123),
		arn: "arn:aws:lambda:us-east-1:123456789012:function:F", traceID: "Root=1-2-3", done: make(chan reply, 1)}
}

const nextRequest = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n"

// A runtime on one keep-alive connection gets events with their length
// known (no chunking, also past net/http's 2 KB buffer) and Lambda's
// headers, and posts responses that reach the waiting invoke.
func TestRuntimeAPIKeepAlive(t *testing.T) {
	e := runtimeEnv(t)
	rc := dialRuntime(t, e)
	for i, payload := range []string{`{"small":true}`, `{"big":"` + strings.Repeat("x", 5000) + `"}`} {
		inv := testInvocation(fmt.Sprintf("id-%d", i), payload)
		go func() { e.next <- inv }()
		resp, body := rc.do(nextRequest)
		if resp.StatusCode != 200 || body != payload {
			t.Fatalf("GET /next: %d %.40q", resp.StatusCode, body)
		}
		if resp.ContentLength != int64(len(payload)) || len(resp.TransferEncoding) > 0 {
			t.Errorf("GET /next: Content-Length %d, Transfer-Encoding %v; want %d, none", resp.ContentLength, resp.TransferEncoding, len(payload))
		}
		for k, want := range map[string]string{
			"Lambda-Runtime-Aws-Request-Id":       inv.id,
			"Lambda-Runtime-Deadline-Ms":          "1700000000123",
			"Lambda-Runtime-Invoked-Function-Arn": inv.arn,
			"Lambda-Runtime-Trace-Id":             "Root=1-2-3",
			"Content-Type":                        "application/json",
		} {
			if got := resp.Header.Get(k); got != want {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
		answer := fmt.Sprintf(`{"n":%d}`, i)
		resp, body = rc.do(fmt.Sprintf("POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", inv.id, len(answer), answer))
		if resp.StatusCode != 202 || body != `{"status":"OK"}` || resp.ContentLength != int64(len(body)) {
			t.Fatalf("POST response: %d %q (length %d)", resp.StatusCode, body, resp.ContentLength)
		}
		if rep := <-inv.done; string(rep.payload) != answer || rep.isError {
			t.Errorf("reply %q (error %v), want %q", rep.payload, rep.isError, answer)
		}
	}
	select {
	case <-e.ready:
	default:
		t.Error("the first GET /next did not mark init done")
	}
}

// Bodies arrive whole however the runtime frames them: with a length,
// chunked, or after asking to continue (curl does for bodies over 1 KB).
// Errors without a JSON body are typed by their header.
func TestRuntimeAPIBodies(t *testing.T) {
	big := `{"v":"` + strings.Repeat("y", 3000) + `"}`
	for _, c := range []struct {
		name, route, head, body string
		continues, isError      bool
		want                    string
	}{
		{name: "length", route: "response", head: fmt.Sprintf("Content-Length: %d\r\n", len(big)), body: big, want: big},
		{name: "chunked", route: "response", head: "Transfer-Encoding: chunked\r\n",
			body: "5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n", want: `{"a":1}`},
		{name: "expect 100-continue", route: "response", head: fmt.Sprintf("Expect: 100-continue\r\nContent-Length: %d\r\n", len(big)),
			body: big, continues: true, want: big},
		{name: "error as JSON", route: "error", head: "Content-Length: 40\r\n",
			body: `{"errorMessage":"boom","errorType":"E1"}`, isError: true, want: `{"errorMessage":"boom","errorType":"E1"}`},
		{name: "error as text", route: "error", head: "Lambda-Runtime-Function-Error-Type: Runtime.Crash\r\nContent-Length: 4\r\n",
			body: "oops", isError: true, want: `{"errorMessage":"oops","errorType":"Runtime.Crash"}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := runtimeEnv(t)
			rc := dialRuntime(t, e)
			inv := testInvocation("id", "{}")
			go func() { e.next <- inv }()
			rc.do(nextRequest)
			head := fmt.Sprintf("POST /2018-06-01/runtime/invocation/id/%s HTTP/1.1\r\nHost: x\r\n%s\r\n", c.route, c.head)
			if c.continues {
				io.WriteString(rc.c, head)
				if resp, _ := rc.read(); resp.StatusCode != http.StatusContinue {
					t.Fatalf("got %d before the body, want 100 Continue", resp.StatusCode)
				}
				io.WriteString(rc.c, c.body)
			} else {
				io.WriteString(rc.c, head+c.body)
			}
			if resp, body := rc.read(); resp.StatusCode != 202 {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			rep := <-inv.done
			if rep.isError != c.isError || !sameJSONText(string(rep.payload), c.want) {
				t.Errorf("reply %.60q (error %v), want %.60q (error %v)", rep.payload, rep.isError, c.want, c.isError)
			}
			// The connection still serves the next request.
			if resp, _ := rc.do("GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"); resp.StatusCode != 404 {
				t.Errorf("next request on the connection: %d, want 404", resp.StatusCode)
			}
		})
	}
}

func sameJSONText(a, b string) bool {
	var va, vb any
	if json.Unmarshal([]byte(a), &va) != nil || json.Unmarshal([]byte(b), &vb) != nil {
		return a == b
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return string(ja) == string(jb)
}

// A response for an invocation that is not running is refused as
// Lambda refuses it, and the connection goes on.
func TestRuntimeAPIInvalidRequestID(t *testing.T) {
	e := runtimeEnv(t)
	rc := dialRuntime(t, e)
	for range 2 {
		resp, body := rc.do("POST /2018-06-01/runtime/invocation/nope/response HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
		if resp.StatusCode != 400 || !strings.Contains(body, `"errorType":"InvalidRequestID"`) {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	}
}

// A runtime that asks for the next event again on a new connection gets
// it there; the connection it left is closed, so no event is lost on it.
func TestRuntimeAPISupersededNext(t *testing.T) {
	e := runtimeEnv(t)
	old := dialRuntime(t, e)
	io.WriteString(old.c, nextRequest)
	waitingOn := func() chan struct{} { e.mu.Lock(); defer e.mu.Unlock(); return e.waiting }
	testenv.Eventually(t, 5*time.Second, "the first GET /next waits", func() bool { return waitingOn() != nil })
	first := waitingOn()
	cur := dialRuntime(t, e)
	io.WriteString(cur.c, nextRequest)
	<-first // closed when the second one takes over
	inv := testInvocation("id", `{"x":1}`)
	e.next <- inv
	if resp, body := cur.read(); resp.StatusCode != 200 || body != `{"x":1}` {
		t.Fatalf("new connection: %d %s", resp.StatusCode, body)
	}
	if n, err := old.br.ReadByte(); err == nil {
		t.Errorf("old connection got %q, want it closed", n)
	}
}
