//go:build unix

package store

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// TestFilePermissions: under the common umask 022 the database, its WAL and
// shared-memory files are still 0600 and a directory Open creates is 0700
// with a .gitignore of "*", so captured secrets are neither readable by other
// users nor committed by accident. A world-readable database left by an
// older gatescope is tightened when opened.
func TestFilePermissions(t *testing.T) {
	old := syscall.Umask(0o022) // process-wide: this test must not run in parallel
	t.Cleanup(func() { syscall.Umask(old) })

	mode := func(p string) fs.FileMode {
		t.Helper()
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode().Perm()
	}
	check := func(dbPath string) {
		t.Helper()
		for _, f := range []string{dbPath, dbPath + "-wal", dbPath + "-shm"} {
			if got := mode(f); got != 0o600 {
				t.Errorf("%s is %v, want -rw-------", filepath.Base(f), got)
			}
		}
	}

	t.Run("new directory", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "project", ".gatescope")
		path := filepath.Join(dir, "gatescope.db")
		db, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		check(path)
		if got := mode(dir); got != 0o700 {
			t.Errorf("directory is %v, want drwx------", got)
		}
		b, err := os.ReadFile(filepath.Join(dir, ".gitignore"))
		if err != nil || !slices.Contains(strings.Split(string(b), "\n"), "*") {
			t.Errorf(".gitignore = %q, %v; want a line \"*\"", b, err)
		}
	})

	t.Run("existing directory is not the store's", func(t *testing.T) {
		dir := t.TempDir()
		os.Chmod(dir, 0o755)
		path := filepath.Join(dir, "gs.db")
		db, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		check(path)
		if got := mode(dir); got != 0o755 {
			t.Errorf("the user's directory became %v", got)
		}
		if _, err := os.Stat(filepath.Join(dir, ".gitignore")); err == nil {
			t.Error("a .gitignore was written into a directory gatescope did not create")
		}
	})

	t.Run("older world-readable database", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), ".gatescope")
		path := filepath.Join(dir, "gatescope.db")
		db, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		for _, f := range []string{dir, path} {
			os.Chmod(f, 0o755)
		}
		os.Remove(filepath.Join(dir, ".gitignore"))
		os.Chmod(path, 0o644)
		if db, err = Open(path, Options{}); err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		check(path)
		if got := mode(dir); got != 0o700 {
			t.Errorf(".gatescope directory is %v, want drwx------", got)
		}
		if _, err := os.Stat(filepath.Join(dir, ".gitignore")); err != nil {
			t.Errorf(".gatescope gets its .gitignore: %v", err)
		}
	})

	t.Run("not a database is left alone", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "notes.txt")
		os.WriteFile(path, []byte("not sqlite, not ours"), 0o644)
		if db, err := Open(path, Options{}); err == nil {
			db.Close()
			t.Fatal("opened a text file as a database")
		}
		if got := mode(path); got != 0o644 {
			t.Errorf("a file that is not a database became %v", got)
		}
	})
}
