package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// errDropped means a nested intrinsic could not be resolved and has already
// been reported; the enclosing value is dropped without a second warning.
var errDropped = errors.New("cannot be resolved locally")

// maxResolveSteps bounds the nodes one template may resolve to.
const maxResolveSteps = 1 << 20

// loc names where a value sits, for warnings: resource and property path.
type loc struct{ res, prop string }

func (a loc) field(k string) loc {
	if a.prop == "" {
		return loc{a.res, k}
	}
	return loc{a.res, a.prop + "." + k}
}

func (a loc) index(i int) loc { return loc{a.res, a.prop + "[" + strconv.Itoa(i) + "]"} }

func (l *loader) warnAt(n *yaml.Node, at loc, format string, args ...any) {
	ln := 0
	if n != nil {
		ln = n.Line
	}
	l.warn(Warning{Line: ln, Resource: at.res, Property: at.prop, Message: fmt.Sprintf(format, args...)})
}

func isIntrinsic(key string) bool { return key == "Ref" || strings.HasPrefix(key, "Fn::") }

// resolve returns n with every intrinsic function evaluated, as a new tree
// (n is not modified). It returns nil, true for AWS::NoValue (the caller
// deletes the key) and nil, false for what cannot be resolved locally, which
// has been reported as a warning. Keys and list items that resolve to nothing
// are left out, as CloudFormation does.
func (l *loader) resolve(n *yaml.Node, at loc) (*yaml.Node, bool) {
	n = deref(n)
	if n == nil {
		return nil, true
	}
	// Aliases can nest into exponentially large values ("billion laughs");
	// stop rather than hang.
	if l.steps++; l.steps > maxResolveSteps {
		if l.steps == maxResolveSteps+1 {
			l.warnAt(n, at, "template too large to resolve (nested YAML aliases?); the rest is dropped")
		}
		return nil, false
	}
	switch n.Kind {
	case yaml.SequenceNode:
		out := seqNode(n.Line, n.Column)
		for i, c := range n.Content {
			if v, _ := l.resolve(c, at.index(i)); v != nil {
				out.Content = append(out.Content, v)
			}
		}
		return out, true
	case yaml.MappingNode:
		ps := pairs(n)
		if len(ps) == 1 && isIntrinsic(ps[0].key) {
			return l.intrinsic(ps[0].key, ps[0].v, n, at)
		}
		out := mapNode(n.Line, n.Column)
		for _, p := range ps {
			if v, _ := l.resolve(p.v, at.field(p.key)); v != nil {
				out.Content = append(out.Content, strNode(p.key, p.k.Line, p.k.Column), v)
			}
		}
		return out, true
	}
	return n, true
}

// resolveScalar resolves n and requires a single value.
func (l *loader) resolveScalar(n *yaml.Node, at loc) (string, error) {
	v, ok := l.resolve(n, at)
	if !ok {
		return "", errDropped
	}
	s, isScalar := scalar(v)
	if !isScalar {
		return "", fmt.Errorf("expected a string, got %s", describe(v))
	}
	return s, nil
}

func (l *loader) intrinsic(name string, arg, n *yaml.Node, at loc) (*yaml.Node, bool) {
	v, err := l.evalIntrinsic(name, arg, n, at)
	if err != nil {
		if !errors.Is(err, errDropped) {
			l.warnAt(n, at, "%v; value dropped", err)
		}
		return nil, false
	}
	return v, true
}

