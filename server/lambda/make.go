package lambda

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gatescope/gatescope/server/config"
)

// buildMake builds a function or layer with BuildMethod makefile as `sam
// build` does: the code directory (Metadata.ProjectRootDirectory, else the
// CodeUri) is copied to a scratch directory without .aws-sam and .git, and
// `make --makefile <ContextPath or code>/Makefile build-<LogicalId>` runs
// there (or in Metadata.WorkingDirectory) with ARTIFACTS_DIR set to the
// directory whose content then runs. It returns that directory, cached by
// the sources' hash.
func (m *Manager) buildMake(ctx context.Context, id, codeDir string, b *config.Build) (string, error) {
	src := codeDir
	if b.ProjectRoot != "" {
		src = b.ProjectRoot
	}
	manifest := filepath.Join(src, "Makefile")
	if b.ContextPath != "" {
		manifest = filepath.Join(b.ContextPath, "Makefile")
	}
	where := fmt.Sprintf("%s:%d", b.File, b.Line)
	mf, err := os.ReadFile(manifest)
	if err != nil {
		return "", fmt.Errorf("%s: BuildMethod makefile needs a Makefile with a build-%s target: %w", where, id, err)
	}
	if _, err := exec.LookPath("make"); err != nil {
		return "", fmt.Errorf("%s: BuildMethod makefile needs the make command on PATH", where)
	}
	tree, err := hashTreeSkipping(src, ".git", ".aws-sam", ".gatescope")
	if err != nil {
		return "", fmt.Errorf("hash sources: %w", err)
	}
	key := keyOf("makefile", id, src, tree, string(mf), b.WorkingDir)
	return m.cached("build", key, func(artifacts string) error {
		scratch, err := os.MkdirTemp(filepath.Dir(artifacts), "scratch-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(scratch)
		if err := copyTree(src, scratch, ".git", ".aws-sam", ".gatescope"); err != nil {
			return fmt.Errorf("copy %s to build it: %w", src, err)
		}
		work := scratch
		if b.WorkingDir != "" {
			work = b.WorkingDir
			// A working directory inside the sources is taken inside the copy.
			if rel, err := filepath.Rel(src, b.WorkingDir); err == nil && filepath.IsLocal(rel) {
				work = filepath.Join(scratch, rel)
			}
		}
		ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "make", "--makefile", manifest, "build-"+id)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "ARTIFACTS_DIR="+artifacts)
		cancelsGroup(cmd)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: make build-%s (in a copy of %s) failed: %v\n%s", where, id, src, err, tail(out.String(), 4000))
		}
		m.logger.Info("built with make", "resource", id, "dir", src, "took", time.Since(start).Round(time.Millisecond))
		return nil
	})
}

// copyTree copies the regular files, directories and symbolic links under
// src into dst, skipping directories named in skip.
func copyTree(src, dst string, skip ...string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			for _, s := range skip {
				if d.Name() == s && p != src {
					return filepath.SkipDir
				}
			}
			return os.MkdirAll(target, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case d.Type().IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			return copyFile(p, target, info.Mode().Perm())
		}
		return nil // sockets, devices: nothing a build reads
	})
}

func copyFile(src, dst string, perm fs.FileMode) error {
	r, err := os.Open(src)
	if err != nil {
		return err
	}
	defer r.Close()
	w, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// tail is the last n bytes of s, from a line start.
func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return "…\n" + s
}

// cancelsGroup makes cmd a process group of its own that its context's
// end kills whole: a build superseded by a later save stops at once, with
// the compilers and recipe shells it started, which would otherwise hold
// its output pipe open (and Wait with it) until they finished.
func cancelsGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
}
