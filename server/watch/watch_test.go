package watch

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/testenv"
)

// harness runs a Watcher and collects its batches.
type harness struct {
	t       *testing.T
	w       *Watcher
	batches chan []string
}

func start(t *testing.T, opts Options, paths ...string) *harness {
	t.Helper()
	w, err := New(slog.New(slog.NewTextHandler(io.Discard, nil)), opts)
	if err != nil {
		t.Fatal(err)
	}
	w.Set(paths)
	h := &harness{t: t, w: w, batches: make(chan []string, 100)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx, func(ps []string) { h.batches <- ps })
	}()
	t.Cleanup(func() {
		cancel()
		w.Close()
		<-done
	})
	return h
}

// next waits for the next batch.
func (h *harness) next() []string {
	h.t.Helper()
	select {
	case b := <-h.batches:
		return b
	case <-time.After(10 * time.Second):
		h.t.Fatal("no change reported within 10s")
		return nil
	}
}

// expect waits for batches until every path in want was reported, and
// fails if a path outside want or allowed is reported meanwhile.
func (h *harness) expect(want []string, allowed ...string) {
	h.t.Helper()
	left := slices.Clone(want)
	for len(left) > 0 {
		for _, p := range h.next() {
			if i := slices.Index(left, p); i >= 0 {
				left = slices.Delete(left, i, i+1)
			} else if !slices.Contains(want, p) && !slices.Contains(allowed, p) {
				h.t.Errorf("reported %s, want only %v", p, want)
			}
		}
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// tree makes a directory with files (path → content).
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	dir, err := filepath.EvalSymlinks(dir) // macOS: /var is /private/var
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		write(t, filepath.Join(dir, name), content)
	}
	return dir
}

func TestEditsInATree(t *testing.T) {
	dir := tree(t, map[string]string{"app.js": "1", "lib/util.js": "1", "lib/deep/x.js": "1"})
	h := start(t, Options{}, dir)
	write(t, filepath.Join(dir, "lib/deep/x.js"), "2")
	h.expect([]string{filepath.Join(dir, "lib/deep/x.js")})

	// A directory made after the walk is watched too, with what was put
	// in it before its watch existed.
	write(t, filepath.Join(dir, "new/sub/y.js"), "1")
	h.expect([]string{filepath.Join(dir, "new")}, filepath.Join(dir, "new/sub"), filepath.Join(dir, "new/sub/y.js"))
	write(t, filepath.Join(dir, "new/sub/y.js"), "2")
	h.expect([]string{filepath.Join(dir, "new/sub/y.js")})

	if err := os.Remove(filepath.Join(dir, "app.js")); err != nil {
		t.Fatal(err)
	}
	h.expect([]string{filepath.Join(dir, "app.js")})
}

// TestOneBatchPerSave: the events of one save (and of saves in quick
// succession) arrive as one batch.
func TestOneBatchPerSave(t *testing.T) {
	dir := tree(t, map[string]string{"a.py": "1", "b.py": "1"})
	h := start(t, Options{Quiet: 300 * time.Millisecond}, dir)
	for i := range 20 {
		write(t, filepath.Join(dir, "a.py"), strings.Repeat("x", i))
		write(t, filepath.Join(dir, "b.py"), strings.Repeat("y", i))
	}
	got := h.next()
	if want := []string{filepath.Join(dir, "a.py"), filepath.Join(dir, "b.py")}; !slices.Equal(got, want) {
		t.Errorf("batch %v, want %v", got, want)
	}
	select {
	case b := <-h.batches:
		t.Errorf("a second batch %v for one burst of saves", b)
	default:
	}
}

