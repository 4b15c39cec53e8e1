package lambda

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatescope/gatescope/server/awsid"
	"github.com/gatescope/gatescope/server/config"
)

// Options configure a Manager.
type Options struct {
	// MaxEnvironments bounds the environments of a function without
	// reserved concurrency (default DefaultMaxEnvironments); past it,
	// invocations wait for a free one.
	MaxEnvironments int
	// IdleTimeout ends environments unused for this long (default 10 minutes).
	IdleTimeout time.Duration
	// CacheDir holds built Go bootstraps and the shipped runtime bootstraps
	// (default: the user's cache dir + "/gatescope").
	CacheDir string
	// Remote invokes deployed functions; when nil, one is built from the
	// standard AWS configuration the first time a remote function is called.
	Remote Invoker
	// Self is the address of our own Invoke API, which Remote must refuse.
	Self string
	// Env is added to every local function's environment before the
	// function's own variables: the @connections endpoint and the CA
	// bundle that trusts the API listener's HTTPS (gateway.TLS).
	Env []string
	// XRayDaemon is gatescope's X-Ray daemon (host:port, UDP), which
	// functions get as AWS_XRAY_DAEMON_ADDRESS; none when empty.
	XRayDaemon string
	// OTLPEndpoint is gatescope's OTLP/HTTP receiver's base URL
	// (OTEL_EXPORTER_OTLP_ENDPOINT), and OTLPHeaders what exporters must
	// send with it (OTEL_EXPORTER_OTLP_HEADERS: the dashboard's token).
	OTLPEndpoint, OTLPHeaders string
	// Deployment numbers the code prepared first (see Deploy); results
	// carry it. 0 when nothing numbers deployments.
	Deployment int64
	// Ignore are paths that are no function's code wherever they lie
	// (gatescope's database and cache): a change to them changes no
	// function's version.
	Ignore []string
}

// DefaultMaxEnvironments is eight environments per CPU. Lambda functions
// mostly wait on I/O, so more processes than cores still add throughput;
// past a few per core, on one machine, they add memory (20–60 MB each) and
// context switches instead. 16 on a 2-core laptop, 64 on an 8-core one.
func DefaultMaxEnvironments() int { return 8 * runtime.NumCPU() }

// Manager runs a project's functions: a pool of execution environments per
// local function, remote functions through the AWS SDK.
type Manager struct {
	logger *slog.Logger
	// project is what Deploy last deployed.
	project atomic.Pointer[config.Project]
	opts    Options

	procs *procTracker
	sums  digester      // of the functions' sources
	gens  atomic.Uint64 // numbers preparations (preparation.gen)

	mu    sync.Mutex
	pools map[string]*pool        // by logical name
	envs  map[*env]struct{}       // every started environment, for Close
	preps map[string]*preparation // by logical name: the code new environments start from
	// nexts are redeployments under way, by logical name: invokes wait
	// for them, then start from what they made (see Deploy).
	nexts map[string]*preparation
	// failed are redeployments whose build failed while the code before
	// them keeps serving, by logical name, until one succeeds.
	failed map[string]*preparation
	// preparing bounds the preparations running at once (one per CPU).
	preparing chan struct{}
	closed    bool

	cacheLocks map[string]*sync.Mutex // see cached

	probeMu sync.Mutex
	probes  map[string]probe // interpreters asked their version, by name

	// buildCtx bounds builds, which outlive the request that started
	// them; Close cancels it.
	buildCtx     context.Context
	cancelBuilds context.CancelFunc

	remoteOnce sync.Once
	remote     Invoker
	remoteErr  error

	stopReaper chan struct{}
}

