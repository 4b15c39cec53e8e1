package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatescope/gatescope/examples"
	"github.com/gatescope/gatescope/server/apigw"
	"github.com/gatescope/gatescope/server/authz"
	"github.com/gatescope/gatescope/server/capture"
	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/dashboard"
	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/gateway"
	"github.com/gatescope/gatescope/server/lambda"
	"github.com/gatescope/gatescope/server/lambdaapi"
	"github.com/gatescope/gatescope/server/live"
	"github.com/gatescope/gatescope/server/reload"
	"github.com/gatescope/gatescope/server/replay"
	"github.com/gatescope/gatescope/server/replay/replayui"
	"github.com/gatescope/gatescope/server/share"
	"github.com/gatescope/gatescope/server/trace/collect"
	"github.com/gatescope/gatescope/server/ui"
	"github.com/gatescope/gatescope/store"
)

// serveFlags are the flags of `gatescope serve`.
type serveFlags struct {
	template, configFile   string
	apiAddr, uiAddr, db    string
	session, region, token string
	logLevel, cacheDir     string
	envVars                string
	retain, bodyCap        int
	maxEnvironments        int
	retainFor, idleTimeout time.Duration
	bodyTimeout            time.Duration
	capture, watch         bool
	xrayAddr               string
	params                 keyValues
	allowedHosts           stringList
	access                 accessFlags
}

