package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"

	"github.com/gatescope/gatescope/server/apigw"
	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/lambda"
)

// checkReport is `gatescope check --json`, as DESIGN.md fixes it.
type checkReport struct {
	APIs        []checkAPI      `json:"apis"`
	Functions   []checkFunction `json:"functions"`
	NotEmulated []checkFinding  `json:"notEmulated"`
	Warnings    []checkFinding  `json:"warnings"`
}

type checkAPI struct {
	ID      string       `json:"id"`
	Type    string       `json:"type"` // http, rest or websocket
	Stage   string       `json:"stage"`
	BaseURL string       `json:"baseUrl"`
	Routes  []checkRoute `json:"routes"`
}

type checkRoute struct {
	RouteKey    string  `json:"routeKey"`
	Function    string  `json:"function"`
	Integration string  `json:"integration"` // proxy, custom, mock or http
	Authorizer  *string `json:"authorizer"`  // null when the route has none
}

type checkFunction struct {
	Name    string `json:"name"`
	Runtime string `json:"runtime"`
	CodeDir string `json:"codeDir"`
	Local   bool   `json:"local"`
	inline  bool
}

type checkFinding struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Resource string `json:"resource"`
	Property string `json:"property"`
	Message  string `json:"message"`
}

// checkFlags are the flags of `gatescope check`; the ones serve also has
// mean the same (and read the same GATESCOPE_* twins), so check sees what
// serve would serve.
type checkFlags struct {
	template, apiAddr, region, envVars string
	asJSON                             bool
	params                             keyValues
}

func (f *checkFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.template, "template", "", "SAM template `FILE` (default ./template.yaml or ./template.yml)")
	fs.StringVar(&f.template, "t", "", "shorthand for --template")
	fs.BoolVar(&f.asJSON, "json", false, "print one JSON object instead of text")
	fs.StringVar(&f.apiAddr, "api-addr", "127.0.0.1:3000", "the `address` serve would use, for the APIs' URLs")
	fs.StringVar(&f.region, "region", "", "AWS region (default $AWS_REGION, else us-east-1)")
	fs.StringVar(&f.envVars, "env-vars", "", "environment variable overrides `FILE` in SAM CLI's JSON format")
	fs.Var(f.params, "parameter-overrides", "template parameters as `KEY=VALUE` (repeatable, or space separated)")
}

// runCheck loads the template as serve would, starts nothing, and prints
// what would be served and what is not emulated. Exit status: 0 when
// everything is emulated, 1 when something is listed, 2 when the template
// cannot be loaded (or the flags are wrong).
func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("check", "check [--template FILE] [--json]", stderr)
	f := checkFlags{params: keyValues{}}
	f.register(fs)
	if err := parse(fs, args); err != nil {
		if errors.Is(err, errHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "gatescope:", err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gatescope: check takes no arguments, got %q\n", fs.Args())
		return 2
	}
	path, err := templatePath(serveFlags{template: f.template})
	if err != nil {
		fmt.Fprintln(stderr, "gatescope:", err)
		return 2
	}
	project, err := loadProject(path, f.region, f.params, f.envVars)
	if err != nil {
		fmt.Fprintln(stderr, "gatescope:", err)
		return 2
	}
	// The routing table serve would build: its errors stop serve, and the
	// routes one API hides from another on the merged address are warned.
	router, err := apigw.NewRouter(project.APIs)
	if err != nil {
		fmt.Fprintf(stderr, "gatescope: %s: %v\n", path, err)
		return 2
	}
	project.Warnings = append(project.Warnings, shadowWarnings(project, router, f.apiAddr)...)
	project.Warnings = append(project.Warnings, runtimeWarnings(ctx, project)...)
	rep := newCheckReport(project, f.apiAddr)
	if f.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintln(stderr, "gatescope:", err)
			return 2
		}
	} else {
		printCheck(stdout, project, rep)
	}
	if len(rep.NotEmulated) > 0 {
		return 1
	}
	return 0
}

// loadProject loads a template with the options every command shares.
func loadProject(path, region string, params keyValues, envVarsFile string) (*config.Project, error) {
	opts := config.Options{Region: regionOf(region), ParameterOverrides: params}
	if envVarsFile != "" {
		ev, err := config.LoadEnvVars(envVarsFile)
		if err != nil {
			return nil, err
		}
		opts.EnvVars = ev
	}
	return config.Load(path, opts)
}

