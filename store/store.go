// Package store keeps sessions and exchanges in SQLite (modernc.org/sqlite,
// WAL). All writes go through one writer connection, because concurrent
// read-then-write transactions on several connections fail with "database is
// locked" even with busy_timeout; reads use a small separate pool that WAL
// lets run alongside the writer.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// ErrNotFound is returned when a session or exchange does not exist.
var ErrNotFound = errors.New("not found")

// DefaultBodyCap is the default for Options.BodyCap.
const DefaultBodyCap = 1 << 20

// readConns is the read pool size: the dashboard, exports and replays read
// concurrently, and WAL readers never block the writer.
const readConns = 4

// Options configure Open.
type Options struct {
	// BodyCap is the most bytes of each request and response body kept;
	// longer bodies are cut and marked with their original size. Default
	// DefaultBodyCap.
	BodyCap int
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger reports background failures (full-text indexing). Default:
	// discard.
	Logger *slog.Logger

	manualIndex bool // tests and benchmarks: no background indexer
}

// DB is an open gatescope database.
type DB struct {
	path    string
	w       *sql.DB // the one writer connection
	r       *sql.DB // read-only pool
	bodyCap int
	now     func() time.Time
	log     *slog.Logger

	idxKick chan struct{} // wakes the indexer (buffered, 1)
	idxStop context.CancelFunc
	idxDone chan struct{} // closed when the indexer has stopped
}

// Open opens (creating if needed, with its parent directory) the database at
// path and brings its schema up to date. It refuses files that are not SQLite
// databases and databases written by a newer gatescope. The database and its
// -wal and -shm files are made 0600; see prepareFiles for the directory.
func Open(path string, opts Options) (*DB, error) {
	db, err := open(path, opts)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return db, nil
}

func open(path string, opts Options) (*DB, error) {
	if path == "" {
		return nil, errors.New("empty path")
	}
	// modernc reads everything after '?' as DSN parameters.
	if strings.ContainsAny(path, "?#") {
		return nil, errors.New("path must not contain '?' or '#'")
	}
	if opts.BodyCap <= 0 {
		opts.BodyCap = DefaultBodyCap
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if err := prepareFiles(path); err != nil {
		return nil, err
	}

	// Pragmas go in the DSN so every pooled connection gets them.
	const pragmas = "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)"
	// The writer keeps its temporary files in memory: every insert fires
	// the count trigger, so SQLite opens a statement journal for it, and on
	// disk that is a pwrite per page (a third of ingest's time). Readers
	// keep the default, so a large sort may still spill to a file.
	w, err := sql.Open("sqlite", path+"?"+pragmas+"&_pragma=temp_store(MEMORY)&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)

	ctx := context.Background()
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, err
	}

	// Readers never write: query_only turns a stray write into an error, and
	// no _txlock so read transactions stay deferred (shared).
	r, err := sql.Open("sqlite", path+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(readConns)
	r.SetMaxIdleConns(readConns)
	if err := r.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		return nil, err
	}
	// Only now is the file known to be a database: never chmod what --db
	// named by mistake. A new database was created 0600 already.
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(f, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			opts.Logger.Warn("database file stays readable by others", slog.String("path", f), slog.Any("err", err))
		}
	}
	db := &DB{path: path, w: w, r: r, bodyCap: opts.BodyCap, now: opts.Now, log: opts.Logger,
		idxKick: make(chan struct{}, 1), idxDone: make(chan struct{})}
	ictx, cancel := context.WithCancel(context.Background())
	db.idxStop = cancel
	if opts.manualIndex {
		close(db.idxDone)
	} else {
		db.kickIndexer() // rows left unindexed by the last run
		go db.runIndexer(ictx)
	}
	return db, nil
}

// gitignore keeps a database directory out of version control: it holds
// every captured Authorization header and cookie, and its default place is
// inside the user's repository.
const gitignore = "# gatescope's captured traffic, secrets included: never commit it.\n*\n"

// prepareFiles makes the database private to its user whatever the umask.
// A directory it creates is 0700 and gets a .gitignore of "*"; so does an
// existing one named .gatescope, the default place, made by an older
// gatescope. A new database file is created 0600 before SQLite opens it,
// because SQLite gives the -wal and -shm files the database file's mode.
func prepareFiles(path string) error {
	dir := filepath.Dir(path)
	_, err := os.Stat(dir)
	created := errors.Is(err, fs.ErrNotExist)
	if created {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create directory: %w", err)
		}
	}
	if created || filepath.Base(dir) == ".gatescope" {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("directory permissions: %w", err)
		}
		ignore := filepath.Join(dir, ".gitignore")
		f, err := os.OpenFile(ignore, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		switch {
		case err == nil:
			_, err = f.WriteString(gitignore)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("write %s: %w", ignore, err)
			}
		case !errors.Is(err, fs.ErrExist):
			return fmt.Errorf("write %s: %w", ignore, err)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		return f.Close() // an empty file is an empty database to SQLite
	case errors.Is(err, fs.ErrExist):
		return nil
	default:
		return fmt.Errorf("create database file: %w", err)
	}
}

// Close stops the background indexer and closes both pools. Inserts already
// returned are committed to the WAL.
func (db *DB) Close() error {
	db.idxStop()
	<-db.idxDone
	return errors.Join(db.r.Close(), db.w.Close())
}

// Path returns the database file path as given to Open.
func (db *DB) Path() string { return db.path }
