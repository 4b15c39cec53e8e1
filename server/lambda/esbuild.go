package lambda

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/evanw/esbuild/pkg/api"
	"github.com/evanw/esbuild/pkg/cli"

	"github.com/gatescope/gatescope/server/config"
)

// buildEsbuild bundles a Node.js function with BuildMethod esbuild as `sam
// build`'s esbuild builder (aws-lambda-builders' NodejsNpmEsbuildBuilder)
// does, in process with esbuild's Go API: the same command line from the
// same BuildProperties, parsed by esbuild's own flag parser:
//
//   - EntryPoints, else the Handler's file ("src/app.handler" → src/app),
//     each tried as .ts then .js when it has no extension;
//   - --bundle --platform=node --outdir, and --target=es2020, --format=cjs
//     and --minify unless Target, Format or Minify say otherwise;
//   - every other property as a flag, its PascalCase name in kebab case: a
//     true boolean as --flag, a string as --flag=value, a list as one
//     --flag:item per item (External, Loader, OutExtension, ...);
//     External "./node_modules/*" marks every package.json dependency
//     external.
//
// SAM then points a Handler whose file is not in the output at the
// bundle's top level, and with Sourcemap adds --enable-source-maps to
// NODE_OPTIONS; both are done here too. Dependencies are not installed
// (sam build runs npm install in a copy): they resolve from the
// function's node_modules as a developer installed them. The bundle is
// cached by the hash of the sources, the installed packages' lock and the
// command line.
func (m *Manager) buildEsbuild(fn *config.Function) (codeDir, error) {
	b := fn.Build
	where := fmt.Sprintf("%s:%d", b.File, b.Line)
	props := map[string]any{}
	for k, v := range b.Properties {
		props[snakeCase(k)] = v
	}
	if _, ok := props["sourcemap"]; !ok && enablesSourceMaps(fn.Env["NODE_OPTIONS"]) {
		props["sourcemap"] = true
	}
	entries, err := entryPoints(fn, props)
	if err != nil {
		return codeDir{}, fmt.Errorf("%s: esbuild: %w", where, err)
	}
	args, err := esbuildArgs(fn.CodeDir, entries, props)
	if err != nil {
		return codeDir{}, fmt.Errorf("%s: esbuild: %w", where, err)
	}
	tree, err := m.sums.tree(fn.CodeDir, func(string) bool { return true })
	if err != nil {
		return codeDir{}, fmt.Errorf("hash sources: %w", err)
	}
	key := keyOf(append([]string{"esbuild", esbuildVersion(), fn.CodeDir, tree, installedLocks(fn.CodeDir)}, args...)...)
	dir, err := m.cached("build", key, func(out string) error {
		opts, err := cli.ParseBuildOptions(append(slices.Clone(args), "--outdir="+out, "--log-level=silent"))
		if err != nil {
			return fmt.Errorf("%s: esbuild: BuildProperties: %w", where, err)
		}
		opts.AbsWorkingDir = fn.CodeDir
		opts.Write = true
		start := time.Now()
		res := api.Build(opts)
		if len(res.Errors) > 0 {
			return fmt.Errorf("%s: esbuild failed:\n%s", where, esbuildMessages(res.Errors))
		}
		m.logger.Info("bundled with esbuild", "function", fn.Name, "dir", fn.CodeDir, "took", time.Since(start).Round(time.Millisecond))
		return nil
	})
	if err != nil {
		return codeDir{}, err
	}
	c := codeDir{dir: dir, src: fn.CodeDir}
	// As sam build does: a Handler whose file the bundle does not have at
	// its path is taken at the bundle's top level.
	h := fn.Handler
	file := path.Join(path.Dir(h), strings.TrimSuffix(path.Base(h), path.Ext(path.Base(h)))) + ".js"
	if !isFile(filepath.Join(dir, filepath.FromSlash(file))) {
		c.handler = path.Base(h)
	}
	if v, _ := props["sourcemap"].(bool); v && !enablesSourceMaps(fn.Env["NODE_OPTIONS"]) {
		c.env = []string{"NODE_OPTIONS=" + strings.TrimSpace(fn.Env["NODE_OPTIONS"]+" --enable-source-maps")}
	}
	return c, nil
}