func (f *serveFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.template, "template", "", "SAM template `FILE` (default ./template.yaml or ./template.yml; the built-in demo when neither exists)")
	fs.StringVar(&f.template, "t", "", "shorthand for --template")
	fs.StringVar(&f.configFile, "config", "", "native gatescope config `FILE` (same format as a SAM template)")
	fs.StringVar(&f.apiAddr, "api-addr", "127.0.0.1:3000", "`address` the APIs are served on")
	fs.StringVar(&f.uiAddr, "ui-addr", "127.0.0.1:3001", "`address` of the dashboard, JSON API and Lambda Invoke API")
	fs.StringVar(&f.db, "db", defaultDB, "SQLite database `PATH`")
	fs.StringVar(&f.session, "session", "", "session `NAME` to record into (default: one per run, named by its start time)")
	fs.StringVar(&f.region, "region", "", "AWS region functions see (default $AWS_REGION, else us-east-1)")
	fs.StringVar(&f.token, "token", "", "dashboard access token, required when --ui-addr is not loopback (default: a random one)")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&f.cacheDir, "cache-dir", "", "where built functions and runtime bootstraps are kept (default: the user cache dir)")
	fs.IntVar(&f.retain, "retain", 10000, "keep at most this many exchanges (0: no limit)")
	fs.IntVar(&f.maxEnvironments, "max-environments", lambda.DefaultMaxEnvironments(),
		"execution environments per function without ReservedConcurrentExecutions; past it, requests wait for a free one (never throttled)")
	fs.IntVar(&f.bodyCap, "body-cap", store.DefaultBodyCap, "store at most this many `bytes` of each body (the rest is cut and marked)")
	fs.BoolVar(&f.capture, "capture", true, "record exchanges (false: serve only, for measuring capture's cost)")
	fs.DurationVar(&f.retainFor, "retain-for", 168*time.Hour, "drop exchanges older than this (0: keep)")
	fs.DurationVar(&f.idleTimeout, "idle-timeout", 10*time.Minute, "stop function environments idle this long")
	fs.Var(f.params, "parameter-overrides", "template parameters as `KEY=VALUE` (repeatable, or space separated)")
	fs.Var(&f.allowedHosts, "allowed-host", "also answer the dashboard at `HOST` or HOST:PORT, e.g. a reverse proxy's name (repeatable, or comma separated); "+
		"others are refused, against DNS rebinding")
	fs.DurationVar(&f.bodyTimeout, "body-timeout", ui.DefaultBodyTimeout, "how long a request body may take to arrive, on both addresses")
	fs.StringVar(&f.xrayAddr, "xray-addr", "127.0.0.1:0", "UDP `address` of gatescope's X-Ray daemon, which functions get as AWS_XRAY_DAEMON_ADDRESS (default: a free port)")
	fs.BoolVar(&f.watch, "watch", true, "reload on a saved change: a function's code redeploys that function alone, the template its routes and what it changes (false: serve what was there at start)")
	fs.StringVar(&f.envVars, "env-vars", "", "environment variable overrides `FILE` in SAM CLI's JSON format: {\"Function\":{\"VAR\":\"v\"},\"Parameters\":{\"VAR\":\"v\"}}")
	f.access.register(fs)
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := serveFlags{params: keyValues{}}
	fs := newFlags("serve", "serve [flags]", stderr)
	f.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: serve takes no arguments, got %q", errUsage, fs.Args())
	}
	logger, err := newLogger(stderr, f.logLevel)
	if err != nil {
		return err
	}
	app, err := startApp(ctx, logger, f)
	if err != nil {
		return err
	}
	app.printBanner(stdout)
	app.setOut(stdout) // reloads say what they did, after the banner
	<-ctx.Done()
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return app.shutdown(sctx)
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("%w: --log-level %q: want debug, info, warn or error", errUsage, level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// app is a running `gatescope serve`: both listeners and everything behind them.
type app struct {
	logger   *slog.Logger
	store    *store.DB
	session  *store.Session
	manager  *lambda.Manager
	pipeline *capture.Pipeline
	traces   *collect.Collector
	daemon   *collect.Daemon
	hub      *live.Hub
	gw       *gateway.Gateway
	caDir    string // the CA bundle functions trust, removed at shutdown
	access   *accessBuilder
	policies *livePolicies
	apiSrv   *http.Server
	uiSrv    *http.Server
	apiLn    net.Listener
	uiLn     net.Listener
	hosts    *ui.Hosts
	token    string
	cancel   context.CancelFunc
	bg       sync.WaitGroup
	// start is gatescope's start as a deployment (see reload.Begin);
	// reloader deploys saved changes (nil with --watch=false).
	start    *exchange.Deployment
	reloader *reload.Reloader

	mu sync.Mutex
	// project and router are what is served; a reload replaces them.
	project *config.Project
	router  *apigw.Router
	acc     *authz.Service
	ready   bool
	out     io.Writer // where reloads say what they did; nil until the banner is out
}

// startApp loads the project, opens the store, listens on both addresses
// (so a port clash fails here, at start) and starts serving. Functions are
// built in the background; /api/health turns 200 when they are.
func startApp(ctx context.Context, logger *slog.Logger, f serveFlags) (*app, error) {
	path, err := templatePath(f)
	if err != nil {
		return nil, err
	}
	project, err := loadProject(path, f.region, f.params, f.envVars)
	if err != nil {
		return nil, err
	}
	router, err := apigw.NewRouter(project.APIs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, w := range project.Warnings {
		logger.Warn(w.String())
	}

	db, err := store.Open(f.db, store.Options{BodyCap: f.bodyCap, Logger: logger})
	if err != nil {
		return nil, err
	}
	name := f.session
	if name == "" {
		name = time.Now().Format("2006-01-02 15:04:05")
	}
	sess, err := db.EnsureSession(ctx, name)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("session %q: %w", name, err)
	}

	a := &app{logger: logger, project: project, router: router, store: db, session: sess}
	// The start is deployment N: exchanges name it until a reload.
	if a.start, err = reload.Begin(ctx, db, project, time.Now()); err != nil {
		logger.Warn("record the start as a deployment", slog.Any("err", err))
	}
	fail := func(err error) (*app, error) {
		a.closeListeners()
		db.Close()
		return nil, err
	}
	if a.apiLn, err = net.Listen("tcp", f.apiAddr); err != nil {
		return fail(fmt.Errorf("listen on --api-addr %s: %w", f.apiAddr, err))
	}
	if a.uiLn, err = net.Listen("tcp", f.uiAddr); err != nil {
		return fail(fmt.Errorf("listen on --ui-addr %s: %w", f.uiAddr, err))
	}
	for _, w := range shadowWarnings(project, router, a.apiLn.Addr().String()) {
		logger.Warn(w.String())
	}
	if !isLoopback(a.uiLn.Addr()) {
		a.token = f.token
		if a.token == "" {
			a.token = randomToken()
		}
	}
	if a.hosts, err = ui.NewHosts(a.uiLn.Addr(), splitList(f.allowedHosts)); err != nil {
		return fail(fmt.Errorf("%w: %v", errUsage, err))
	}

	a.traces = collect.New(logger, db, collect.Options{})
	if a.daemon, err = a.traces.ListenDaemon(f.xrayAddr); err != nil {
		return fail(fmt.Errorf("--xray-addr: %w", err))
	}
	otlpHeaders := ""
	if a.token != "" {
		otlpHeaders = "Authorization=Bearer%20" + a.token
	}
	apiTLS, fnEnv, caDir, err := webSocketTLS(project, a.apiLn.Addr())
	if err != nil {
		return fail(err)
	}
	a.caDir = caDir
	a.manager = lambda.New(logger, project, lambda.Options{
		IdleTimeout: f.idleTimeout, MaxEnvironments: f.maxEnvironments, CacheDir: f.cacheDir, Self: a.uiLn.Addr().String(),
		Env: fnEnv, XRayDaemon: browsable(a.daemon.Addr().String()), OTLPEndpoint: "http://" + browsable(a.uiLn.Addr().String()),
		OTLPHeaders: otlpHeaders,
		Deployment:  a.start.ID, Ignore: ownFiles(db, f.cacheDir),
	})
	issuer := issuerLoader(f.access.issuerKey)
	if a.access, err = newAccessBuilder(logger, a.manager, f.access, issuer); err != nil {
		a.manager.Close()
		return fail(err)
	}
	a.acc = a.access.build(project)
	a.policies = &livePolicies{}
	a.policies.p.Store(a.acc.Policies())
	runCtx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	go a.daemon.Serve()
	a.goBG(func() { a.traces.Run(runCtx) })
	a.pipeline = capture.NewPipeline(logger, db, capture.PipelineOptions{})
	a.hub = live.NewHub(logger,
		live.WithCheckOrigin(a.hosts.CheckOrigin),
		live.WithCounts(func() live.Counts { return live.Counts{Captured: a.pipeline.Written(), Dropped: a.pipeline.Dropped()} }),
		live.WithBacklog(func(ctx context.Context, after string) ([]*exchange.Exchange, error) {
			xs, _, err := db.Exchanges(ctx, store.Filter{After: after, Limit: store.MaxLimit})
			return xs, err
		}))
	a.pipeline.Subscribe(a.hub.Publish)
	retain := newRetention(logger, db, f.retain, f.retainFor)
	a.pipeline.Subscribe(retain.Written)
	a.goBG(func() { a.pipeline.Run(runCtx) })
	a.goBG(func() { a.hub.Run(runCtx) })
	a.goBG(func() { retain.Run(runCtx) })
	a.goBG(func() { a.prepare(runCtx) })

	sessionID := func() string { return sess.ID }
	var sink gateway.Sink = a.pipeline
	if !f.capture {
		sink = discard{}
	}
	a.gw = gateway.New(logger, router, a.manager, sink, sessionID).WithAccess(a.acc).WithDeployment(a.start.ID)
	gw := a.gw
	rp := replay.New(db, gw, a.manager, sessionID, a.hub.Publish)
	lambdaAPI := lambdaapi.New(logger, a.manager,
		func(name string, req lambda.Request, res *lambda.Result, err error, start time.Time) {
			a.pipeline.Submit(gateway.InvokeExchange(sess.ID, name, req.Payload, res, err, start, time.Now()))
		})
	uiHandler := ui.New(ui.Deps{
		Logger: logger,
		Dashboard: dashboard.New(logger, dashboard.Options{
			Store: db, Health: a.health, Counters: a.counters, CanReplay: true, APIAddr: a.apiLn.Addr().String(), Session: a.session.ID,
			NotEmulatedNow: func() []dashboard.Notice { return notEmulatedNotices(a.currentProject().NotEmulated) }, Connections: gw,
		}),
		Replay:      replay.NewHandlers(logger, rp),
		ReplayPages: replayui.New(logger, rp),
		Share: share.New(logger, db, share.Options{Version: version(), APIAddr: a.apiLn.Addr().String(),
			BaseURL: a.hosts.BaseURL(), Rules: share.WithAuthorizers(share.Rules{}, identityHeaders(project)...)}),
		Lambda:      lambdaAPI,
		Policy:      lambdaapi.NewPolicyAPI(logger, a.policies),
		Issuer:      authz.WellKnown(issuer, a.hosts.BaseURL()),
		Live:        http.HandlerFunc(a.hub.ServeWS),
		OTLP:        http.HandlerFunc(a.traces.ServeOTLP),
		Token:       a.token,
		Hosts:       a.hosts,
		BodyTimeout: f.bodyTimeout,
	})

	// No WriteTimeout on either server: responses wait on functions (up to
	// their timeout) and the live feed holds its websocket open. Bodies get
	// a deadline of their own (ui.BodyDeadline), not ReadTimeout.
	a.apiSrv = &http.Server{Handler: ui.BodyDeadline(f.bodyTimeout, gw), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ConnContext: gateway.HeaderNamesContext, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelDebug)}
	a.uiSrv = &http.Server{Handler: uiHandler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelDebug)}
	apiLn := a.apiLn
	if apiTLS != nil {
		apiLn = apiTLS.Listener(apiLn) // HTTPS beside HTTP, for @connections
	}
	go a.serve(a.apiSrv, gateway.RecordHeaderNames(apiLn))
	go a.serve(a.uiSrv, a.uiLn)
	if f.watch {
		if err := a.watch(runCtx, path, f); err != nil {
			// Serving what was there at start still works: say so.
			logger.Warn("saved changes will not reload: "+err.Error(), slog.Any("err", err))
		}
	}
	return a, nil
}

