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
	"strings"
	"sync"
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
	capture                bool
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
	project  *config.Project
	router   *apigw.Router
	store    *store.DB
	session  *store.Session
	manager  *lambda.Manager
	pipeline *capture.Pipeline
	traces   *collect.Collector
	daemon   *collect.Daemon
	hub      *live.Hub
	gw       *gateway.Gateway
	caDir    string // the CA bundle functions trust, removed at shutdown
	apiSrv   *http.Server
	uiSrv    *http.Server
	apiLn    net.Listener
	uiLn     net.Listener
	hosts    *ui.Hosts
	token    string
	cancel   context.CancelFunc
	bg       sync.WaitGroup

	mu      sync.Mutex
	ready   bool
	prepErr error
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
	})
	issuer := issuerLoader(f.access.issuerKey)
	acc, err := newAccess(logger, project, a.manager, f.access, issuer)
	if err != nil {
		a.manager.Close()
		return fail(err)
	}
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
	a.goBG(func() { a.pipeline.Run(runCtx) })
	a.goBG(func() { a.hub.Run(runCtx) })
	a.goBG(func() { a.retain(runCtx, f.retain, f.retainFor) })
	a.goBG(func() { a.prepare(runCtx) })

	sessionID := func() string { return sess.ID }
	var sink gateway.Sink = a.pipeline
	if !f.capture {
		sink = discard{}
	}
	gw := gateway.New(logger, router, a.manager, sink, sessionID).WithAccess(acc)
	a.gw = gw
	rp := replay.New(db, gw, a.manager, sessionID, a.hub.Publish)
	lambdaAPI := lambdaapi.New(logger, a.manager,
		func(name string, req lambda.Request, res *lambda.Result, err error, start time.Time) {
			a.pipeline.Submit(gateway.InvokeExchange(sess.ID, name, req.Payload, res, err, start, time.Now()))
		})
	uiHandler := ui.New(ui.Deps{
		Logger: logger,
		Dashboard: dashboard.New(logger, dashboard.Options{
			Store: db, Health: a.health, Counters: a.counters, CanReplay: true, APIAddr: a.apiLn.Addr().String(),
			NotEmulated: notEmulatedNotices(project.NotEmulated), Connections: gw,
		}),
		Replay:      replay.NewHandlers(logger, rp),
		ReplayPages: replayui.New(logger, rp),
		Share: share.New(logger, db, share.Options{Version: version(), APIAddr: a.apiLn.Addr().String(),
			BaseURL: a.hosts.BaseURL(), Rules: share.WithAuthorizers(share.Rules{}, identityHeaders(project)...)}),
		Lambda:      lambdaAPI,
		Policy:      lambdaapi.NewPolicyAPI(logger, acc.Policies()),
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
	return a, nil
}

func (a *app) goBG(fn func()) {
	a.bg.Add(1)
	go func() { defer a.bg.Done(); fn() }()
}

func (a *app) serve(srv *http.Server, ln net.Listener) {
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		a.logger.Error("server stopped", slog.String("addr", ln.Addr().String()), slog.Any("err", err))
	}
}

// prepare builds the local functions; health reports the outcome.
func (a *app) prepare(ctx context.Context) {
	start := time.Now()
	err := a.manager.Prepare(ctx)
	a.mu.Lock()
	a.ready, a.prepErr = true, err
	a.mu.Unlock()
	if err != nil {
		a.logger.Error("some functions cannot run", slog.Any("err", err))
		return
	}
	a.logger.Info("functions ready", slog.Int("count", len(a.project.Functions)), slog.Duration("took", time.Since(start).Round(time.Millisecond)))
}

func (a *app) health() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case !a.ready:
		return fmt.Errorf("%w: building functions", dashboard.ErrStarting)
	default:
		return a.prepErr
	}
}

func (a *app) counters() dashboard.Counters {
	return dashboard.Counters{Captured: a.pipeline.Written(), Dropped: a.pipeline.Dropped()}
}

// retain prunes old exchanges in the background.
func (a *app) retain(ctx context.Context, keep int, age time.Duration) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		var cutoff time.Time
		if age > 0 {
			cutoff = time.Now().Add(-age)
		}
		if n, err := a.store.Prune(ctx, keep, cutoff); err != nil && ctx.Err() == nil {
			a.logger.Warn("prune exchanges", slog.Any("err", err))
		} else if n > 0 {
			a.logger.Debug("pruned exchanges", slog.Int("count", n))
		}
		if n, err := a.store.PruneTraces(ctx); err != nil && ctx.Err() == nil {
			a.logger.Warn("prune trace documents", slog.Any("err", err))
		} else if n > 0 {
			a.logger.Debug("pruned trace documents", slog.Int("count", n))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
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
	shadowed := map[*config.Route]*config.API{}
	for _, sh := range a.router.Shadowed() {
		shadowed[sh.Route] = sh.By
	}
	fmt.Fprintf(w, "gatescope serving %s (session %q)\n", displayPath(a.project.Path), a.session.Name)
	for _, api := range a.project.APIs {
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
	printNotEmulated(w, a.project.NotEmulated)
	fmt.Fprintf(w, "  API   %s  (every API; each also on its own host above)\n  UI    %s\n", merged, ui)
	fmt.Fprintf(w, "  Traces  X-Ray daemon udp %s, OTLP %s/v1/traces\n", browsable(a.daemon.Addr().String()),
		"http://"+browsable(a.uiLn.Addr().String()))
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