// TestIgnored: what never counts. Each check makes the ignored change,
// then a change that counts: the batch must hold only the latter.
func TestIgnored(t *testing.T) {
	dir := tree(t, map[string]string{"app.js": "1", ".git/HEAD": "x", "node_modules/left-pad/index.js": "1",
		"__pycache__/a.pyc": "", "db/gs.db": ""})
	db := filepath.Join(dir, "db")
	h := start(t, Options{Ignore: []string{db}}, dir)
	sentinel := filepath.Join(dir, "app.js")
	for _, tt := range []struct {
		name   string
		change func()
	}{
		{"git", func() {
			write(t, filepath.Join(dir, ".git/HEAD"), "y")
			write(t, filepath.Join(dir, ".git/objects/ab/cd"), "")
		}},
		{"install churn", func() {
			write(t, filepath.Join(dir, "node_modules/left-pad/index.js"), "2")
			write(t, filepath.Join(dir, "node_modules/right-pad/index.js"), "1")
		}},
		{"vim swap", func() {
			write(t, filepath.Join(dir, ".app.js.swp"), "")
			write(t, filepath.Join(dir, ".app.js.swx"), "")
			write(t, filepath.Join(dir, "4913"), "")
			write(t, filepath.Join(dir, "app.js~"), "")
		}},
		{"emacs", func() { write(t, filepath.Join(dir, ".#app.js"), ""); write(t, filepath.Join(dir, "#app.js#"), "") }},
		{"jetbrains", func() { write(t, filepath.Join(dir, "app.js___jb_tmp___"), "") }},
		{"bytecode", func() {
			write(t, filepath.Join(dir, "__pycache__/b.pyc"), "")
			write(t, filepath.Join(dir, "c.pyc"), "")
		}},
		{"build output", func() {
			write(t, filepath.Join(dir, ".aws-sam/build/x"), "")
			write(t, filepath.Join(dir, ".gatescope/gs.db"), "")
		}},
		{"ignored path", func() { write(t, filepath.Join(db, "gs.db"), "1"); write(t, filepath.Join(db, "gs.db-wal"), "1") }},
		{"chmod", func() { os.Chmod(sentinel, 0o600) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h.t = t
			tt.change()
			write(t, sentinel, tt.name)
			h.expect([]string{sentinel})
		})
	}
	h.t = t

	// The end of an install counts: npm writes its lock file last.
	write(t, filepath.Join(dir, "node_modules/.package-lock.json"), "{}")
	h.expect([]string{filepath.Join(dir, "node_modules/.package-lock.json")})
}

// TestNodeModulesMadeLater: the first install makes node_modules; its
// lock file counts, its packages do not.
func TestNodeModulesMadeLater(t *testing.T) {
	dir := tree(t, map[string]string{"app.js": "1"})
	h := start(t, Options{}, dir)
	if err := os.Mkdir(filepath.Join(dir, "node_modules"), 0o755); err != nil {
		t.Fatal(err)
	}
	testWatched(t, h.w, filepath.Join(dir, "node_modules"))
	write(t, filepath.Join(dir, "node_modules/pkg/index.js"), "1")
	write(t, filepath.Join(dir, "node_modules/.package-lock.json"), "{}")
	h.expect([]string{filepath.Join(dir, "node_modules/.package-lock.json")})
}

// testWatched waits until dir has a watch (the watcher adds it when it
// handles the directory's creation).
func testWatched(t *testing.T, w *Watcher, dir string) {
	t.Helper()
	testenv.Eventually(t, 10*time.Second, dir+" watched", func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		_, ok := w.dirs[dir]
		return ok
	})
}

// TestTemporaryFiles: a file made and renamed over another (sed -i, an
// editor's atomic save) is reported as the file it replaced, not itself.
func TestTemporaryFiles(t *testing.T) {
	dir := tree(t, map[string]string{"app.js": "1"})
	h := start(t, Options{Quiet: 200 * time.Millisecond}, dir)
	tmp := filepath.Join(dir, "sedX1b2c3")
	write(t, tmp, "2")
	if err := os.Rename(tmp, filepath.Join(dir, "app.js")); err != nil {
		t.Fatal(err)
	}
	if got := h.next(); !slices.Equal(got, []string{filepath.Join(dir, "app.js")}) {
		t.Errorf("batch %v, want only app.js", got)
	}
}

