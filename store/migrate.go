package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/gatescope/gatescope/migrations"
)

// ErrSchemaTooNew is returned by Open for a database written by a newer
// gatescope: opening it could corrupt data the newer version relies on.
var ErrSchemaTooNew = errors.New("database was written by a newer gatescope")

// migrate applies the embedded migrations newer than the database's
// PRAGMA user_version, each file with its version bump in one transaction, so
// a failed migration leaves the previous version intact.
func migrate(ctx context.Context, db *sql.DB) error {
	files, err := migrationFiles()
	if err != nil {
		return err
	}
	latest := 0
	if len(files) > 0 {
		latest = files[len(files)-1].version
	}

	var current int
	// The first statement on a connection also runs the DSN pragmas: a file
	// that is not a database fails here.
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current > latest {
		return fmt.Errorf("%w: schema version %d, this gatescope supports up to %d; upgrade gatescope or use another --db", ErrSchemaTooNew, current, latest)
	}

	for _, f := range files {
		if f.version <= current {
			continue
		}
		if err := applyMigration(ctx, db, f); err != nil {
			return fmt.Errorf("migration %s: %w", f.name, err)
		}
	}
	return nil
}

type migrationFile struct {
	name    string
	version int
}

func migrationFiles() ([]migrationFile, error) {
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		return nil, err
	}
	var files []migrationFile
	for _, name := range names {
		num, _, _ := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number", name)
		}
		files = append(files, migrationFile{name: name, version: v})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].version < files[j].version })
	for i := 1; i < len(files); i++ {
		if files[i].version == files[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share a version", files[i-1].name, files[i].name)
		}
	}
	return files, nil
}

func applyMigration(ctx context.Context, db *sql.DB, f migrationFile) error {
	src, err := fs.ReadFile(migrations.FS, f.name)
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, string(src)); err != nil {
		return err
	}
	// PRAGMA takes no bind parameters; version is an int we parsed.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", f.version)); err != nil {
		return err
	}
	return tx.Commit()
}
