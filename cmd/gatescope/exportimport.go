package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/gatescope/gatescope/server/capture"
	"github.com/gatescope/gatescope/store"
)

const defaultDB = ".gatescope/gatescope.db"

// exportFile is gatescope's native export format.
type exportFile struct {
	Format    string              `json:"format"` // "gatescope/v1"
	Session   exportSession       `json:"session"`
	Exchanges []*capture.Exchange `json:"exchanges"`
}

type exportSession struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Note string `json:"note,omitempty"`
}

const nativeFormat = "gatescope/v1"

func openDB(path string) (*store.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	return store.Open(path, store.Options{})
}

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("export", "export --session NAME [--format json] -o FILE [--db PATH]", stderr)
	var session, format, out, db string
	fs.StringVar(&session, "session", "", "session `NAME` or id to export (required)")
	fs.StringVar(&format, "format", "json", "export `FORMAT`: json (har is planned)")
	fs.StringVar(&out, "o", "", "output `FILE` (- for standard output)")
	fs.StringVar(&db, "db", defaultDB, "SQLite database `PATH`")
	if err := parse(fs, args); err != nil {
		return err
	}
	if session == "" || out == "" {
		fs.Usage()
		return fmt.Errorf("%w: export needs --session and -o", errUsage)
	}
	if format != "json" {
		return fmt.Errorf("%w: --format %q: this version exports json only", errUsage, format)
	}
	st, err := openDB(db)
	if err != nil {
		return err
	}
	defer st.Close()
	s, err := st.Session(ctx, session)
	if err != nil {
		return fmt.Errorf("session %q: %w", session, err)
	}
	file := exportFile{Format: nativeFormat, Session: exportSession{ID: s.ID, Name: s.Name, Note: s.Note}}
	for cursor := ""; ; {
		xs, next, err := st.Exchanges(ctx, store.Filter{Session: s.ID, Before: cursor, Limit: 1000})
		if err != nil {
			return err
		}
		file.Exchanges = append(file.Exchanges, xs...)
		if next == "" {
			break
		}
		cursor = next
	}
	// Oldest first reads naturally and re-imports in order.
	for i, j := 0, len(file.Exchanges)-1; i < j; i, j = i+1, j-1 {
		file.Exchanges[i], file.Exchanges[j] = file.Exchanges[j], file.Exchanges[i]
	}
	b, err := json.MarshalIndent(file, "", "  ")
	if err != nil {
		return err
	}
	if out == "-" {
		_, err = stdout.Write(append(b, '\n'))
		return err
	}
	if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write export: %w", err)
	}
	fmt.Fprintf(stdout, "exported %d exchanges of session %q to %s\n", len(file.Exchanges), s.Name, out)
	return nil
}

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("import", "import FILE [--session NAME] [--db PATH]", stderr)
	var session, db string
	fs.StringVar(&session, "session", "", "session `NAME` to import into (default: the exported session's name)")
	fs.StringVar(&db, "db", defaultDB, "SQLite database `PATH`")
	var file string
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		file, args = args[0], args[1:]
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if file == "" && fs.NArg() > 0 {
		file = fs.Arg(0)
	}
	if file == "" {
		fs.Usage()
		return fmt.Errorf("%w: import needs a FILE", errUsage)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	var ef exportFile
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&ef); err != nil {
		return fmt.Errorf("import %s: not a gatescope export: %w", file, err)
	}
	if ef.Format != nativeFormat {
		return fmt.Errorf("import %s: format %q is not %q", file, ef.Format, nativeFormat)
	}
	for i, x := range ef.Exchanges {
		if x == nil || x.ID == "" || x.Request.Method == "" {
			return fmt.Errorf("import %s: exchanges[%d]: missing id or request.method; nothing imported", file, i)
		}
	}
	if session == "" {
		session = ef.Session.Name
	}
	if session == "" {
		session = "imported " + time.Now().Format("2006-01-02 15:04:05")
	}
	if err := os.MkdirAll(filepath.Dir(db), 0o755); err != nil {
		return err
	}
	st, err := store.Open(db, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	for _, x := range ef.Exchanges {
		x.Session = session
	}
	if err := st.InsertExchanges(ctx, ef.Exchanges); err != nil {
		return fmt.Errorf("import %s: %w", file, err)
	}
	fmt.Fprintf(stdout, "imported %d exchanges into session %q\n", len(ef.Exchanges), session)
	return nil
}
