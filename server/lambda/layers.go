package lambda

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gatescope/gatescope/server/config"
)

// A process has no /opt of its own. Lambda extracts a function's layers
// into /opt in order, a later layer's files over an earlier one's, and its
// runtimes look there through search paths; gatescope points the same
// search paths at each layer's content instead, later layers first so that
// they win as they would in /opt:
//
//	NODE_PATH        nodejs/node<major>/node_modules, nodejs/node_modules
//	PYTHONPATH       python/lib/python3.<minor>/site-packages, python
//	PATH             (after the machine's) bin
//	LD_LIBRARY_PATH  (after the code's own lib) lib
//
// What does not carry over: code that opens /opt/... by its absolute path,
// and a file of one layer that a later layer replaces inside a directory
// both have (each is found as a whole, from the later layer first).

// optLayer is one layer's content as it appears under /opt: dir is /opt,
// or, for a layer `sam build` builds with a runtime's builder, dir is what
// lands in /opt/<sub>.
type optLayer struct {
	dir string
	sub string // "" or "python", "nodejs", ...
}

// path is where /opt/<rel> of this layer is on disk, or "" when the layer
// has nothing there.
func (l optLayer) path(rel string) string {
	if l.sub == "" {
		return filepath.Join(l.dir, rel)
	}
	if rel == l.sub {
		return l.dir
	}
	if rest, ok := strings.CutPrefix(rel, l.sub+"/"); ok {
		return filepath.Join(l.dir, rest)
	}
	return ""
}

// prepareLayers makes each of fn's layers available: its directory as it
// is, unpacked from a .zip, or built by its Makefile.
func (m *Manager) prepareLayers(ctx context.Context, fn *config.Function) ([]optLayer, error) {
	var out []optLayer
	for _, ly := range fn.Layers {
		dir := ly.Content
		switch {
		case isArchive(dir):
			var err error
			if dir, err = m.unpacked(dir); err != nil {
				return nil, fmt.Errorf("function %s: layer %s: %w", fn.Name, ly.Name, err)
			}
		case ly.Build.Is("makefile") && !ly.Build.Done:
			var err error
			if dir, err = m.buildMake(ctx, ly.Name, ly.Content, ly.Build); err != nil {
				return nil, fmt.Errorf("function %s: layer %s: %w", fn.Name, ly.Name, err)
			}
		default:
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				return nil, fmt.Errorf("function %s: layer %s: its content %s is not a directory or a .zip file", fn.Name, ly.Name, dir)
			}
		}
		sub := ly.Subfolder()
		if isArchive(ly.Content) {
			sub = "" // a package is the whole of /opt, as published
		}
		out = append(out, optLayer{dir: dir, sub: sub})
	}
	return out, nil
}

// searchPaths is the environment that makes the layers, and the code's
// own lib directory, visible as Lambda's runtimes see /opt and /var/task.
// Only directories that exist are named. base is the machine's PATH and
// LD_LIBRARY_PATH, which come first as the system's directories do in
// Lambda.
func searchPaths(runtime string, cmd command, basePath, baseLib string) []string {
	rt := strings.ToLower(runtime)
	later := slices.Clone(cmd.layers)
	slices.Reverse(later) // a later layer wins, as its files would in /opt
	var env []string
	find := func(rels ...string) []string {
		var out []string
		for _, l := range later {
			for _, rel := range rels {
				if p := l.path(rel); p != "" && isDir(p) {
					out = append(out, p)
				}
			}
		}
		return out
	}
	switch {
	case strings.HasPrefix(rt, "nodejs"):
		major := strings.TrimSuffix(strings.TrimPrefix(rt, "nodejs"), ".x")
		major, _, _ = strings.Cut(major, ".")
		paths := find("nodejs/node"+major+"/node_modules", "nodejs/node_modules")
		// Lambda's NODE_PATH ends with the runtime's own modules (the AWS
		// SDK) and /var/task. Code that runs from the cache (a bundle,
		// an unpacked package) finds packages where its source would have:
		// the node_modules beside and above the source, where a
		// developer installs what the runtime provides.
		if cmd.src != "" && cmd.src != cmd.dir {
			paths = append(paths, nodeModulesAbove(cmd.src)...)
		}
		paths = append(paths, cmd.dir)
		env = append(env, "NODE_PATH="+strings.Join(paths, string(os.PathListSeparator)))
	case strings.HasPrefix(rt, "python"):
		minor := strings.TrimPrefix(rt, "python")
		if paths := find("python/lib/python"+minor+"/site-packages", "python"); len(paths) > 0 {
			env = append(env, "PYTHONPATH="+strings.Join(paths, string(os.PathListSeparator)))
		}
	}
	if bins := find("bin"); len(bins) > 0 {
		env = append(env, "PATH="+strings.Join(append(nonEmpty(basePath), bins...), string(os.PathListSeparator)))
	}
	libs := find("lib")
	if own := filepath.Join(cmd.dir, "lib"); isDir(own) {
		libs = append([]string{cmd.dir, own}, libs...)
	}
	if len(libs) > 0 {
		env = append(env, "LD_LIBRARY_PATH="+strings.Join(append(nonEmpty(baseLib), libs...), string(os.PathListSeparator)))
	}
	return env
}

// nodeModulesAbove lists the node_modules directories Node.js would search
// from dir: dir's own, then each parent's.
func nodeModulesAbove(dir string) []string {
	var out []string
	for d := dir; ; d = filepath.Dir(d) {
		if p := filepath.Join(d, "node_modules"); isDir(p) {
			out = append(out, p)
		}
		if filepath.Dir(d) == d {
			return out
		}
	}
}

func nonEmpty(list string) []string {
	if list == "" {
		return nil
	}
	return []string{list}
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
