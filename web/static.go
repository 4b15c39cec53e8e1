package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
)

//go:embed static
var static embed.FS

// Static is the static asset tree (app.css, app.js), served under /static/.
var Static fs.FS = mustSub(static, "static")

// AssetVersion changes whenever an asset changes; pages append it to asset
// URLs so browsers may cache them and still never run a stale script.
var AssetVersion = assetVersion(Static)

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
