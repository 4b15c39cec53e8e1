package lambda

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/testenv"
)

// TestPendingWhileBuilding: while a function builds it is Pending; an
// invoke waits for the same build (never starts another), or is refused
// as Lambda refuses a Pending function when its deadline comes first.
func TestPendingWhileBuilding(t *testing.T) {
	testenv.Need(t, "node")
	testenv.Need(t, "make")
	tmp := t.TempDir()
	// A build that waits for the test: it holds exactly as long as needed.
	gate, runs := filepath.Join(tmp, "gate"), filepath.Join(tmp, "runs")
	if err := syscall.Mkfifo(gate, 0o600); err != nil {
		t.Fatal(err)
	}
	src := writeFiles(t, filepath.Join(tmp, "src"), map[string]string{
		"Makefile": fmt.Sprintf("build-Slow:\n\techo run >> %s\n\tcat %s > /dev/null\n\tcp index.js $(ARTIFACTS_DIR)/\n", runs, gate),
		"index.js": "exports.handler = async () => 'built';\n",
	})
	fn := &config.Function{Name: "Slow", Runtime: "nodejs20.x", Handler: "index.handler", CodeDir: src, Timeout: 10 * time.Second, MemoryMB: 128,
		Build: &config.Build{Method: "makefile", File: "template.yaml", Line: 3}}
	m := New(slog.New(slog.DiscardHandler), &config.Project{Functions: []*config.Function{fn}}, Options{CacheDir: filepath.Join(tmp, "cache")})
	t.Cleanup(m.Close)
	if s := m.Code("Slow").State; s != StateInactive {
		t.Errorf("before anything prepared it: %s, want Inactive", s)
	}
	prepared := make(chan error, 1)
	go func() { prepared <- m.Prepare(context.Background()) }()
	testenv.Eventually(t, 10*time.Second, "make started", func() bool { _, err := os.Stat(runs); return err == nil })
	if s := m.Code("Slow").State; s != StatePending {
		t.Errorf("while building: %s, want Pending", s)
	}

	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := m.Invoke(short, "Slow", Request{Payload: []byte(`{}`)})
	var se *ServiceError
	if !errors.As(err, &se) || se.Type != "ResourceConflictException" || !strings.Contains(se.Message, "Pending") {
		t.Errorf("invoke past its deadline while building: %v, want ResourceConflictException (Pending)", err)
	}

	type outcome struct {
		res *Result
		err error
	}
	waited := make(chan outcome, 1)
	go func() {
		res, err := m.Invoke(context.Background(), "Slow", Request{Payload: []byte(`{}`)})
		waited <- outcome{res, err}
	}()
	os.WriteFile(gate, []byte("go\n"), 0) // lets the build finish
	o := <-waited
	if o.err != nil || string(o.res.Payload) != `"built"` {
		t.Fatalf("invoke that waited for the build: %v %+v", o.err, o.res)
	}
	if err := <-prepared; err != nil {
		t.Fatal(err)
	}
	if c := m.Code("Slow"); c.State != StateActive || c.Dir == "" {
		t.Errorf("after the build: %+v", c)
	}
	if b, _ := os.ReadFile(runs); strings.Count(string(b), "run") != 1 {
		t.Errorf("make ran %d times, want once", strings.Count(string(b), "run"))
	}
}

// TestFunctionsSharingSources: functions whose code is the same directory
// are prepared side by side; one go build serves them all.
func TestFunctionsSharingSources(t *testing.T) {
	testenv.Need(t, "go")
	var fns []*config.Function
	var names []string
	for i := range 6 {
		fn := goFunction(t)
		fn.Name = fmt.Sprintf("Fn%d", i)
		fn.FunctionName = fn.Name
		fns, names = append(fns, fn), append(names, fn.Name)
	}
	m := New(slog.New(slog.DiscardHandler), &config.Project{Functions: fns}, Options{CacheDir: t.TempDir()})
	t.Cleanup(m.Close)
	if err := m.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if res := invoke(t, m, name, `{"echo":"shared"}`); string(res.Payload) != `{"echo":"shared"}` {
			t.Errorf("%s: %s", name, res.Payload)
		}
	}
}
