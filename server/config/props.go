package config

import (
	"strconv"

	"go.yaml.in/yaml/v3"
)

// props reads one resource's properties, resolving each key when it is read
// so that only the properties gatescope uses can produce warnings (a Policy
// naming a DynamoDB table must not). Read each key once.
//
// Every key read is marked in used: after loading, the audit lists each
// property nothing read (and that is not inert) as not emulated. A reader
// that reads a property it cannot emulate must list it itself.
type props struct {
	l      *loader
	res    string
	node   *yaml.Node // raw properties, Globals merged
	prefix string     // property path prefix, e.g. "Events.Get.Properties."
	line   int        // where to point when a property is absent
	used   map[string]bool
}

func (p props) raw(key string) *yaml.Node {
	if p.used != nil {
		p.used[key] = true
	}
	return get(p.node, key)
}

// get returns the resolved value, or nil when absent or dropped. Stand-in
// values (symbols.go) are not reported: only values a function sees are.
func (p props) get(key string) *yaml.Node {
	mark := len(p.l.standIns)
	v, _ := p.l.resolve(p.raw(key), p.at(key))
	p.l.standIns = p.l.standIns[:mark]
	return v
}

func (p props) at(key string) loc { return loc{p.res, p.prefix + key} }

func (p props) errorf(n *yaml.Node, key, format string, args ...any) *Error {
	e := p.l.errorf(n, p.res, p.prefix+key, format, args...)
	e.Line = line(n, p.line)
	return e
}

func (p props) warnf(n *yaml.Node, key, format string, args ...any) {
	p.l.warnAt(p.nodeOrLine(n), p.at(key), format, args...)
}

// notEmulated lists the property key (at n) as a feature gatescope does not do.
func (p props) notEmulated(n *yaml.Node, key, format string, args ...any) {
	p.l.notEmulatedAt(p.nodeOrLine(n), p.at(key), format, args...)
}

func (p props) nodeOrLine(n *yaml.Node) *yaml.Node {
	if n == nil || n.Line == 0 {
		return &yaml.Node{Line: p.line}
	}
	return n
}

// str reads a string property; "" when absent.
func (p props) str(key string) (string, *yaml.Node, error) {
	n := p.get(key)
	if n == nil || deref(n).Tag == "!!null" {
		return "", n, nil
	}
	s, ok := scalar(n)
	if !ok {
		return "", n, p.errorf(n, key, "must be a string, got %s", describe(n))
	}
	return s, n, nil
}

// integer reads a whole-number property, which templates may write as a
// number or a string ("30"); ok is false when absent.
func (p props) integer(key string) (v int, ok bool, n *yaml.Node, err error) {
	s, n, err := p.str(key)
	if err != nil || n == nil || s == "" {
		return 0, false, n, err
	}
	v, err = strconv.Atoi(s)
	if err != nil {
		return 0, false, n, p.errorf(n, key, "must be a whole number, got %q", s)
	}
	return v, true, n, nil
}

// stringMap reads a mapping of names to values, each value stringified as
// CloudFormation does (numbers and booleans keep their YAML text). nil when
// absent or empty.
func (p props) stringMap(key string) map[string]string {
	return p.l.stringMap(p.get(key), p.at(key))
}

func (l *loader) stringMap(n *yaml.Node, at loc) map[string]string {
	var out map[string]string
	for _, kv := range pairs(n) {
		v := deref(kv.v)
		s, ok := scalar(v)
		if !ok && v.Tag != "!!null" {
			l.warnAt(v, at.field(kv.key), "must be a string, got %s; dropped", describe(v))
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[kv.key] = s
	}
	return out
}

// stringList reads a list of strings; a single string is a list of one.
func (p props) stringList(key string) ([]string, error) {
	n := p.get(key)
	if n == nil {
		return nil, nil
	}
	if s, ok := scalar(n); ok {
		return []string{s}, nil
	}
	if !isSeq(n) {
		return nil, p.errorf(n, key, "must be a list of strings, got %s", describe(n))
	}
	var out []string
	for _, it := range deref(n).Content {
		s, ok := scalar(it)
		if !ok {
			return nil, p.errorf(it, key, "must be a list of strings, got an item %s", describe(it))
		}
		out = append(out, s)
	}
	return out, nil
}
