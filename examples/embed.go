// Package examples embeds the demo app that `gatescope serve` runs when the
// working directory has no template, so a new user sees real traffic at once.
package examples

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Demo is the demo app: template.yaml and its functions. The Go function's
// go.mod and go.sum are stored with a .txt suffix because go:embed cannot
// include a directory that holds a module of its own.
//
//go:embed all:demo
var Demo embed.FS

// ExtractDemo writes the demo app under dir and returns its template path.
// Files are rewritten only when they differ, so the Go build cache (keyed by
// the sources) stays warm across runs.
func ExtractDemo(dir string) (string, error) {
	err := fs.WalkDir(Demo, "demo", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, "demo"), "/")
		target := filepath.Join(dir, strings.TrimSuffix(rel, ".txt"))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := Demo.ReadFile(p)
		if err != nil {
			return err
		}
		if cur, err := os.ReadFile(target); err == nil && string(cur) == string(data) {
			return nil
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		return "", fmt.Errorf("extract demo app to %s: %w", dir, err)
	}
	return filepath.Join(dir, "template.yaml"), nil
}
