package lambda

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/testenv"
)

// realProgram is the executable behind prog (through version managers'
// shims): the target a test's own PATH links to.
func realProgram(t *testing.T, prog string) string {
	t.Helper()
	testenv.Need(t, prog)
	var out []byte
	var err error
	if strings.HasPrefix(prog, "python") {
		out, err = exec.Command(prog, "-c", "import sys; print(sys.executable)").Output()
	} else {
		out, err = exec.Command(prog, "-p", "process.execPath").Output()
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

func version(t *testing.T, prog string, args ...string) string {
	t.Helper()
	out, err := exec.Command(prog, args...).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// pathOf makes a directory holding links (name → target) and scripts
// (name → shell script) and makes it the whole PATH for the test.
func pathOf(t *testing.T, links, scripts map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	for name, script := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", dir)
	return dir
}

func TestLocalInterpreter(t *testing.T) {
	node, python := realProgram(t, "node"), realProgram(t, "python3")
	nodeVersion := version(t, node, "--version")                                                  // v20.20.2
	pyVersion := version(t, python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])") // 3.11.7
	nodeMajor := strings.Split(strings.TrimPrefix(nodeVersion, "v"), ".")[0]
	pyMinor := strings.Join(strings.Split(pyVersion, ".")[:2], ".")
	// A runtime whose version the local interpreters are not.
	otherNode, otherPy := "22", "3.12"
	if nodeMajor == otherNode {
		otherNode = "20"
	}
	if pyMinor == otherPy {
		otherPy = "3.13"
	}
	ctx := context.Background()

	t.Run("node of another version runs, with a warning naming both", func(t *testing.T) {
		pathOf(t, map[string]string{"node": node}, nil)
		in, err := LocalInterpreter(ctx, "nodejs"+otherNode+".x")
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("runtime nodejs%s.x, but node%s is not on PATH and node is Node.js %s: the function runs on Node.js %s, not %s",
			otherNode, otherNode, strings.TrimPrefix(nodeVersion, "v"), nodeMajor, otherNode)
		if in.Version != nodeVersion || !strings.HasPrefix(in.Warning, want) {
			t.Errorf("got %+v\nwant warning %q", in, want)
		}
	})
	t.Run("the exact version's own program is used when present", func(t *testing.T) {
		// A stand-in for an installed node22 that is its own program (it
		// says where it is, as a real node22 would).
		dir := pathOf(t, map[string]string{"node": node}, map[string]string{
			"node" + otherNode: fmt.Sprintf("if [ \"$1\" = --version ]; then echo v%s.1.0; exit; fi\nif [ \"$1\" = -e ]; then printf %%s \"$0\"; exit; fi\nexec %q \"$@\"\n",
				otherNode, node)})
		in, err := LocalInterpreter(ctx, "nodejs"+otherNode+".x")
		if err != nil || in.Path != filepath.Join(dir, "node"+otherNode) || in.Warning != "" {
			t.Errorf("got %+v, %v; want node%s without a warning", in, err, otherNode)
		}
	})
	t.Run("a version manager's shim is skipped", func(t *testing.T) {
		// pyenv's, nodenv's and asdf's shims start another process to pick
		// the program: functions run the program behind them.
		pathOf(t, nil, map[string]string{"python3": fmt.Sprintf("exec %q \"$@\"\n", python), "node": fmt.Sprintf("exec %q \"$@\"\n", node)})
		realPy := strings.TrimSpace(version(t, python, "-c", "import sys; print(sys.executable)"))
		realNode := strings.TrimSpace(version(t, node, "-e", "process.stdout.write(process.execPath)"))
		if in, err := LocalInterpreter(ctx, "python"+pyMinor); err != nil || in.Path != realPy {
			t.Errorf("python behind a shim: %+v, %v; want %s", in, err, realPy)
		}
		if in, err := LocalInterpreter(ctx, "nodejs"+nodeMajor+".x"); err != nil || in.Path != realNode {
			t.Errorf("node behind a shim: %+v, %v; want %s", in, err, realNode)
		}
	})
	t.Run("the same major version is no warning", func(t *testing.T) {
		pathOf(t, map[string]string{"node": node}, nil)
		in, err := LocalInterpreter(ctx, "nodejs"+nodeMajor+".x")
		if err != nil || in.Warning != "" {
			t.Errorf("got %+v, %v", in, err)
		}
	})
	t.Run("a version manager's shim that cannot run is passed over", func(t *testing.T) {
		pathOf(t, map[string]string{"python3": python}, map[string]string{
			"python" + otherPy: fmt.Sprintf("echo 'pyenv: python%s: command not found' >&2\nexit 127\n", otherPy)})
		in, err := LocalInterpreter(ctx, "python"+otherPy)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("runtime python%s, but python%s on PATH does not run and python3 is Python %s: the function runs on Python %s, not %s",
			otherPy, otherPy, pyVersion, pyMinor, otherPy)
		if !strings.HasPrefix(in.Warning, want) {
			t.Errorf("warning %q\nwant %q", in.Warning, want)
		}
	})
	t.Run("python3.x on PATH is used", func(t *testing.T) {
		dir := pathOf(t, map[string]string{"python3": python, "python" + pyMinor: python}, nil)
		in, err := LocalInterpreter(ctx, "python"+pyMinor)
		if err != nil || in.Path != filepath.Join(dir, "python"+pyMinor) || in.Warning != "" {
			t.Errorf("got %+v, %v", in, err)
		}
	})
	t.Run("no interpreter at all", func(t *testing.T) {
		pathOf(t, nil, nil)
		if _, err := LocalInterpreter(ctx, "nodejs20.x"); err == nil || !strings.Contains(err.Error(), "needs node on PATH") {
			t.Errorf("err = %v", err)
		}
	})
}

// syncBuffer is a log destination tests read while functions write.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestFunctionOnAnotherNodeVersion: a function whose runtime names another
// Node.js version than the local one runs, and the log says so once.
func TestFunctionOnAnotherNodeVersion(t *testing.T) {
	node := realProgram(t, "node")
	major := strings.Split(strings.TrimPrefix(version(t, node, "--version"), "v"), ".")[0]
	other := "22"
	if major == other {
		other = "20"
	}
	pathOf(t, map[string]string{"node": node}, nil)
	var logs syncBuffer
	fn := &config.Function{Name: "Fn", Runtime: "nodejs" + other + ".x", Handler: "index.handler", CodeDir: testdata(t, "nodefn"),
		Timeout: 5 * time.Second, MemoryMB: 128}
	m := New(slog.New(slog.NewTextHandler(&logs, nil)), &config.Project{Functions: []*config.Function{fn}}, Options{CacheDir: cacheDir})
	t.Cleanup(m.Close)
	if err := m.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	res := invoke(t, m, "Fn", `{"echo":"ran"}`)
	if !strings.Contains(string(res.Payload), `"echo":"ran"`) {
		t.Fatalf("payload %s", res.Payload)
	}
	want := "function Fn: runtime nodejs" + other + ".x, but node" + other + " is not on PATH and node is Node.js " + major
	if got := logs.String(); strings.Count(got, want) != 1 {
		t.Errorf("log should warn once with %q:\n%s", want, got)
	}
}
