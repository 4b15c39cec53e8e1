package lambda

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gatescope/gatescope/server/config"
)

// env is one execution environment: a function process and the Runtime API
// endpoint that only it talks to. It runs one invocation at a time.
type env struct {
	id string // its processes carry envMarker=id
	fn *config.Function
	// gen, deployment and version are those of the code it runs (command's).
	gen        uint64
	deployment int64
	version    string
	// fresh: started ahead of any invoke (a deployment's trial); its
	// first invocation reports its init. Only the pool's holder uses it.
	fresh  bool
	logger *slog.Logger
	procs  *procTracker
	cmd    *exec.Cmd
	ln     net.Listener // the Runtime API's (runtimeapi.go)
	logs   *logSink

	next   chan *invocation // handed to the runtime's waiting GET /next
	ready  chan struct{}    // closed on the first GET /next: init is done
	exited chan struct{}    // closed once the process has exited
	stop   chan struct{}    // closed by kill: unblocks a waiting GET /next
	swept  chan struct{}    // closed once kill has ended every process of the environment

	started   time.Time
	initDur   time.Duration // set before ready is closed
	readyOnce sync.Once
	stopOnce  sync.Once
	exitErr   error // set before exited is closed

	polled atomic.Int64 // unix ns of the runtime's last GET /next: the end of Overhead

	mu        sync.Mutex
	conns     map[net.Conn]struct{} // the Runtime API's open connections
	waiting   chan struct{}         // closed to end the GET /next waiting now
	cur       *invocation
	initErr   []byte // body of POST /runtime/init/error
	lastUsed  time.Time
	memReadAt time.Time
	memPeakMB int
}

// invocation is one event handed to an environment.
type invocation struct {
	id                 string
	payload            []byte
	deadline           time.Time
	arn                string
	traceID            string
	clientCtx, cognito string
	started            time.Time  // when GET /next handed it out
	done               chan reply // buffered: the Runtime API never blocks on it
}

// reply is how the runtime finished an invocation.
type reply struct {
	payload  []byte
	isError  bool
	finished time.Time
	cause    json.RawMessage // Lambda-Runtime-Function-Xray-Error-Cause, when sent
}

// startEnv starts a process for fn with its own Runtime API listener.
// spec says how to run the function; env is its full environment; procs
// starts and ends its processes.
func startEnv(logger *slog.Logger, procs *procTracker, fn *config.Function, spec command, environ []string) (*env, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for runtime API of %s: %w", fn.Name, err)
	}
	e := &env{
		id:         procs.ids.next(),
		fn:         fn,
		gen:        spec.gen,
		deployment: spec.deployment,
		version:    spec.version,
		logger:     logger,
		procs:      procs,
		next:       make(chan *invocation),
		ready:      make(chan struct{}),
		exited:     make(chan struct{}),
		stop:       make(chan struct{}),
		swept:      make(chan struct{}),
	}
	e.ln = ln

	pr, pw, err := os.Pipe()
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("log pipe for %s: %w", fn.Name, err)
	}
	cmd := exec.Command(spec.path, spec.args...)
	cmd.Dir = spec.dir
	cmd.Env = append(environ, "AWS_LAMBDA_RUNTIME_API="+ln.Addr().String(), envMarker+"="+e.id)
	cmd.Stdout, cmd.Stderr = pw, pw
	e.cmd = cmd
	e.logs = newLogSink(pr)
	e.started = time.Now()
	go e.serveRuntimeAPI(ln) // after every field the handlers read is set
	if err := procs.start(cmd, e.id); err != nil {
		pw.Close()
		pr.Close()
		e.closeConns()
		return nil, fmt.Errorf("start %s for function %s: %w", spec.path, fn.Name, err)
	}
	pw.Close() // the child holds its copy; EOF comes when every writer is gone
	go e.logs.run()
	go func() {
		// Once the process exits, kill ends what it left behind and the
		// Runtime API listener; exited means all of it is gone.
		e.exitErr = procs.await(cmd, e.kill, e.swept)
		close(e.exited)
	}()
	return e, nil
}