// New returns a Manager for the project's functions. Call Prepare before
// serving, and Close when done.
func New(logger *slog.Logger, project *config.Project, opts Options) *Manager {
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 10 * time.Minute
	}
	if opts.MaxEnvironments <= 0 {
		opts.MaxEnvironments = DefaultMaxEnvironments()
	}
	if opts.CacheDir == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			dir = os.TempDir()
		}
		opts.CacheDir = dir + "/gatescope"
	}
	m := &Manager{
		logger:     logger,
		opts:       opts,
		pools:      make(map[string]*pool),
		envs:       make(map[*env]struct{}),
		preps:      make(map[string]*preparation),
		nexts:      make(map[string]*preparation),
		failed:     make(map[string]*preparation),
		preparing:  make(chan struct{}, runtime.NumCPU()),
		probes:     make(map[string]probe),
		cacheLocks: make(map[string]*sync.Mutex),
		remote:     opts.Remote,
		stopReaper: make(chan struct{}),
	}
	m.buildCtx, m.cancelBuilds = context.WithCancel(context.Background())
	m.project.Store(project)
	m.sums.skip = m.notCode
	// Functions are taken as config made them, defaults filled in.
	for _, fn := range project.Functions {
		m.pools[fn.Name] = newPool(m, fn, opts.Deployment)
	}
	// Also ends the function processes of a gatescope that was killed
	// before it could (see procs_linux.go).
	m.procs = newProcTracker(logger, opts.CacheDir)
	go m.reapLoop()
	return m
}