// watch starts reloading on saved changes (see package reload).
func (a *app) watch(ctx context.Context, path string, f serveFlags) error {
	var files []string
	if f.envVars != "" {
		if abs, err := filepath.Abs(f.envVars); err == nil {
			files = append(files, abs)
		}
	}
	r, err := reload.New(reload.Options{
		Logger:    a.logger,
		Project:   a.currentProject(),
		Load:      func() (*config.Project, error) { return loadProject(path, f.region, f.params, f.envVars) },
		Files:     files,
		Routes:    a.routes,
		Functions: a.manager,
		Store:     a.store,
		Publish:   a.hub.PublishDeployment,
		Done:      a.deployed,
		Ignore:    ownFiles(a.store, f.cacheDir),
	})
	if err != nil {
		return err
	}
	a.reloader = r
	a.logger.Debug("watching for changes", slog.Int("directories", r.Watched()))
	a.goBG(func() {
		defer r.Close()
		r.Run(ctx)
	})
	return nil
}

// ownFiles are gatescope's own files, wherever they lie: the database
// (with its -wal and -shm) and the cache. Writing them changes no code.
func ownFiles(db *store.DB, cacheDir string) []string {
	var out []string
	for _, p := range []string{db.Path(), db.Path() + "-wal", db.Path() + "-shm", db.Path() + "-journal", cacheDir} {
		if p == "" {
			continue
		}
		if abs, err := filepath.Abs(p); err == nil {
			out = append(out, abs)
		}
	}
	return out
}

