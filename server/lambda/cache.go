package lambda

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Code that runs from the cache (built, unpacked, written from the
// template) lives in <cache>/<kind>/<key>, key a hash of everything the
// result depends on, so unchanged code is never built twice, across
// restarts too. A result is made in a sibling temporary directory and
// renamed into place: a crash or a concurrent gatescope never leaves a
// half-made one where it would be used. Siblings keep paths relative to
// the result (a bundle's source map) valid after the rename.

// keyOf hashes its parts into a cache key.
func keyOf(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		io.WriteString(h, p)
		io.WriteString(h, "\x00")
	}
	return hex.EncodeToString(h.Sum(nil))[:24]
}

// cached returns <cache>/<kind>/<key>, making it with fill (given the
// directory to fill) when it does not exist. Makers of one key wait for
// each other.
func (m *Manager) cached(kind, key string, fill func(dir string) error) (string, error) {
	mu := m.cacheLock(kind + "/" + key)
	mu.Lock()
	defer mu.Unlock()
	parent := filepath.Join(m.opts.CacheDir, kind)
	dir := filepath.Join(parent, key)
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		return dir, nil
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(parent, key+".tmp-")
	if err != nil {
		return "", err
	}
	if err := fill(tmp); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		if st, serr := os.Stat(dir); serr == nil && st.IsDir() {
			return dir, nil // another gatescope made it first
		}
		return "", err
	}
	return dir, nil
}

func (m *Manager) cacheLock(key string) *sync.Mutex {
	m.mu.Lock()
	defer m.mu.Unlock()
	mu := m.cacheLocks[key]
	if mu == nil {
		mu = &sync.Mutex{}
		m.cacheLocks[key] = mu
	}
	return mu
}

// isArchive reports whether path is a deployment package to unpack.
func isArchive(path string) bool {
	ext := strings.ToLower(filepath.Ext(path))
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && (ext == ".zip" || ext == ".jar")
}

// unpacked is the directory a .zip deployment package unpacks to, keyed
// by its content.
func (m *Manager) unpacked(path string) (string, error) {
	sum, err := fileHash(path)
	if err != nil {
		return "", err
	}
	return m.cached("unzip", keyOf("zip", sum), func(dir string) error { return unzip(path, dir) })
}

func fileHash(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// unzip extracts a deployment package into dir, keeping each file's mode
// (a bootstrap must stay executable) and refusing entries that would land
// outside dir.
func unzip(path, dir string) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return fmt.Errorf("unpack %s: %w", path, err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		name := filepath.FromSlash(f.Name)
		if !filepath.IsLocal(name) {
			return fmt.Errorf("unpack %s: entry %q would land outside the code directory", path, f.Name)
		}
		dst := filepath.Join(dir, name)
		mode := f.Mode()
		switch {
		case mode.IsDir():
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return err
			}
			continue
		case mode&os.ModeSymlink != 0:
			return fmt.Errorf("unpack %s: entry %q is a symbolic link, which gatescope does not unpack", path, f.Name)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		perm := mode.Perm()
		if perm == 0 {
			perm = 0o644 // made on Windows: no Unix modes recorded
		}
		if err := extract(f, dst, perm|0o400); err != nil {
			return fmt.Errorf("unpack %s: %s: %w", path, f.Name, err)
		}
	}
	return nil
}

func extract(f *zip.File, dst string, perm os.FileMode) error {
	r, err := f.Open()
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
