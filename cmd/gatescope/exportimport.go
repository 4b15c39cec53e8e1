package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gatescope/gatescope/server/share"
	"github.com/gatescope/gatescope/store"
)

func openDB(path string) (*store.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	return store.Open(path, store.Options{})
}

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("export", "export --session NAME [--format har|json|html] -o FILE [--db PATH] [--no-redact] [--redact-header NAME]... [--redact-json PATH]... [--redact-regex RE]...", stderr)
	var session, format, out, db, ids string
	var noRedact, starred bool
	var headers, paths, regexes stringList
	fs.StringVar(&session, "session", "", "session `NAME` or id to export (required)")
	fs.StringVar(&format, "format", "", "export `FORMAT`: har, json, or html: a share file, one redacted page that opens offline in any browser (default: from -o's extension, else har)")
	fs.StringVar(&out, "o", "", "output `FILE` (- for standard output)")
	fs.StringVar(&db, "db", defaultDB, "SQLite database `PATH`")
	fs.BoolVar(&noRedact, "no-redact", false, "export secrets as captured (by default credentials and auth headers are replaced by [REDACTED])")
	fs.Var(&headers, "redact-header", "also redact this header `NAME` (repeatable)")
	fs.Var(&paths, "redact-json", "also redact this JSON `PATH` in bodies, events and outputs, e.g. $.user.password (repeatable)")
	fs.Var(&regexes, "redact-regex", "also redact text matching this `RE` (repeatable)")
	fs.BoolVar(&starred, "starred", false, "export only starred exchanges")
	fs.StringVar(&ids, "ids", "", "export only these exchange `IDS` (comma separated)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if session == "" || out == "" {
		fs.Usage()
		return fmt.Errorf("%w: export needs --session and -o", errUsage)
	}
	if format == "" {
		switch strings.ToLower(filepath.Ext(out)) {
		case ".json":
			format = share.FormatJSON
		case ".html", ".htm":
			format = share.FormatHTML
		default:
			format = share.FormatHAR
		}
	}
	if format != share.FormatHAR && format != share.FormatJSON && format != share.FormatHTML {
		return fmt.Errorf("%w: --format %q: want har, json or html", errUsage, format)
	}
	rules := share.WithAuthorizers(share.Rules{Off: noRedact, Headers: headers, JSONPaths: paths, Regexes: regexes})
	if _, err := share.NewRedactor(rules); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	st, err := openDB(db)
	if err != nil {
		return err
	}
	defer st.Close()
	sel := share.Selection{Session: session, Starred: starred}
	if ids != "" {
		sel.IDs = strings.Split(ids, ",")
	}
	// Written to a buffer first: a failed export never leaves half a file.
	var buf bytes.Buffer
	res, err := share.Export(ctx, st, &buf, sel, share.ExportOptions{Format: format, Rules: rules, Version: version()})
	if err != nil {
		return err
	}
	if out == "-" {
		_, err = stdout.Write(buf.Bytes())
		return err
	}
	if err := writePrivate(out, buf.Bytes()); err != nil {
		return fmt.Errorf("write export: %w", err)
	}
	red := "redaction off"
	if !res.Redaction.Disabled {
		red = fmt.Sprintf("%d values redacted", res.Redaction.Redacted)
	}
	fmt.Fprintf(stdout, "exported %d exchanges of session %q to %s (%s, %s)\n",
		res.Exchanges, res.Session.Name, out, format, red)
	if format == share.FormatHTML {
		fmt.Fprintf(stdout, "%s opens in any browser, offline; send it to anyone (gatescope import reads it back)\n", out)
	}
	return nil
}

// writePrivate writes an export only its owner can read, whatever the
// umask: with --no-redact it holds every captured secret. A file that
// exists is tightened before anything is written to it; devices and pipes
// (-o /dev/stdout) keep their modes.
func writePrivate(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm() != 0o600 {
		if err := f.Chmod(0o600); err != nil {
			f.Close()
			return err
		}
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("import", "import FILE (a HAR, a gatescope JSON export or share file) [--session NAME] [--partial] [--db PATH]", stderr)
	var session, db string
	var partial bool
	fs.StringVar(&session, "session", "", "session `NAME` to import into (default: the exported session's name)")
	fs.BoolVar(&partial, "partial", false, "import the valid entries of a file with bad ones and report the rest")
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
	fi, err := os.Stat(file)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if fi.Size() > share.MaxImportSize {
		return fmt.Errorf("import %s: the file is %d MB, larger than %d MB", file, fi.Size()>>20, share.MaxImportSize>>20)
	}
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	st, err := store.Open(db, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := share.Import(ctx, st, f, share.ImportOptions{Session: session, Partial: partial})
	if err != nil {
		var ie *share.InvalidError
		if errors.As(err, &ie) && len(ie.Problems) > 1 {
			for _, p := range ie.Problems[1:] {
				fmt.Fprintf(stderr, "  %s\n", p)
			}
		}
		return fmt.Errorf("import %s: %w", file, err)
	}
	for _, p := range res.Skipped {
		fmt.Fprintf(stderr, "skipped %s\n", p)
	}
	fmt.Fprintf(stdout, "imported %d exchanges (%s) into session %q", res.Imported, res.Format, res.Session.Name)
	if len(res.Skipped) > 0 {
		fmt.Fprintf(stdout, "; skipped %d invalid", len(res.Skipped))
	}
	fmt.Fprintln(stdout)
	return nil
}
