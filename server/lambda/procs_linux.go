package lambda

import (
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// On Linux gatescope is a child subreaper (PR_SET_CHILD_SUBREAPER): what a
// function spawns and orphans (setsid, a double fork) is re-parented to
// gatescope instead of init, so it stays among gatescope's descendants,
// and every environment's processes carry envMarker. Ending an environment
// kills its process group and then sweeps /proc for anything else that
// carries its marker or descends from it. The function process dies with
// gatescope (Pdeathsig), and each Manager records its environments in a
// state file so the next start can clean up after a gatescope that was
// killed (SIGKILL, the OOM killer) before it could.
//
// Being a subreaper means reaping: adopted processes that exit stay zombies
// until gatescope waits for them. Only processes known to be an
// environment's are waited for, never another child (exec.Cmd waits for
// its own, and a stolen exit status would break it).

// reaper is process-wide, as the subreaper attribute is.
var reaper struct {
	once sync.Once
	on   bool          // PR_SET_CHILD_SUBREAPER is set
	jobs chan func()   // run on spawnThread
	kick chan struct{} // asks for a reaping pass

	mu sync.Mutex
	// runtimes are function processes that exec.Cmd will wait for.
	runtimes map[int]bool
	// ours are environment processes (pid → start time) that may end as
	// our zombies: killed by a sweep, or adopted and seen alive.
	ours map[int]uint64
	// markers are the marker prefixes of live Managers.
	markers map[string]int
}

// reapEvery is how often the reaper looks at gatescope's children besides
// on SIGCHLD: an orphan adopted while alive is seen with its marker then,
// so it is reaped when it exits. (An orphan that is adopted and exits
// within this time stays a zombie until gatescope exits.)
const reapEvery = time.Second

func startReaper(logger *slog.Logger) {
	reaper.once.Do(func() {
		reaper.runtimes = map[int]bool{}
		reaper.ours = map[int]uint64{}
		reaper.markers = map[string]int{}
		reaper.kick = make(chan struct{}, 1)
		reaper.jobs = make(chan func())
		go spawnThread()
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			logger.Warn("cannot become a child subreaper; orphaned function processes are still found by their marker",
				slog.Any("err", err))
			return
		}
		reaper.on = true
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGCHLD)
		go func() {
			t := time.NewTicker(reapEvery)
			for {
				select {
				case <-sigs:
				case <-t.C:
				case <-reaper.kick:
				}
				reapAdopted()
			}
		}()
	})
}

// spawnThread starts function processes from one OS thread that never
// exits: the kernel sends Pdeathsig when the thread that forked a process
// exits, not the whole program (golang.org/issue/27505).
func spawnThread() {
	runtime.LockOSThread() // and never unlocked: the thread lives as long as gatescope
	for job := range reaper.jobs {
		job()
	}
}

func onSpawnThread(f func() error) error {
	done := make(chan error, 1)
	reaper.jobs <- func() { done <- f() }
	return <-done
}

// reapAdopted waits for our zombie children that are known environment
// processes, and notes live adopted ones by their marker.
func reapAdopted() {
	reaper.mu.Lock()
	defer reaper.mu.Unlock()
	ourGroup := syscall.Getpgrp()
	for _, pid := range childPIDs() {
		if reaper.runtimes[pid] {
			continue
		}
		p, err := readProc(pid)
		if err != nil || p.pgrp == ourGroup { // our group: an exec.Cmd of ours, never an environment's
			continue
		}
		start, known := reaper.ours[pid]
		switch {
		case p.dead():
			if known && start == p.start {
				var ws unix.WaitStatus
				if _, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil); err == nil {
					delete(reaper.ours, pid)
				}
			}
		case !known && len(reaper.markers) > 0:
			env := environOf(pid)
			for m := range reaper.markers {
				if environHas(env, m, true) {
					reaper.ours[pid] = p.start
					break
				}
			}
		}
	}
	for pid, start := range reaper.ours { // gone: reaped by their own parent, or by us
		if p, err := readProc(pid); err != nil || p.start != start {
			delete(reaper.ours, pid)
		}
	}
}

func kickReaper() {
	select {
	case reaper.kick <- struct{}{}:
	default:
	}
}

// procTracker starts a Manager's function processes and ends them with
// everything they spawned.
type procTracker struct {
	log    *slog.Logger
	ids    *envIDs
	marker string // envMarker=<instance>-, the prefix of this Manager's markers
	ledger *ledger
}

func newProcTracker(logger *slog.Logger, cacheDir string) *procTracker {
	startReaper(logger)
	t := &procTracker{log: logger, ids: newEnvIDs()}
	t.marker = envMarker + "=" + t.ids.instance + "-"
	reaper.mu.Lock()
	reaper.markers[t.marker]++
	reaper.mu.Unlock()
	cleanStale(logger, cacheDir)
	t.ledger = newLedger(logger, cacheDir, t.ids.instance)
	return t
}

// start starts cmd as environment id's function process: in its own
// process group, so a kill reaches what it spawned, and killed with
// gatescope.
func (t *procTracker) start(cmd *exec.Cmd, id string) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	// Registered before the reaper can look, so it never waits for it.
	reaper.mu.Lock()
	err := onSpawnThread(cmd.Start)
	if err == nil {
		reaper.runtimes[cmd.Process.Pid] = true
	}
	reaper.mu.Unlock()
	if err != nil {
		return err
	}
	var start uint64
	if p, err := readProc(cmd.Process.Pid); err == nil {
		start = p.start
	}
	t.ledger.add(id, cmd.Process.Pid, start)
	return nil
}

// await waits for environment id's process to exit. Until it is reaped
// its pid, which is also its process group's id, cannot be reused, so
// kill, called here, can tell the group's members by that id alone; swept
// is closed when kill is done.
func (t *procTracker) await(cmd *exec.Cmd, kill func(), swept <-chan struct{}) error {
	pid := cmd.Process.Pid
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	kill()
	<-swept
	err := cmd.Wait()
	reaper.mu.Lock()
	delete(reaper.runtimes, pid)
	reaper.mu.Unlock()
	return err
}

// kill ends environment id, whose function process is pid: its process
// group at once, then whatever carries its marker or descends from a
// process that does. The processes it kills are noted so the reaper waits
// for those that end as our zombies.
func (t *procTracker) kill(id string, pid int) {
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	marker := envMarker + "=" + id
	killed := sweep(func(p proc, environ []byte) bool {
		return p.pgrp == pid || environHas(environ, marker, false)
	})
	reaper.mu.Lock()
	for _, p := range killed {
		if reaper.on && !reaper.runtimes[p.pid] { // without the subreaper, init reaps them
			reaper.ours[p.pid] = p.start
		}
	}
	reaper.mu.Unlock()
	kickReaper()
	t.log.Debug("ended an environment", slog.String("env", id), slog.Int("processes", len(killed)))
	t.ledger.remove(id)
}

// close is the Manager's end: its state file goes if every environment it
// recorded was ended (else the next start cleans up).
func (t *procTracker) close() {
	reaper.mu.Lock()
	if reaper.markers[t.marker]--; reaper.markers[t.marker] <= 0 {
		delete(reaper.markers, t.marker)
	}
	reaper.mu.Unlock()
	t.ledger.close()
}
