package testenv

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files from the current output")

// Updating reports whether the tests run with -update, which rewrites golden
// files instead of comparing with them.
func Updating() bool { return *update }

// Golden compares got with the golden file at path (relative to the
// package, as testdata/...), or writes it when the tests run with -update.
// A missing or different golden fails tb with the command that regenerates
// it; review the diff before committing what it writes.
func Golden(tb testing.TB, path string, got []byte) {
	tb.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("read golden: %v\nCreate it with `%s`.", err, regenerate(tb))
	}
	if !bytes.Equal(got, want) {
		tb.Errorf("%s differs from the golden file\n--- got\n%s\n--- want\n%s\nIf the change is intended, regenerate with `%s` and review the diff.",
			path, got, want, regenerate(tb))
	}
}

// regenerate is the command that rewrites the golden files of tb alone.
func regenerate(tb testing.TB) string {
	pkg := "."
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				if rel, err := filepath.Rel(dir, wd); err == nil && rel != "." {
					pkg = "./" + filepath.ToSlash(rel)
				}
				break
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	parts := strings.Split(tb.Name(), "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	run := strings.ReplaceAll(strings.Join(parts, "/"), "'", `'\''`)
	return fmt.Sprintf("go test %s -run '%s' -update", pkg, run)
}
