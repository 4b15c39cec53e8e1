package exchange

import "time"

// Deployment is one change of what gatescope serves: its start, a saved
// change to a function's code, or an edited template. Deployments are
// numbered in the order they happen (the store gives the number), and each
// exchange records the deployment that served it, so that a replay can
// say a failure is "newly passing since deployment 14".
type Deployment struct {
	ID        int64     `json:"id"`
	StartedAt time.Time `json:"startedAt"`
	// DurationMs is how long the deployment took: loading the template
	// and building what changed. 0 while Status is building.
	DurationMs float64 `json:"durationMs"`
	// Trigger is what caused it: start, code or template.
	Trigger string `json:"trigger"`
	// Status is building, then deployed, failed (nothing of it serves:
	// the last good version does) or partial (some functions failed to
	// build and keep their last good code).
	Status string `json:"status"`
	// Files are the changed files, relative to the template's directory
	// when under it (at most MaxDeploymentFiles).
	Files []string `json:"files,omitempty"`
	// Changes say what changed, one sentence each ("route GET /items
	// added", "function Hello: Environment changed").
	Changes []string `json:"changes,omitempty"`
	// Functions are the functions the deployment prepared anew.
	Functions []DeployedFunction `json:"functions,omitempty"`
	// Error says why the deployment failed as a whole: the template no
	// longer loads (file:line), and the last good one keeps serving.
	Error string `json:"error,omitempty"`
}

// MaxDeploymentFiles bounds Deployment.Files: a checkout may change
// thousands.
const MaxDeploymentFiles = 20

// The triggers of a deployment.
const (
	TriggerStart    = "start"
	TriggerCode     = "code"
	TriggerTemplate = "template"
)

// The statuses of a deployment and of each function in it.
const (
	DeployBuilding = "building"
	DeployDeployed = "deployed"
	DeployFailed   = "failed"
	DeployPartial  = "partial"
	// DeployUnchanged: a function was built again and what runs is the
	// same, so its environments stay warm.
	DeployUnchanged = "unchanged"
	// DeploySuperseded: a later deployment started before this one's
	// build ended, and replaced it.
	DeploySuperseded = "superseded"
)

// DeployedFunction is one function in a deployment.
type DeployedFunction struct {
	Name string `json:"name"`
	// Change is code, configuration, added or removed.
	Change string `json:"change"`
	// Status is building, deployed, unchanged, failed or superseded.
	Status string `json:"status"`
	// BuildMs is how long preparing its code took (a go build, a bundle,
	// a make; about nothing for code that runs as it is).
	BuildMs float64 `json:"buildMs,omitempty"`
	// Version identifies its code now (a digest of what it runs from).
	Version string `json:"version,omitempty"`
	// Error is the build's error, the compiler's file:line included.
	Error string `json:"error,omitempty"`
}

// Failed reports whether anything in the deployment failed.
func (d *Deployment) Failed() bool {
	return d.Status == DeployFailed || d.Status == DeployPartial
}
