package config

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Options are the deploy-time inputs a template is resolved against.
type Options struct {
	// Region for AWS::Region and synthesized ARNs; "" means "us-east-1"
	// (the caller applies AWS_REGION, Load reads no environment).
	Region string
	// AccountID for AWS::AccountId; "" means "123456789012" (as SAM CLI).
	AccountID string
	// ParameterOverrides win over the template's parameter Defaults.
	ParameterOverrides map[string]string
	// EnvVars override the environment variables functions declare
	// (--env-vars, see LoadEnvVars).
	EnvVars EnvVars
}

// stackName is the AWS::StackName SAM CLI uses locally.
const stackName = "gatescope"

// Error is a template problem that stops loading. It says where the problem
// is so the user can go straight to it.
type Error struct {
	File     string
	Line     int // 0 when unknown
	Resource string
	Property string
	Message  string
	Err      error // underlying cause, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	if e.Resource != "" {
		b.WriteString(": resource " + e.Resource)
	}
	if e.Property != "" {
		b.WriteString(": property " + e.Property)
	}
	b.WriteString(": " + e.Message)
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Load reads a SAM template from path and resolves it into a Project.
func Load(path string, opts Options) (*Project, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load template %s: %w", path, err)
	}
	return Parse(path, data, opts)
}

// Parse resolves the SAM template in data. path names the template in
// messages, and CodeUri and DefinitionUri are relative to its directory.
func Parse(path string, data []byte, opts Options) (*Project, error) {
	if opts.Region == "" {
		opts.Region = DefaultRegion
	}
	if opts.AccountID == "" {
		opts.AccountID = DefaultAccountID
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("load template %s: %w", path, err)
	}
	l := &loader{
		file:      path,
		dir:       filepath.Dir(abs),
		opts:      opts,
		resources: map[string]*resource{},
		conds:     map[string]*condState{},
		fnNames:   map[string]string{},
		fnARNs:    map[string]arnResult{},
		busy:      map[string]bool{},
		layers:    map[string]*Layer{},
		built:     builtTemplate(filepath.Dir(abs)),
	}
	p, err := l.load(data)
	if err != nil {
		return nil, err
	}
	p.Path = abs
	return p, nil
}

// loader holds one template while it is being resolved.
type loader struct {
	file string // as given, for messages
	dir  string // absolute directory of the template
	opts Options

	params     map[string]*yaml.Node // resolved value; nil when it has none
	mappings   *yaml.Node
	conditions *yaml.Node
	globals    *yaml.Node
	resources  map[string]*resource
	order      []*resource

	conds   map[string]*condState
	fnNames map[string]string
	fnARNs  map[string]arnResult
	busy    map[string]bool // memo keys being computed, to break cycles
	steps   int             // resolve calls so far, see maxResolveSteps

	includes    []string          // files read besides the template (Project.Includes)
	built       bool              // the template is sam build's output
	layers      map[string]*Layer // by logical id
	functions   []*Function
	events      []*event
	implicit    []implicitProps // Globals sections that configured implicit APIs
	warnings    []Warning
	notEmulated []Warning
	// What the template says about access (auth.go, apikeys.go,
	// permissions.go).
	apiKeys     []*APIKey
	usagePlans  []*UsagePlan
	permissions []*Permission
	// standIns notes the stand-in values (symbols.go) used while resolving
	// the current value; envVars reports and clears them.
	standIns []string
}

// resource is one entry of Resources, with Globals already merged in.
type resource struct {
	name     string
	typ      string
	line     int
	props    *yaml.Node
	metadata *yaml.Node
	cond     *yaml.Node // resource-level Condition
	// used marks the properties a reader read; audit lists the others.
	used map[string]bool
	// handled is set by a reader that listed or warned about the whole
	// resource, so audit does not list its properties one by one.
	handled bool
}

// props returns the reader of r's properties.
func (l *loader) props(r *resource) props {
	return props{l: l, res: r.name, node: r.props, line: r.line, used: r.used}
}

func (l *loader) warn(w Warning) {
	w.File = l.file
	l.warnings = append(l.warnings, w)
}

// notEmulatedAt lists a feature the template declares and gatescope does
// not emulate, where it is declared.
func (l *loader) notEmulatedAt(n *yaml.Node, at loc, format string, args ...any) {
	ln := 0
	if n != nil {
		ln = n.Line
	}
	l.notEmulated = append(l.notEmulated, Warning{File: l.file, Line: ln, Resource: at.res, Property: at.prop,
		Message: fmt.Sprintf(format, args...)})
}

func (l *loader) errorf(n *yaml.Node, res, prop, format string, args ...any) *Error {
	ln := 0
	if n != nil {
		ln = n.Line
	}
	return &Error{File: l.file, Line: ln, Resource: res, Property: prop, Message: fmt.Sprintf(format, args...)}
}

