package lambda

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// proc is what /proc/<pid>/stat says of a process.
type proc struct {
	pid, ppid, pgrp int
	state           byte // R, S, D, T, Z (zombie), ...
	// start is when the process started, in clock ticks since boot: with
	// the pid it names one process for as long as the machine runs.
	start uint64
}

var errStat = errors.New("unexpected /proc stat format")

func readProc(pid int) (proc, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return proc{}, err
	}
	// The command name is in parentheses and may hold anything, ")" too.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return proc{}, errStat
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 || len(f[0]) != 1 {
		return proc{}, errStat
	}
	p := proc{pid: pid, state: f[0][0]}
	var e1, e2, e3 error
	p.ppid, e1 = strconv.Atoi(f[1])
	p.pgrp, e2 = strconv.Atoi(f[2])
	p.start, e3 = strconv.ParseUint(f[19], 10, 64)
	if e1 != nil || e2 != nil || e3 != nil {
		return proc{}, errStat
	}
	return p, nil
}

func (p proc) dead() bool { return p.state == 'Z' || p.state == 'X' }

// listPIDs lists every process on the machine.
func listPIDs() ([]int, error) {
	f, err := os.Open("/proc")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	pids := make([]int, 0, len(names))
	for _, n := range names {
		if pid, err := strconv.Atoi(n); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// environOf is the environment a process was started with; empty when it
// cannot be read (another user's process, a zombie, a kernel thread).
func environOf(pid int) []byte {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	return b
}

// environHas reports whether environ (NUL-separated) holds the entry
// exactly, or with prefix an entry that starts with it.
func environHas(environ []byte, entry string, prefix bool) bool {
	for len(environ) > 0 {
		e := environ
		if i := bytes.IndexByte(environ, 0); i >= 0 {
			e, environ = environ[:i], environ[i+1:]
		} else {
			environ = nil
		}
		if prefix && bytes.HasPrefix(e, []byte(entry)) || !prefix && string(e) == entry {
			return true
		}
	}
	return false
}

// childPIDs lists this process's children. Each thread keeps its own list
// (the kernel adopts orphans to one of our threads); without those lists
// (CONFIG_PROC_CHILDREN) it scans every process.
func childPIDs() []int {
	self := os.Getpid()
	tasks, err := os.ReadDir("/proc/self/task")
	var out []int
	listed := false
	if err == nil {
		for _, t := range tasks {
			b, err := os.ReadFile("/proc/self/task/" + t.Name() + "/children")
			if err != nil {
				continue // the thread ended, or no lists at all
			}
			listed = true
			for _, f := range strings.Fields(string(b)) {
				if pid, err := strconv.Atoi(f); err == nil {
					out = append(out, pid)
				}
			}
		}
	}
	if listed {
		return out
	}
	pids, _ := listPIDs()
	for _, pid := range pids {
		if p, err := readProc(pid); err == nil && p.ppid == self {
			out = append(out, pid)
		}
	}
	return out
}

// sweepRounds bounds how often sweep looks again for processes forked
// while it was stopping the ones it found.
const sweepRounds = 100

// sweep kills every process that match selects, and every descendant of
// one, and returns them once they have exited. It stops each (SIGSTOP) as
// it finds it and looks again until a look finds nothing new, so nothing
// forks its way out, then kills them all (SIGKILL). Each is held by a pidfd from before its start
// time is checked, so a signal can only reach the process that was
// checked, never one that took its pid since. Zombies that match (or
// descend from a match) are returned but not signalled: only their parent
// can remove them.
func sweep(match func(p proc, environ []byte) bool) []proc {
	self := os.Getpid()
	type held struct {
		p  proc
		fd int // -1 when the kernel has no pidfds
	}
	hold := map[int]held{}
	var found []proc
	defer func() {
		for _, h := range hold {
			if h.fd >= 0 {
				unix.Close(h.fd)
			}
		}
	}()
	signal := func(h held, sig unix.Signal) {
		if h.fd >= 0 {
			_ = unix.PidfdSendSignal(h.fd, sig, nil, 0)
			return
		}
		if p, err := readProc(h.p.pid); err == nil && p.start == h.p.start {
			_ = unix.Kill(h.p.pid, sig)
		}
	}
	zombies := map[int]bool{}
	for range sweepRounds {
		pids, err := listPIDs()
		if err != nil {
			break
		}
		var all []proc
		in := map[int]bool{} // held, zombie or selected in this round: their children are selected too
		for pid := range hold {
			in[pid] = true
		}
		for pid := range zombies {
			in[pid] = true
		}
		for _, pid := range pids {
			if pid == self || in[pid] {
				continue
			}
			p, err := readProc(pid)
			if err != nil {
				continue
			}
			all = append(all, p)
			if match(p, environOf(pid)) {
				in[pid] = true
			}
		}
		for grew := true; grew; { // descendants, however deep
			grew = false
			for _, p := range all {
				if !in[p.pid] && in[p.ppid] {
					in[p.pid], grew = true, true
				}
			}
		}
		fresh := 0
		for _, p := range all {
			if !in[p.pid] {
				continue
			}
			if p.dead() {
				if !zombies[p.pid] {
					zombies[p.pid] = true
					found = append(found, p)
				}
				continue
			}
			fd, err := unix.PidfdOpen(p.pid, 0)
			if err != nil && !errors.Is(err, unix.ENOSYS) {
				continue // gone
			}
			if err != nil {
				fd = -1
			}
			if q, err := readProc(p.pid); err != nil || q.start != p.start {
				if fd >= 0 {
					unix.Close(fd)
				}
				continue // the pid is another process's now
			}
			h := held{p: p, fd: fd}
			signal(h, unix.SIGSTOP)
			hold[p.pid] = h
			found = append(found, p)
			fresh++
		}
		if fresh == 0 {
			break
		}
	}
	for _, h := range hold {
		signal(h, unix.SIGKILL)
	}
	// A signal is delivered asynchronously: wait until they have exited, so
	// that what ends an environment returns once its processes are dead.
	var fds []unix.PollFd
	for _, h := range hold {
		if h.fd >= 0 {
			fds = append(fds, unix.PollFd{Fd: int32(h.fd), Events: unix.POLLIN})
		}
	}
	deadline := time.Now().Add(sweepWait)
	for len(fds) > 0 {
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		n, err := unix.Poll(fds, int(left.Milliseconds())+1)
		if err != nil && !errors.Is(err, unix.EINTR) {
			break
		}
		if n > 0 {
			fds = slices.DeleteFunc(fds, func(f unix.PollFd) bool { return f.Revents != 0 })
		}
	}
	return found
}

// sweepWait bounds how long sweep waits for the processes it killed to
// exit (a process in uninterruptible sleep may take longer).
const sweepWait = 2 * time.Second

// bootID names this boot: a pid and start time recorded under another boot
// name no process now.
func bootID() string {
	b, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return strings.TrimSpace(string(b))
}
