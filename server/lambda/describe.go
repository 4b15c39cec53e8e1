package lambda

import (
	"time"

	"github.com/gatescope/gatescope/server/config"
)

// What the Lambda control plane (lambdaapi) reports of local functions.

// State is a function's state as Lambda's GetFunction reports it.
type State string

// The states a local function goes through.
const (
	// StateInactive: nothing prepared it yet; the first invoke will.
	StateInactive State = "Inactive"
	// StatePending: gatescope is building or unpacking its code.
	StatePending State = "Pending"
	// StateActive: ready to run.
	StateActive State = "Active"
	// StateFailed: its code cannot run (Code.Err says why).
	StateFailed State = "Failed"
)

// Code is how a local function's code stands.
type Code struct {
	State State
	// Err is why the function Failed.
	Err error
	// Dir is the directory that runs: the code directory, or its build,
	// unpacked archive or inline code in the cache. "" until Active.
	Dir string
	// LayerDirs are the layers' contents (what Lambda extracts into /opt),
	// in the function's layer order. nil until Active.
	LayerDirs []string
	// Updated is when the code was last prepared, and Took how long
	// that took (a build, mostly).
	Updated time.Time
	Took    time.Duration
	// Version identifies the code (12 hex digits of its sources'
	// digest), and Deployment numbers the deployment that made it.
	Version    string
	Deployment int64
	// Updating: a deployment is preparing its code anew (Lambda's
	// LastUpdateStatus InProgress); the code above serves until it ends.
	Updating bool
	// UpdateErr is why the last deployment's build failed while the
	// code above kept serving (LastUpdateStatus Failed).
	UpdateErr error
}

// Functions are the project's functions, local and remote, in template order.
func (m *Manager) Functions() []*config.Function { return m.project.Load().Functions }

// Code reports how the local function name (logical name, physical name or
// ARN) stands. A remote or unknown function is Inactive with no code.
func (m *Manager) Code(name string) Code {
	fn := m.Function(name)
	if fn == nil || fn.Remote() {
		return Code{State: StateInactive}
	}
	m.mu.Lock()
	p, updating, failed := m.preps[fn.Name], m.nexts[fn.Name] != nil, m.failed[fn.Name]
	m.mu.Unlock()
	if p == nil {
		return Code{State: StateInactive}
	}
	select {
	case <-p.done:
	default:
		return Code{State: StatePending}
	}
	if p.err != nil {
		return Code{State: StateFailed, Err: p.err, Updated: p.at, Took: p.took, Updating: updating}
	}
	var layers []string
	for _, l := range p.cmd.layers {
		layers = append(layers, l.dir)
	}
	c := Code{State: StateActive, Dir: p.cmd.dir, LayerDirs: layers, Updated: p.at, Took: p.took,
		Version: p.cmd.version, Deployment: p.cmd.deployment, Updating: updating}
	if failed != nil {
		c.UpdateErr = failed.err
	}
	return c
}

// ARN is the function's ARN: its remote ARN, or the local one GetFunction
// and the Runtime API name it by.
func (m *Manager) ARN(fn *config.Function) string { return m.arn(fn) }
