package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)

func openTest(tb testing.TB, opts Options) *DB {
	tb.Helper()
	db, err := Open(filepath.Join(tb.TempDir(), "sub", "gatescope.db"), opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// fullExchange sets every field of an Exchange.
func fullExchange(session string, i int) *exchange.Exchange {
	at := t0.Add(time.Duration(i) * time.Millisecond)
	return &exchange.Exchange{
		ID:         exchange.NewID(at),
		Session:    session,
		API:        exchange.APIRef{ID: "api1", Type: "HTTP", Stage: "$default"},
		RouteKey:   "GET /hello",
		RequestID:  fmt.Sprintf("req-%d", i),
		TraceID:    "Root=1-abc",
		StartedAt:  at,
		DurationMs: 12.5,
		Request: exchange.HTTPRequest{
			Method:  "GET",
			URL:     "/hello?name=x",
			Headers: map[string][]string{"Accept": {"*/*"}, "X-Multi": {"a", "b"}},
			Body:    `{"msg":"hello from node"}`,
		},
		Event: json.RawMessage(`{"version":"2.0",  "rawPath":"/hello"}`),
		Function: exchange.FunctionCall{
			Name:        "HelloFn",
			Target:      "local",
			RawResponse: json.RawMessage(`{"statusCode":500}`),
			Error:       &exchange.FunctionError{Type: "Error", Message: "boom", StackTrace: []string{"at a", "at b"}},
			Cold:        true,
			Version:     "3f2a9c1e0b7d",
		},
		Response: exchange.HTTPResponse{
			Status:   500,
			Headers:  map[string][]string{"Content-Type": {"application/octet-stream"}},
			Body:     base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 0xff, 0xfe}),
			IsBase64: true,
		},
		Outcome:     exchange.OutcomeFunctionError,
		Explanation: "The function threw Error: boom.",
		Timings: exchange.Timings{RouteMatchedMs: 0.1, InvokeStartMs: 0.2, InitDurationMs: 80,
			FunctionMs: 10, InvokeEndMs: 11, ResponseMappedMs: 11.5, SentMs: 12},
		Logs:          "START RequestId: x\nsomething in the logs\n[gatescope cut 10 bytes of log here]\nEND",
		LogsTruncated: 10,
		ReplayOf:      "01ORIGINAL",
		Mapping: &exchange.Mapping{Integration: "AWS",
			Request:   &exchange.TemplateStep{ContentType: "application/json", Template: `{"n": "$input.params('n')"}`, Output: `{"n": "x"}`, Note: "ran"},
			Selection: &exchange.Selection{Value: "boom", Pattern: "boom.*", Status: 500, Why: "matched"},
			Error:     &exchange.TemplateError{Template: "response template application/json", Line: 2, Column: 3, Message: "bad"}},
		Deployment: 14,
	}
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	s, err := db.EnsureSession(ctx, "bug-123")
	if err != nil {
		t.Fatal(err)
	}
	x := fullExchange(s.ID, 1)
	want := *x
	if err := db.InsertExchanges(ctx, []*exchange.Exchange{x}); err != nil {
		t.Fatal(err)
	}
	got, err := db.Exchange(ctx, x.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}

	// Session given by name resolves to the id; missing id is generated.
	y := fullExchange("bug-123", 2)
	y.ID = ""
	if err := db.InsertExchanges(ctx, []*exchange.Exchange{y}); err != nil {
		t.Fatal(err)
	}
	if y.Session != s.ID || len(y.ID) != 26 {
		t.Errorf("after insert: session %q id %q, want session %q and a 26-char id", y.Session, y.ID, s.ID)
	}
	// Re-inserting is a no-op.
	if err := db.InsertExchanges(ctx, []*exchange.Exchange{y}); err != nil {
		t.Fatalf("re-insert: %v", err)
	}

	if _, err := db.Exchange(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing exchange: err = %v, want ErrNotFound", err)
	}
}

