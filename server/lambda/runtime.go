package lambda

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/lambda/bootstrap"
)

// command is how to start a function's process.
type command struct {
	path       string
	args       []string
	dir        string // working directory and LAMBDA_TASK_ROOT
	runtimeDir string // LAMBDA_RUNTIME_DIR
	// handler replaces the template's Handler when the build moved the
	// handler's file (an esbuild bundle is flat, as sam build's is).
	handler string
	// src is the code's source directory when dir is a build or an
	// unpacked package in the cache.
	src    string
	layers []optLayer // in the function's layer order
	// env is added after the template's variables (what sam build adds).
	env []string
	// gen, deployment and version are those of the preparation that made it.
	gen        uint64
	deployment int64
	version    string
}

// prepare resolves how to run fn: its code (built, unpacked from a .zip or
// written from the template when needed), its layers, and a bootstrap
// executable for provided.* and go1.x (built from source when BuildMethod
// is go1.x) or a shipped bootstrap script for Node.js and Python.
func (m *Manager) prepare(ctx context.Context, fn *config.Function) (command, error) {
	rt := strings.ToLower(fn.Runtime)
	binary := strings.HasPrefix(rt, "provided") || rt == "go1.x"
	script := strings.HasPrefix(rt, "nodejs") || strings.HasPrefix(rt, "python")
	switch {
	case rt == "":
		return command{}, fmt.Errorf("function %s: no Runtime", fn.Name)
	case !binary && !script:
		return command{}, fmt.Errorf("function %s: runtime %s is not supported (use provided.al2023, go1.x, nodejs*.x or python3.*)", fn.Name, fn.Runtime)
	}
	code, err := m.code(ctx, fn)
	if err != nil {
		return command{}, err
	}
	layers, err := m.prepareLayers(ctx, fn)
	if err != nil {
		return command{}, err
	}
	var cmd command
	if binary {
		cmd, err = m.prepareBinary(ctx, fn, code.dir)
	} else {
		cmd, err = m.prepareScript(ctx, fn, code.dir)
	}
	if err != nil {
		return command{}, err
	}
	cmd.handler, cmd.layers, cmd.env = code.handler, layers, code.env
	if code.dir != fn.CodeDir {
		cmd.src = code.src
	}
	return cmd, nil
}

// prepareScript runs a Node.js or Python function with gatescope's
// bootstrap under the local interpreter closest to its runtime.
func (m *Manager) prepareScript(ctx context.Context, fn *config.Function, dir string) (command, error) {
	argv, err := bootstrap.Install(filepath.Join(m.opts.CacheDir, "runtimes"), fn.Runtime)
	if err != nil {
		return command{}, fmt.Errorf("function %s: %w", fn.Name, err)
	}
	in, err := m.interpreter(ctx, fn.Runtime)
	if err != nil {
		return command{}, fmt.Errorf("function %s: %w", fn.Name, err)
	}
	if in.Warning != "" {
		m.logger.Warn("function "+fn.Name+": "+in.Warning, slog.String("function", fn.Name))
	}
	return command{path: in.Path, args: argv[1:], dir: dir, runtimeDir: filepath.Dir(argv[1])}, nil
}

// prepareBinary runs the bootstrap executable in dir (go1.x: the
// executable the Handler names), built from Go sources when asked to.
func (m *Manager) prepareBinary(ctx context.Context, fn *config.Function, dir string) (command, error) {
	name := "bootstrap"
	if strings.ToLower(fn.Runtime) == "go1.x" && fn.Handler != "" {
		name = fn.Handler
	}
	exe := filepath.Join(dir, name)
	goBuild := fn.Build.Is("go1.x") && !fn.Build.Done
	if goBuild || (!isExecutable(exe) && hasGoFiles(dir)) {
		out, err := m.buildGo(ctx, fn, dir)
		if err != nil {
			return command{}, err
		}
		exe = out
	} else if !isExecutable(exe) {
		return command{}, fmt.Errorf("function %s: %s is missing or not executable (runtime %s runs a bootstrap executable; set Metadata.BuildMethod: go1.x to build Go sources)", fn.Name, exe, fn.Runtime)
	}
	return command{path: exe, dir: filepath.Dir(exe), runtimeDir: filepath.Dir(exe)}, nil
}

// buildGo builds the Go program in fn.CodeDir into the cache, keyed by a
// hash of its sources, and returns the binary's path. A cached build is
// reused, so a restart with unchanged code starts at once.
func (m *Manager) buildGo(ctx context.Context, fn *config.Function, srcDir string) (string, error) {
	key, err := m.goKey(fn, srcDir)
	if err != nil {
		return "", fmt.Errorf("function %s: hash sources: %w", fn.Name, err)
	}
	dir := filepath.Join(m.opts.CacheDir, "build", key[:24])
	out := filepath.Join(dir, "bootstrap")
	// Functions sharing their sources are prepared side by side: one
	// builds, the others wait for it and find its binary.
	mu := m.cacheLock("go/" + key)
	mu.Lock()
	defer mu.Unlock()
	if isExecutable(out) {
		return out, nil
	}
	if _, err := exec.LookPath("go"); err != nil {
		return "", fmt.Errorf("function %s: BuildMethod go1.x needs the go command on PATH", fn.Name)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("function %s: %w", fn.Name, err)
	}
	tmp := fmt.Sprintf("%s.tmp-%d", out, os.Getpid()) // another gatescope may build it too
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-tags", "lambda.norpc", "-o", tmp, ".")
	cmd.Dir = srcDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cancelsGroup(cmd)
	start := time.Now()
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("function %s: go build in %s failed:\n%s", fn.Name, srcDir, strings.TrimSpace(string(b)))
	}
	if err := os.Rename(tmp, out); err != nil {
		return "", fmt.Errorf("function %s: %w", fn.Name, err)
	}
	m.logger.Info("built function", "function", fn.Name, "dir", srcDir, "took", time.Since(start).Round(time.Millisecond))
	return out, nil
}

// goKey is the cache key of a Go build: the sources in srcDir and, when
// the module's go.mod lies above it, the module's Go files (packages the
// build may import from there), plus the platform the build targets.
func (m *Manager) goKey(fn *config.Function, srcDir string) (string, error) {
	tree, err := m.sums.tree(srcDir, func(string) bool { return true })
	if err != nil {
		return "", err
	}
	key := keyOf("go", runtime.GOOS+"/"+runtime.GOARCH, tree)
	if root := goModuleRoot(fn); root != "" && srcDir == fn.CodeDir {
		mod, err := m.sums.tree(root, goSource)
		if err != nil {
			return "", err
		}
		rel, _ := filepath.Rel(root, srcDir)
		key = keyOf(key, rel, mod)
	}
	return key, nil
}

// hashTreeSkipping hashes the names and contents of the files under dir,
// skipping the directories named in skip, plus the platform the build
// targets.
func hashTreeSkipping(dir string, skip ...string) (string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != dir && slices.Contains(skip, d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	sort.Strings(files)
	h := sha256.New()
	io.WriteString(h, runtime.GOOS+"/"+runtime.GOARCH+"\x00")
	for _, p := range files {
		rel, _ := filepath.Rel(dir, p)
		io.WriteString(h, rel+"\x00")
		f, err := os.Open(p)
		if err != nil {
			return "", err
		}
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

func hasGoFiles(dir string) bool {
	m, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	return len(m) > 0
}
