package share

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// FuzzImport: no input panics the importer, and an import is all or
// nothing: either it fails and stores nothing, or it stores exactly what it
// reports. The seed corpus is testdata/fuzz/FuzzImport plus the files below.
func FuzzImport(f *testing.F) {
	for _, s := range []string{harWith(goodEntry), harWith(), `{"format":"gatescope/v1","exchanges":[{"request":{"method":"GET"}}]}`,
		`{"log":{"version":"1.2","entries":[{}]}}`, "[", "{}"} {
		f.Add([]byte(s))
	}
	if b, err := os.ReadFile(filepath.Join("testdata", "devtools.har")); err == nil {
		f.Add(b)
	}
	db := openStore(f)
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := context.Background()
		for _, partial := range []bool{false, true} {
			name := fmt.Sprintf("fuzz-%d", n.Add(1))
			res, err := Import(ctx, db, bytes.NewReader(data), ImportOptions{Session: name, Partial: partial})
			s, serr := db.Session(ctx, name)
			if err != nil {
				if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrTooLarge) {
					t.Fatalf("import failed with an unclassified error: %v", err)
				}
				if serr == nil {
					t.Fatalf("failed import left session %q with %d exchanges", name, s.Exchanges)
				}
				continue
			}
			if serr != nil || s.Exchanges != res.Imported {
				t.Fatalf("import reported %d exchanges, store holds %v (%v)", res.Imported, s, serr)
			}
			if !partial && len(res.Skipped) > 0 {
				t.Fatalf("import without partial skipped entries: %v", res.Skipped)
			}
		}
	})
}