func TestTruncation(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{BodyCap: 10})
	x := fullExchange("", 1)
	x.Request.Body = "héllo wörld, long body" // multi-byte runes around the cut
	x.Response.Body = base64.StdEncoding.EncodeToString([]byte(strings.Repeat("z", 25)))
	short := fullExchange("", 2)
	short.Request.Body = "0123456789"
	if err := db.InsertExchanges(ctx, []*exchange.Exchange{x, short}); err != nil {
		t.Fatal(err)
	}
	got, err := db.Exchange(ctx, x.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Request.Body != "héllo wö" || got.Request.Truncated != len(x.Request.Body) {
		t.Errorf("request body %q truncated %d, want %q %d", got.Request.Body, got.Request.Truncated, "héllo wö", len(x.Request.Body))
	}
	wantResp := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("z", 10)))
	if got.Response.Body != wantResp || got.Response.Truncated != 25 || !got.Response.IsBase64 {
		t.Errorf("response body %q truncated %d, want %q 25", got.Response.Body, got.Response.Truncated, wantResp)
	}
	if x.Request.Body != "héllo wörld, long body" {
		t.Error("insert changed the caller's body")
	}
	got, err = db.Exchange(ctx, short.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Request.Body != "0123456789" || got.Request.Truncated != 0 {
		t.Errorf("body at cap: %q truncated %d", got.Request.Body, got.Request.Truncated)
	}
	if got.Session == "" {
		t.Error("empty session not defaulted")
	}
}

// TestLogCap: logs that arrive whole (an import) are stored cut to
// MaxLogBytes, start and end kept, the cut counted on top of any cut
// already made at capture.
func TestLogCap(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	var b strings.Builder
	for i := 0; b.Len() < 5<<20; i++ {
		fmt.Fprintf(&b, "line %07d é\n", i)
	}
	x := fullExchange("", 1)
	x.Logs, x.LogsTruncated = b.String(), 7
	if err := db.InsertExchanges(ctx, []*exchange.Exchange{x}); err != nil {
		t.Fatal(err)
	}
	got, err := db.Exchange(ctx, x.ID)
	if err != nil {
		t.Fatal(err)
	}
	marker := fmt.Sprintf("[gatescope cut %d bytes of log here", got.LogsTruncated-7)
	i := strings.Index(got.Logs, marker)
	if len(got.Logs) > MaxLogBytes+200 || i < 0 || !strings.HasPrefix(got.Logs, "line 0000000 é\n") ||
		!strings.HasSuffix(x.Logs, got.Logs[strings.Index(got.Logs[i:], "\n")+i+1:]) || !utf8.ValidString(got.Logs) {
		t.Errorf("stored %d bytes, cut %d: %.40q … %.80q", len(got.Logs), got.LogsTruncated, got.Logs, got.Logs[max(0, i-20):])
	}
	kept := len(got.Logs) - (strings.Index(got.Logs[i:], "\n") + 1)
	if int64(kept)+got.LogsTruncated-7 != int64(len(x.Logs)) {
		t.Errorf("kept %d + cut %d != %d", kept, got.LogsTruncated-7, len(x.Logs))
	}
}

func TestMigrations(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a", "b", "g.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if db.Path() != path {
		t.Errorf("Path() = %q", db.Path())
	}
	if _, err := db.EnsureSession(ctx, "keep"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	// Reopen: nothing re-applied, data kept.
	db, err = Open(path, Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	if s, err := db.Session(ctx, "keep"); err != nil || s.Name != "keep" {
		t.Fatalf("session after reopen: %v %v", s, err)
	}
	var v int
	db.r.QueryRow("PRAGMA user_version").Scan(&v)
	files, _ := migrationFiles()
	if v != files[len(files)-1].version {
		t.Errorf("user_version = %d, want %d", v, files[len(files)-1].version)
	}
	db.Close()

	// A newer gatescope's database is refused, naming path and versions.
	// Like every connection gatescope opens, this one waits out a transient
	// lock (the closing store's last checkpoint) instead of failing at once.
	raw, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("PRAGMA user_version = 999"); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	_, err = Open(path, Options{})
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("newer schema: err = %v, want ErrSchemaTooNew", err)
	}
	for _, s := range []string{path, "999", fmt.Sprint(v)} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %q", err, s)
		}
	}
}

