package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/lambda/bootstrap"
)

// Hot reload. A deployment replaces what some functions run: their code
// changed on disk, or the template changed their configuration, added or
// removed them. Deploy prepares each anew in the background; meanwhile
// their invokes wait for it (within their deadline) and every other
// function is served as before. Once a function's new code is ready, its
// pool starts new environments from it: idle environments running the
// old code end, busy ones finish their invocation on it and end then.
// When the build fails, the last good code keeps serving and Code reports
// the error, as Lambda keeps a function Active when an update fails.
// Environments of functions the deployment did not change stay warm.

// Change is what a deployment changes about one function.
type Change struct {
	Function string
	// Kind is code, configuration, added or removed.
	Kind string
	// Properties are the configuration's changed properties, as the
	// template names them (Environment, Timeout, ...).
	Properties []string
}

// The kinds of Change.
const (
	ChangeCode          = "code"
	ChangeConfiguration = "configuration"
	ChangeAdded         = "added"
	ChangeRemoved       = "removed"
)

// Outcome is how one function's redeployment ended.
type Outcome string

// The outcomes of a redeployment.
const (
	// Deployed: new environments run the new code.
	Deployed Outcome = "deployed"
	// Unchanged: the sources are what the running code was made from;
	// its environments stay warm.
	Unchanged Outcome = "unchanged"
	// Failed: the build failed; the last good code keeps serving (or,
	// for a function that never built, invokes fail with the error).
	Failed Outcome = "failed"
	// Superseded: a later deployment replaced this one before it ended.
	Superseded Outcome = "superseded"
)

// Rebuild is how one function's redeployment ended.
type Rebuild struct {
	Change
	Outcome Outcome
	// Took is how long preparing the code took (the build).
	Took time.Duration
	// Version identifies the code the function runs now.
	Version string
	// Err is why the build failed.
	Err error
}

// Rollout is a deployment under way.
type Rollout struct {
	// Changes are what the deployment changes, known at once.
	Changes []Change
	preps   map[string]*preparation
}

// Wait waits for the deployment's builds to end and says how each went,
// in the order of Changes. A removed function is Deployed at once.
func (r *Rollout) Wait() []Rebuild {
	out := make([]Rebuild, 0, len(r.Changes))
	for _, c := range r.Changes {
		rb := Rebuild{Change: c, Outcome: Deployed}
		if p := r.preps[c.Function]; p != nil {
			<-p.done
			rb.Outcome, rb.Took, rb.Err, rb.Version = p.outcome, p.took, p.err, shortVersion(p.source)
			if rb.Outcome == Unchanged || rb.Outcome == Superseded {
				rb.Took, rb.Err = 0, nil
			}
		}
		out = append(out, rb)
	}
	return out
}

// Stale returns which of the named local functions have sources that
// differ from those their code was prepared from (or whose preparation
// has not ended): the functions a change on disk redeploys. It reads
// only files changed since it last looked.
func (m *Manager) Stale(names []string) []string {
	var out []string
	for _, name := range names {
		fn := m.project.Load().Function(name)
		if fn == nil || fn.Remote() {
			continue
		}
		m.mu.Lock()
		p := m.preps[name]
		if next := m.nexts[name]; next != nil {
			p = next
		}
		failed := m.failed[name]
		m.mu.Unlock()
		if p == nil {
			continue // never prepared: its first invoke prepares what is there
		}
		select {
		case <-p.done:
		default:
			out = append(out, name) // under way: it may have read the old sources
			continue
		}
		// A failed deployment counts too: sources that differ from it (even
		// back to the code that serves) are a change, which clears it.
		if src, err := m.sums.digest(fn); err != nil || src != p.source || failed != nil && src != failed.source {
			out = append(out, name)
		}
	}
	return out
}

