package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"regexp"
)

//go:embed static/*.css static/*.js
var static embed.FS

// sources is the asset tree as written: stylesheets and ES modules.
var sources = mustSub(static, "static")

// AssetVersion changes whenever an asset changes; pages append it to asset
// URLs so browsers may cache them and still never run a stale script.
var AssetVersion = assetVersion(sources)

// Static is the asset tree served under /static/: the stylesheets and the
// scripts, which are ES modules loaded with no build step. A module's
// relative imports ('./common.js') are served as './common.js?v=' +
// AssetVersion, so every module, not only a page's entry script, is
// fetched once per version and may be cached for good.
var Static fs.FS = versionImports(sources, AssetVersion)

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // the embed pattern above guarantees the directory
	}
	return sub
}

func assetVersion(f fs.FS) string {
	h := sha256.New()
	_ = fs.WalkDir(f, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(f, path)
		if err != nil {
			return err
		}
		h.Write([]byte(path))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// relativeImport matches the specifier of a static import or re-export of
// a sibling module: `from './x.js'` or `import './x.js'`, single-quoted as
// the scripts are written (web_test checks that none is missed).
var relativeImport = regexp.MustCompile(`(\bfrom\s*|\bimport\s*)'(\./[A-Za-z0-9_-]+\.js)'`)

// versionImports returns f with the relative imports of its .js files
// pointed at version.
func versionImports(f fs.FS, version string) fs.FS {
	files := map[string][]byte{}
	names, _ := fs.Glob(f, "*.js")
	for _, name := range names {
		b, err := fs.ReadFile(f, name)
		if err != nil {
			panic(err) // embedded files are always readable
		}
		files[name] = relativeImport.ReplaceAll(b, []byte("$1'$2?v="+version+"'"))
	}
	return rewrittenFS{FS: f, files: files}
}

// rewrittenFS serves files' contents in place of f's for those names.
type rewrittenFS struct {
	fs.FS
	files map[string][]byte
}

func (r rewrittenFS) Open(name string) (fs.File, error) {
	b, ok := r.files[name]
	if !ok {
		return r.FS.Open(name)
	}
	f, err := r.FS.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return &memFile{Reader: bytes.NewReader(b), info: sizedInfo{FileInfo: info, size: int64(len(b))}}, nil
}

// memFile is an in-memory file; http.FileServerFS needs it to seek.
type memFile struct {
	*bytes.Reader
	info fs.FileInfo
}

func (m *memFile) Stat() (fs.FileInfo, error) { return m.info, nil }
func (m *memFile) Close() error               { return nil }

type sizedInfo struct {
	fs.FileInfo
	size int64
}

func (s sizedInfo) Size() int64 { return s.size }
