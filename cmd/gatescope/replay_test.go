package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/gatescope/gatescope/server/replay/replaytest"
	"github.com/gatescope/gatescope/server/ui"
	"github.com/gatescope/gatescope/server/ui/uitest"
	"github.com/gatescope/gatescope/store"
)

// TestReplayCLI captures traffic of a real Node.js function into a SQLite
// file, rewrites the function on disk and runs `gatescope replay` on the
// file, standalone and against a running server's JSON API.
func TestReplayCLI(t *testing.T) {
	tests := []struct {
		name               string
		captured, replayed string
		args               []string // after "replay"; DB, template (or URL) appended
		viaURL             bool
		wantCode           int
		wantOut            []string
		wantErr            string
	}{
		{
			name: "fixed 500 is newly passing, fine for --expect status", captured: "broken", replayed: "fixed",
			args: []string{"--session", "bug-123", "--expect", "status"}, wantCode: 0,
			wantOut: []string{"GET /hello  500 function_error  200 ok  newly passing", "@@ status @@\n- 500\n+ 200\n",
				"same  changed  newly failing  newly passing  errors", "   2        0              0              1       0"},
		},
		{
			name: "newly passing is a change for --expect same", captured: "broken", replayed: "fixed",
			args: []string{"--session", "bug-123", "--only", "failed"}, wantCode: 1,
			wantOut: []string{"newly passing", "1 changed (--expect same)"},
		},
		{
			name: "changed body shows a readable diff", captured: "v1", replayed: "v2",
			args: []string{"--session", "bug-123", "--concurrency", "4"}, wantCode: 1,
			wantOut: []string{"@@ body.greeting @@\n- \"hi world from v1\"\n+ \"hi world from v2\"\n", "@@ body.items[1].name @@", "changed"},
		},
		{
			name: "changed body passes --expect status", captured: "v1", replayed: "v2",
			args: []string{"--session", "bug-123", "--expect", "status"}, wantCode: 0,
		},
		{
			name: "ignored fields", captured: "v1", replayed: "v2",
			args: []string{"--session", "bug-123", "--ignore", "greeting,body.items", "--ignore", "X-Version"}, wantCode: 0,
			wantOut: []string{"   3        0              0              0       0"},
		},
		{
			name: "unchanged, volatile fields ignored", captured: "v1", replayed: "v1",
			args: []string{"--session", "bug-123"}, wantCode: 0,
		},
		{
			name: "single exchange", captured: "v1", replayed: "v2",
			args: []string{"FIRST"}, wantCode: 0, // the first exchange is GET /ok
		},
		{
			name: "via --url", captured: "broken", replayed: "fixed", viaURL: true,
			args: []string{"--session", "bug-123", "--expect", "status"}, wantCode: 0,
			wantOut: []string{"newly passing", "@@ status @@"},
		},
		{
			name: "single exchange via --url", captured: "v1", replayed: "v2", viaURL: true,
			args: []string{"SECOND"}, wantCode: 1,
			wantOut: []string{"@@ body.greeting @@"},
		},
		{name: "unknown session", captured: "v1", replayed: "v1", args: []string{"--session", "nope"}, wantCode: 2, wantErr: `session "nope"`},
		{name: "unknown session via --url", captured: "v1", replayed: "v1", viaURL: true, args: []string{"--session", "nope"}, wantCode: 2, wantErr: "HTTP 404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := replaytest.NewApp(t, "Api", tt.captured)
			db := replaytest.OpenDB(t)
			s := replaytest.Start(t, app, db, "bug-123")
			xs := replaytest.Capture(t, s, db, "/ok", "/hello", "/ok")
			s.Manager.Close()
			app.SetVersion(t, tt.replayed)

			args := append([]string{"replay"}, tt.args...)
			if args[1] == "FIRST" {
				args[1] = xs[0].ID
			}
			if args[1] == "SECOND" {
				args[1] = xs[1].ID
			}
			if tt.viaURL {
				args = append(args, "--url", serveReplayAPI(t, app, db))
			} else {
				args = append(args, "--db", db.Path(), "--template", app.Template)
			}
			var out, errOut bytes.Buffer
			code := run(context.Background(), args, strings.NewReader(""), &out, &errOut)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out.String(), errOut.String())
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, out.String())
				}
			}
			if !strings.Contains(errOut.String(), tt.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantErr, errOut.String())
			}
		})
	}
}

// serveReplayAPI serves the UI address as `gatescope serve` wires it.
func serveReplayAPI(t *testing.T, app *replaytest.App, st *store.DB) string {
	t.Helper()
	s := replaytest.Start(t, app, st, "served")
	return uitest.Server(t, st, s.Replayer, ui.Deps{}).URL
}

func TestReplayUsage(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{name: "nothing to replay", args: nil, wantCode: 2, wantErr: "give an exchange ID or --session NAME"},
		{name: "both", args: []string{"X", "--session", "s"}, wantCode: 2, wantErr: "give an exchange ID or --session NAME"},
		{name: "bad expect", args: []string{"--session", "s", "--expect", "body"}, wantCode: 2, wantErr: "want same or status"},
		{name: "bad only", args: []string{"--session", "s", "--only", "ok"}, wantCode: 2, wantErr: "the only choice is failed"},
		{name: "bad concurrency", args: []string{"--session", "s", "--concurrency", "0"}, wantCode: 2, wantErr: "--concurrency 0"},
		{name: "bad url", args: []string{"--session", "s", "--url", "localhost:3001"}, wantCode: 2, wantErr: "want http://host:port"},
		{name: "missing db", args: []string{"--session", "s", "--db", "/nonexistent/x.db"}, wantCode: 2, wantErr: "/nonexistent/x.db"},
		{name: "help documents --expect", args: []string{"--help"}, wantCode: 0, wantErr: "--expect status  1 only when a status changed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(context.Background(), append([]string{"replay"}, tt.args...), strings.NewReader(""), &out, &errOut)
			if code != tt.wantCode || !strings.Contains(errOut.String(), tt.wantErr) {
				t.Errorf("exit %d (want %d), stderr:\n%s", code, tt.wantCode, errOut.String())
			}
		})
	}
}
