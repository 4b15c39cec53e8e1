package lambda

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Interpreter is the local program that runs a Node.js or Python runtime.
type Interpreter struct {
	// Path is the program's path.
	Path string
	// Version is what it reports: "v20.20.2" for node, "3.11.7" for python.
	Version string
	// Warning says how it differs from the runtime the template names
	// ("" when it is the same major version (Node.js) or minor (Python)).
	Warning string
}

// LocalInterpreter finds the program that runs runtime (nodejs22.x,
// python3.12) here: the exact version's own program (node22, python3.12)
// when it is on PATH and runs, else node or python3, whose version is then
// compared with the runtime's. Version managers often install shims for
// versions that are not there (pyenv's python3.12 says "command not
// found"), so each candidate is run once to ask its version.
func LocalInterpreter(ctx context.Context, runtime string) (Interpreter, error) {
	return localInterpreter(ctx, runtime, probeVersion)
}

// interpreter is LocalInterpreter with each program probed once per Manager.
func (m *Manager) interpreter(ctx context.Context, runtime string) (Interpreter, error) {
	return localInterpreter(ctx, runtime, func(ctx context.Context, prog string) (string, string, error) {
		m.probeMu.Lock()
		defer m.probeMu.Unlock()
		if r, ok := m.probes[prog]; ok {
			return r.path, r.version, r.err
		}
		path, version, err := probeVersion(ctx, prog)
		if ctx.Err() == nil { // a cancelled probe says nothing of the program
			m.probes[prog] = probe{path, version, err}
		}
		return path, version, err
	})
}

type probe struct {
	path, version string
	err           error
}

type prober func(ctx context.Context, prog string) (path, version string, err error)

func localInterpreter(ctx context.Context, runtime string, ask prober) (Interpreter, error) {
	rt := strings.ToLower(runtime)
	var exact, general, want, lang string
	switch {
	case strings.HasPrefix(rt, "nodejs"):
		want = strings.TrimSuffix(strings.TrimPrefix(rt, "nodejs"), ".x") // "22"
		want, _, _ = strings.Cut(want, ".")
		exact, general, lang = "node"+want, "node", "Node.js"
	case strings.HasPrefix(rt, "python"):
		want = strings.TrimPrefix(rt, "python") // "3.12"
		exact, general, lang = "python"+want, "python3", "Python"
	default:
		return Interpreter{}, fmt.Errorf("runtime %s has no interpreter", runtime)
	}
	exactIs := "is not on PATH" // what became of the exact version's program
	if want != "" {
		path, version, err := ask(ctx, exact)
		switch {
		case err == nil && sameVersion(version, want):
			return Interpreter{Path: path, Version: version}, nil
		case err == nil:
			exactIs = "is " + lang + " " + strings.TrimPrefix(version, "v")
		case !errors.Is(err, exec.ErrNotFound):
			exactIs = "on PATH does not run"
		}
	}
	path, version, err := ask(ctx, general)
	if err != nil {
		return Interpreter{}, fmt.Errorf("runtime %s needs %s on PATH: %w", runtime, general, err)
	}
	in := Interpreter{Path: path, Version: version}
	if want != "" && !sameVersion(version, want) {
		in.Warning = fmt.Sprintf("runtime %s, but %s %s and %s is %s %s: the function runs on %s %s, not %s "+
			"(put %s %s on PATH as %s or %s to run the version Lambda runs)",
			runtime, exact, exactIs, general, lang, strings.TrimPrefix(version, "v"), lang, majorMinor(version, lang), want,
			lang, want, exact, general)
	}
	return in, nil
}

// sameVersion reports whether version ("v20.20.2", "3.11.7") is want
// ("20", "3.12"): the same major for Node.js, major.minor for Python.
func sameVersion(version, want string) bool {
	v := strings.TrimPrefix(version, "v")
	return v == want || strings.HasPrefix(v, want+".")
}

// majorMinor is the part of a version a runtime names: "20" of v20.20.2,
// "3.11" of 3.11.7.
func majorMinor(version, lang string) string {
	parts := strings.Split(strings.TrimPrefix(version, "v"), ".")
	if lang == "Python" && len(parts) >= 2 {
		return parts[0] + "." + parts[1]
	}
	return parts[0]
}

// probeVersion finds prog on PATH and asks its version, which also proves
// it runs, and the program that really runs: a version manager's shim
// (pyenv, nodenv, asdf) starts another process to pick one, which costs
// every cold start (120 ms a start for pyenv's here), so functions run the
// program the probe found behind it.
func probeVersion(ctx context.Context, prog string) (path, version string, err error) {
	path, err = exec.LookPath(prog)
	if err != nil {
		return "", "", err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// "Python 3.11.7" comes on stdout or stderr depending on the version;
	// asking sys is unambiguous.
	args, where := []string{"--version"}, []string{"-e", "process.stdout.write(process.execPath)"}
	if strings.HasPrefix(prog, "python") {
		args, where = []string{"-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"}, []string{"-c", "import sys; print(sys.executable)"}
	}
	out, err := exec.CommandContext(ctx, path, args...).Output()
	if err != nil {
		return "", "", fmt.Errorf("%s does not run: %w", path, err)
	}
	version = strings.TrimSpace(string(out))
	if version == "" {
		return "", "", fmt.Errorf("%s reports no version", path)
	}
	out, _ = exec.CommandContext(ctx, path, where...).Output()
	if real := strings.TrimSpace(string(out)); real != "" && real != path && filepath.IsAbs(real) {
		if st, err := os.Stat(real); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			path = real
		}
	}
	return path, version, nil
}