// routes checks that a reloaded project can be served and returns what
// serves it: its routes and access control, swapped in at once. Access
// control is kept (its caches, and permissions added with the AWS CLI)
// unless the template changed it.
func (a *app) routes(p *config.Project) (func(deployment int64), error) {
	router, err := apigw.NewRouter(p.APIs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.Path, err)
	}
	a.mu.Lock()
	acc, old := a.acc, a.project
	a.mu.Unlock()
	if !reload.SameAccess(old, p) {
		acc = a.access.build(p)
	}
	return func(deployment int64) {
		a.gw.Deploy(router, acc, deployment)
		a.policies.p.Store(acc.Policies())
		a.mu.Lock()
		a.project, a.router, a.acc = p, router, acc
		a.mu.Unlock()
		for _, w := range newWarnings(old, p) {
			a.logger.Warn(w.String())
		}
	}, nil
}

// newWarnings are p's warnings and not-emulated findings that old did not
// have (by message), which a reload logs as start logs them all.
func newWarnings(old, p *config.Project) []config.Warning {
	seen := map[string]bool{}
	for _, w := range append(slices.Clone(old.Warnings), old.NotEmulated...) {
		seen[w.Resource+"."+w.Property+": "+w.Message] = true
	}
	var out []config.Warning
	for _, w := range append(slices.Clone(p.Warnings), p.NotEmulated...) {
		if !seen[w.Resource+"."+w.Property+": "+w.Message] {
			out = append(out, w)
		}
	}
	return out
}

