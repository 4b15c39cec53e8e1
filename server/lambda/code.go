package lambda

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gatescope/gatescope/server/config"
)

// codeDir is the directory a function's code runs from.
type codeDir struct {
	dir string
	// handler replaces the template's Handler when the build moved the
	// handler's file; "" keeps it.
	handler string
	// src is the directory the code comes from (its source, or where its
	// package lies).
	src string
	// env is what the build adds to the function's environment, as sam
	// build adds it to the template (NODE_OPTIONS for source maps).
	env []string
}

// code makes fn's code ready to run, as `sam build` would make it: code
// written in the template becomes a file, a .zip package is unpacked, a
// makefile build runs; anything else runs from its directory as it is
// (go1.x is built by prepareBinary). A template that `sam build` wrote has
// its code built already.
func (m *Manager) code(ctx context.Context, fn *config.Function) (codeDir, error) {
	if fn.InlineCode != "" {
		dir, err := m.inline(fn)
		if err != nil {
			return codeDir{}, fmt.Errorf("function %s: %w", fn.Name, err)
		}
		src := ""
		if path := m.project.Load().Path; path != "" {
			src = filepath.Dir(path)
		}
		return codeDir{dir: dir, src: src}, nil
	}
	if fn.CodeDir == "" {
		return codeDir{}, fmt.Errorf("function %s: no CodeUri", fn.Name)
	}
	if isArchive(fn.CodeDir) {
		dir, err := m.unpacked(fn.CodeDir)
		if err != nil {
			return codeDir{}, fmt.Errorf("function %s: %w", fn.Name, err)
		}
		return codeDir{dir: dir, src: filepath.Dir(fn.CodeDir)}, nil
	}
	if st, err := os.Stat(fn.CodeDir); err != nil || !st.IsDir() {
		return codeDir{}, fmt.Errorf("function %s: CodeUri %s is not a directory or a .zip file", fn.Name, fn.CodeDir)
	}
	b := fn.Build
	switch {
	case b == nil || b.Done:
	case b.Is("esbuild"):
		c, err := m.buildEsbuild(fn)
		if err != nil {
			return codeDir{}, fmt.Errorf("function %s: %w", fn.Name, err)
		}
		return c, nil
	case b.Is("makefile"):
		dir, err := m.buildMake(ctx, fn.Name, fn.CodeDir, b)
		if err != nil {
			return codeDir{}, fmt.Errorf("function %s: %w", fn.Name, err)
		}
		return codeDir{dir: dir, src: fn.CodeDir}, nil
	}
	return codeDir{dir: fn.CodeDir, src: fn.CodeDir}, nil
}

// inline writes code the template holds into the cache under the name
// CloudFormation gives it, index.js or index.py (so the handler is
// index.<function>, as deployed).
func (m *Manager) inline(fn *config.Function) (string, error) {
	name := "index.py"
	if strings.HasPrefix(strings.ToLower(fn.Runtime), "nodejs") {
		name = "index.js"
	}
	return m.cached("inline", keyOf(name, fn.InlineCode), func(dir string) error {
		return os.WriteFile(filepath.Join(dir, name), []byte(fn.InlineCode), 0o644)
	})
}
