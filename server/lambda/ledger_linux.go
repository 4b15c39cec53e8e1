package lambda

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// ledger is a Manager's state file, <cache>/envs/<instance>.json: who runs
// the environments (gatescope's pid and start time, the boot) and each
// environment's function process (pid and start time). Written on every
// change, removed when the Manager closes, it is what the next start reads
// when a gatescope died without cleaning up.
type ledger struct {
	log  *slog.Logger
	path string // "" when the state directory cannot be made

	mu     sync.Mutex
	rec    ledgerFile
	closed bool
}

type ledgerFile struct {
	Boot     string               `json:"boot"`
	PID      int                  `json:"pid"`
	Start    uint64               `json:"start"`
	Instance string               `json:"instance"`
	Envs     map[string]ledgerEnv `json:"envs"` // by environment id
}

type ledgerEnv struct {
	PID   int    `json:"pid"`
	Start uint64 `json:"start"`
}

func stateDir(cacheDir string) string { return filepath.Join(cacheDir, "envs") }

func newLedger(logger *slog.Logger, cacheDir, instance string) *ledger {
	l := &ledger{log: logger, rec: ledgerFile{Boot: bootID(), PID: os.Getpid(), Instance: instance, Envs: map[string]ledgerEnv{}}}
	if p, err := readProc(os.Getpid()); err == nil {
		l.rec.Start = p.start
	}
	dir := stateDir(cacheDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		logger.Warn("no state file for function processes; a killed gatescope's cannot be cleaned up",
			slog.String("dir", dir), slog.Any("err", err))
		return l
	}
	l.path = filepath.Join(dir, instance+".json")
	return l
}

func (l *ledger) add(id string, pid int, start uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rec.Envs[id] = ledgerEnv{PID: pid, Start: start}
	l.write()
}

func (l *ledger) remove(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.rec.Envs[id]; !ok {
		return
	}
	delete(l.rec.Envs, id)
	l.write()
}

// close removes the file if no environment is left in it.
func (l *ledger) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	if l.path != "" && len(l.rec.Envs) == 0 {
		os.Remove(l.path)
	}
}

// write replaces the file (called with mu held): a reader never sees half
// of it.
func (l *ledger) write() {
	if l.path == "" {
		return
	}
	if l.closed && len(l.rec.Envs) == 0 {
		os.Remove(l.path)
		return
	}
	b, _ := json.Marshal(l.rec)
	tmp := l.path + ".tmp"
	err := os.WriteFile(tmp, b, 0o600)
	if err == nil {
		err = os.Rename(tmp, l.path)
	}
	if err != nil {
		l.log.Warn("write the state file of function processes", slog.String("path", l.path), slog.Any("err", err))
	}
}

// cleanStale ends the function processes of gatescopes that died without
// ending them, found through their state files. Only what is proven theirs
// is killed: a process whose environment carries one of that gatescope's
// markers, or whose pid and start time are a recorded function process's
// in this boot, and what descends from those. Files of a gatescope that
// still runs are left alone.
func cleanStale(logger *slog.Logger, cacheDir string) {
	files, _ := filepath.Glob(filepath.Join(stateDir(cacheDir), "*.json"))
	if len(files) == 0 {
		return
	}
	boot := bootID()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if errors.Is(err, fs.ErrNotExist) {
			continue // its gatescope just closed
		}
		var rec ledgerFile
		if err != nil || json.Unmarshal(b, &rec) != nil || !validInstance(rec.Instance) ||
			strings.TrimSuffix(filepath.Base(f), ".json") != rec.Instance {
			logger.Warn("ignoring an unreadable state file of function processes", slog.String("path", f))
			continue
		}
		if rec.Boot == boot {
			if p, err := readProc(rec.PID); err == nil && p.start == rec.Start && !p.dead() {
				continue // that gatescope still runs
			}
			marker := envMarker + "=" + rec.Instance + "-"
			killed := sweep(func(p proc, environ []byte) bool {
				for _, e := range rec.Envs {
					if p.pid == e.PID && p.start == e.Start {
						return true
					}
				}
				return environHas(environ, marker, true)
			})
			live := 0
			for _, p := range killed {
				if !p.dead() {
					live++
				}
			}
			if live > 0 {
				logger.Info("ended function processes a stopped gatescope left running",
					slog.Int("gatescope_pid", rec.PID), slog.Int("processes", live))
			}
		}
		// Another boot: none of its processes can be running.
		os.Remove(f)
	}
}

// validInstance reports whether s is an instance id as newEnvIDs makes
// them (16 hex digits), so a damaged file cannot widen the marker it
// matches.
func validInstance(s string) bool {
	if len(s) != 16 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