// deployed says what a reload did, in the terminal (after the banner),
// with the routes to click when the template changed them.
func (a *app) deployed(d *exchange.Deployment) {
	a.mu.Lock()
	out := a.out
	a.mu.Unlock()
	if out == nil {
		return
	}
	fmt.Fprintf(out, "%s %s\n", time.Now().Format("15:04:05"), reload.Summary(d))
	if d.Trigger == exchange.TriggerTemplate && d.Error == "" && len(d.Changes) > 0 {
		a.printRoutes(out)
	}
}

func (a *app) setOut(w io.Writer) {
	a.mu.Lock()
	a.out = w
	a.mu.Unlock()
}

// currentProject is the project served now.
func (a *app) currentProject() *config.Project {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.project
}

// livePolicies is the functions' policies for the Lambda policy API: those
// of the access control served now, which a reload may replace.
type livePolicies struct {
	p atomic.Pointer[authz.Policies]
}

func (l *livePolicies) GetPolicy(function string) (string, string, error) {
	return l.p.Load().GetPolicy(function)
}

func (l *livePolicies) AddPermission(function string, in lambda.PermissionInput) (string, error) {
	return l.p.Load().AddPermission(function, in)
}

func (l *livePolicies) RemovePermission(function, statementID, revisionID string) error {
	return l.p.Load().RemovePermission(function, statementID, revisionID)
}

var _ lambdaapi.Policies = (*livePolicies)(nil)

func (a *app) goBG(fn func()) {
	a.bg.Add(1)
	go func() { defer a.bg.Done(); fn() }()
}

func (a *app) serve(srv *http.Server, ln net.Listener) {
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		a.logger.Error("server stopped", slog.String("addr", ln.Addr().String()), slog.Any("err", err))
	}
}

// prepare builds the local functions; health reports the outcome, and
// the start's deployment records it.
func (a *app) prepare(ctx context.Context) {
	start := time.Now()
	err := a.manager.Prepare(ctx)
	a.mu.Lock()
	a.ready = true
	a.mu.Unlock()
	if ctx.Err() == nil {
		if rerr := reload.Started(context.WithoutCancel(ctx), a.store, a.start, a.manager.Code); rerr != nil {
			a.logger.Warn("record the start as a deployment", slog.Any("err", rerr))
		}
		a.hub.PublishDeployment(a.start)
	}
	if err != nil {
		a.logger.Error("some functions cannot run", slog.Any("err", err))
		return
	}
	a.logger.Info("functions ready", slog.Int("count", len(a.manager.Functions())), slog.Duration("took", time.Since(start).Round(time.Millisecond)))
}

// health is nil once every local function's code is ready: built at
// start, or since by a reload (a function whose rebuild failed serves
// its last good code, and is ready).
func (a *app) health() error {
	a.mu.Lock()
	ready := a.ready
	a.mu.Unlock()
	if !ready {
		return fmt.Errorf("%w: building functions", dashboard.ErrStarting)
	}
	var errs []error
	for _, fn := range a.manager.Functions() {
		if c := a.manager.Code(fn.Name); !fn.Remote() && c.State == lambda.StateFailed {
			errs = append(errs, c.Err)
		}
	}
	return errors.Join(errs...)
}

func (a *app) counters() dashboard.Counters {
	return dashboard.Counters{Captured: a.pipeline.Written(), Dropped: a.pipeline.Dropped()}
}

// shutdown stops the listeners (draining in-flight requests), flushes the
// capture queue, stops the function processes and closes the store, in
// that order, so nothing captured is lost.
func (a *app) shutdown(ctx context.Context) error {
	var errs []error
	if err := a.apiSrv.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("stop API server: %w", err))
	}
	// Shutdown does not wait for hijacked connections: WebSocket clients
	// are closed (1001) here, and their $disconnect runs and is captured.
	if err := a.gw.CloseWebSockets(ctx); err != nil {
		errs = append(errs, err)
	}
	// Shutdown does not wait for hijacked connections (the live feed's
	// websockets); a.cancel below stops the hub, which closes them.
	if err := a.uiSrv.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("stop UI server: %w", err))
	}
	if err := a.pipeline.Close(ctx); err != nil {
		errs = append(errs, fmt.Errorf("flush captures: %w", err))
	}
	a.cancel() // the trace collector stores what it holds, then stops
	a.manager.Close()
	a.daemon.Close()
	a.bg.Wait()
	if err := a.store.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close store: %w", err))
	}
	if a.caDir != "" {
		os.RemoveAll(a.caDir)
	}
	return errors.Join(errs...)
}

