package reload

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/lambda"
)

// DiffProjects says, one sentence each, what a template change changes
// in what is served besides its functions (Deploy says those): APIs and
// routes added, removed or changed, and access settings.
func DiffProjects(old, new *config.Project) []string {
	var out []string
	oldAPIs := map[string]*config.API{}
	for _, a := range old.APIs {
		oldAPIs[a.ID] = a
	}
	seen := map[string]bool{}
	for _, a := range new.APIs {
		seen[a.ID] = true
		o := oldAPIs[a.ID]
		if o == nil {
			out = append(out, fmt.Sprintf("%s API %s added with %d %s", a.Type, a.ID, len(a.Routes), plural(len(a.Routes), "route")))
			continue
		}
		label := ""
		if len(new.APIs) > 1 {
			label = "API " + a.ID + ": "
		}
		out = append(out, diffRoutes(label, o, a)...)
		if !sameIgnoringPlaces(settings(o), settings(a)) {
			out = append(out, fmt.Sprintf("API %s: its settings changed (stage, CORS, authorizers, ...)", a.ID))
		}
	}
	for _, o := range old.APIs {
		if !seen[o.ID] {
			out = append(out, fmt.Sprintf("%s API %s removed", o.Type, o.ID))
		}
	}
	if !sameIgnoringPlaces(accessOf(old, false), accessOf(new, false)) {
		out = append(out, "permissions, API keys or usage plans changed")
	}
	return out
}

// diffRoutes compares one API's routes by route key.
func diffRoutes(label string, o, a *config.API) []string {
	var out []string
	before := map[string]*config.Route{}
	for _, r := range o.Routes {
		before[r.Key()] = r
	}
	for _, r := range a.Routes {
		b, ok := before[r.Key()]
		delete(before, r.Key())
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%sroute %s added%s", label, r.Key(), target(r)))
		case !sameIgnoringPlaces(b, r):
			if b.Function != r.Function || b.Integration != r.Integration {
				out = append(out, fmt.Sprintf("%sroute %s now%s", label, r.Key(), target(r)))
			} else {
				out = append(out, fmt.Sprintf("%sroute %s changed", label, r.Key()))
			}
		}
	}
	for _, r := range o.Routes {
		if _, gone := before[r.Key()]; gone {
			out = append(out, fmt.Sprintf("%sroute %s removed", label, r.Key()))
		}
	}
	return out
}

// target is where a route leads, for a sentence: " → Fn".
func target(r *config.Route) string {
	switch {
	case r.Emulated():
		return " → " + r.Function
	case r.Integration.Kind != config.ProxyIntegration:
		return " (" + r.Integration.Kind.String() + " integration, not emulated)"
	}
	return ""
}

// settings is an API without its routes.
func settings(a *config.API) config.API {
	c := *a
	c.Routes = nil
	return c
}

// SameAccess reports whether two projects declare the same access
// control (authorizers, permissions, API keys, usage plans), wherever in
// the template: access control built from one serves the other, and
// keeps its caches and the permissions added at run time.
func SameAccess(a, b *config.Project) bool {
	return sameIgnoringPlaces(accessOf(a, true), accessOf(b, true))
}

// access is what access control is built from. Without all, what a
// deployment lists otherwise is left out: the statements SAM adds for
// each event (they follow the routes) and the APIs' authorizers (their
// settings).
type access struct {
	Permissions []*config.Permission
	APIKeys     []*config.APIKey
	UsagePlans  []*config.UsagePlan
	Authorizers [][]*config.Authorizer
	Account     string
}

func accessOf(p *config.Project, all bool) access {
	x := access{APIKeys: p.APIKeys, UsagePlans: p.UsagePlans, Account: p.AccountID}
	for _, st := range p.Permissions {
		if all || !st.SAM {
			x.Permissions = append(x.Permissions, st)
		}
	}
	for _, api := range p.APIs {
		if all {
			x.Authorizers = append(x.Authorizers, api.Authorizers)
		}
	}
	return x
}

// sameIgnoringPlaces compares two values of the model as JSON, leaving
// out where in the template things are written (File, Line): adding a
// line above a resource changes nothing served.
func sameIgnoringPlaces(a, b any) bool {
	return reflect.DeepEqual(withoutPlaces(a), withoutPlaces(b))
}

func withoutPlaces(v any) any {
	raw, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	var doc any
	if json.Unmarshal(raw, &doc) != nil {
		return string(raw)
	}
	var strip func(any)
	strip = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			delete(x, "File")
			delete(x, "Line")
			for _, v := range x {
				strip(v)
			}
		case []any:
			for _, v := range x {
				strip(v)
			}
		}
	}
	strip(doc)
	return doc
}

// changeText is one function's change as a sentence.
func changeText(c lambda.Change) string {
	switch c.Kind {
	case lambda.ChangeCode:
		return "function " + c.Function + ": code changed"
	case lambda.ChangeConfiguration:
		return "function " + c.Function + ": " + lambda.PropertiesText(c.Properties) + " changed"
	}
	return "function " + c.Function + " " + c.Kind
}

// Summary is a deployment in one line, for the log and the terminal:
// what changed, how the builds went, and the first lines of an error.
func Summary(d *exchange.Deployment) string {
	var b strings.Builder
	fmt.Fprintf(&b, "deployment %d", d.ID)
	switch d.Status {
	case exchange.DeployFailed:
		b.WriteString(" failed")
	case exchange.DeployPartial:
		b.WriteString(" partly failed")
	case exchange.DeploySuperseded:
		b.WriteString(" superseded by a later save")
	case exchange.DeployBuilding:
		b.WriteString(" building")
	}
	if len(d.Files) > 0 {
		b.WriteString(" (" + strings.Join(d.Files, ", ") + ")")
	}
	var parts []string
	if d.Error != "" {
		parts = append(parts, "the template does not load, the last good one keeps serving: "+firstLines(d.Error, 3))
	} else {
		parts = append(parts, d.Changes...)
	}
	for _, f := range d.Functions {
		switch f.Status {
		case exchange.DeployFailed:
			parts = append(parts, "function "+f.Name+": build failed, the last good code keeps serving: "+firstLines(f.Error, 3))
		case exchange.DeployDeployed:
			if f.BuildMs >= 1 {
				parts = append(parts, fmt.Sprintf("function %s ready in %s", f.Name, msText(f.BuildMs)))
			}
		case exchange.DeployUnchanged:
			parts = append(parts, "function "+f.Name+": same code, kept warm")
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "nothing served changed")
	}
	return b.String() + ": " + strings.Join(parts, "; ")
}

// firstLines is s cut to its first n lines.
func firstLines(s string, n int) string {
	lines := strings.SplitN(strings.TrimSpace(s), "\n", n+1)
	if len(lines) > n {
		lines = append(lines[:n], "…")
	}
	return strings.Join(lines, " ⏎ ")
}

func msText(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.1f s", v/1000)
	}
	return fmt.Sprintf("%.0f ms", v)
}

func plural(n int, one string) string {
	if n == 1 {
		return one
	}
	return one + "s"
}
