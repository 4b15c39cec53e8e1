package config

import (
	"path/filepath"
	"slices"
	"strings"
)

// Build is how `sam build` builds a function's or layer's code before it
// runs, from the resource's Metadata. gatescope builds the same way
// (server/lambda), so code runs as it would deployed.
type Build struct {
	// Method is Metadata.BuildMethod as written: "go1.x", "esbuild",
	// "makefile", or a runtime's name (SAM's builder for that runtime).
	Method string
	// Properties are Metadata.BuildProperties (esbuild's options), each
	// value a bool, a string or a []string as the template gives it; nil
	// when there are none.
	Properties map[string]any
	// ContextPath, ProjectRoot and WorkingDir are Metadata.ContextPath (the
	// directory of the Makefile), ProjectRootDirectory (what is copied to
	// build) and WorkingDirectory (where make runs), absolute; "" when
	// not set.
	ContextPath, ProjectRoot, WorkingDir string
	// Done says the template is `sam build`'s output (it lies in a
	// .aws-sam directory): its code is built already and runs as it is.
	Done bool
	// File and Line are where Metadata.BuildMethod is written, so a failed
	// build names its place in the template.
	File string
	Line int
}

// Is reports whether the build method is m (case does not matter).
func (b *Build) Is(m string) bool { return b != nil && strings.EqualFold(b.Method, m) }

// builtTemplate reports whether the template is `sam build`'s output: a
// template inside a .aws-sam directory (.aws-sam/build/template.yaml).
func builtTemplate(dir string) bool {
	return slices.Contains(strings.Split(filepath.ToSlash(dir), "/"), ".aws-sam")
}

// build reads a resource's Metadata.BuildMethod and what goes with it; nil
// when the resource has none.
func (l *loader) build(r *resource) (*Build, error) {
	n := get(r.metadata, "BuildMethod")
	if n == nil {
		return nil, nil
	}
	m, err := l.resolveScalar(n, loc{r.name, "Metadata.BuildMethod"})
	if err != nil {
		return nil, l.errorf(n, r.name, "Metadata.BuildMethod", "%v", err)
	}
	b := &Build{Method: m, Done: l.built, File: l.file, Line: n.Line}
	for _, p := range []struct {
		key string
		dst *string
	}{{"ContextPath", &b.ContextPath}, {"ProjectRootDirectory", &b.ProjectRoot}, {"WorkingDirectory", &b.WorkingDir}} {
		if v := get(r.metadata, p.key); v != nil {
			s, err := l.resolveScalar(v, loc{r.name, "Metadata." + p.key})
			if err != nil {
				return nil, l.errorf(v, r.name, "Metadata."+p.key, "%v", err)
			}
			*p.dst = l.localPath(s)
		}
	}
	props := get(r.metadata, "BuildProperties")
	for _, kv := range pairs(props) {
		at := loc{r.name, "Metadata.BuildProperties." + kv.key}
		v, _ := l.resolve(kv.v, at)
		if v == nil {
			continue
		}
		if b.Properties == nil {
			b.Properties = map[string]any{}
		}
		switch {
		case isSeq(v):
			var list []string
			for _, it := range deref(v).Content {
				s, ok := scalar(it)
				if !ok {
					return nil, l.errorf(it, r.name, at.prop, "must be a list of strings, got an item %s", describe(it))
				}
				list = append(list, s)
			}
			b.Properties[kv.key] = list
		case deref(v).Tag == "!!bool":
			b.Properties[kv.key] = strings.EqualFold(deref(v).Value, "true")
		default:
			s, ok := scalar(v)
			if !ok {
				return nil, l.errorf(v, r.name, at.prop, "must be a string, a boolean or a list, got %s", describe(v))
			}
			b.Properties[kv.key] = s
		}
	}
	return b, nil
}
