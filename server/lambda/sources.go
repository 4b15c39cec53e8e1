package lambda

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/watch"
)

// Sources are the paths a local function's code comes from, directories
// or files: its code directory (or .zip), the directories a makefile
// build copies and reads, its layers' content, and the module root of Go
// code whose go.mod lies above the code directory. A change under one
// may change what the function runs (Manager.Stale says whether it did).
// Code written in the template has none: the template is its source.
func Sources(fn *config.Function) []string {
	if fn.Remote() {
		return nil
	}
	var out []string
	add := func(p string) {
		if p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	addBuild := func(b *config.Build) {
		if b != nil && !b.Done {
			add(b.ProjectRoot)
			add(b.ContextPath)
		}
	}
	if fn.InlineCode == "" {
		add(fn.CodeDir)
		addBuild(fn.Build)
		if root := goModuleRoot(fn); root != "" {
			add(root)
		}
	}
	for _, ly := range fn.Layers {
		add(ly.Content)
		addBuild(ly.Build)
	}
	return out
}

// goModuleRoot is the directory of the go.mod above a Go function's code
// directory, whose packages the build may use too; "" when the code
// directory holds its own go.mod, or the function is not built from Go.
func goModuleRoot(fn *config.Function) string {
	rt := strings.ToLower(fn.Runtime)
	if fn.CodeDir == "" || !(strings.HasPrefix(rt, "provided") || rt == "go1.x") || (fn.Build != nil && fn.Build.Done) {
		return ""
	}
	if !fn.Build.Is("go1.x") && !hasGoFiles(fn.CodeDir) {
		return ""
	}
	for dir := fn.CodeDir; ; {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if dir == fn.CodeDir {
				return ""
			}
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// goSource reports whether a file outside the code directory, in its Go
// module, can change a Go build: Go code and the module's files.
func goSource(name string) bool {
	switch filepath.Ext(name) {
	case ".go", ".s", ".c", ".h":
		return true
	}
	return name == "go.mod" || name == "go.sum" || name == "go.work" || name == "go.work.sum"
}

// digester hashes source trees, remembering each file's hash by its size
// and modification time, so that after a save it reads only what changed:
// a function with thousands of files is checked in the time it takes to
// list them.
type digester struct {
	// skip, when set, leaves files out that are no function's code: the
	// template and what it includes (a CodeUri of "." holds them), and
	// gatescope's own database and cache.
	skip func(path string) bool

	mu    sync.Mutex
	files map[string]fileSum
	// changed is when each file was last seen with new content (or seen
	// at all, in a tree walked before): what a syntax error that names no
	// file is looked for in.
	changed map[string]time.Time
	walked  map[string]bool // roots walked before
}

type fileSum struct {
	size int64
	mod  time.Time
	sum  [sha256.Size]byte
	// trusted: the file was older than racyWindow when hashed. A file
	// hashed right after a save may be saved again within the clock's
	// granularity (a formatter after an editor) with the same size, so
	// its hash is only trusted once it was read well after that.
	trusted bool
}

// racyWindow is how old a file's modification must be for its hash to be
// reused on size and time alone (git calls the others racily clean).
const racyWindow = 2 * time.Second

// digest is a digest of everything fn's code comes from (Sources, the
// code in the template, the build settings): equal digests mean the same
// code. Version strings are its first 12 hex digits.
func (d *digester) digest(fn *config.Function) (string, error) {
	h := sha256.New()
	io.WriteString(h, fn.InlineCode+"\x00")
	root := goModuleRoot(fn)
	for _, src := range Sources(fn) {
		keep := func(string) bool { return true }
		if src == root {
			keep = goSource
		}
		sum, err := d.tree(src, keep)
		if err != nil {
			return "", err
		}
		io.WriteString(h, src+"\x00"+sum+"\x00")
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// tree hashes the names and contents of the files under root (root itself
// when it is a file), following symbolic links to directories (each real
// directory once) and skipping what the watcher ignores: version control,
// build output, caches, editors' files, and node_modules but for its lock
// files. keep filters files by name.
func (d *digester) tree(root string, keep func(name string) bool) (string, error) {
	st, err := os.Stat(root)
	if err != nil {
		return "", err
	}
	if !st.IsDir() {
		sum, err := d.file(root, st, true)
		return hex.EncodeToString(sum[:]), err
	}
	d.mu.Lock()
	again := d.walked[root]
	if d.walked == nil {
		d.walked = map[string]bool{}
	}
	d.walked[root] = true
	d.mu.Unlock()
	var files []string
	seen := map[string]bool{}
	var walk func(dir string, modules bool) error
	walk = func(dir string, modules bool) error {
		real, err := filepath.EvalSymlinks(dir)
		if err != nil || seen[real] {
			return nil
		}
		seen[real] = true
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			name, p := e.Name(), filepath.Join(dir, e.Name())
			isDir := e.IsDir()
			if e.Type()&fs.ModeSymlink != 0 {
				if st, err := os.Stat(p); err == nil {
					isDir = st.IsDir()
				} else {
					continue // dangling
				}
			}
			switch {
			case d.skip != nil && d.skip(p):
			case isDir && (modules || watch.SkipDir(name)):
			case isDir && name == "node_modules":
				if err := walk(p, true); err != nil {
					return err
				}
			case isDir:
				if err := walk(p, false); err != nil {
					return err
				}
			case modules && !watch.LockFile(name), !modules && (watch.SkipFile(name) || !keep(name)):
			default:
				files = append(files, p)
			}
		}
		return nil
	}
	if err := walk(root, false); err != nil {
		return "", err
	}
	sort.Strings(files)
	h := sha256.New()
	for _, p := range files {
		st, err := os.Stat(p)
		if err != nil {
			continue // removed meanwhile: the next change says so
		}
		sum, err := d.file(p, st, again)
		if err != nil {
			continue
		}
		rel, _ := filepath.Rel(root, p)
		io.WriteString(h, filepath.ToSlash(rel)+"\x00")
		h.Write(sum[:])
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// file is the hash of one file's content, read again only when its size
// or modification time changed. A file not seen before counts as changed
// when isNew (its tree was walked before).
func (d *digester) file(p string, st os.FileInfo, isNew bool) ([sha256.Size]byte, error) {
	d.mu.Lock()
	c, ok := d.files[p]
	d.mu.Unlock()
	if ok && c.trusted && c.size == st.Size() && c.mod.Equal(st.ModTime()) {
		return c.sum, nil
	}
	readAt := time.Now()
	f, err := os.Open(p)
	if err != nil {
		return [sha256.Size]byte{}, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return [sha256.Size]byte{}, err
	}
	var sum [sha256.Size]byte
	copy(sum[:], h.Sum(nil))
	d.mu.Lock()
	if d.files == nil {
		d.files, d.changed = map[string]fileSum{}, map[string]time.Time{}
	}
	if ok && c.sum != sum || !ok && isNew {
		d.changed[p] = readAt
	}
	d.files[p] = fileSum{size: st.Size(), mod: st.ModTime(), sum: sum, trusted: readAt.Sub(st.ModTime()) > racyWindow}
	d.mu.Unlock()
	return sum, nil
}

// changedSince returns the files under dir whose content changed since t,
// newest first, at most n, keeping those keep accepts.
func (d *digester) changedSince(dir string, t time.Time, n int, keep func(name string) bool) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for p, at := range d.changed {
		if at.After(t) && (p == dir || strings.HasPrefix(p, dir+string(filepath.Separator))) && keep(filepath.Base(p)) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return d.changed[b].Compare(d.changed[a]) })
	if len(out) > n {
		out = out[:n]
	}
	return out
}