// TestConnectionPragmas pins what each pool's connections are opened
// with: the writer keeps temporary files (the insert trigger's statement
// journal) in memory, readers leave theirs to SQLite's default, and both
// are in WAL mode with foreign keys on.
func TestConnectionPragmas(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "g.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, c := range []struct {
		name      string
		conn      *sql.DB
		tempStore int // 0 default, 2 memory
		queryOnly int
	}{
		{"writer", db.w, 2, 0},
		{"reader", db.r, 0, 1},
	} {
		var temp, qo, fk int
		var mode string
		row := c.conn.QueryRow("SELECT * FROM pragma_temp_store, pragma_query_only, pragma_foreign_keys, pragma_journal_mode")
		if err := row.Scan(&temp, &qo, &fk, &mode); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if temp != c.tempStore || qo != c.queryOnly || fk != 1 || mode != "wal" {
			t.Errorf("%s: temp_store %d query_only %d foreign_keys %d journal_mode %s; want %d %d 1 wal",
				c.name, temp, qo, fk, mode, c.tempStore, c.queryOnly)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.db")
	if err := os.WriteFile(corrupt, []byte(strings.Repeat("this is not sqlite ", 300)), 0o644); err != nil {
		t.Fatal(err)
	}
	blocker := filepath.Join(dir, "file")
	os.WriteFile(blocker, nil, 0o644)
	for name, path := range map[string]string{
		"corrupt":        corrupt,
		"parent is file": filepath.Join(blocker, "x.db"),
		"is directory":   dir,
	} {
		t.Run(name, func(t *testing.T) {
			db, err := Open(path, Options{})
			if err == nil {
				db.Close()
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name %s", err, path)
			}
		})
	}
}

func TestSessions(t *testing.T) {
	ctx := context.Background()
	now := t0
	db := openTest(t, Options{Now: func() time.Time { now = now.Add(time.Second); return now }})
	a, err := db.EnsureSession(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := db.EnsureSession(ctx, "b")
	again, _ := db.EnsureSession(ctx, "a")
	if again.ID != a.ID {
		t.Errorf("EnsureSession made a second %q", "a")
	}
	db.InsertExchanges(ctx, []*exchange.Exchange{fullExchange(a.ID, 1), fullExchange(a.ID, 2), fullExchange(b.ID, 3)})
	ss, err := db.Sessions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range ss {
		got = append(got, fmt.Sprintf("%s:%d", s.Name, s.Exchanges))
	}
	if diff := cmp.Diff([]string{"b:1", "a:2"}, got); diff != "" {
		t.Errorf("sessions (-want +got):\n%s", diff)
	}
	if s, err := db.Session(ctx, b.ID); err != nil || s.Name != "b" || !s.CreatedAt.Equal(b.CreatedAt) {
		t.Errorf("Session(id) = %+v, %v", s, err)
	}
	if err := db.DeleteSession(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Session(ctx, "a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted session: %v", err)
	}
	if err := db.DeleteSession(ctx, a.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete twice: %v", err)
	}
	xs, _, err := db.Exchanges(ctx, Filter{})
	if err != nil || len(xs) != 1 {
		t.Errorf("after cascade: %d exchanges, %v", len(xs), err)
	}
	// The FTS rows went with them.
	xs, _, _ = db.Exchanges(ctx, Filter{Query: "hello from node"})
	if len(xs) != 1 {
		t.Errorf("search after cascade: %d hits, want 1", len(xs))
	}
}

// TestInvalidUTF8Documents: an event or output holding invalid UTF-8 (a
// function that wrote a stray byte) is stored with U+FFFD, so the JSON
// API and exports, which pass documents through, stay valid JSON.
func TestInvalidUTF8Documents(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	x := fullExchange("", 1)
	x.Event = json.RawMessage("{\"a\":\"x\xb8y\"}")
	x.Function.RawResponse = json.RawMessage("\"\xc3\"")
	if err := db.InsertExchanges(ctx, []*exchange.Exchange{x}); err != nil {
		t.Fatal(err)
	}
	got, err := db.Exchange(ctx, x.ID)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Event) != "{\"a\":\"x\uFFFDy\"}" || string(got.Function.RawResponse) != "\"\uFFFD\"" {
		t.Errorf("stored %q and %q", got.Event, got.Function.RawResponse)
	}
	if b, _ := json.Marshal(got); !utf8.Valid(b) || !json.Valid(b) {
		t.Errorf("the exchange encodes as %q", b)
	}
}
