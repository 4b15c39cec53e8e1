// Package watch reports which files changed under a set of paths: whole
// directory trees (a function's code, its layers) and single files (a
// template and what it includes). It uses fsnotify, which watches one
// directory at a time on Linux, so trees are walked and each directory is
// watched, new directories as they appear. Changes are debounced: one
// batch per save, however many events an editor's save makes.
//
// What never counts as a change: version control folders, build output
// (.aws-sam, .gatescope), caches (__pycache__, .pytest_cache, ...),
// editor swap, backup and lock files, and the packages an install churns
// through inside node_modules; only the lock file a package manager writes
// when an install ends (node_modules/.package-lock.json, ...) does.
//
// An idle Watcher costs nothing: it sets no timer and wakes only when the
// kernel reports an event.
package watch

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Options configure a Watcher.
type Options struct {
	// Quiet is how long no event must arrive before a batch is delivered
	// (default 30ms): an editor's save (write a temporary file, rename it
	// over the old one, remove the backup) takes well under that, and
	// what it adds to a reload is waited for on every save.
	Quiet time.Duration
	// MaxDelay bounds how long changes wait while events keep coming, as
	// during a checkout (default 1s).
	MaxDelay time.Duration
	// Ignore lists absolute paths that never count, with everything under
	// them: gatescope's own database and cache when they lie in a watched
	// tree.
	Ignore []string
}

// Watcher watches paths and delivers batches of changed paths.
type Watcher struct {
	log  *slog.Logger
	opts Options
	fsw  *fsnotify.Watcher

	mu sync.Mutex
	// roots are the watched trees and files, as Set gave them.
	roots map[string]bool
	// dirs is every directory with a watch, and why.
	dirs map[string]dirKind
	// files are the single files watched (through their directory).
	files map[string]bool
	// aliases: a directory reached again through a symbolic link is
	// watched once, under the path first seen (inotify has one watch per
	// directory); its events are reported under the other paths too.
	aliases map[string][]string
	// real maps each tree directory's real path to the path watched.
	real map[string]string
	// limitWarned: the watch limit was reported once already.
	limitWarned bool

	out chan struct{} // has a batch for the delivery goroutine
	// pending is the batch waiting for the delivery goroutine.
	pendMu  sync.Mutex
	pending map[string]bool
}

// dirKind says why a directory is watched.
type dirKind uint8

const (
	// kindTree: part of a watched tree; every file in it counts.
	kindTree dirKind = 1 << iota
	// kindModules: a node_modules directory in a tree; only a package
	// manager's lock files in it count.
	kindModules
	// kindParent: holds single files watched (they are watched through
	// their directory, which survives editors that save by replacing the
	// file).
	kindParent
)

// New returns a Watcher watching nothing yet; see Set and Run.
func New(logger *slog.Logger, opts Options) (*Watcher, error) {
	if opts.Quiet <= 0 {
		opts.Quiet = 30 * time.Millisecond
	}
	if opts.MaxDelay <= 0 {
		opts.MaxDelay = time.Second
	}
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	for i, p := range opts.Ignore {
		opts.Ignore[i] = filepath.Clean(p)
	}
	return &Watcher{
		log: logger, opts: opts, fsw: fsw,
		roots: map[string]bool{}, dirs: map[string]dirKind{}, files: map[string]bool{},
		aliases: map[string][]string{}, real: map[string]string{},
		out: make(chan struct{}, 1), pending: map[string]bool{},
	}, nil
}

// Close stops watching. Run returns once it has.
func (w *Watcher) Close() error { return w.fsw.Close() }

// Dirs is how many directories are watched.
func (w *Watcher) Dirs() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.dirs)
}

