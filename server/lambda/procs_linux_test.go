package lambda

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/testenv"
)

// spawnFunction runs testdata/pyfn's spawn handler, which starts a setsid
// sleep, a double-forked sleep and a plain child, and writes their pids.
func spawnFunction(t *testing.T) *config.Function {
	testenv.Need(t, "python3")
	testenv.Need(t, "setsid")
	return &config.Function{Name: "Spawn", Runtime: "python3.12", Handler: "app.spawn", CodeDir: testdata(t, "pyfn"),
		Timeout: 3 * time.Second, MemoryMB: 128}
}

// running names a process by pid and start time, so a reused pid is never
// taken for it.
type running struct {
	pid   int
	start uint64
}

// spawned waits for the function to write its pids and names them.
func spawned(t *testing.T, pidfile string) []running {
	t.Helper()
	var out []running
	testenv.Eventually(t, 30*time.Second, "the function's processes started", func() bool {
		b, err := os.ReadFile(pidfile)
		f := strings.Fields(string(b))
		if err != nil || len(f) != 3 {
			return false
		}
		out = out[:0]
		for _, s := range f {
			pid, _ := strconv.Atoi(s)
			p, err := readProc(pid)
			if err != nil || p.dead() {
				t.Fatalf("process %d of the function is not running: %v", pid, err)
			}
			out = append(out, running{pid, p.start})
		}
		return true
	})
	return out
}

// alive reports whether the process runs; a zombie does not.
func (r running) alive() bool {
	p, err := readProc(r.pid)
	return err == nil && p.start == r.start && !p.dead()
}

// gone reports whether the process no longer exists at all: dead and
// reaped, so gatescope, their subreaper, keeps no zombies.
func (r running) gone() bool {
	p, err := readProc(r.pid)
	return err != nil || p.start != r.start
}

func waitGone(t *testing.T, what string, ps []running) {
	t.Helper()
	testenv.Eventually(t, 10*time.Second, what, func() bool {
		for _, p := range ps {
			if !p.gone() {
				return false
			}
		}
		return true
	})
}

// bystander starts a sleep that no environment owns, to show sweeps leave
// it alone.
func bystander(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "300")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

// TestEscapedProcessesEndWithTheirEnvironment: processes a function starts
// that leave its process group (setsid, a double fork) end with its
// environment, at a timeout and when the Manager closes, and are reaped;
// processes that are not the environment's are untouched.
func TestEscapedProcessesEndWithTheirEnvironment(t *testing.T) {
	m := newManager(t, spawnFunction(t))
	other := bystander(t)
	dir := t.TempDir()

	// A timeout ends the environment.
	pidfile := filepath.Join(dir, "timeout")
	done := make(chan *Result, 1)
	go func() {
		res, err := m.Invoke(context.Background(), "Spawn", Request{Payload: payload(t, map[string]any{"pidfile": pidfile, "hang": true})})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	hung := spawned(t, pidfile)
	res := <-done
	if res == nil || !strings.Contains(string(res.Payload), "Task timed out") {
		t.Fatalf("want a timeout, got %+v", res)
	}
	waitGone(t, "the timed-out environment's processes gone", hung)

	// A warm environment's processes run on between invocations, and end
	// when the Manager closes: gone by the time Close returns, reaped soon.
	pidfile = filepath.Join(dir, "close")
	if res := invoke(t, m, "Spawn", string(payload(t, map[string]any{"pidfile": pidfile}))); res.FunctionError != "" {
		t.Fatalf("spawn failed: %s\n%s", res.Payload, res.Log)
	}
	warm := spawned(t, pidfile)
	for _, p := range warm {
		if !p.alive() {
			t.Fatalf("process %d ended with its invocation; it belongs to the environment", p.pid)
		}
	}
	m.Close()
	for _, p := range warm {
		if p.alive() {
			t.Errorf("process %d runs after Close returned", p.pid)
		}
	}
	waitGone(t, "the closed Manager's processes reaped", warm)

	if err := other.Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("a process no environment owns was killed: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(stateDir(cacheDir), m.procs.ids.instance+".json")); len(left) != 0 {
		t.Errorf("the closed Manager left its state file: %v", left)
	}
}

func payload(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCleanStale: at start, the function processes of a gatescope that
// died without ending them are killed, and only those: whatever carries
// its marker or is a recorded process (same pid and start time), and what
// they spawned. A gatescope that still runs, a file from another boot and
// processes that merely look alike are left alone.
func TestCleanStale(t *testing.T) {
	cache := t.TempDir()
	dir := stateDir(cache)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	start := func(name string, env ...string) (*exec.Cmd, running) {
		t.Helper()
		cmd := exec.Command("sleep", "300")
		cmd.Env = append(os.Environ(), env...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		p, err := readProc(cmd.Process.Pid)
		if err != nil {
			t.Fatal(err)
		}
		return cmd, running{p.pid, p.start}
	}
	const dead, live = "00000000000000d1", "00000000000000a1"
	marked, _ := start("marked", envMarker+"="+dead+"-7")
	recorded, rec := start("recorded")
	lookalike, look := start("lookalike")
	otherMarker, _ := start("other instance", envMarker+"=ffffffffffffffff-1")
	liveOwned, liveRec := start("owned by a running gatescope", envMarker+"="+live+"-1")
	otherBoot, ob := start("recorded under another boot")

	self, err := readProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	write := func(rec ledgerFile) {
		t.Helper()
		b, _ := json.Marshal(rec)
		if err := os.WriteFile(filepath.Join(dir, rec.Instance+".json"), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// This process, with another start time: a gatescope that is gone.
	write(ledgerFile{Boot: bootID(), PID: os.Getpid(), Start: self.start + 1, Instance: dead, Envs: map[string]ledgerEnv{
		dead + "-1": {PID: rec.pid, Start: rec.start},
		dead + "-2": {PID: look.pid, Start: look.start + 1},
	}})
	write(ledgerFile{Boot: bootID(), PID: os.Getpid(), Start: self.start, Instance: live, Envs: map[string]ledgerEnv{
		live + "-1": {PID: liveRec.pid, Start: liveRec.start},
	}})
	write(ledgerFile{Boot: "another-boot", PID: 1, Start: 1, Instance: "00000000000000b0", Envs: map[string]ledgerEnv{
		"00000000000000b0-1": {PID: ob.pid, Start: ob.start},
	}})

	// A damaged file (an instance id that is not one) is left alone.
	if err := os.WriteFile(filepath.Join(dir, "x.json"), []byte(`{"instance":"x","envs":{}}`), 0o600); err != nil {
		t.Fatal(err)
	}

	cleanStale(slog.New(slog.NewTextHandler(io.Discard, nil)), cache)

	for name, cmd := range map[string]*exec.Cmd{"marked": marked, "recorded": recorded} {
		err := cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Errorf("the %s process: %v, want killed", name, err)
		}
	}
	for name, cmd := range map[string]*exec.Cmd{"lookalike": lookalike, "other instance": otherMarker,
		"owned by a running gatescope": liveOwned, "recorded under another boot": otherBoot} {
		if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
			t.Errorf("the %s process was killed", name)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if fmt.Sprint(files) != fmt.Sprint([]string{filepath.Join(dir, live+".json"), filepath.Join(dir, "x.json")}) {
		t.Errorf("state files left: %v; want the running gatescope's and the damaged one", files)
	}
}