// TestFiles: a single file is watched through its directory, so editors
// that save by writing a new file and renaming it over the old one (vim,
// JetBrains, atomic writers) are seen; its neighbours are not.
func TestFiles(t *testing.T) {
	dir := tree(t, map[string]string{"template.yaml": "a", "env.json": "{}", "README.md": "x"})
	tpl := filepath.Join(dir, "template.yaml")
	env := filepath.Join(dir, "env.json")
	h := start(t, Options{}, tpl, env)

	write(t, filepath.Join(dir, "README.md"), "y")
	tmp := filepath.Join(dir, ".template.yaml.tmp123")
	write(t, tmp, "b")
	if err := os.Rename(tmp, tpl); err != nil {
		t.Fatal(err)
	}
	h.expect([]string{tpl}) // the temporary file came and went: no change

	// Again: the file replaced is watched as well as the first one.
	write(t, tmp, "c")
	if err := os.Rename(tmp, tpl); err != nil {
		t.Fatal(err)
	}
	h.expect([]string{tpl})

	// vim's default: the old file becomes the backup, a new one is written.
	if err := os.Rename(env, env+"~"); err != nil {
		t.Fatal(err)
	}
	write(t, env, `{"A":{}}`)
	os.Remove(env + "~")
	h.expect([]string{env})
}

// TestSymlinkedFolder: a folder linked into the code is watched, and its
// changes are reported under every path that reaches it.
func TestSymlinkedFolder(t *testing.T) {
	dir := tree(t, map[string]string{"fn/app.py": "1", "shared/util.py": "1"})
	if err := os.Symlink(filepath.Join(dir, "shared"), filepath.Join(dir, "fn/lib")); err != nil {
		t.Fatal(err)
	}
	h := start(t, Options{}, filepath.Join(dir, "fn"), filepath.Join(dir, "shared"))
	write(t, filepath.Join(dir, "shared/util.py"), "2")
	h.expect([]string{filepath.Join(dir, "fn/lib/util.py"), filepath.Join(dir, "shared/util.py")})

	// A linked tree alone.
	h2 := start(t, Options{}, filepath.Join(dir, "fn"))
	write(t, filepath.Join(dir, "shared/util.py"), "3")
	h2.expect([]string{filepath.Join(dir, "fn/lib/util.py")})
}

// TestRenamedDirectory: a directory renamed within a tree is watched
// under its new name.
func TestRenamedDirectory(t *testing.T) {
	dir := tree(t, map[string]string{"src/a/x.go": "1", "src/a/b/y.go": "1"})
	h := start(t, Options{}, dir)
	if err := os.Rename(filepath.Join(dir, "src/a"), filepath.Join(dir, "src/c")); err != nil {
		t.Fatal(err)
	}
	h.expect([]string{filepath.Join(dir, "src/a"), filepath.Join(dir, "src/c")}, filepath.Join(dir, "src/c/b"))
	testWatched(t, h.w, filepath.Join(dir, "src/c/b"))
	write(t, filepath.Join(dir, "src/c/b/y.go"), "2")
	h.expect([]string{filepath.Join(dir, "src/c/b/y.go")})
}

// TestTreeMadeAnew: a tree removed and made again (rm -rf dist && tsc)
// stays watched.
func TestTreeMadeAnew(t *testing.T) {
	dir := tree(t, map[string]string{"dist/index.js": "1"})
	dist := filepath.Join(dir, "dist")
	h := start(t, Options{}, dist)
	if err := os.RemoveAll(dist); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dist, "index.js"), "2")
	h.expect([]string{dist}, filepath.Join(dist, "index.js"))
	testWatched(t, h.w, dist)
	write(t, filepath.Join(dist, "index.js"), "3")
	h.expect([]string{filepath.Join(dist, "index.js")}, dist)
}

// TestSet: what Set no longer names is no longer watched.
func TestSet(t *testing.T) {
	a := tree(t, map[string]string{"x": "1"})
	b := tree(t, map[string]string{"y": "1"})
	h := start(t, Options{}, a, b)
	h.w.Set([]string{b})
	write(t, filepath.Join(a, "x"), "2")
	write(t, filepath.Join(b, "y"), "2")
	h.expect([]string{filepath.Join(b, "y")})
}

func TestSkipFile(t *testing.T) {
	for name, want := range map[string]bool{
		"app.js": false, ".env": false, ".swp": false, "main.go": false, ".eslintrc.json": false,
		".app.js.swp": true, ".app.js.swo": true, ".x.swx": true, "4913": true, "app.js~": true,
		".#app.js": true, "#app.js#": true, "a.py___jb_old___": true, "m.cpython-312.pyc": true, ".DS_Store": true,
	} {
		if got := SkipFile(name); got != want {
			t.Errorf("SkipFile(%q) = %v, want %v", name, got, want)
		}
	}
}
