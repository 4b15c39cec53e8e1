// Package reload makes saved changes take effect: it watches the template,
// the files it includes and every local function's sources (package
// watch), and turns each batch of changes into a deployment: a changed
// function is redeployed alone (lambda's Manager.Deploy), a changed
// template is loaded again and its routes replace the old ones at once,
// and a template that no longer loads leaves the last good one serving.
// Each deployment is numbered and recorded (the store), shown as it
// starts and ends (the live feed), and said in the log.
package reload

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/lambda"
	"github.com/gatescope/gatescope/server/watch"
)

// Functions redeploys functions (lambda.Manager).
type Functions interface {
	Stale(names []string) []string
	Deploy(deployment int64, project *config.Project, code []string) *lambda.Rollout
}

var _ Functions = (*lambda.Manager)(nil)

// Store records deployments (store.DB).
type Store interface {
	CreateDeployment(ctx context.Context, d *exchange.Deployment) error
	UpdateDeployment(ctx context.Context, d *exchange.Deployment) error
}

// Options are a Reloader's dependencies.
type Options struct {
	Logger *slog.Logger
	// Project is what is served now.
	Project *config.Project
	// Load loads the template again, as at start.
	Load func() (*config.Project, error)
	// Files are what loading reads besides the template and its includes
	// (the --env-vars file).
	Files []string
	// Routes checks that a loaded project can be served (its routes
	// compile) and returns what makes the gateway serve it; an error
	// counts as a template that does not load.
	Routes func(p *config.Project) (serve func(deployment int64), err error)
	// Functions redeploy; Store records; Publish shows each deployment's
	// state as it starts and ends (the live feed); Done hears of each
	// deployment that ended (the banner's line, the health check).
	Functions Functions
	Store     Store
	Publish   func(d *exchange.Deployment)
	Done      func(d *exchange.Deployment)
	// Ignore are paths never watched (the database, the cache), and
	// Quiet the watcher's debounce (watch.Options).
	Ignore []string
	Quiet  time.Duration
}

// Reloader turns saved changes into deployments.
type Reloader struct {
	opts    Options
	log     *slog.Logger
	watcher *watch.Watcher
	dir     string // the template's directory, for short file names

	// Only the watcher's delivery goroutine (Changed) uses these.
	project        *config.Project
	templateFailed bool // the last template deployment failed

	wg sync.WaitGroup // deployments whose builds run
}

// New returns a Reloader for the project served now; Run starts it.
func New(opts Options) (*Reloader, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Publish == nil {
		opts.Publish = func(*exchange.Deployment) {}
	}
	if opts.Done == nil {
		opts.Done = func(*exchange.Deployment) {}
	}
	w, err := watch.New(opts.Logger, watch.Options{Quiet: opts.Quiet, Ignore: opts.Ignore})
	if err != nil {
		return nil, fmt.Errorf("watch for changes: %w", err)
	}
	r := &Reloader{opts: opts, log: opts.Logger, watcher: w, project: opts.Project}
	if opts.Project.Path != "" {
		r.dir = filepath.Dir(opts.Project.Path)
	}
	w.Set(r.watched(opts.Project))
	return r, nil
}

// Watched is how many directories the Reloader watches.
func (r *Reloader) Watched() int { return r.watcher.Dirs() }

// Run watches and deploys until ctx ends, then waits for deployments
// under way to be recorded. Call Close after.
func (r *Reloader) Run(ctx context.Context) {
	r.watcher.Run(ctx, func(paths []string) { r.Changed(ctx, paths) })
	r.wg.Wait()
}

// Close stops watching.
func (r *Reloader) Close() error { return r.watcher.Close() }

// watched is what to watch for p: the template, what it includes, the
// other files loading reads, and the local functions' sources.
func (r *Reloader) watched(p *config.Project) []string {
	var out []string
	out = append(out, r.templateFiles(p)...)
	for _, fn := range p.Functions {
		out = append(out, lambda.Sources(fn)...)
	}
	return out
}

func (r *Reloader) templateFiles(p *config.Project) []string {
	var out []string
	if p.Path != "" {
		out = append(out, p.Path)
	}
	out = append(out, p.Includes...)
	return append(out, r.opts.Files...)
}

// Changed deploys what a batch of changed paths changes. The watcher
// calls it, one batch at a time; it returns once the deployment started
// (its builds go on in the background, and a later change supersedes
// them).
func (r *Reloader) Changed(ctx context.Context, paths []string) {
	start := time.Now()
	tplFiles := r.templateFiles(r.project)
	var tpl []string
	for _, p := range paths {
		if slices.Contains(tplFiles, p) {
			tpl = append(tpl, p)
		}
	}
	if len(tpl) > 0 {
		if r.deployTemplate(ctx, start, tpl, paths) {
			return
		}
	}
	r.deployCode(ctx, start, paths)
}