// notCode reports whether path is no function's code: the template, a
// file it includes, or a path of Options.Ignore (or under one).
func (m *Manager) notCode(path string) bool {
	p := m.project.Load()
	if path == p.Path || slices.Contains(p.Includes, path) {
		return true
	}
	for _, ig := range m.opts.Ignore {
		if path == ig || strings.HasPrefix(path, ig+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// region is where the project's functions run; projects built by hand (not
// by config.Parse) run in the default region.
func (m *Manager) region() string {
	if r := m.project.Load().Region; r != "" {
		return r
	}
	return config.DefaultRegion
}

// accountID is the account local functions live in.
func (m *Manager) accountID() string {
	if a := m.project.Load().AccountID; a != "" {
		return a
	}
	return config.DefaultAccountID
}

// Prepare builds what local functions need (Go bootstraps, shipped runtime
// scripts) and checks their runtimes are installed, and waits for it while
// ctx lasts. It returns every problem, each naming its function; functions
// that prepared fine work even when others did not. Invokes meanwhile wait
// for their function's preparation rather than start another.
func (m *Manager) Prepare(ctx context.Context) error {
	var preps []*preparation
	for _, fn := range m.project.Load().Functions {
		if !fn.Remote() {
			preps = append(preps, m.startPrepare(fn, true))
		}
	}
	var errs []error
	for _, p := range preps {
		select {
		case <-p.done:
			if p.err != nil {
				errs = append(errs, p.err)
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return errors.Join(errs...)
}

// foreignARN reports whether name is a Lambda ARN in another account than
// the one local functions live in: a deployed function, never a local one
// that happens to share its name.
func (m *Manager) foreignARN(name string) bool {
	parts := strings.Split(name, ":")
	return len(parts) >= 7 && parts[0] == "arn" && parts[2] == "lambda" && parts[4] != m.accountID()
}

// Function finds a function by logical name, physical name or ARN (with or
// without a qualifier), as the Invoke API accepts them. An ARN in another
// account matches no local function.
func (m *Manager) Function(name string) *config.Function {
	if strings.HasPrefix(name, "arn:") {
		parts := strings.Split(name, ":")
		if len(parts) < 7 || m.foreignARN(name) {
			return nil
		}
		name = parts[6]
	} else if i := strings.IndexByte(name, ':'); i > 0 {
		name = name[:i] // "Name:qualifier"
	}
	for _, fn := range m.project.Load().Functions {
		if fn.Name == name || fn.FunctionName == name {
			return fn
		}
	}
	return nil
}

// Invoke runs one synchronous invocation.
//
// An ARN in another account than ours names a deployed function, invoked
// remotely even though the template does not declare it: that is how a
// replay targets what is deployed.
func (m *Manager) Invoke(ctx context.Context, name string, req Request) (*Result, error) {
	var fn *config.Function
	if m.foreignARN(name) {
		fn = &config.Function{Name: name, ARN: name}
	} else {
		fn = m.Function(name)
	}
	if fn == nil {
		return nil, &ServiceError{
			Type:    "ResourceNotFoundException",
			Message: "Function not found: " + m.arnFor(name),
			Status:  404,
			Err:     ErrFunctionNotFound,
		}
	}
	if len(req.Payload) > MaxRequestBytes {
		return nil, &ServiceError{
			Type:    "RequestTooLargeException",
			Message: fmt.Sprintf("Request must be smaller than %d bytes for the InvokeFunction operation", MaxRequestBytes),
			Status:  413,
			Err:     ErrRequestTooLarge,
		}
	}
	if fn.Remote() {
		r, err := m.remoteInvoker()
		if err != nil {
			return nil, err
		}
		return r.Invoke(ctx, fn.ARN, req)
	}
	// A redeployment under way: this invoke runs what it makes (or, if
	// its build fails, on the last good code).
	if err := m.settle(ctx, fn); err != nil {
		return nil, err
	}
	p := m.pool(fn.Name)
	if p == nil { // removed by a deployment since Function found it
		return nil, &ServiceError{Type: "ResourceNotFoundException", Message: "Function not found: " + m.arnFor(name), Status: 404, Err: ErrFunctionNotFound}
	}
	return p.invoke(ctx, req)
}

// pool is the pool of the function named name, nil if there is none.
func (m *Manager) pool(name string) *pool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.pools[name]
}

// allPools is every function's pool.
func (m *Manager) allPools() []*pool {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*pool, 0, len(m.pools))
	for _, p := range m.pools {
		out = append(out, p)
	}
	return out
}

// Busy reports how many execution environments of a local function are in
// use: starting for an invocation or running one, including an invocation
// whose caller gave up and that runs on. While Busy equals the function's
// concurrency limit, the next invoke is throttled. It is 0 for a remote or
// unknown function. Tests poll it to know invocations are under way instead
// of sleeping for long enough.
func (m *Manager) Busy(name string) int {
	fn := m.Function(name)
	if fn == nil || fn.Remote() {
		return 0
	}
	if p := m.pool(fn.Name); p != nil {
		return p.busy()
	}
	return 0
}

// Close ends every execution environment, with the processes each spawned.
func (m *Manager) Close() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	envs := make([]*env, 0, len(m.envs))
	for e := range m.envs {
		envs = append(envs, e)
	}
	m.mu.Unlock()
	close(m.stopReaper)
	m.cancelBuilds()
	for _, p := range m.allPools() {
		p.closeAll()
	}
	for _, e := range envs {
		e.kill()
	}
	for _, e := range envs {
		select {
		case <-e.exited: // with everything it spawned
		case <-time.After(2 * time.Second):
			m.logger.Warn("function process did not exit", slog.String("function", e.fn.Name))
		}
	}
	m.procs.close()
}

func (m *Manager) reapLoop() {
	t := time.NewTicker(max(m.opts.IdleTimeout/4, time.Second))
	defer t.Stop()
	for {
		select {
		case <-m.stopReaper:
			return
		case now := <-t.C:
			for _, p := range m.allPools() {
				if n := p.reap(now.Add(-m.opts.IdleTimeout)); n > 0 {
					m.logger.Debug("reaped idle environments", slog.String("function", p.fn.Name), slog.Int("count", n))
				}
			}
		}
	}
}

// startEnv starts a new execution environment for fn, once its code is
// prepared (waiting for that while ctx lasts).
func (m *Manager) startEnv(ctx context.Context, fn *config.Function) (*env, error) {
	m.mu.Lock()
	closed := m.closed
	m.mu.Unlock()
	if closed {
		return nil, errors.New("shutting down")
	}
	cmd, err := m.prepared(ctx, fn)
	if err != nil {
		return nil, err
	}
	return startEnv(m.logger, m.procs, fn, cmd, m.environ(fn, cmd))
}

func (m *Manager) track(e *env) {
	m.mu.Lock()
	m.envs[e] = struct{}{}
	m.mu.Unlock()
	go func() {
		<-e.exited
		m.mu.Lock()
		delete(m.envs, e)
		m.mu.Unlock()
	}()
}

// environ is the environment Lambda gives a function process, plus what
// local tools need (PATH, HOME) and the caller's AWS credentials, as SAM CLI
// passes them.
func (m *Manager) environ(fn *config.Function, cmd command) []string {
	name := fn.FunctionName
	if name == "" {
		name = fn.Name
	}
	now := time.Now().UTC()
	env := []string{
		"AWS_LAMBDA_FUNCTION_NAME=" + name,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(fn.MemoryMB),
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + name,
		"AWS_LAMBDA_LOG_STREAM_NAME=" + now.Format("2006/01/02") + "/[$LATEST]" + awsid.Hex(16),
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"AWS_REGION=" + m.region(),
		"AWS_DEFAULT_REGION=" + m.region(),
		"AWS_EXECUTION_ENV=AWS_Lambda_" + fn.Runtime,
		"_HANDLER=" + cmp.Or(cmd.handler, fn.Handler),
		"LAMBDA_TASK_ROOT=" + cmd.dir,
		"LAMBDA_RUNTIME_DIR=" + cmd.runtimeDir,
		"TZ=:UTC",
		"LANG=en_US.UTF-8",
	}
	for _, k := range []string{"PATH", "HOME", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_LAMBDA", "GOCOVERDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	env = append(env, credentials()...)
	env = append(env, m.opts.Env...)
	env = append(env, m.traceEnviron()...)
	if strings.HasPrefix(fn.Runtime, "python") {
		// Lambda's code directory is read-only, so Python writes no
		// bytecode there; neither should it in the user's source tree.
		env = append(env, "PYTHONDONTWRITEBYTECODE=1")
	}
	// Layers, and the code's own lib directory, where Lambda's runtimes
	// look for them (before the template's variables, which may set
	// these too, as in Lambda).
	env = append(env, searchPaths(fn.Runtime, cmd, os.Getenv("PATH"), os.Getenv("LD_LIBRARY_PATH"))...)
	for k, v := range fn.Env {
		env = append(env, k+"="+v)
	}
	env = append(env, cmd.env...)
	return env
}

// traceEnviron points a function's X-Ray SDK and OpenTelemetry exporters
// at gatescope, as Lambda points them at its daemon: the variables Lambda
// sets (AWS_XRAY_CONTEXT_MISSING too), and OTLP's endpoint. The template's
// own variables come later and win.
func (m *Manager) traceEnviron() []string {
	var env []string
	if d := m.opts.XRayDaemon; d != "" {
		host, port, _ := strings.Cut(d, ":")
		if i := strings.LastIndexByte(d, ':'); i >= 0 {
			host, port = d[:i], d[i+1:]
		}
		env = append(env, "AWS_XRAY_DAEMON_ADDRESS="+d, "_AWS_XRAY_DAEMON_ADDRESS="+host, "_AWS_XRAY_DAEMON_PORT="+port,
			"AWS_XRAY_CONTEXT_MISSING=LOG_ERROR")
	}
	if u := m.opts.OTLPEndpoint; u != "" {
		env = append(env, "OTEL_EXPORTER_OTLP_ENDPOINT="+u)
		if h := m.opts.OTLPHeaders; h != "" {
			env = append(env, "OTEL_EXPORTER_OTLP_HEADERS="+h)
		}
	}
	return env
}

func (m *Manager) arn(fn *config.Function) string {
	if fn.ARN != "" {
		return fn.ARN
	}
	name := fn.FunctionName
	if name == "" {
		name = fn.Name
	}
	return m.arnFor(name)
}

func (m *Manager) arnFor(name string) string {
	if strings.HasPrefix(name, "arn:") {
		return name
	}
	return "arn:aws:lambda:" + m.region() + ":" + m.accountID() + ":function:" + name
}