// Set makes the watched set paths: each a directory, watched with
// everything below it, or a file, watched through its directory. Paths
// that do not exist are skipped. What was watched and is not in paths
// any more is no longer watched.
func (w *Watcher) Set(paths []string) {
	want := map[string]bool{}
	for _, p := range paths {
		if p != "" {
			want[filepath.Clean(p)] = true
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if maps(w.roots, want) {
		return
	}
	// Start over: trees overlap and share directories, and a Set happens
	// only when the template changed, not on every save.
	for d := range w.dirs {
		w.fsw.Remove(d)
	}
	w.roots, w.dirs, w.files, w.aliases, w.real = want, map[string]dirKind{}, map[string]bool{}, map[string][]string{}, map[string]string{}
	sorted := make([]string, 0, len(want))
	for p := range want {
		sorted = append(sorted, p)
	}
	slices.Sort(sorted) // a parent before its children: one walk covers both
	for _, p := range sorted {
		st, err := os.Stat(p)
		switch {
		case err != nil:
			w.log.Debug("watch: skip missing path", slog.String("path", p))
		case st.IsDir():
			w.addTree(p)
			// Tools that regenerate a directory (rm -rf dist && tsc)
			// remove the tree's own watch: its parent sees it come back.
			w.files[p] = true
			w.addDir(filepath.Dir(p), kindParent)
		default:
			w.files[p] = true
			w.addDir(filepath.Dir(p), kindParent)
		}
	}
}

func maps(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// addDir watches dir (once) for the reason kind. Callers hold w.mu.
func (w *Watcher) addDir(dir string, kind dirKind) bool {
	if k, ok := w.dirs[dir]; ok {
		w.dirs[dir] = k | kind
		return true
	}
	if err := w.fsw.Add(dir); err != nil {
		w.addFailed(dir, err)
		return false
	}
	w.dirs[dir] = kind
	return true
}

// addFailed says why a directory cannot be watched; the limits get their
// remedy, once.
func (w *Watcher) addFailed(dir string, err error) {
	switch {
	case errors.Is(err, syscall.ENOSPC) && !w.limitWarned:
		w.limitWarned = true
		w.log.Warn("watch: the system's limit of inotify watches is reached, so changes under some directories are not seen; "+
			"raise it with `sudo sysctl fs.inotify.max_user_watches=524288`", slog.String("dir", dir))
	case errors.Is(err, syscall.EMFILE) && !w.limitWarned:
		w.limitWarned = true
		w.log.Warn("watch: out of file descriptors (kqueue opens every watched file), so changes under some directories are not seen; "+
			"raise the limit with `ulimit -n 10240`", slog.String("dir", dir))
	case errors.Is(err, fs.ErrNotExist):
		// gone before we got to it: its removal is reported
	default:
		w.log.Debug("watch: cannot watch a directory", slog.String("dir", dir), slog.Any("err", err))
	}
}

// addTree watches dir and every directory below it, following symbolic
// links to directories (each real directory once). It returns the
// directories newly watched. Callers hold w.mu.
func (w *Watcher) addTree(dir string) []string {
	var added []string
	var walk func(dir string)
	walk = func(dir string) {
		if w.ignoredPath(dir) {
			return
		}
		real, err := filepath.EvalSymlinks(dir)
		if err != nil {
			return
		}
		if first, ok := w.real[real]; ok {
			if first != dir && !slices.Contains(w.aliases[first], dir) {
				w.aliases[first] = append(w.aliases[first], dir)
			}
			return
		}
		if !w.addDir(dir, kindTree) {
			return
		}
		w.real[real] = dir
		added = append(added, dir)
		entries, err := os.ReadDir(dir)
		if err != nil {
			return
		}
		for _, e := range entries {
			name := e.Name()
			p := filepath.Join(dir, name)
			isDir := e.IsDir()
			if e.Type()&fs.ModeSymlink != 0 {
				st, err := os.Stat(p)
				isDir = err == nil && st.IsDir()
			}
			switch {
			case !isDir || SkipDir(name):
			case name == "node_modules":
				w.addDir(p, kindModules)
			default:
				walk(p)
			}
		}
	}
	walk(dir)
	return added
}

// forget stops watching dir and everything below it (removed or renamed
// away: a directory renamed back is walked again as new). Callers hold w.mu.
func (w *Watcher) forget(dir string) {
	prefix := dir + string(filepath.Separator)
	for d := range w.dirs {
		if d == dir || strings.HasPrefix(d, prefix) {
			w.fsw.Remove(d)
			delete(w.dirs, d)
			delete(w.aliases, d)
		}
	}
	for r, d := range w.real {
		if d == dir || strings.HasPrefix(d, prefix) {
			delete(w.real, r)
		}
	}
}

// Run delivers batches of changed paths to changed, one call at a time,
// until ctx ends or the Watcher is closed. Changes that arrive while
// changed runs are merged into the next batch.
func (w *Watcher) Run(ctx context.Context, changed func(paths []string)) {
	done := make(chan struct{})
	defer close(done)
	go w.deliver(ctx, done, changed)

	var timer *time.Timer // nil while nothing is pending: an idle watcher never wakes
	var timerC <-chan time.Time
	var first time.Time
	batch := map[string]bool{}
	// made are the paths created during the batch: one also gone before
	// it ends (an editor's or sed's temporary file, renamed over the real
	// one) is no change.
	made := map[string]bool{}
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.fsw.Events:
			if !ok {
				return
			}
			paths := w.handle(ev)
			if len(paths) == 0 {
				continue
			}
			for _, p := range paths {
				switch {
				case ev.Has(fsnotify.Create):
					made[p] = true
					batch[p] = true
				case made[p] && (ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename)):
					delete(batch, p)
					delete(made, p)
				default:
					batch[p] = true
				}
			}
			now := time.Now()
			if first.IsZero() {
				first = now
			}
			wait := min(w.opts.Quiet, w.opts.MaxDelay-now.Sub(first))
			if timer == nil {
				timer = time.NewTimer(wait)
				timerC = timer.C
			} else {
				timer.Reset(wait)
			}
		case err, ok := <-w.fsw.Errors:
			if !ok {
				return
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				// Events were lost: say every root changed. Reloads compare
				// content, so what did not change reloads nothing.
				w.log.Warn("watch: the kernel dropped events (too many at once); checking everything")
				w.mu.Lock()
				for r := range w.roots {
					batch[r] = true
				}
				w.mu.Unlock()
				if timer == nil {
					timer = time.NewTimer(w.opts.Quiet)
					timerC = timer.C
				}
				continue
			}
			w.log.Debug("watch", slog.Any("err", err))
		case <-timerC:
			timer, timerC, first = nil, nil, time.Time{}
			clear(made)
			if len(batch) == 0 {
				continue // only temporary files came and went
			}
			w.pendMu.Lock()
			for p := range batch {
				w.pending[p] = true
			}
			w.pendMu.Unlock()
			batch = map[string]bool{}
			select {
			case w.out <- struct{}{}:
			default: // the delivery goroutine has a batch to take already
			}
		}
	}
}