// kill ends the environment: its processes, those that left its process
// group included (in the background; swept is closed when done), and its
// Runtime API endpoint. Safe to call twice.
func (e *env) kill() {
	e.stopOnce.Do(func() {
		close(e.stop)
		if e.cmd.Process != nil {
			go func() {
				e.procs.kill(e.id, e.cmd.Process.Pid)
				close(e.swept)
			}()
		}
		e.closeConns()
	})
}

// waitReady waits for init to finish: the first GET /next. It returns the
// init error payload when the runtime reported one or the process exited.
func (e *env) waitReady(ctx context.Context, limit time.Duration) ([]byte, error) {
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-e.ready:
		return nil, nil
	case <-e.exited:
		e.logs.waitClosed(100 * time.Millisecond)
		e.mu.Lock()
		initErr := e.initErr
		e.mu.Unlock()
		if initErr != nil {
			return initErr, nil
		}
		return errorPayload("Runtime.ExitError", "Runtime exited with error: "+exitText(e.exitErr)), nil
	case <-t.C:
		e.kill()
		return errorPayload("Sandbox.Timedout", fmt.Sprintf("Init phase timed out after %.2f seconds", limit.Seconds())), nil
	case <-ctx.Done():
		e.kill()
		return nil, ctx.Err()
	}
}

// take returns the running invocation if its id is id, and ends it: a
// second response for the same id is an invalid request id, as in Lambda.
func (e *env) take(id string) *invocation {
	e.mu.Lock()
	defer e.mu.Unlock()
	inv := e.cur
	if inv == nil || inv.id != id {
		return nil
	}
	e.cur = nil
	return inv
}

// errorCause is a runtime's Lambda-Runtime-Function-Xray-Error-Cause (an
// X-Ray cause: working_directory, exceptions, paths), which becomes the
// function segment's cause; nil unless it is a JSON object under 1 MiB.
func errorCause(h string) json.RawMessage {
	b := bytes.TrimSpace([]byte(h))
	if len(b) == 0 || len(b) >= 1<<20 || b[0] != '{' || !json.Valid(b) {
		return nil
	}
	return b
}

// normalizeErrorBody keeps a runtime's error JSON as posted; a body that is
// not a JSON object becomes one, typed by the error-type header.
func normalizeErrorBody(body []byte, errType string) []byte {
	b := bytes.TrimSpace(body)
	if len(b) > 0 && b[0] == '{' && json.Valid(b) {
		return body
	}
	if errType == "" {
		errType = "Runtime.Unknown"
	}
	return errorPayload(errType, string(b))
}

// maxMemoryMB is the process's peak resident set (VmHWM), rounded up to MB;
// 0 where /proc is not available. Reading /proc/<pid>/status costs about as
// much as the rest of a warm invoke, and the peak only grows, so it is read
// at most every memoryRefresh; a burst of invokes may report a peak up to
// that old.
func (e *env) maxMemoryMB() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if now := time.Now(); now.Sub(e.memReadAt) >= memoryRefresh {
		e.memReadAt = now
		if mb := readPeakMB(e.cmd.Process.Pid); mb > e.memPeakMB {
			e.memPeakMB = mb
		}
	}
	return e.memPeakMB
}

const memoryRefresh = 100 * time.Millisecond

func readPeakMB(pid int) int {
	// Three system calls: os.ReadFile would add a stat, an epoll
	// registration the kernel refuses for /proc, and fcntls undoing it.
	fd, err := syscall.Open("/proc/"+strconv.Itoa(pid)+"/status", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return 0
	}
	var buf [4096]byte // VmHWM is within the first kilobyte
	n, err := syscall.Read(fd, buf[:])
	syscall.Close(fd)
	if err != nil || n <= 0 {
		return 0
	}
	b := buf[:n]
	i := bytes.Index(b, []byte("VmHWM:"))
	if i < 0 {
		return 0
	}
	line := b[i+len("VmHWM:"):]
	if j := bytes.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	kb, err := strconv.Atoi(string(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(line), []byte("kB")))))
	if err != nil {
		return 0
	}
	return (kb + 1023) / 1024
}
