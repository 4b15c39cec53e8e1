package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/share"
	"github.com/gatescope/gatescope/store"
)

const cliSecret = "Bearer cli-secret-token-123"

func seedCLI(t *testing.T, path string) {
	t.Helper()
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	xs := []*exchange.Exchange{{
		ID: exchange.NewID(at), Session: "bug-123", StartedAt: at, DurationMs: 5, RouteKey: "GET /hello",
		Request:  exchange.HTTPRequest{Method: "GET", URL: "/hello", Headers: map[string][]string{"Authorization": {cliSecret}}},
		Event:    json.RawMessage(`{"headers":{"authorization":"` + cliSecret + `"},"password":"pw-987654"}`),
		Response: exchange.HTTPResponse{Status: 200, Body: "hi"},
		Outcome:  exchange.OutcomeOK, Starred: true, Note: "look",
	}}
	if err := db.InsertExchanges(context.Background(), xs); err != nil {
		t.Fatal(err)
	}
}

func TestExportImportCLI(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "src.db")
	seedCLI(t, src)
	// Exports are 0600 under the usual umask, and an older world-readable
	// file is tightened when overwritten.
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
	os.WriteFile(filepath.Join(dir, "raw.json"), []byte("an older export"), 0o644)
	tests := []struct {
		name     string
		args     []string
		code     int
		file     string
		contains []string
		absent   []string
	}{
		{"har default redacted", []string{"export", "--session", "bug-123", "-o", "out.har", "--db", src}, 0, "out.har",
			[]string{`"version": "1.2"`, "[REDACTED]", `"starred": true`}, []string{"cli-secret-token-123"}},
		{"json by extension", []string{"export", "--session", "bug-123", "-o", "out.json", "--db", src, "--redact-json", "$.password"}, 0, "out.json",
			[]string{`"format": "gatescope/v1"`, `"match": "$.password"`}, []string{"cli-secret-token-123", "pw-987654"}},
		{"no redact", []string{"export", "--session", "bug-123", "--format", "json", "-o", "raw.json", "--db", src, "--no-redact"}, 0, "raw.json",
			[]string{"cli-secret-token-123", `"disabled": true`}, nil},
		{"share file", []string{"export", "--db", src, "--session", "bug-123", "--format", "html", "-o", "share.html"}, 0, "share.html",
			[]string{"<!doctype html>", `<script type="application/json" id="gatescope-export">`, "[REDACTED]", `data-testid="share-row"`},
			[]string{"cli-secret-token-123", "pw-987654"}},
		{"share file by extension", []string{"export", "--session", "bug-123", "-o", "by-ext.HTM", "--db", src}, 0, "by-ext.HTM",
			[]string{"<!doctype html>"}, nil},
		{"bad format", []string{"export", "--session", "bug-123", "--format", "xml", "-o", "x", "--db", src}, 2, "", nil, nil},
		{"bad regex", []string{"export", "--session", "bug-123", "-o", "x.har", "--db", src, "--redact-regex", "("}, 2, "", nil, nil},
		{"unknown session", []string{"export", "--session", "nope", "-o", "x.har", "--db", src}, 1, "", nil, nil},
		{"missing -o", []string{"export", "--session", "bug-123", "--db", src}, 2, "", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{}, tt.args...)
			for i, a := range args {
				if i > 0 && args[i-1] == "-o" {
					args[i] = filepath.Join(dir, a)
				}
			}
			var out, errb bytes.Buffer
			if code := run(ctx, args, nil, &out, &errb); code != tt.code {
				t.Fatalf("exit %d, want %d: %s%s", code, tt.code, out.String(), errb.String())
			}
			if tt.file == "" {
				return
			}
			b, err := os.ReadFile(filepath.Join(dir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if fi, _ := os.Stat(filepath.Join(dir, tt.file)); fi.Mode().Perm() != 0o600 {
				t.Errorf("%s is %v: an export may hold secrets, want -rw-------", tt.file, fi.Mode().Perm())
			}
			for _, c := range tt.contains {
				if !bytes.Contains(b, []byte(c)) {
					t.Errorf("%s lacks %q", tt.file, c)
				}
			}
			for _, a := range tt.absent {
				if bytes.Contains(b, []byte(a)) {
					t.Errorf("%s contains %q", tt.file, a)
				}
			}
		})
	}

	// Import each export into a fresh database.
	page := filepath.Join(dir, "page.html")
	os.WriteFile(page, []byte("<!doctype html><title>not a share</title>"), 0o644)
	bad := filepath.Join(dir, "bad.har")
	os.WriteFile(bad, []byte(`{"log":{"version":"1.2","entries":[{"startedDateTime":"2026-03-01T12:00:00Z","request":{"url":"http://h/"},"response":{"status":200}}]}}`), 0o644)
	imports := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"har", []string{"import", filepath.Join(dir, "out.har"), "--db", filepath.Join(dir, "a.db")}, 0, `imported 1 exchanges (har) into session "bug-123"`},
		{"json with session", []string{"import", filepath.Join(dir, "raw.json"), "--session", "copy", "--db", filepath.Join(dir, "a.db")}, 0, `into session "copy"`},
		{"share file", []string{"import", filepath.Join(dir, "share.html"), "--session", "from-html", "--db", filepath.Join(dir, "a.db")}, 0,
			`imported 1 exchanges (html) into session "from-html"`},
		{"an HTML page", []string{"import", page, "--db", filepath.Join(dir, "a.db")}, 1, "page.html: an HTML page, but not a gatescope share file"},
		{"bad file", []string{"import", bad, "--db", filepath.Join(dir, "a.db")}, 1, "bad.har: log.entries[0].request.method: missing"},
		{"bad file partial", []string{"import", bad, "--partial", "--db", filepath.Join(dir, "a.db")}, 1, "request.method: missing"},
		{"no file", []string{"import", "--db", filepath.Join(dir, "a.db")}, 2, "import needs a FILE"},
		{"missing file", []string{"import", filepath.Join(dir, "nope.har"), "--db", filepath.Join(dir, "a.db")}, 1, "no such file"},
	}
	for _, tt := range imports {
		t.Run("import "+tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(ctx, tt.args, nil, &out, &errb)
			all := out.String() + errb.String()
			if code != tt.code || !strings.Contains(all, tt.out) {
				t.Fatalf("exit %d (want %d), output %q, want it to contain %q", code, tt.code, all, tt.out)
			}
		})
	}
	db, err := store.Open(filepath.Join(dir, "a.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ss, _ := db.Sessions(ctx)
	if len(ss) != 3 {
		t.Errorf("sessions after imports: %d, want 3 (failed imports add none)", len(ss))
	}
	xs, _, _ := db.Exchanges(ctx, store.Filter{Session: "from-html"})
	if len(xs) != 1 || xs[0].Request.URL != "/hello" || xs[0].Request.Headers["Authorization"][0] != share.Redacted {
		t.Fatalf("the share file imported as %+v", xs)
	}
	xs, _, _ = db.Exchanges(ctx, store.Filter{Session: "copy"})
	if len(xs) != 1 || xs[0].Request.Headers["Authorization"][0] != cliSecret {
		t.Fatalf("--no-redact import lost the header: %+v", xs)
	}
	if err := db.Annotate(ctx, xs); err != nil || !xs[0].Starred || xs[0].Note != "look" {
		t.Errorf("annotations after import: %v %q %v", xs[0].Starred, xs[0].Note, err)
	}
}
