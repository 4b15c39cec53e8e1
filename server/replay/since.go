package replay

import (
	"context"
	"strconv"
	"strings"

	"github.com/gatescope/gatescope/server/exchange"
)

// Since names the deployment a replay's difference dates from: the first
// deployment after the original's that changed what the exchange runs
// (its function's code or configuration, its route, or gatescope's start
// on code that may have changed meanwhile).
type Since struct {
	Deployment int64 `json:"deployment"`
	// Change is what that deployment changed, as it says it.
	Change string `json:"change,omitempty"`
}

// Verdict is the diff's class in words, with the deployment it dates
// from when known: "newly passing since deployment 14".
func (d *Diff) Verdict() string {
	if d.Since == nil || d.Class == ClassSame {
		return string(d.Class)
	}
	return string(d.Class) + " since deployment " + strconv.FormatInt(d.Since.Deployment, 10)
}

// since finds what a difference between orig and rep dates from, from
// the deployments between theirs; nil when the diff is the same, when
// either ran on no recorded deployment, or when none between changed it.
func (r *Replayer) since(ctx context.Context, d *Diff, orig, rep *exchange.Exchange) {
	if d == nil || d.Class == ClassSame || orig.Deployment <= 0 || rep.Deployment <= orig.Deployment {
		return
	}
	ds, err := r.store.DeploymentsBetween(ctx, orig.Deployment, rep.Deployment)
	if err != nil {
		return // the diff stands without it
	}
	fn := orig.Function.Name
	for _, dep := range ds {
		if change := touches(dep, fn, orig.RouteKey); change != "" {
			d.Since = &Since{Deployment: dep.ID, Change: change}
			return
		}
	}
}

// touches says what deployment d changed of function fn or route key
// route, or "" when it changed neither (or none of it serves: it failed).
func touches(d *exchange.Deployment, fn, route string) string {
	if d.Status == exchange.DeployFailed || d.Status == exchange.DeploySuperseded || d.Status == exchange.DeployBuilding {
		return ""
	}
	if d.Trigger == exchange.TriggerStart {
		return "gatescope started again"
	}
	for _, f := range d.Functions {
		if fn != "" && f.Name == fn && f.Status == exchange.DeployDeployed {
			for _, c := range d.Changes {
				if strings.HasPrefix(c, "function "+fn+":") || strings.HasPrefix(c, "function "+fn+" ") {
					return c
				}
			}
			return "function " + fn + ": " + f.Change + " changed"
		}
	}
	for _, c := range d.Changes {
		if route != "" && strings.Contains(c, "route "+route+" ") {
			return c
		}
	}
	return ""
}