// Deploy starts deployment number deployment: project replaces the
// functions' configuration (nil: keep it), and the functions named in
// code are prepared again from their sources. It returns at once, having
// made invokes of every changed function wait for its new code; Wait on
// the Rollout waits for the builds.
func (m *Manager) Deploy(deployment int64, project *config.Project, code []string) *Rollout {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := &Rollout{preps: map[string]*preparation{}}
	if m.closed {
		return r
	}
	old := m.project.Load()
	if project == nil {
		project = old
	}
	if project != old {
		for _, fn := range project.Functions {
			switch o := old.Function(fn.Name); {
			case o == nil:
				r.Changes = append(r.Changes, Change{Function: fn.Name, Kind: ChangeAdded})
			default:
				if props := changedProperties(o, fn); len(props) > 0 {
					r.Changes = append(r.Changes, Change{Function: fn.Name, Kind: ChangeConfiguration, Properties: props})
				}
			}
		}
		for _, o := range old.Functions {
			if project.Function(o.Name) == nil {
				r.Changes = append(r.Changes, Change{Function: o.Name, Kind: ChangeRemoved})
			}
		}
		m.project.Store(project)
	}
	for _, name := range code {
		fn := project.Function(name)
		if fn != nil && !fn.Remote() && !slices.ContainsFunc(r.Changes, func(c Change) bool { return c.Function == name }) {
			r.Changes = append(r.Changes, Change{Function: name, Kind: ChangeCode})
		}
	}
	for _, c := range r.Changes {
		name := c.Function
		if prev := m.nexts[name]; prev != nil {
			prev.cancel() // superseded: the sources changed again
			delete(m.nexts, name)
		}
		fn := project.Function(name)
		switch {
		case c.Kind == ChangeRemoved:
			if pl := m.pools[name]; pl != nil {
				pl.retire()
			}
			delete(m.pools, name)
			delete(m.preps, name)
		case fn.Remote():
			if pl := m.pools[name]; pl != nil {
				pl.retire()
			}
			m.pools[name] = newPool(m, fn, deployment)
		case c.Kind == ChangeAdded:
			p := m.newPreparation(fn, deployment)
			pl := newPool(m, fn, deployment)
			pl.gen = p.gen
			m.pools[name] = pl
			m.preps[name] = p
			r.preps[name] = p
			go func() {
				m.build(p, nil)
				p.cancel()
				p.outcome = Deployed
				if p.err != nil {
					p.outcome = Failed
				}
				close(p.done)
			}()
		default:
			p := m.newPreparation(fn, deployment)
			m.nexts[name] = p
			r.preps[name] = p
			go m.redeploy(p)
		}
	}
	return r
}

// redeploy builds p, a new preparation of a function that has one, and
// makes it what new environments start from if it built (or if the one
// it replaces never did).
func (m *Manager) redeploy(p *preparation) {
	defer p.cancel()
	name := p.fn.Name
	m.build(p, func(source string) bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		cur := m.preps[name]
		if cur == nil {
			return false
		}
		select {
		case <-cur.done:
			return cur.err == nil && cur.fn == p.fn && cur.source == source
		default:
			return false
		}
	})
	// The new code's first environment starts now: an error in its init
	// (a syntax error, an import that fails, a panic) fails the
	// deployment and the last good code keeps serving; one that starts
	// serves the next invoke.
	var fresh *env
	if p.err == nil && !p.unchanged && p.ctx.Err() == nil {
		fresh, p.err = m.trial(p)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	defer close(p.done)
	if m.nexts[name] != p {
		p.outcome = Superseded // or its function was removed
		if fresh != nil {
			fresh.kill()
		}
		return
	}
	delete(m.nexts, name)
	cur := m.preps[name]
	switch {
	case p.unchanged:
		p.outcome = Unchanged
		delete(m.failed, name) // the code that serves is the code there again
		return
	case p.err != nil && cur != nil && succeeded(cur):
		p.outcome = Failed // the last good code keeps serving
		m.failed[name] = p
		return
	}
	m.preps[name] = p
	delete(m.failed, name)
	p.outcome = Deployed
	if p.err != nil {
		p.outcome = Failed
	}
	pl := m.pools[name]
	switch {
	case pl == nil || pl.fn != p.fn:
		np := newPool(m, p.fn, p.deployment)
		np.gen = p.gen
		m.pools[name] = np
		if pl != nil {
			pl.retire()
		}
		pl = np
	default:
		pl.setCode(p.gen, p.deployment)
	}
	if fresh != nil {
		pl.adopt(fresh)
	}
}

// trial starts an environment on p's new code and waits for its init. It
// returns the environment, or the error its init reported, with what it
// printed: a syntax error's file and line are there.
func (m *Manager) trial(p *preparation) (*env, error) {
	if r := p.fn.ReservedConcurrency; r != nil && *r == 0 {
		return nil, nil // throttles every invoke: nothing would run it
	}
	e, err := startEnv(m.logger, m.procs, p.fn, p.cmd, m.environ(p.fn, p.cmd))
	if err != nil {
		return nil, err
	}
	m.track(e)
	initErr, err := e.waitReady(p.ctx, initLimit)
	if err == nil && initErr == nil {
		e.fresh = true
		return e, nil
	}
	e.kill()
	if err != nil {
		return nil, err // superseded, or closing
	}
	e.logs.waitClosed(100 * time.Millisecond)
	printed, _ := e.logs.begin(nil)
	e.logs.end(0)
	return nil, initError(p.fn, initErr, m.syntaxError(p, initErr), printed)
}