func (a *app) closeListeners() {
	for _, ln := range []net.Listener{a.apiLn, a.uiLn} {
		if ln != nil {
			ln.Close()
		}
	}
	if a.daemon != nil {
		a.daemon.Close()
	}
}

// printBanner says what is served where: each API with its own base URL,
// each route as a URL to click (on the merged address, or on the API's own
// host when another API answers it there), what is not emulated, and the
// two addresses.
func (a *app) printBanner(w io.Writer) {
	apiAddr := a.apiLn.Addr().String()
	merged := "http://" + browsable(apiAddr)
	// A URL a browser opens: 0.0.0.0 and [::] are not addresses to visit.
	ui := a.hosts.BaseURL()
	if a.token != "" {
		ui += "/?token=" + a.token
	}
	p := a.currentProject()
	fmt.Fprintf(w, "gatescope serving %s (session %q)\n", displayPath(p.Path), a.session.Name)
	a.printRoutes(w)
	printNotEmulated(w, p.NotEmulated)
	fmt.Fprintf(w, "  API   %s  (every API; each also on its own host above)\n  UI    %s\n", merged, ui)
	fmt.Fprintf(w, "  Traces  X-Ray daemon udp %s, OTLP %s/v1/traces\n", browsable(a.daemon.Addr().String()),
		"http://"+browsable(a.uiLn.Addr().String()))
}

// printRoutes lists each API with its routes, as served now.
func (a *app) printRoutes(w io.Writer) {
	apiAddr := a.apiLn.Addr().String()
	merged := "http://" + browsable(apiAddr)
	a.mu.Lock()
	p, router := a.project, a.router
	a.mu.Unlock()
	shadowed := map[*config.Route]*config.API{}
	for _, sh := range router.Shadowed() {
		shadowed[sh.Route] = sh.By
	}
	for _, api := range p.APIs {
		if !api.Emulated() {
			continue // in the not-emulated list
		}
		fmt.Fprintf(w, "  %s API %s  %s  (stage %s)\n", api.Type, api.ID, apiBaseURL(api, apiAddr), api.Stage)
		if api.Type == config.WSAPI {
			printWebSocketRoutes(w, api, apiAddr)
			continue
		}
		for _, r := range api.Routes {
			if !r.Emulated() {
				continue
			}
			base, note := merged, ""
			if by, ok := shadowed[r]; ok {
				base = strings.TrimSuffix(apiBaseURL(api, apiAddr), "/"+api.Stage)
				note = "  (on the merged address " + by.ID + " answers it)"
			}
			method, path := r.Method, r.Path
			if r.Path == "$default" {
				path, note = "/", "  (any path, $default)"+note
			}
			fmt.Fprintf(w, "    %-7s %s%s → %s%s\n", method, base, path, r.Function, note)
		}
	}
}

// browsable turns a listener address into one a browser can open: an
// unspecified IP (0.0.0.0, ::) becomes 127.0.0.1.
func browsable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// notEmulatedNotices groups the not-emulated list for the dashboard.
func notEmulatedNotices(list []config.Warning) []dashboard.Notice {
	var out []dashboard.Notice
	for _, g := range groupNotEmulated(list) {
		out = append(out, dashboard.Notice{Message: g.Message, Where: g.Where})
	}
	return out
}

func displayPath(p string) string {
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return p
}

// templatePath picks the template: --template, --config, ./template.yaml,
// ./template.yml, else the embedded demo app.
func templatePath(f serveFlags) (string, error) {
	if f.template != "" && f.configFile != "" {
		return "", fmt.Errorf("%w: give --template or --config, not both", errUsage)
	}
	for _, p := range []string{f.template, f.configFile} {
		if p != "" {
			return p, nil
		}
	}
	for _, p := range []string{"template.yaml", "template.yml"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return examples.ExtractDemo(filepath.Join(dir, "gatescope", "demo"))
}

func regionOf(flagValue string) string {
	for _, r := range []string{flagValue, os.Getenv("AWS_REGION"), os.Getenv("AWS_DEFAULT_REGION")} {
		if r != "" {
			return r
		}
	}
	return "us-east-1"
}

func isLoopback(addr net.Addr) bool {
	ta, ok := addr.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

func randomToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// discard is the capture sink of --capture=false and of standalone
// replays, which store each replay themselves.
type discard struct{}

func (discard) Submit(*exchange.Exchange) bool { return true }
