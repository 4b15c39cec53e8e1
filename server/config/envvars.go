package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// EnvVars are environment variable overrides in SAM CLI's --env-vars
// format: by function logical id, and under "Parameters" for every
// function. As in SAM CLI, they override only variables a function's
// Environment declares; a function's own entry wins over Parameters.
type EnvVars map[string]map[string]string

// envVarsAll is the key whose variables apply to every function.
const envVarsAll = "Parameters"

// LoadEnvVars reads an --env-vars file:
// {"<FunctionLogicalId>": {"VAR": "value"}, "Parameters": {"VAR": "value"}}.
// Numbers and booleans are taken as their JSON text, as SAM CLI does.
func LoadEnvVars(path string) (EnvVars, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read env vars: %w", err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("env vars %s:%d: invalid JSON: %v", path, lineAt(data, se.Offset), err)
		}
		return nil, fmt.Errorf("env vars %s: want {\"FunctionLogicalId\": {\"VAR\": \"value\"}, \"Parameters\": {...}}: %w", path, err)
	}
	at := func(v json.RawMessage) int { return lineAt(data, int64(bytes.Index(data, v))+1) }
	out := EnvVars{}
	for fn, raw := range top {
		var vars map[string]json.RawMessage
		if err := json.Unmarshal(raw, &vars); err != nil {
			return nil, fmt.Errorf("env vars %s:%d: want {\"FunctionLogicalId\": {\"VAR\": \"value\"}, \"Parameters\": {...}}: %s is %s, not an object",
				path, at(raw), fn, raw)
		}
		out[fn] = map[string]string{}
		for k, v := range vars {
			var s string
			switch {
			case json.Unmarshal(v, &s) == nil:
			case len(v) > 0 && (v[0] == '-' || (v[0] >= '0' && v[0] <= '9') || v[0] == 't' || v[0] == 'f'):
				s = string(v) // a number or boolean, as written
			default:
				return nil, fmt.Errorf("env vars %s:%d: %s.%s must be a string, got %s", path, at(v), fn, k, v)
			}
			out[fn][k] = s
		}
	}
	return out, nil
}

// lineAt is the 1-based line of byte offset off (1-based, as encoding/json
// reports it) in data.
func lineAt(data []byte, off int64) int {
	if off < 1 {
		off = 1
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}

// envVars reads a function's Environment.Variables, one variable at a time
// so that each stand-in value (symbols.go) is warned about with the value
// the function sees, and applies the --env-vars overrides.
func (l *loader) envVars(f *Function, p props) map[string]string {
	raw := p.raw("Environment")
	if raw == nil {
		return l.overrideEnv(f, nil, &yaml.Node{Line: p.line})
	}
	at := p.at("Environment.Variables")
	vars := get(raw, "Variables")
	if !isMap(raw) || isIntrinsicMap(raw) || vars == nil || isIntrinsicMap(vars) {
		// Computed as a whole (Fn::If over the map): read it at once.
		mark := len(l.standIns)
		env, _ := l.resolve(raw, p.at("Environment"))
		out := l.stringMap(get(env, "Variables"), at)
		if notes := l.takeStandIns(mark); len(notes) > 0 {
			l.warnAt(raw, at, "%s", strings.Join(notes, "; "))
		}
		return l.overrideEnv(f, out, raw)
	}
	out := map[string]string{}
	for _, kv := range pairs(vars) {
		vat := at.field(kv.key)
		// An --env-vars value replaces the template's, so whatever resolving
		// the template's would have said does not apply.
		if v, ok := l.override(f, kv.key); ok {
			out[kv.key] = v
			continue
		}
		mark, wmark := len(l.standIns), len(l.warnings)
		v, ok := l.resolve(kv.v, vat)
		notes := l.takeStandIns(mark)
		if v == nil {
			if !ok {
				// Dropped, with a warning: say what that means here.
				for i := wmark; i < len(l.warnings); i++ {
					w := &l.warnings[i]
					if w.Resource != vat.res || !strings.HasPrefix(w.Property, vat.prop) {
						continue // about something else, such as a condition
					}
					if m, cut := strings.CutSuffix(w.Message, "; value dropped"); cut {
						w.Message = m + "; the function does not get this variable (give it a value with --env-vars)"
					}
				}
			}
			continue // or AWS::NoValue, which deletes it
		}
		s, ok := scalar(v)
		if !ok && deref(v).Tag != "!!null" {
			l.warnAt(v, vat, "must be a string, got %s; the function does not get this variable", describe(v))
			continue
		}
		out[kv.key] = s
		if len(notes) > 0 {
			l.warnAt(kv.k, vat, "the function sees %q: %s", s, strings.Join(notes, "; "))
		}
	}
	if len(out) == 0 {
		out = nil
	}
	return l.overrideEnv(f, out, vars)
}

func (l *loader) takeStandIns(mark int) []string {
	notes := slices.Clone(l.standIns[mark:])
	l.standIns = l.standIns[:mark]
	return notes
}

// envEntry is f's own entry in --env-vars: by logical id, else by its
// physical name, as SAM CLI looks it up.
func (l *loader) envEntry(f *Function) map[string]string {
	if e, ok := l.opts.EnvVars[f.Name]; ok {
		return e
	}
	return l.opts.EnvVars[f.FunctionName]
}

// override is the --env-vars value of a function's variable, if any.
func (l *loader) override(f *Function, name string) (string, bool) {
	if v, ok := l.envEntry(f)[name]; ok {
		return v, true
	}
	v, ok := l.opts.EnvVars[envVarsAll][name]
	return v, ok
}

// overrideEnv applies the --env-vars values to the variables env declares,
// and warns about a function entry naming variables it does not declare
// (SAM CLI ignores them too).
func (l *loader) overrideEnv(f *Function, env map[string]string, n *yaml.Node) map[string]string {
	for k := range env {
		if v, ok := l.override(f, k); ok {
			env[k] = v
		}
	}
	var undeclared []string
	for _, k := range slices.Sorted(maps.Keys(l.envEntry(f))) {
		if _, ok := env[k]; !ok {
			undeclared = append(undeclared, k)
		}
	}
	if len(undeclared) > 0 {
		l.warnAt(n, loc{f.Name, "Environment.Variables"}, "--env-vars sets %s, which the function's Environment does not declare; as in SAM CLI, only declared variables are overridden", strings.Join(undeclared, ", "))
	}
	return env
}

// checkEnvVars warns about --env-vars entries that match nothing: a key that
// names no function, a Parameters variable no function declares.
func (l *loader) checkEnvVars() {
	declared := map[string]bool{}
	for _, f := range l.functions {
		for k := range f.Env {
			declared[k] = true
		}
	}
	for _, key := range slices.Sorted(maps.Keys(l.opts.EnvVars)) {
		if key == envVarsAll {
			for _, k := range slices.Sorted(maps.Keys(l.opts.EnvVars[key])) {
				if !declared[k] {
					l.warn(Warning{Message: fmt.Sprintf("--env-vars Parameters.%s matches no variable a function declares; as in SAM CLI, it is not set", k)})
				}
			}
			continue
		}
		if !slices.ContainsFunc(l.functions, func(f *Function) bool { return f.Name == key || f.FunctionName == key }) {
			l.warn(Warning{Message: fmt.Sprintf("--env-vars %s names no function in the template", key)})
		}
	}
}