// entryPoints are the files to bundle, relative to the code directory.
func entryPoints(fn *config.Function, props map[string]any) ([]string, error) {
	var list []string
	switch v := props["entry_points"].(type) {
	case nil:
		// SAM CLI's default: the Handler's file.
		list = []string{strings.SplitN(fn.Handler, ".", 2)[0]}
	case []string:
		list = v
	default:
		return nil, fmt.Errorf("BuildProperties.EntryPoints must be a list, got %v", v)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("BuildProperties.EntryPoints must not be empty")
	}
	var out []string
	for _, e := range list {
		full := filepath.Join(fn.CodeDir, filepath.FromSlash(e))
		if path.Ext(e) != "" {
			if !isFile(full) {
				return nil, fmt.Errorf("entry point %s does not exist", full)
			}
			out = append(out, e)
			continue
		}
		found := ""
		for _, ext := range []string{".ts", ".js"} {
			if isFile(full + ext) {
				found = e + ext
				break
			}
		}
		if found == "" {
			return nil, fmt.Errorf("entry point %s does not exist (nor with .ts or .js)", full)
		}
		out = append(out, found)
	}
	return out, nil
}

// esbuildArgs is the command line sam build's builder gives esbuild,
// without --outdir.
func esbuildArgs(codeDir string, entries []string, props map[string]any) ([]string, error) {
	args := append(slices.Clone(entries), "--bundle", "--platform=node")
	for _, d := range []struct{ prop, flag string }{{"target", "--target=es2020"}, {"format", "--format=cjs"}, {"minify", "--minify"}} {
		if _, ok := props[d.prop]; !ok {
			args = append(args, d.flag)
		}
	}
	if ext, _ := props["external"].([]string); slices.Contains(ext, "./node_modules/*") {
		deps, err := packageDependencies(codeDir)
		if err != nil {
			return nil, err
		}
		for _, d := range deps {
			args = append(args, "--external:"+d)
		}
		delete(props, "external")
	}
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch k {
		case "bundle", "platform", "outdir", // sam build sets these itself
			"use_npm_ci", "entry_points": // not esbuild's
			continue
		}
		flag := "--" + strings.ReplaceAll(k, "_", "-")
		switch v := props[k].(type) {
		case bool:
			if v {
				args = append(args, flag)
			}
		case string:
			args = append(args, flag+"="+v)
		case []string:
			for _, item := range v {
				args = append(args, flag+":"+item)
			}
		}
	}
	return args, nil
}

// snakeCase turns a BuildProperties name into the one SAM hands its
// builders: OutExtension → out_extension.
func snakeCase(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) && i > 0 {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

func enablesSourceMaps(nodeOptions string) bool {
	return slices.Contains(strings.Fields(nodeOptions), "--enable-source-maps")
}

// packageDependencies lists the dependencies of the package.json in dir.
func packageDependencies(dir string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, fmt.Errorf(`marking "./node_modules/*" external needs a package.json: %w`, err)
	}
	var pkg struct{ Dependencies map[string]string }
	if err := json.Unmarshal(b, &pkg); err != nil {
		return nil, fmt.Errorf("package.json: %w", err)
	}
	var out []string
	for d := range pkg.Dependencies {
		out = append(out, d)
	}
	sort.Strings(out)
	return out, nil
}

// installedLocks is what npm (or another package manager) last installed
// where a bundle's packages resolve from: the lock files npm keeps inside
// each node_modules from dir up. A new install changes it, so the bundle
// is rebuilt without hashing every installed file.
func installedLocks(dir string) string {
	var b strings.Builder
	for _, nm := range nodeModulesAbove(dir) {
		for _, lock := range []string{".package-lock.json", ".yarn-state.yml", ".modules.yaml"} {
			if data, err := os.ReadFile(filepath.Join(nm, lock)); err == nil {
				b.WriteString(nm + "/" + lock + "\x00")
				b.Write(data)
			}
		}
	}
	return b.String()
}

// esbuildMessages lists esbuild's errors as file:line:column: text, with
// the first note of each (esbuild's hint, such as marking a package
// external).
func esbuildMessages(msgs []api.Message) string {
	var b strings.Builder
	for _, m := range msgs {
		b.WriteString("  ")
		if l := m.Location; l != nil {
			fmt.Fprintf(&b, "%s:%d:%d: ", l.File, l.Line, l.Column+1)
		}
		b.WriteString(m.Text)
		if len(m.Notes) > 0 && m.Notes[0].Text != "" {
			b.WriteString(" (" + m.Notes[0].Text + ")")
		}
		b.WriteByte('\n')
	}
	return strings.TrimRight(b.String(), "\n")
}

// esbuildVersion is the esbuild gatescope is built with, part of every
// bundle's cache key.
func esbuildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/evanw/esbuild" {
				return d.Version
			}
		}
	}
	return ""
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
