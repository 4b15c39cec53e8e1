// Package bootstrap ships the Lambda runtime clients gatescope uses for the
// Node.js and Python runtimes. AWS's own runtime interface clients need native
// add-ons (Node) or pip packages (Python) that a developer's machine may not
// have, so gatescope carries small standard-library-only equivalents that
// speak the Runtime API and reproduce what the real runtimes do: how the
// handler is resolved, the context object, the error JSON they post and the
// log line format.
//
// A script is launched as a normal process:
//
//	node    <dir>/bootstrap.mjs
//	python3 <dir>/bootstrap.py
//
// with the working directory set to the function's code directory and the
// Lambda environment: AWS_LAMBDA_RUNTIME_API, _HANDLER, LAMBDA_TASK_ROOT,
// AWS_LAMBDA_FUNCTION_NAME, AWS_LAMBDA_FUNCTION_VERSION,
// AWS_LAMBDA_FUNCTION_MEMORY_SIZE, AWS_LAMBDA_LOG_GROUP_NAME,
// AWS_LAMBDA_LOG_STREAM_NAME, AWS_REGION, TZ=:UTC plus the user's variables.
package bootstrap

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Node is the Node.js (18+) bootstrap, an ES module.
//
//go:embed node/bootstrap.mjs
var Node []byte

// Python is the Python (3.8+) bootstrap.
//
//go:embed python/bootstrap.py
var Python []byte

// Script returns the bootstrap for a runtime family or a Lambda runtime
// identifier ("node", "nodejs20.x", "python", "python3.12"), the file name it
// must be written under (Node decides ESM vs CommonJS by the extension) and
// the interpreter that runs it.
func Script(runtime string) (name string, data []byte, ok bool) {
	switch family(runtime) {
	case "node":
		return "bootstrap.mjs", Node, true
	case "python":
		return "bootstrap.py", Python, true
	}
	return "", nil, false
}

// Interpreter returns the program that runs the runtime's bootstrap
// ("node" or "python3"), or "" when gatescope has no bootstrap for it.
func Interpreter(runtime string) string {
	switch family(runtime) {
	case "node":
		return "node"
	case "python":
		return "python3"
	}
	return ""
}

func family(runtime string) string {
	r := strings.ToLower(strings.TrimSpace(runtime))
	switch {
	case r == "node" || strings.HasPrefix(r, "nodejs"):
		return "node"
	case r == "python" || strings.HasPrefix(r, "python"):
		return "python"
	}
	return ""
}

// versionBytes is how much of a script's SHA-256 names its directory.
const versionBytes = 6

// OwnFrame reports whether a line of a stack trace is in one of these
// scripts as Install lays them out (<dir>/<version>/<name>): a frame of
// gatescope's runtime client, which says nothing of the user's code.
func OwnFrame(line string) bool {
	for _, name := range []string{"/bootstrap.mjs", "/bootstrap.py"} {
		i := strings.Index(line, name)
		if i < 0 {
			continue
		}
		dir := line[:i]
		version := dir[strings.LastIndexAny(dir, `/\`)+1:]
		if _, err := hex.DecodeString(version); err == nil && len(version) == 2*versionBytes {
			return true
		}
	}
	return false
}

// Install writes the runtime's bootstrap into a directory of dir named for
// the script's content (created if needed) and returns the argv that
// starts it, e.g. ["node", "<dir>/<hash>/bootstrap.mjs"]: gatescopes of
// different versions sharing a cache directory each run their own script,
// whichever installed last. The file is only rewritten when its content
// differs, and then through a rename so a process starting concurrently
// never reads a half-written script.
func Install(dir, runtime string) ([]string, error) {
	name, data, ok := Script(runtime)
	if !ok {
		return nil, fmt.Errorf("bootstrap: no bootstrap for runtime %q", runtime)
	}
	sum := sha256.Sum256(data)
	dir = filepath.Join(dir, hex.EncodeToString(sum[:versionBytes]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	path, err := filepath.Abs(filepath.Join(dir, name))
	if err != nil {
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	argv := []string{Interpreter(runtime), path}
	if cur, err := os.ReadFile(path); err == nil && bytes.Equal(cur, data) {
		return argv, nil
	}
	tmp, err := os.CreateTemp(dir, name+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return nil, fmt.Errorf("bootstrap: writing %s: %w", path, werr)
	}
	return argv, nil
}