// initError is a failed init as an error: Lambda's error type and
// message, then where it is (Node's syntax check), or else the stack the
// runtime sent, or else the last lines the process printed (a panic).
func initError(fn *config.Function, payload []byte, where, printed string) error {
	var fe struct {
		Type    string   `json:"errorType"`
		Message string   `json:"errorMessage"`
		Stack   []string `json:"stackTrace"`
		Trace   []string `json:"trace"`
	}
	_ = json.Unmarshal(payload, &fe)
	var b strings.Builder
	fmt.Fprintf(&b, "function %s: the new code fails to start: %s: %s", fn.Name, fe.Type, fe.Message)
	var lines []string
	for _, l := range append(fe.Stack, fe.Trace...) {
		// Frames of gatescope's own runtime client say nothing of the
		// user's code, and a first line repeating the error says it twice.
		if bootstrap.OwnFrame(l) || strings.TrimSpace(l) == fe.Type+": "+fe.Message {
			continue
		}
		lines = append(lines, l)
	}
	switch {
	case where != "":
		lines = []string{where}
	case len(lines) == 0 && fe.Type == "" && strings.TrimSpace(printed) != "":
		// No error from the runtime client (a panic, an exit): what the
		// process printed says why. Otherwise it only repeats the error.
		lines = strings.Split(strings.TrimSpace(printed), "\n")
		if len(lines) > 20 {
			lines = lines[len(lines)-20:]
		}
	}
	for _, l := range lines {
		b.WriteString("\n" + strings.TrimRight(l, "\n"))
	}
	return errors.New(b.String())
}

// syntaxError finds where a Node.js syntax error is: Node's error says
// what, not where, so the files of the function changed lately are
// checked with node --check, which prints the file, line and column.
func (m *Manager) syntaxError(p *preparation, initErr []byte) string {
	if parseFunctionError(initErr).Type != "Runtime.UserCodeSyntaxError" || !strings.HasPrefix(strings.ToLower(p.fn.Runtime), "nodejs") {
		return ""
	}
	js := func(name string) bool {
		switch filepath.Ext(name) {
		case ".js", ".mjs", ".cjs":
			return true
		}
		return false
	}
	for _, f := range m.sums.changedSince(p.fn.CodeDir, time.Now().Add(-10*time.Minute), 10, js) {
		ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
		out, err := exec.CommandContext(ctx, p.cmd.path, "--check", f).CombinedOutput()
		cancel()
		if err != nil && len(out) > 0 {
			return nodeCheckText(string(out))
		}
	}
	return ""
}

// succeeded reports whether p ended and made code that runs.
func succeeded(p *preparation) bool {
	select {
	case <-p.done:
		return p.err == nil
	default:
		return false
	}
}

// settle waits for a redeployment of fn under way, if any (and for the
// one after it, if a change superseded it). An invoke that gives up
// waiting is refused as Lambda refuses one to a Pending function.
func (m *Manager) settle(ctx context.Context, fn *config.Function) error {
	for {
		m.mu.Lock()
		p := m.nexts[fn.Name]
		m.mu.Unlock()
		if p == nil {
			return nil
		}
		select {
		case <-p.done:
		case <-ctx.Done():
			return pending(ctx, fn, "rebuilding")
		}
	}
}

// changedProperties names the properties in which two versions of a
// function differ, as far as running it goes (not its Description, nor
// where in the template its build settings are written).
func changedProperties(a, b *config.Function) []string {
	var out []string
	add := func(differ bool, name string) {
		if differ {
			out = append(out, name)
		}
	}
	add(a.FunctionName != b.FunctionName, "FunctionName")
	add(a.ARN != b.ARN, "the deployed function's ARN")
	add(a.Runtime != b.Runtime, "Runtime")
	add(a.Handler != b.Handler, "Handler")
	add(a.CodeDir != b.CodeDir, "CodeUri")
	add(a.InlineCode != b.InlineCode, "InlineCode")
	add(!sameBuild(a.Build, b.Build), "Metadata")
	add(!slices.EqualFunc(a.Layers, b.Layers, sameLayer), "Layers")
	add(a.Architecture != b.Architecture, "Architectures")
	add(a.Timeout != b.Timeout, "Timeout")
	add(a.MemoryMB != b.MemoryMB, "MemorySize")
	add(!maps.Equal(a.Env, b.Env), "Environment")
	add(!reflect.DeepEqual(a.ReservedConcurrency, b.ReservedConcurrency), "ReservedConcurrentExecutions")
	return out
}

func sameBuild(a, b *config.Build) bool {
	if a == nil || b == nil {
		return a == b
	}
	x, y := *a, *b
	x.File, x.Line, y.File, y.Line = "", 0, "", 0
	return reflect.DeepEqual(x, y)
}

func sameLayer(a, b *config.Layer) bool {
	return a.Name == b.Name && a.ARN == b.ARN && a.Content == b.Content && sameBuild(a.Build, b.Build)
}

// PropertiesText lists changed properties for a sentence: "Environment
// and Timeout".
func PropertiesText(props []string) string {
	switch len(props) {
	case 0:
		return ""
	case 1:
		return props[0]
	}
	return strings.Join(props[:len(props)-1], ", ") + " and " + props[len(props)-1]
}

// nodeCheckText keeps what node --check says of a syntax error: the file
// and line, the code with its caret, and the error; not Node's own stack.
func nodeCheckText(out string) string {
	var keep []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "at ") || strings.HasPrefix(l, "Node.js v") {
			continue
		}
		keep = append(keep, l)
	}
	return strings.TrimSpace(strings.Join(keep, "\n"))
}