func newCheckReport(p *config.Project, apiAddr string) *checkReport {
	rep := &checkReport{APIs: []checkAPI{}, Functions: []checkFunction{}, NotEmulated: findings(p.NotEmulated), Warnings: findings(p.Warnings)}
	for _, a := range p.APIs {
		if !a.Emulated() {
			continue // listed in notEmulated
		}
		ca := checkAPI{ID: a.ID, Type: strings.ToLower(string(a.Type)), Stage: a.Stage, BaseURL: apiBaseURL(a, apiAddr), Routes: []checkRoute{}}
		for _, r := range a.Routes {
			if !r.Emulated() {
				continue // listed in notEmulated
			}
			cr := checkRoute{RouteKey: r.Key(), Function: r.Function, Integration: r.Integration.Kind.String()}
			if r.Authorizer != "" {
				az := r.Authorizer
				cr.Authorizer = &az
			}
			ca.Routes = append(ca.Routes, cr)
		}
		rep.APIs = append(rep.APIs, ca)
	}
	for _, f := range p.Functions {
		rep.Functions = append(rep.Functions, checkFunction{Name: f.Name, Runtime: f.Runtime, CodeDir: f.CodeDir, Local: !f.Remote(),
			inline: f.InlineCode != ""})
	}
	return rep
}

// shadowWarnings says which routes the merged address never reaches, and
// where they answer instead.
func shadowWarnings(p *config.Project, r *apigw.Router, apiAddr string) []config.Warning {
	var out []config.Warning
	for _, sh := range r.Shadowed() {
		out = append(out, config.Warning{File: p.Path, Resource: sh.API.ID, Message: fmt.Sprintf(
			"route %s is also declared by API %s, which answers it on the merged address; this API answers it at %s",
			sh.Route.Key(), sh.By.ID, apiBaseURL(sh.API, apiAddr))})
	}
	return out
}

// runtimeWarnings says which local Node.js and Python functions would run
// on another version than their runtime's here, or cannot run at all for
// want of an interpreter (serve logs the same when it prepares them).
func runtimeWarnings(ctx context.Context, p *config.Project) []config.Warning {
	var out []config.Warning
	seen := map[string]lambda.Interpreter{}
	errs := map[string]error{}
	for _, f := range p.Functions {
		rt := strings.ToLower(f.Runtime)
		if f.Remote() || !(strings.HasPrefix(rt, "nodejs") || strings.HasPrefix(rt, "python")) {
			continue
		}
		in, ok := seen[rt]
		err := errs[rt]
		if !ok && err == nil {
			in, err = lambda.LocalInterpreter(ctx, f.Runtime)
			seen[rt], errs[rt] = in, err
		}
		msg := in.Warning
		if err != nil {
			msg = err.Error()
		}
		if msg != "" {
			out = append(out, config.Warning{File: p.Path, Resource: f.Name, Property: "Runtime", Message: msg})
		}
	}
	return out
}

func findings(ws []config.Warning) []checkFinding {
	out := make([]checkFinding, 0, len(ws))
	for _, w := range ws {
		out = append(out, checkFinding{File: w.File, Line: w.Line, Resource: w.Resource, Property: w.Property, Message: w.Message})
	}
	return out
}

// apiBaseURL is the URL that addresses one API alone: its own host on the
// api address's port, with the stage path for a named stage (ws:// for a
// WebSocket API).
func apiBaseURL(a *config.API, apiAddr string) string {
	scheme := "http://"
	if a.Type == config.WSAPI {
		scheme = "ws://"
	}
	u := scheme + a.Host()
	if _, port, err := net.SplitHostPort(apiAddr); err == nil && port != "80" {
		u += ":" + port
	}
	if a.Stage != "" && a.Stage != "$default" {
		u += "/" + a.Stage
	}
	return u
}

