// Package replaytest builds real replay set-ups for tests: a SAM template
// with a Node.js function in a temporary folder (whose code a test rewrites
// to "fix" or "break" it), a SQLite store, the gateway and a Replayer.
package replaytest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/apigw"
	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/gateway"
	"github.com/gatescope/gatescope/server/lambda"
	"github.com/gatescope/gatescope/server/replay"
	"github.com/gatescope/gatescope/store"
)

// Template serves one Node.js function, Api, on an HTTP API: GET /hello
// and GET /ok.
const Template = `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  %s:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: index.handler
      Runtime: nodejs20.x
      Timeout: 5
      Events:
        Hello:
          Type: HttpApi
          Properties:
            Path: /hello
            Method: GET
        Ok:
          Type: HttpApi
          Properties:
            Path: /ok
            Method: GET
`

// Function is the source of the function. version "broken" makes
// GET /hello throw; any other version is echoed in the greeting. Every
// answer carries volatile fields (request id, request time, a UUID).
func Function(version string) string {
	return `const VERSION = ` + fmt.Sprintf("%q", version) + `;
exports.handler = async (event, context) => {
  const path = event.rawPath || "";
  if (path === "/hello" && VERSION === "broken") throw new Error("boom: " + VERSION);
  const name = (event.queryStringParameters || {}).name || "world";
  return {
    statusCode: 200,
    headers: { "content-type": "application/json", "x-version": path === "/hello" ? VERSION : "stable" },
    body: JSON.stringify({
      greeting: path === "/hello" ? "hi " + name + " from " + VERSION : "ok",
      requestId: context.awsRequestId,
      time: event.requestContext.time,
      nonce: require("crypto").randomUUID(),
      items: [{ name: "a" }, { name: path === "/hello" ? VERSION : "b" }],
    }),
  };
};
`
}

// App is a template folder with its function's code.
type App struct {
	Dir      string
	Template string
	Name     string // the function's logical name
}

// NewApp writes the template and the function at version in a temp folder.
func NewApp(tb testing.TB, name, version string) *App {
	tb.Helper()
	dir := tb.TempDir()
	a := &App{Dir: dir, Template: filepath.Join(dir, "template.yaml"), Name: name}
	if err := os.MkdirAll(filepath.Join(dir, "fn"), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(a.Template, []byte(fmt.Sprintf(Template, name)), 0o644); err != nil {
		tb.Fatal(err)
	}
	a.SetVersion(tb, version)
	return a
}

// SetVersion rewrites the function's code on disk.
func (a *App) SetVersion(tb testing.TB, version string) {
	tb.Helper()
	if err := os.WriteFile(filepath.Join(a.Dir, "fn", "index.js"), []byte(Function(version)), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// Logger discards.
func Logger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Stack is the app served: manager, gateway and replayer over a store.
type Stack struct {
	Manager  *lambda.Manager
	Gateway  *gateway.Gateway
	Replayer *replay.Replayer
	Session  *store.Session // where captures and replays go
}

// Start loads a's template and serves it, recording into session.
func Start(tb testing.TB, a *App, db *store.DB, session string) *Stack {
	tb.Helper()
	project, err := config.Load(a.Template, config.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	router, err := apigw.NewRouter(project.APIs)
	if err != nil {
		tb.Fatal(err)
	}
	m := lambda.New(Logger(), project, lambda.Options{CacheDir: CacheDir(tb)})
	tb.Cleanup(m.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := m.Prepare(ctx); err != nil {
		tb.Fatal(err)
	}
	sess, err := db.EnsureSession(ctx, session)
	if err != nil {
		tb.Fatal(err)
	}
	sid := func() string { return sess.ID }
	gw := gateway.New(Logger(), router, m, &Sink{DB: db}, sid)
	return &Stack{Manager: m, Gateway: gw, Replayer: replay.New(db, gw, m, sid, nil), Session: sess}
}

// CacheDir is a per-test cache for built functions and runtime bootstraps.
func CacheDir(tb testing.TB) string {
	tb.Helper()
	return tb.TempDir()
}

// OpenDB opens a fresh store in a temp folder.
func OpenDB(tb testing.TB) *store.DB {
	tb.Helper()
	db, err := store.Open(filepath.Join(tb.TempDir(), "gatescope.db"), store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// Sink stores each exchange at once, so a test can replay it right away.
type Sink struct{ DB *store.DB }

// Submit implements gateway.Sink.
func (s *Sink) Submit(x *exchange.Exchange) bool {
	return s.DB.InsertExchanges(context.Background(), []*exchange.Exchange{x}) == nil
}

// Capture sends GET requests for each path through the stack's gateway
// over real HTTP and returns the stored exchanges in order.
func Capture(tb testing.TB, s *Stack, db *store.DB, paths ...string) []*exchange.Exchange {
	tb.Helper()
	srv := httptest.NewServer(s.Gateway)
	defer srv.Close()
	var out []*exchange.Exchange
	for _, p := range paths {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			tb.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		xs, _, err := db.Exchanges(context.Background(), store.Filter{Session: s.Session.ID, Limit: 1})
		if err != nil || len(xs) == 0 {
			tb.Fatalf("capture of %s not stored: %v", p, err)
		}
		if !strings.HasPrefix(xs[0].Request.URL, p) {
			tb.Fatalf("newest exchange is %s, want %s", xs[0].Request.URL, p)
		}
		out = append(out, xs[0])
	}
	return out
}
