package config

import (
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

func isFunctionType(t string) bool {
	return t == "AWS::Serverless::Function" || t == "AWS::Lambda::Function"
}

// event is an Api or HttpApi event of a function, kept until APIs are built.
type event struct {
	fn    *Function
	name  string
	typ   string // "Api" or "HttpApi"
	props props  // the event's Properties
	used  map[string]bool
	// skipped is set when the event was warned about as a whole.
	skipped bool
}

func (l *loader) buildFunctions() error {
	for _, r := range l.order {
		if !isFunctionType(r.typ) || !l.included(r) {
			continue
		}
		f, err := l.function(r)
		if err != nil {
			return err
		}
		l.functions = append(l.functions, f)
	}
	return nil
}

func (l *loader) function(r *resource) (*Function, error) {
	p := l.props(r)
	f := &Function{
		Name:         r.name,
		FunctionName: l.functionName(r.name),
		Architecture: DefaultArchitecture,
		Timeout:      DefaultFunctionTimeout,
		MemoryMB:     DefaultMemoryMB,
	}
	arn, err := l.remoteARN(r.name)
	if err != nil {
		return nil, err
	}
	f.ARN = arn
	serverless := r.typ == "AWS::Serverless::Function"

	if f.Description, _, err = p.str("Description"); err != nil {
		return nil, err
	}
	var rtNode *yaml.Node
	if f.Runtime, rtNode, err = p.str("Runtime"); err != nil {
		return nil, err
	}
	if f.Handler, _, err = p.str("Handler"); err != nil {
		return nil, err
	}
	pkg, pn, err := p.str("PackageType")
	if err != nil {
		return nil, err
	}
	switch {
	case f.Remote():
		// Deployed: whatever its properties say, AWS does it. Only its
		// events matter here.
		r.handled = true
	case pkg == "Image":
		// Listed, and its routes still served: they answer with the
		// invoke's failure, which names the function.
		p.notEmulated(pn, "PackageType", msgImage+"; set Metadata.gatescope.arn to invoke the deployed function")
		r.handled = true
	default:
		var inline *yaml.Node
		if serverless {
			f.CodeDir, inline = l.codeURI(p)
		} else {
			f.CodeDir, inline = l.lambdaCode(r, p)
		}
		if f.Build, err = l.build(r); err != nil {
			return nil, err
		}
		l.functionLayers(f, p)
		const why = "required for a local function (or set Metadata.gatescope.arn to invoke the deployed one)"
		if f.Runtime == "" {
			return nil, p.errorf(p.raw("Runtime"), "Runtime", why)
		}
		if f.Handler == "" {
			return nil, p.errorf(p.raw("Handler"), "Handler", why)
		}
		if err := checkRuntime(f.Runtime); err != nil {
			return nil, p.errorf(rtNode, "Runtime", "%v", err)
		}
		if inline != nil {
			if f.InlineCode, err = l.inlineCode(inline, r.name, f.Runtime); err != nil {
				return nil, err
			}
		}
		if !runtimeEmulated(f.Runtime) {
			p.notEmulated(p.raw("Runtime"), "Runtime", "runtime %s is not emulated: gatescope runs provided.*, go1.x, nodejs*.x and python3.* functions; set Metadata.gatescope.arn to invoke the deployed one", f.Runtime)
		}
		if f.Build != nil && !f.Build.Done && !buildEmulated(f.Build.Method, f.Runtime) {
			l.notEmulatedAt(get(r.metadata, "BuildMethod"), loc{r.name, "Metadata.BuildMethod"},
				"BuildMethod %s is not emulated yet: gatescope runs the code directory as it is, unbuilt", f.Build.Method)
		}
	}

	if archs, err := p.stringList("Architectures"); err != nil {
		return nil, err
	} else if len(archs) > 0 {
		if archs[0] != "x86_64" && archs[0] != "arm64" {
			return nil, p.errorf(p.raw("Architectures"), "Architectures", "must be x86_64 or arm64, got %q", archs[0])
		}
		f.Architecture = archs[0]
	}
	if v, ok, n, err := p.integer("Timeout"); err != nil {
		return nil, err
	} else if ok {
		if v < 1 || v > maxTimeoutSec {
			return nil, p.errorf(n, "Timeout", "must be between 1 and %d seconds, got %d", maxTimeoutSec, v)
		}
		f.Timeout = time.Duration(v) * time.Second
		f.TimeoutAt = fmt.Sprintf("%s:%d", l.file, n.Line)
	}
	if v, ok, n, err := p.integer("MemorySize"); err != nil {
		return nil, err
	} else if ok {
		if v < minMemory || v > maxMemory {
			return nil, p.errorf(n, "MemorySize", "must be between %d and %d MB, got %d", minMemory, maxMemory, v)
		}
		f.MemoryMB = v
	}
	if v, ok, n, err := p.integer("ReservedConcurrentExecutions"); err != nil {
		return nil, err
	} else if ok {
		if v < 0 {
			return nil, p.errorf(n, "ReservedConcurrentExecutions", "must not be negative, got %d", v)
		}
		f.ReservedConcurrency = &v // 0 is valid: AWS then throttles every invoke
	}
	if err := l.tracing(f, p, serverless); err != nil {
		return nil, err
	}
	f.Env = l.envVars(f, p)
	if serverless {
		if err := l.collectEvents(f, p); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// codeURI returns the absolute code directory (or .zip) of a serverless
// function, or its InlineCode node. Without either, SAM uses the
// template's directory.
func (l *loader) codeURI(p props) (string, *yaml.Node) {
	raw := p.raw("CodeUri")
	if raw == nil {
		if n := p.raw("InlineCode"); n != nil {
			return "", n
		}
		return l.dir, nil
	}
	n := p.get("CodeUri")
	s, ok := scalar(n)
	switch {
	case n == nil:
		return "", nil // unresolvable, already reported
	case !ok:
		p.notEmulated(n, "CodeUri", "code in S3 (Bucket/Key) cannot run locally; point CodeUri at the source directory")
		return "", nil
	case strings.HasPrefix(s, "s3://"):
		p.notEmulated(n, "CodeUri", "code in S3 (%s) cannot run locally; point CodeUri at the source directory", s)
		return "", nil
	}
	return l.localPath(s), nil
}

// inlineCode resolves a function's code written in the template, which
// CloudFormation accepts only for Node.js and Python (it writes it as
// index.js or index.py).
func (l *loader) inlineCode(n *yaml.Node, res, runtime string) (string, error) {
	prop := "InlineCode"
	if deref(n).Kind == yaml.MappingNode {
		prop, n = "Code.ZipFile", get(n, "ZipFile")
	}
	rt := strings.ToLower(runtime)
	if !strings.HasPrefix(rt, "nodejs") && !strings.HasPrefix(rt, "python") {
		return "", l.errorf(n, res, prop, "code written in the template runs only on Node.js and Python runtimes, not %s; CloudFormation would refuse it", runtime)
	}
	code, err := l.resolveScalar(n, loc{res, prop})
	if err != nil {
		return "", l.errorf(n, res, prop, "%v", err)
	}
	return code, nil
}

// lambdaCode returns the code directory (or .zip) of an
// AWS::Lambda::Function: Code as a local path (before `aws cloudformation
// package`), or, in a CDK assembly, the asset directory the CDK names in
// Metadata aws:asset:path (relative to the template) while Code points at
// the uploaded copy; or its Code node when the code is a ZipFile.
func (l *loader) lambdaCode(r *resource, p props) (string, *yaml.Node) {
	if asset, ok := scalar(get(r.metadata, "aws:asset:path")); ok {
		prop, _ := scalar(get(r.metadata, "aws:asset:property"))
		if prop == "" || prop == "Code" {
			p.raw("Code") // the uploaded copy of the asset: read, not needed
			return l.localPath(asset), nil
		}
	}
	if raw := p.raw("Code"); get(raw, "ZipFile") != nil {
		return "", raw
	}
	n := p.get("Code")
	if s, ok := scalar(n); ok {
		return l.localPath(s), nil
	}
	switch {
	case n == nil:
	case get(n, "ImageUri") != nil:
		p.notEmulated(n, "Code", msgImage)
	default:
		p.notEmulated(n, "Code", "code in S3 cannot run locally; point Code at the source directory")
	}
	return "", nil
}

// collectEvents keeps the function's Api and HttpApi events for buildAPIs.
// Other event sources (SQS, Schedule, ...) are listed as not emulated.
func (l *loader) collectEvents(f *Function, p props) error {
	for _, ev := range pairs(p.raw("Events")) {
		at := "Events." + ev.key
		raw := get(ev.v, "Type")
		if raw == nil {
			return p.errorf(ev.k, at+".Type", "missing event Type")
		}
		v, _ := l.resolve(raw, loc{p.res, at + ".Type"})
		if v == nil {
			p.notEmulated(raw, at+".Type", "an event whose Type cannot be resolved locally is not emulated")
			continue
		}
		typ, ok := scalar(v)
		if !ok {
			return p.errorf(v, at+".Type", "must be a string, got %s", describe(v))
		}
		if typ != "Api" && typ != "HttpApi" {
			p.notEmulated(raw, at+".Type", "%s events are not emulated: nothing sends the function these events locally; use gatescope invoke with a sample event", typ)
			continue
		}
		used := map[string]bool{}
		l.events = append(l.events, &event{
			fn:    f,
			name:  ev.key,
			typ:   typ,
			props: props{l: l, res: p.res, node: get(ev.v, "Properties"), prefix: at + ".Properties.", line: ev.k.Line, used: used},
			used:  used,
		})
	}
	return nil
}

// functionName is a function's physical name: FunctionName, else its
// logical id (SAM CLI's choice; CloudFormation would generate one).
func (l *loader) functionName(id string) string {
	if name, ok := l.fnNames[id]; ok {
		return name
	}
	key := "name:" + id
	if l.busy[key] {
		return id // FunctionName refers to itself
	}
	l.busy[key] = true
	defer delete(l.busy, key)
	name := id
	if r := l.resources[id]; r != nil {
		r.used["FunctionName"] = true
		if n := get(r.props, "FunctionName"); n != nil {
			v, _ := l.resolve(n, loc{id, "FunctionName"})
			if s, ok := scalar(v); ok && s != "" {
				name = s
			}
		}
	}
	l.fnNames[id] = name
	return name
}

// functionARN is what Fn::GetAtt F.Arn yields: the remote ARN, or one
// synthesized from region, account and name as SAM CLI does.
func (l *loader) functionARN(id string) string {
	if arn, _ := l.remoteARN(id); arn != "" {
		return arn
	}
	return fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", l.partition(), l.opts.Region, l.opts.AccountID, l.functionName(id))
}

type arnResult struct {
	arn string
	err error
}

// remoteARN reads the gatescope extension that makes a function remote:
// Metadata: {gatescope: {arn: ...}} or Metadata: {GatescopeRemoteArn: ...}.
func (l *loader) remoteARN(id string) (string, error) {
	if res, ok := l.fnARNs[id]; ok {
		return res.arn, res.err
	}
	key := "arn:" + id
	if l.busy[key] {
		return "", nil // the ARN refers to the function itself
	}
	l.busy[key] = true
	defer delete(l.busy, key)
	r := l.resources[id]
	var n *yaml.Node
	prop := "Metadata.gatescope.arn"
	if r != nil {
		n = get(get(r.metadata, "gatescope"), "arn")
		if n == nil {
			n, prop = get(r.metadata, "GatescopeRemoteArn"), "Metadata.GatescopeRemoteArn"
		}
	}
	var res arnResult
	if n != nil {
		s, err := l.resolveScalar(n, loc{id, prop})
		switch {
		case err != nil:
			res.err = l.errorf(n, id, prop, "remote function ARN: %v", err)
		case !isLambdaARN(s):
			res.err = l.errorf(n, id, prop, "must be a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>), got %q", s)
		default:
			res.arn = s
		}
	}
	l.fnARNs[id] = res
	return res.arn, res.err
}

func isLambdaARN(s string) bool {
	parts := strings.Split(s, ":")
	return len(parts) >= 7 && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function" && parts[6] != ""
}

// buildEmulated reports whether gatescope honours Metadata.BuildMethod m
// as sam build does (server/lambda builds): go1.x and makefile are built,
// and esbuild for Node.js; a runtime's own name is SAM's default builder,
// which only installs dependencies, so the source directory runs as it is.
func buildEmulated(m, runtime string) bool {
	m, runtime = strings.ToLower(m), strings.ToLower(runtime)
	return m == "go1.x" || m == "makefile" || m == runtime ||
		(m == "esbuild" && strings.HasPrefix(runtime, "nodejs"))
}

// tracing reads a function's X-Ray mode: SAM's Tracing, or TracingConfig.Mode
// of an AWS::Lambda::Function (Active or PassThrough; SAM also takes
// Disabled, which is PassThrough with the permissions left out).
func (l *loader) tracing(f *Function, p props, serverless bool) error {
	key := "Tracing"
	mode, n, err := p.str(key)
	if !serverless {
		key = "TracingConfig"
		tc := p.get(key)
		if tc == nil {
			return nil
		}
		n = get(tc, "Mode")
		mode, _ = scalar(n)
	}
	if err != nil || n == nil {
		return err
	}
	switch mode {
	case TracingActive:
		f.Tracing = TracingActive
	case "PassThrough", "Disabled", "":
	default:
		return p.errorf(n, key, "must be Active or PassThrough, got %q", mode)
	}
	return nil
}