func (l *loader) evalIntrinsic(name string, arg, n *yaml.Node, at loc) (*yaml.Node, error) {
	switch name {
	case "Ref":
		s, ok := scalar(arg)
		if !ok {
			//lint:ignore ST1005 the message starts with the intrinsic's name, as CloudFormation spells it
			return nil, fmt.Errorf("Ref expects a logical name, got %s", describe(arg))
		}
		v, err := l.ref(s)
		if err != nil || v == nil {
			return nil, err
		}
		return atLine(v, n), nil
	case "Fn::GetAtt":
		res, attr, err := l.getAttArgs(arg, at)
		if err != nil {
			return nil, err
		}
		s, err := l.getAtt(res, attr)
		if err != nil {
			return nil, err
		}
		return strNode(s, n.Line, n.Column), nil
	case "Fn::Sub":
		return l.sub(arg, n, at)
	case "Fn::If":
		args, err := argList(name, arg, 3, 3)
		if err != nil {
			return nil, err
		}
		cond, ok := scalar(args[0])
		if !ok {
			return nil, fmt.Errorf("Fn::If expects a condition name first, got %s", describe(args[0]))
		}
		v, err := l.condition(cond)
		if err != nil {
			// %v, not %w: the value dropped here deserves its own warning even
			// when the condition's failure was reported where it is defined.
			return nil, fmt.Errorf("Fn::If condition %s: %v", cond, err)
		}
		branch := args[2]
		if v {
			branch = args[1]
		}
		out, ok := l.resolve(branch, at)
		if !ok {
			return nil, errDropped
		}
		return out, nil
	case "Fn::Join":
		args, err := argList(name, arg, 2, 2)
		if err != nil {
			return nil, err
		}
		delim, ok := scalar(args[0])
		if !ok {
			return nil, fmt.Errorf("Fn::Join expects a delimiter string first, got %s", describe(args[0]))
		}
		items, err := l.list(name, args[1], at)
		if err != nil {
			return nil, err
		}
		parts := make([]string, 0, len(items))
		for i, it := range items {
			s, ok := scalar(it)
			if !ok {
				return nil, fmt.Errorf("Fn::Join item %d is %s, not a string", i, describe(it))
			}
			parts = append(parts, s)
		}
		return strNode(strings.Join(parts, delim), n.Line, n.Column), nil
	case "Fn::Select":
		args, err := argList(name, arg, 2, 2)
		if err != nil {
			return nil, err
		}
		is, err := l.resolveScalar(args[0], at)
		if err != nil {
			return nil, fmt.Errorf("Fn::Select index: %w", err)
		}
		i, err := strconv.Atoi(is)
		if err != nil {
			return nil, fmt.Errorf("Fn::Select index %q is not a number", is)
		}
		items, err := l.list(name, args[1], at)
		if err != nil {
			return nil, err
		}
		if i < 0 || i >= len(items) {
			return nil, fmt.Errorf("Fn::Select index %d is out of range for a list of %d", i, len(items))
		}
		return items[i], nil
	case "Fn::Split":
		args, err := argList(name, arg, 2, 2)
		if err != nil {
			return nil, err
		}
		delim, ok := scalar(args[0])
		if !ok || delim == "" {
			return nil, fmt.Errorf("Fn::Split expects a delimiter string first, got %s", describe(args[0]))
		}
		s, err := l.resolveScalar(args[1], at)
		if err != nil {
			return nil, fmt.Errorf("Fn::Split: %w", err)
		}
		out := seqNode(n.Line, n.Column)
		for _, part := range strings.Split(s, delim) {
			out.Content = append(out.Content, strNode(part, n.Line, n.Column))
		}
		return out, nil
	case "Fn::FindInMap":
		return l.findInMap(arg, at)
	case "Fn::Base64":
		s, err := l.resolveScalar(arg, at)
		if err != nil {
			return nil, fmt.Errorf("Fn::Base64: %w", err)
		}
		return strNode(base64.StdEncoding.EncodeToString([]byte(s)), n.Line, n.Column), nil
	case "Fn::GetAZs":
		region, err := l.resolveScalar(arg, at)
		if err != nil {
			return nil, fmt.Errorf("Fn::GetAZs: %w", err)
		}
		if region == "" {
			region = l.opts.Region
		}
		// Like SAM CLI, a fixed set: the real list depends on the account.
		return seqNode(n.Line, n.Column, strNode(region+"a", n.Line, n.Column),
			strNode(region+"b", n.Line, n.Column), strNode(region+"c", n.Line, n.Column)), nil
	case "Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not":
		b, err := l.evalCondition(n, at)
		if err != nil {
			return nil, err
		}
		return boolNode(b, n.Line, n.Column), nil
	case "Fn::ImportValue":
		return nil, errors.New("Fn::ImportValue cannot be resolved locally (it reads another stack's exports)")
	case "Fn::Transform":
		return l.include(arg, at)
	}
	return nil, fmt.Errorf("%s is not supported locally", name)
}