// affected are the local functions of p with a source under (or above) one
// of paths.
func affected(p *config.Project, paths []string) []string {
	var out []string
	for _, fn := range p.Functions {
		for _, src := range lambda.Sources(fn) {
			if slices.ContainsFunc(paths, func(c string) bool { return within(c, src) || within(src, c) }) {
				out = append(out, fn.Name)
				break
			}
		}
	}
	return out
}

// within reports whether p is dir or lies under it.
func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, dir+string(filepath.Separator))
}

// deployCode redeploys the functions whose sources changed, if any did.
func (r *Reloader) deployCode(ctx context.Context, start time.Time, paths []string) {
	stale := r.opts.Functions.Stale(affected(r.project, paths))
	if len(stale) == 0 {
		r.log.Debug("reload: saved, nothing changed", slog.Any("paths", paths))
		return
	}
	var changed []string // the paths of what redeploys
	for _, p := range paths {
		if slices.ContainsFunc(affected(r.project, []string{p}), func(name string) bool { return slices.Contains(stale, name) }) {
			changed = append(changed, p)
		}
	}
	d := &exchange.Deployment{StartedAt: start, Trigger: exchange.TriggerCode, Status: exchange.DeployBuilding,
		Files: r.files(changed)}
	r.create(ctx, d)
	rollout := r.opts.Functions.Deploy(d.ID, nil, stale)
	r.begin(ctx, d, rollout, start)
}

// deployTemplate loads the template again and deploys what changed. It
// reports whether it handled the batch (false: the template did not load,
// and the batch's code changes deploy on their own).
func (r *Reloader) deployTemplate(ctx context.Context, start time.Time, tpl, paths []string) bool {
	p, err := r.opts.Load()
	var serve func(int64)
	if err == nil {
		serve, err = r.opts.Routes(p)
	}
	if err != nil {
		d := &exchange.Deployment{StartedAt: start, Trigger: exchange.TriggerTemplate, Status: exchange.DeployFailed,
			Files: r.files(tpl), Error: err.Error(), DurationMs: ms(time.Since(start))}
		d.Changes = []string{"the template no longer loads: the last good one keeps serving"}
		r.create(ctx, d)
		r.templateFailed = true
		r.opts.Publish(d)
		r.log.Error("reload: "+Summary(d), slog.Int64("deployment", d.ID))
		r.opts.Done(d)
		return false
	}
	changes := DiffProjects(r.project, p)
	code := r.opts.Functions.Stale(affected(p, paths))
	if len(changes) == 0 && len(code) == 0 && !r.templateFailed && sameFunctions(r.project, p) {
		r.log.Debug("reload: template saved, nothing served changed")
		return true
	}
	d := &exchange.Deployment{StartedAt: start, Trigger: exchange.TriggerTemplate, Status: exchange.DeployBuilding,
		Files: r.files(paths), Changes: changes}
	r.create(ctx, d)
	rollout := r.opts.Functions.Deploy(d.ID, p, code)
	serve(d.ID) // after Deploy: the new routes' functions exist
	r.project, r.templateFailed = p, false
	r.watcher.Set(r.watched(p))
	r.begin(ctx, d, rollout, start)
	return true
}

// sameFunctions reports whether two projects declare the same functions
// the same way (Deploy finds how they differ).
func sameFunctions(a, b *config.Project) bool {
	if len(a.Functions) != len(b.Functions) {
		return false
	}
	for _, fn := range a.Functions {
		other := b.Function(fn.Name)
		if other == nil || !sameIgnoringPlaces(fn, other) {
			return false
		}
	}
	return true
}

// create stores d, which numbers it. A store that fails leaves it
// unnumbered (0): the deployment still happens.
func (r *Reloader) create(ctx context.Context, d *exchange.Deployment) {
	if err := r.opts.Store.CreateDeployment(ctx, d); err != nil {
		r.log.Warn("reload: record deployment", slog.Any("err", err))
	}
}

// begin shows a deployment under way, then records how it ends once its
// builds have.
func (r *Reloader) begin(ctx context.Context, d *exchange.Deployment, rollout *lambda.Rollout, start time.Time) {
	for _, c := range rollout.Changes {
		d.Functions = append(d.Functions, exchange.DeployedFunction{Name: c.Function, Change: c.Kind, Status: exchange.DeployBuilding})
		d.Changes = append(d.Changes, changeText(c))
	}
	if len(rollout.Changes) > 0 {
		r.opts.Publish(d)
	}
	r.log.Info("reload: deploying", slog.Int64("deployment", d.ID), slog.String("what", strings.Join(d.Changes, "; ")))
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.finish(ctx, d, rollout.Wait(), start)
	}()
}