func (l *loader) load(data []byte) (*Project, error) {
	root, err := l.parseYAML(data)
	if err != nil {
		return nil, err
	}
	if root == nil {
		return nil, &Error{File: l.file, Message: "template is empty"}
	}
	if root.Kind != yaml.MappingNode {
		return nil, l.errorf(root, "", "", "template must be a mapping of sections, got %s", describe(root))
	}
	l.mappings = get(root, "Mappings")
	l.conditions = get(root, "Conditions")
	l.globals = get(root, "Globals")
	l.loadParameters(get(root, "Parameters"))

	resNode := get(root, "Resources")
	if resNode != nil && !isMap(resNode) && deref(resNode).Tag != "!!null" {
		return nil, l.errorf(resNode, "", "", "Resources must be a mapping, got %s", describe(resNode))
	}
	if len(pairs(resNode)) == 0 {
		return nil, l.errorf(resNode, "", "", "no Resources section")
	}
	for _, p := range pairs(resNode) {
		r, err := l.newResource(p)
		if err != nil {
			return nil, err
		}
		l.resources[r.name] = r
		l.order = append(l.order, r)
	}

	if err := l.buildLayers(); err != nil {
		return nil, err
	}
	if err := l.buildFunctions(); err != nil {
		return nil, err
	}
	l.checkEnvVars()
	apis, err := l.buildAPIs()
	if err != nil {
		return nil, err
	}
	for _, a := range apis {
		a.Region, a.AccountID = l.opts.Region, l.opts.AccountID
	}
	if err := l.access(apis); err != nil {
		return nil, err
	}
	l.audit()
	// Readers and the audit list in their own order; the user reads the
	// template top to bottom.
	slices.SortStableFunc(l.notEmulated, func(a, b Warning) int { return a.Line - b.Line })
	return &Project{Region: l.opts.Region, AccountID: l.opts.AccountID,
		Functions: l.functions, APIs: apis, NotEmulated: l.notEmulated, Warnings: l.warnings,
		APIKeys: l.apiKeys, UsagePlans: l.usagePlans, Permissions: l.permissions, Includes: l.includes}, nil
}

// parseYAML parses one YAML document and rewrites its short-form tags.
func (l *loader) parseYAML(data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		ln, msg := yamlErrorLine(err)
		return nil, &Error{File: l.file, Line: ln, Message: "invalid YAML: " + msg}
	}
	root := deref(&doc)
	if root == nil || root.Kind == 0 || root.Kind == yaml.DocumentNode {
		return nil, nil
	}
	l.rewriteTags(root)
	return root, nil
}

// yamlErrorLine splits yaml's "yaml: line 3: msg" into 3 and "msg".
func yamlErrorLine(err error) (int, string) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimSpace(strings.TrimPrefix(msg, "unmarshal errors:\n"))
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, tail, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil {
				return n, tail
			}
		}
	}
	return 0, msg
}

func (l *loader) newResource(p pair) (*resource, error) {
	if !isMap(p.v) {
		return nil, l.errorf(p.k, p.key, "", "resource must be a mapping, got %s", describe(p.v))
	}
	typ, ok := scalar(get(p.v, "Type"))
	if !ok {
		return nil, l.errorf(p.k, p.key, "Type", "missing resource Type")
	}
	r := &resource{
		name:     p.key,
		typ:      typ,
		line:     p.k.Line,
		props:    get(p.v, "Properties"),
		metadata: get(p.v, "Metadata"),
		cond:     get(p.v, "Condition"),
		used:     map[string]bool{},
	}
	switch typ {
	case "AWS::Serverless::Function":
		r.props = mergeGlobals(get(l.globals, "Function"), r.props)
	case "AWS::Serverless::Api":
		r.props = mergeGlobals(get(l.globals, "Api"), r.props)
	case "AWS::Serverless::HttpApi":
		r.props = mergeGlobals(get(l.globals, "HttpApi"), r.props)
	}
	return r, nil
}

// loadParameters fixes every parameter's value: override, else Default.
func (l *loader) loadParameters(params *yaml.Node) {
	l.params = map[string]*yaml.Node{}
	for _, p := range pairs(params) {
		typ, _ := scalar(get(p.v, "Type"))
		def := get(p.v, "Default")
		var val *yaml.Node
		if s, ok := l.opts.ParameterOverrides[p.key]; ok {
			val = strNode(s, p.k.Line, p.k.Column)
		} else if s, ok := scalar(def); ok {
			val = strNode(s, def.Line, def.Column)
		} else if def != nil && deref(def).Tag != "!!null" {
			val = deref(def)
		}
		if s, ok := scalar(val); ok && (typ == "CommaDelimitedList" || strings.HasPrefix(typ, "List<")) {
			list := seqNode(val.Line, val.Column)
			for _, item := range strings.Split(s, ",") {
				list.Content = append(list.Content, strNode(strings.TrimSpace(item), val.Line, val.Column))
			}
			val = list
		}
		l.params[p.key] = val
	}
	for _, name := range slices.Sorted(maps.Keys(l.opts.ParameterOverrides)) {
		if _, ok := l.params[name]; !ok {
			l.warn(Warning{Message: fmt.Sprintf("parameter override %s matches no parameter in the template", name)})
		}
	}
}

// included reports whether a resource exists given its Condition. A
// condition that cannot be evaluated keeps the resource, with a warning.
func (l *loader) included(r *resource) bool {
	if r.cond == nil {
		return true
	}
	name, ok := scalar(r.cond)
	if !ok {
		l.warn(Warning{Line: line(r.cond, r.line), Resource: r.name, Property: "Condition", Message: "Condition must name a condition; resource kept"})
		return true
	}
	v, err := l.condition(name)
	if err != nil {
		l.warn(Warning{Line: line(r.cond, r.line), Resource: r.name, Property: "Condition", Message: fmt.Sprintf("Condition %s: %v; resource kept", name, err)})
		return true
	}
	return v
}