// argList checks that an intrinsic's argument is a list of min..max items.
func argList(name string, arg *yaml.Node, lo, hi int) ([]*yaml.Node, error) {
	arg = deref(arg)
	if arg == nil || arg.Kind != yaml.SequenceNode || len(arg.Content) < lo || len(arg.Content) > hi {
		want := strconv.Itoa(lo)
		if hi != lo {
			want += " to " + strconv.Itoa(hi)
		}
		return nil, fmt.Errorf("%s expects a list of %s values, got %s", name, want, describe(arg))
	}
	return arg.Content, nil
}

// list resolves a list argument, which may itself be an intrinsic
// (Fn::Split, Fn::GetAZs, a list parameter). Any unresolved item fails the
// whole list: a Join or Select over a partial list would be silently wrong.
func (l *loader) list(name string, arg *yaml.Node, at loc) ([]*yaml.Node, error) {
	arg = deref(arg)
	if arg != nil && arg.Kind == yaml.SequenceNode {
		var out []*yaml.Node
		for i, c := range arg.Content {
			v, ok := l.resolve(c, at.index(i))
			if !ok {
				return nil, errDropped
			}
			if v != nil {
				out = append(out, v)
			}
		}
		return out, nil
	}
	v, ok := l.resolve(arg, at)
	if !ok {
		return nil, errDropped
	}
	if !isSeq(v) {
		return nil, fmt.Errorf("%s expects a list, got %s", name, describe(v))
	}
	return v.Content, nil
}

// atLine returns a shallow copy of v placed at n's line, so that a problem
// with a parameter's value is reported where the parameter is used.
func atLine(v, n *yaml.Node) *yaml.Node {
	c := *v
	c.Line, c.Column = n.Line, n.Column
	return &c
}