// finish records how a deployment's builds ended.
func (r *Reloader) finish(ctx context.Context, d *exchange.Deployment, rebuilds []lambda.Rebuild, start time.Time) {
	deployed, failed, superseded := 0, 0, 0
	for i, rb := range rebuilds {
		f := &d.Functions[i]
		f.Status, f.BuildMs, f.Version = string(rb.Outcome), ms(rb.Took), rb.Version
		if rb.Err != nil {
			f.Error = rb.Err.Error()
		}
		switch rb.Outcome {
		case lambda.Failed:
			failed++
		case lambda.Superseded:
			superseded++
		default:
			deployed++
		}
	}
	switch {
	case failed > 0 && deployed > 0 || failed > 0 && d.Trigger == exchange.TriggerTemplate:
		d.Status = exchange.DeployPartial // a template's routes deployed, whatever its functions did
	case failed > 0:
		d.Status = exchange.DeployFailed
	case superseded > 0 && deployed == 0:
		d.Status = exchange.DeploySuperseded
	default:
		d.Status = exchange.DeployDeployed
	}
	d.DurationMs = ms(time.Since(start))
	if d.ID != 0 {
		if err := r.opts.Store.UpdateDeployment(context.WithoutCancel(ctx), d); err != nil {
			r.log.Warn("reload: record deployment", slog.Any("err", err))
		}
	}
	r.opts.Publish(d)
	if d.Failed() {
		r.log.Error("reload: "+Summary(d), slog.Int64("deployment", d.ID))
	} else {
		r.log.Info("reload: "+Summary(d), slog.Int64("deployment", d.ID))
	}
	r.opts.Done(d)
}

// files names changed paths for a deployment: relative to the template's
// directory when under it, at most exchange.MaxDeploymentFiles.
func (r *Reloader) files(paths []string) []string {
	var out []string
	for _, p := range paths {
		if len(out) == exchange.MaxDeploymentFiles {
			out = append(out, fmt.Sprintf("and %d more", len(paths)-exchange.MaxDeploymentFiles))
			break
		}
		if r.dir != "" {
			if rel, err := filepath.Rel(r.dir, p); err == nil && filepath.IsLocal(rel) {
				p = rel
			}
		}
		out = append(out, filepath.ToSlash(p))
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Begin records gatescope's start as a deployment of every function,
// before they are prepared: its number is the one the Manager's first
// preparations carry (lambda.Options.Deployment). Started completes it.
func Begin(ctx context.Context, st Store, p *config.Project, at time.Time) (*exchange.Deployment, error) {
	d := &exchange.Deployment{StartedAt: at, Trigger: exchange.TriggerStart, Status: exchange.DeployBuilding}
	if p.Path != "" {
		d.Files = []string{filepath.Base(p.Path)}
	}
	routes := 0
	for _, a := range p.APIs {
		if a.Emulated() {
			for _, r := range a.Routes {
				if r.Emulated() {
					routes++
				}
			}
		}
	}
	d.Changes = []string{fmt.Sprintf("gatescope started: %d %s, %d %s", len(p.Functions), plural(len(p.Functions), "function"), routes, plural(routes, "route"))}
	for _, fn := range p.Functions {
		if !fn.Remote() {
			d.Functions = append(d.Functions, exchange.DeployedFunction{Name: fn.Name, Change: lambda.ChangeAdded, Status: exchange.DeployBuilding})
		}
	}
	return d, st.CreateDeployment(ctx, d)
}

// Started records how the start's preparations went, given each
// function's code as the Manager reports it once Prepare returned.
func Started(ctx context.Context, st Store, d *exchange.Deployment, code func(name string) lambda.Code) error {
	failed := 0
	for i := range d.Functions {
		f := &d.Functions[i]
		c := code(f.Name)
		f.BuildMs, f.Version = ms(c.Took), c.Version
		switch c.State {
		case lambda.StateActive:
			f.Status = exchange.DeployDeployed
		case lambda.StateFailed:
			f.Status, f.Error = exchange.DeployFailed, c.Err.Error()
			failed++
		default:
			f.Status = exchange.DeploySuperseded // a reload prepared it anew meanwhile
		}
	}
	d.Status = exchange.DeployDeployed
	if failed > 0 {
		d.Status = exchange.DeployPartial
	}
	d.DurationMs = ms(time.Since(d.StartedAt))
	if d.ID == 0 {
		return nil
	}
	return st.UpdateDeployment(ctx, d)
}