// deliver calls changed with each pending batch, merged while it runs.
func (w *Watcher) deliver(ctx context.Context, done <-chan struct{}, changed func([]string)) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-done:
			return
		case <-w.out:
		}
		w.pendMu.Lock()
		paths := make([]string, 0, len(w.pending))
		for p := range w.pending {
			paths = append(paths, p)
		}
		w.pending = map[string]bool{}
		w.pendMu.Unlock()
		if len(paths) > 0 {
			slices.Sort(paths)
			changed(paths)
		}
	}
}

// handle updates the watches for one event and returns the paths it
// changed (none when it does not count).
func (w *Watcher) handle(ev fsnotify.Event) []string {
	if ev.Op&(fsnotify.Create|fsnotify.Write|fsnotify.Remove|fsnotify.Rename) == 0 {
		return nil // Chmod: touch, editors and indexers change attributes, not content
	}
	p := filepath.Clean(ev.Name)
	dir, name := filepath.Split(p)
	dir = filepath.Clean(dir)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ignoredPath(p) {
		return nil
	}
	var out []string
	kind := w.dirs[dir]
	switch {
	case kind&kindTree != 0 && !SkipFile(name):
		if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
			if _, ok := w.dirs[p]; ok {
				w.forget(p)
			}
		}
		if name == "node_modules" {
			// An install begins (or node_modules goes): only its lock
			// file will say the install ended.
			if ev.Has(fsnotify.Create) {
				w.addDir(p, kindModules)
			}
			return nil
		}
		if SkipDir(name) {
			return nil
		}
		if ev.Has(fsnotify.Create) {
			if st, err := os.Stat(p); err == nil && st.IsDir() {
				// Files may be in it already (mkdir -p, cp -r, a checkout):
				// the directory itself is the change.
				w.addTree(p)
			}
		}
		out = append(out, p)
	case kind&kindModules != 0 && LockFile(name):
		out = append(out, p)
	}
	if kind&kindParent != 0 && w.files[p] {
		if w.roots[p] {
			if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
				w.forget(p)
			}
			if ev.Has(fsnotify.Create) {
				if st, err := os.Stat(p); err == nil && st.IsDir() {
					w.addTree(p) // a watched tree made anew
				}
			}
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil
	}
	for first, others := range w.aliases {
		if dir == first || strings.HasPrefix(dir, first+string(filepath.Separator)) {
			for _, o := range others {
				out = append(out, o+strings.TrimPrefix(p, first))
			}
		}
	}
	return out
}

// ignoredPath reports whether p is, or lies under, a path of Options.Ignore.
func (w *Watcher) ignoredPath(p string) bool {
	for _, ig := range w.opts.Ignore {
		if p == ig || strings.HasPrefix(p, ig+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// SkipDir reports whether a directory by this name inside a tree is never
// watched: version control, build output, caches, editors' state.
func SkipDir(name string) bool {
	switch name {
	case ".git", ".hg", ".svn", ".jj", ".bzr", "_darcs",
		".aws-sam", ".gatescope",
		"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".tox", ".venv",
		".idea", ".vscode":
		return true
	}
	return false
}

// SkipFile reports whether a file by this name is an editor's or a tool's
// by-product, never a change to the code: swap files (vim's .x.swp and its
// write test 4913, kate), backups (x~), emacs' lock and autosave files,
// JetBrains' safe-write temporaries, compiled Python, Finder's metadata.
func SkipFile(name string) bool {
	switch {
	case name == "4913", name == ".DS_Store",
		strings.HasSuffix(name, "~"),
		strings.HasPrefix(name, ".#"),
		strings.HasPrefix(name, "#") && strings.HasSuffix(name, "#"),
		strings.HasSuffix(name, "___jb_tmp___"), strings.HasSuffix(name, "___jb_old___"),
		strings.HasSuffix(name, ".kate-swp"),
		strings.HasSuffix(name, ".pyc"):
		return true
	}
	// vim: .name.swp, .swo, .swn, ... (and .swx, its existence test)
	if ext := filepath.Ext(name); strings.HasPrefix(name, ".") && len(name) > len(ext)+1 && len(ext) == 4 && strings.HasPrefix(ext, ".sw") {
		return true
	}
	return false
}

// LockFile reports whether name is what a package manager writes in
// node_modules when an install ends: npm's hidden lock file, yarn's
// integrity and state files, pnpm's state.
func LockFile(name string) bool {
	switch name {
	case ".package-lock.json", ".yarn-integrity", ".yarn-state.yml", ".modules.yaml":
		return true
	}
	return false
}