func (l *loader) partition() string {
	switch {
	case strings.HasPrefix(l.opts.Region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(l.opts.Region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

func (l *loader) urlSuffix() string {
	if strings.HasPrefix(l.opts.Region, "cn-") {
		return "amazonaws.com.cn"
	}
	return "amazonaws.com"
}

// ref is the symbol table behind Ref and ${Name}: pseudo parameters,
// parameters, functions (their physical name) and APIs (their logical id,
// which is how gatescope names APIs). nil, nil is AWS::NoValue.
func (l *loader) ref(name string) (*yaml.Node, error) {
	str := func(s string) (*yaml.Node, error) { return strNode(s, 0, 0), nil }
	switch name {
	case "AWS::Region":
		return str(l.opts.Region)
	case "AWS::AccountId":
		return str(l.opts.AccountID)
	case "AWS::Partition":
		return str(l.partition())
	case "AWS::StackName":
		return str(stackName)
	case "AWS::StackId":
		return str(fmt.Sprintf("arn:%s:cloudformation:%s:%s:stack/%s/00000000-0000-0000-0000-000000000000",
			l.partition(), l.opts.Region, l.opts.AccountID, stackName))
	case "AWS::URLSuffix":
		return str(l.urlSuffix())
	case "AWS::NoValue":
		return nil, nil
	case "AWS::NotificationARNs":
		return seqNode(0, 0), nil
	}
	if strings.HasPrefix(name, "AWS::") {
		//lint:ignore ST1005 the message starts with the intrinsic's name, as CloudFormation spells it
		return nil, fmt.Errorf("Ref %s: unknown pseudo parameter", name)
	}
	if v, ok := l.params[name]; ok {
		if v == nil {
			//lint:ignore ST1005 the message starts with the intrinsic's name, as CloudFormation spells it
			return nil, fmt.Errorf("Ref %s: parameter has no Default and no override", name)
		}
		return v, nil
	}
	r := l.resources[name]
	if r == nil {
		if s, ok := l.samFunctionRef(name); ok {
			return str(s)
		}
		//lint:ignore ST1005 the message starts with the intrinsic's name, as CloudFormation spells it
		return nil, fmt.Errorf("Ref %s: no parameter or resource of that name", name)
	}
	if isFunctionType(r.typ) {
		return str(l.functionName(name))
	}
	return str(l.refOf(r))
}

func (l *loader) getAttArgs(arg *yaml.Node, at loc) (string, string, error) {
	if s, ok := scalar(arg); ok {
		if res, attr, found := strings.Cut(s, "."); found {
			return res, attr, nil
		}
	}
	args, err := argList("Fn::GetAtt", arg, 2, 2)
	if err != nil {
		return "", "", err
	}
	res, ok := scalar(args[0])
	if !ok {
		return "", "", fmt.Errorf("Fn::GetAtt expects a logical name first, got %s", describe(args[0]))
	}
	attr, err := l.resolveScalar(args[1], at)
	if err != nil {
		return "", "", fmt.Errorf("Fn::GetAtt %s attribute: %w", res, err)
	}
	return res, attr, nil
}

func (l *loader) getAtt(res, attr string) (string, error) {
	r := l.resources[res]
	if r == nil {
		return "", fmt.Errorf("Fn::GetAtt %s.%s: no resource %s", res, attr, res)
	}
	if isFunctionType(r.typ) {
		if attr == "Arn" {
			return l.functionARN(res), nil
		}
		return "", fmt.Errorf("Fn::GetAtt %s.%s: cannot be resolved locally (only a function's Arn can)", res, attr)
	}
	return l.getAttOf(r, attr)
}

// sub expands Fn::Sub in both forms: "text ${Name}" and ["text", {Name: value}].
// A variable that cannot be resolved stays in the text as ${Name}, with a
// warning, because a string is still needed.
func (l *loader) sub(arg, n *yaml.Node, at loc) (*yaml.Node, error) {
	arg = deref(arg)
	var tmpl string
	vars := map[string]*yaml.Node{}
	failed := map[string]bool{}
	if s, ok := scalar(arg); ok {
		tmpl = s
	} else {
		args, err := argList("Fn::Sub", arg, 1, 2)
		if err != nil {
			return nil, err
		}
		if tmpl, ok = scalar(args[0]); !ok {
			return nil, fmt.Errorf("Fn::Sub expects a string first, got %s", describe(args[0]))
		}
		if len(args) == 2 {
			for _, p := range pairs(args[1]) {
				v, ok := l.resolve(p.v, at)
				if !ok {
					failed[p.key] = true
					continue
				}
				vars[p.key] = v
			}
		}
	}
	lookup := func(name string) (string, error) {
		if failed[name] {
			return "", errDropped
		}
		var v *yaml.Node
		if vv, ok := vars[name]; ok {
			v = vv
		} else if res, attr, found := strings.Cut(name, "."); found {
			s, err := l.getAtt(res, attr)
			return s, err
		} else {
			var err error
			if v, err = l.ref(name); err != nil {
				return "", err
			}
		}
		s, ok := scalar(v)
		if !ok {
			return "", fmt.Errorf("${%s} is %s, not a string", name, describe(v))
		}
		return s, nil
	}

	var b strings.Builder
	rest := tmpl
	for {
		i := strings.Index(rest, "${")
		if i < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:i])
		rest = rest[i+2:]
		j := strings.Index(rest, "}")
		if j < 0 {
			b.WriteString("${" + rest)
			break
		}
		expr := rest[:j]
		rest = rest[j+1:]
		if lit, ok := strings.CutPrefix(expr, "!"); ok {
			b.WriteString("${" + lit + "}") // ${!Literal} escapes a literal ${Literal}
			continue
		}
		name := strings.TrimSpace(expr)
		s, err := lookup(name)
		if err != nil {
			if !errors.Is(err, errDropped) {
				l.warnAt(n, at, "Fn::Sub: %v; ${%s} left as literal text", err, name)
			}
			b.WriteString("${" + expr + "}")
			continue
		}
		b.WriteString(s)
	}
	return strNode(b.String(), n.Line, n.Column), nil
}

func (l *loader) findInMap(arg *yaml.Node, at loc) (*yaml.Node, error) {
	args, err := argList("Fn::FindInMap", arg, 3, 4)
	if err != nil {
		return nil, err
	}
	var keys [3]string
	for i := range keys {
		if keys[i], err = l.resolveScalar(args[i], at); err != nil {
			return nil, fmt.Errorf("Fn::FindInMap key %d: %w", i+1, err)
		}
	}
	v := get(get(get(l.mappings, keys[0]), keys[1]), keys[2])
	if v == nil && len(args) == 4 {
		v = get(args[3], "DefaultValue") // AWS::LanguageExtensions default
	}
	if v == nil {
		return nil, fmt.Errorf("Fn::FindInMap [%s, %s, %s]: no such entry in Mappings", keys[0], keys[1], keys[2])
	}
	out, ok := l.resolve(v, at)
	if !ok {
		return nil, errDropped
	}
	return out, nil
}

// include supports Fn::Transform AWS::Include of a local file, the usual way
// to keep an OpenAPI DefinitionBody in its own file.
func (l *loader) include(arg *yaml.Node, at loc) (*yaml.Node, error) {
	name, _ := scalar(get(arg, "Name"))
	if name != "AWS::Include" {
		return nil, fmt.Errorf("Fn::Transform %s is not supported locally", name)
	}
	where, err := l.resolveScalar(get(get(arg, "Parameters"), "Location"), at)
	if err != nil {
		return nil, fmt.Errorf("Fn::Transform AWS::Include Location: %w", err)
	}
	if strings.Contains(where, "://") {
		return nil, fmt.Errorf("Fn::Transform AWS::Include %s: only local files can be included", where)
	}
	doc, err := l.readDoc(where)
	if err != nil {
		return nil, fmt.Errorf("Fn::Transform AWS::Include: %w", err)
	}
	out, ok := l.resolve(doc, at)
	if !ok {
		return nil, errDropped
	}
	return out, nil
}

// localPath resolves a path from the template relative to its directory.
func (l *loader) localPath(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(l.dir, p)
}

type condState struct {
	val  bool
	err  error
	done bool
}

// condition evaluates a named entry of Conditions, once.
func (l *loader) condition(name string) (bool, error) {
	if st := l.conds[name]; st != nil {
		if !st.done {
			return false, fmt.Errorf("condition %s refers to itself", name)
		}
		return st.val, st.err
	}
	st := &condState{}
	l.conds[name] = st
	if def := get(l.conditions, name); def == nil {
		st.err = fmt.Errorf("condition %s is not defined in Conditions", name)
	} else {
		st.val, st.err = l.evalCondition(def, loc{prop: "Conditions." + name})
	}
	st.done = true
	return st.val, st.err
}

func (l *loader) evalCondition(n *yaml.Node, at loc) (bool, error) {
	if ps := pairs(n); len(ps) == 1 {
		name, arg := ps[0].key, ps[0].v
		switch name {
		case "Condition":
			s, ok := scalar(arg)
			if !ok {
				//lint:ignore ST1005 the message starts with the intrinsic's name, as CloudFormation spells it
				return false, fmt.Errorf("Condition expects a condition name, got %s", describe(arg))
			}
			return l.condition(s)
		case "Fn::Equals":
			args, err := argList(name, arg, 2, 2)
			if err != nil {
				return false, err
			}
			a, err := l.resolveScalar(args[0], at)
			if err != nil {
				return false, fmt.Errorf("Fn::Equals: %w", err)
			}
			b, err := l.resolveScalar(args[1], at)
			if err != nil {
				return false, fmt.Errorf("Fn::Equals: %w", err)
			}
			return a == b, nil
		case "Fn::Not":
			args, err := argList(name, arg, 1, 1)
			if err != nil {
				return false, err
			}
			v, err := l.evalCondition(args[0], at)
			return !v, err
		case "Fn::And", "Fn::Or":
			args, err := argList(name, arg, 2, 10)
			if err != nil {
				return false, err
			}
			and := name == "Fn::And"
			for _, a := range args {
				v, err := l.evalCondition(a, at)
				if err != nil {
					return false, err
				}
				if v != and {
					return v, nil
				}
			}
			return and, nil
		}
	}
	s, err := l.resolveScalar(n, at)
	if err != nil {
		return false, err
	}
	// Only the words: CloudFormation does not read 1 or 0 as a condition.
	switch strings.ToLower(s) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a condition", s)
}