// printCheck is check's text output.
func printCheck(w io.Writer, p *config.Project, rep *checkReport) {
	fmt.Fprintln(w, displayPath(p.Path))
	for _, a := range rep.APIs {
		fmt.Fprintf(w, "  %s API %s  %s  (stage %s)\n", strings.ToUpper(a.Type), a.ID, a.BaseURL, a.Stage)
		for _, r := range a.Routes {
			auth := ""
			if r.Authorizer != nil {
				auth = "  (authorizer " + *r.Authorizer + ")"
			}
			fmt.Fprintf(w, "    %-28s → %s%s\n", r.RouteKey, r.Function, auth)
		}
	}
	if len(rep.Functions) > 0 {
		fmt.Fprintln(w, "  functions:")
		for _, f := range rep.Functions {
			where := "remote"
			switch {
			case f.inline:
				where = "code in the template"
			case f.Local && f.CodeDir == "":
				where = "no code to run (see below)"
			case f.Local:
				where = displayPath(f.CodeDir)
			}
			fmt.Fprintf(w, "    %-28s %s  %s\n", f.Name, f.Runtime, where)
		}
	}
	if len(p.NotEmulated) > 0 {
		fmt.Fprintf(w, "\nNot emulated (%d):\n", len(p.NotEmulated))
		for _, f := range p.NotEmulated {
			fmt.Fprintf(w, "  %s\n", f)
		}
	} else {
		fmt.Fprintln(w, "\nEverything the template declares is emulated.")
	}
	if len(p.Warnings) > 0 {
		fmt.Fprintf(w, "\nWarnings (%d):\n", len(p.Warnings))
		for _, f := range p.Warnings {
			fmt.Fprintf(w, "  %s\n", f)
		}
	}
}

// printNotEmulated prints the not-emulated list short, grouped by what is
// not emulated: one line per feature (the sentence's first clause) with
// where the template declares it.
func printNotEmulated(w io.Writer, list []config.Warning) {
	if len(list) == 0 {
		return
	}
	fmt.Fprintf(w, "  Not emulated (%d; `gatescope check` lists each with its line and why):\n", len(list))
	for _, g := range groupNotEmulated(list) {
		fmt.Fprintf(w, "    - %s: %s\n", g.Head, strings.Join(g.Short, ", "))
	}
}

// notEmulatedGroup is one feature of the not-emulated list and where the
// template declares it.
type notEmulatedGroup struct {
	Message string   // the full sentence
	Head    string   // its first clause, for the banner
	Where   []string // "Resource.Property (file:line)", at most maxWhere, then "N more"
	Short   []string // "Resource.Property:line", the same
}

// createdElsewhere groups every resource type gatescope does not create
// under one head, naming each type: one line instead of one per service.
const createdElsewhere = "resources gatescope does not create (functions that use them reach AWS with your credentials)"

func groupNotEmulated(list []config.Warning) []notEmulatedGroup {
	const maxWhere = 4
	var groups []notEmulatedGroup
	index := map[string]int{}
	counts := map[string]int{}
	for _, w := range list {
		key, head := w.Message, w.Message
		what := w.Resource
		if w.Property != "" {
			what += "." + w.Property
		}
		if typ, ok := strings.CutSuffix(w.Message, " is not emulated: gatescope does not create it; a function that uses it reaches AWS with your credentials"); ok {
			key, head = createdElsewhere, createdElsewhere
			what += " (" + typ + ")"
		} else if i := strings.Index(head, ": "); i > 0 {
			head = head[:i]
		}
		i, ok := index[key]
		if !ok {
			i = len(groups)
			index[key] = i
			groups = append(groups, notEmulatedGroup{Message: key, Head: head})
		}
		counts[key]++
		if g := &groups[i]; len(g.Where) < maxWhere {
			g.Where = append(g.Where, fmt.Sprintf("%s (%s:%d)", what, filepath.Base(w.File), w.Line))
			g.Short = append(g.Short, fmt.Sprintf("%s:%d", what, w.Line))
		}
	}
	for i := range groups {
		if n := counts[groups[i].Message] - len(groups[i].Where); n > 0 {
			more := fmt.Sprintf("%d more", n)
			groups[i].Where = append(groups[i].Where, more)
			groups[i].Short = append(groups[i].Short, more)
		}
	}
	return groups
}

// printWebSocketRoutes prints a WebSocket API's URL on the merged address,
// where its @connections API is, and its routes.
func printWebSocketRoutes(w io.Writer, a *config.API, apiAddr string) {
	merged := browsable(apiAddr) + "/" + a.Stage
	fmt.Fprintf(w, "    connect ws://%s   @connections: https://%s/@connections/{id}\n", merged, merged)
	for _, r := range a.Routes {
		if !r.Emulated() {
			continue
		}
		note := ""
		if r.TwoWay {
			note = "  (two-way)"
		}
		fmt.Fprintf(w, "    %-15s → %s%s\n", r.Key(), r.Function, note)
	}
}
