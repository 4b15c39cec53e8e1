package share

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/store"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)

func openStore(tb testing.TB) *store.DB {
	tb.Helper()
	return openStoreAt(tb, nil)
}

// openStoreAt opens a store whose clock (share expiry) is now.
func openStoreAt(tb testing.TB, now func() time.Time) *store.DB {
	tb.Helper()
	db, err := store.Open(filepath.Join(tb.TempDir(), "gatescope.db"), store.Options{Now: now})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// sample returns exchanges covering what an export must carry: JSON and
// binary bodies, events, function output and errors, logs, timings, a
// replay link, a star and a note.
func sample(session string) []*exchange.Exchange {
	a := &exchange.Exchange{
		ID:         exchange.NewID(t0),
		Session:    session,
		API:        exchange.APIRef{ID: "api1", Type: "HTTP", Stage: "$default"},
		RouteKey:   "POST /orders",
		RequestID:  "req-1",
		TraceID:    "Root=1-abc",
		StartedAt:  t0,
		DurationMs: 12.5,
		Request: exchange.HTTPRequest{
			Method:  "POST",
			URL:     "/orders?x=1&y=a%20b",
			Headers: map[string][]string{"Host": {"localhost:3000"}, "Content-Type": {"application/json"}, "X-Multi": {"a", "b"}},
			Body:    `{"item":"book","qty":2,"html":"<b>&</b>"}`,
		},
		Event: json.RawMessage(`{"version":"2.0","routeKey":"POST /orders","rawPath":"/orders","body":"{\"item\":\"book\"}","isBase64Encoded":false}`),
		Function: exchange.FunctionCall{
			Name: "OrdersFn", Target: "local", Cold: true,
			RawResponse: json.RawMessage(`{"statusCode":201,"body":"{\"id\":7}"}`),
		},
		Response: exchange.HTTPResponse{
			Status:  201,
			Headers: map[string][]string{"Content-Type": {"application/json"}},
			Body:    `{"id":7}`,
		},
		Outcome: exchange.OutcomeOK,
		Timings: exchange.Timings{RouteMatchedMs: 0.1, InvokeStartMs: 0.2, InitDurationMs: 80,
			FunctionMs: 10, InvokeEndMs: 11, ResponseMappedMs: 11.5, SentMs: 12},
		Logs:    "START RequestId: req-1\nprocessing order\nEND RequestId: req-1\n",
		Starred: true,
		Note:    "the happy path",
	}
	b := &exchange.Exchange{
		ID:         exchange.NewID(t0.Add(time.Second)),
		Session:    session,
		API:        exchange.APIRef{ID: "api2", Type: "REST", Stage: "prod"},
		RouteKey:   "GET /img",
		RequestID:  "req-2",
		StartedAt:  t0.Add(time.Second),
		DurationMs: 3000,
		Request: exchange.HTTPRequest{
			Method:   "PUT",
			URL:      "/img",
			Headers:  map[string][]string{"Content-Type": {"application/octet-stream"}},
			Body:     base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 0xff}),
			IsBase64: true,
		},
		Event: json.RawMessage(`{"resource":"/img","body":"AAEC/w==","isBase64Encoded":true}`),
		Function: exchange.FunctionCall{
			Name: "ImgFn", Target: "arn:aws:lambda:us-east-1:123456789012:function:img",
			Error: &exchange.FunctionError{Type: "Error", Message: "boom", StackTrace: []string{"at a", "at b"}},
		},
		Response: exchange.HTTPResponse{
			Status:   502,
			Headers:  map[string][]string{"Content-Type": {"image/png"}},
			Body:     base64.StdEncoding.EncodeToString([]byte{0x89, 'P', 'N', 'G', 0, 0xfe}),
			IsBase64: true,
		},
		Outcome:       exchange.OutcomeFunctionError,
		Explanation:   "The function threw Error: boom.",
		Logs:          "ERROR boom\n[gatescope cut 12345 bytes of log here]\n",
		LogsTruncated: 12345,
		ReplayOf:      a.ID,
		Note:          "why 502?",
	}
	c := &exchange.Exchange{ // as bare as an exchange gets: no route, no response
		ID:        exchange.NewID(t0.Add(2 * time.Second)),
		Session:   session,
		StartedAt: t0.Add(2 * time.Second),
		Request:   exchange.HTTPRequest{Method: "GET", URL: "/nothing"},
		Outcome:   exchange.OutcomeNoRoute,
	}
	return []*exchange.Exchange{a, b, c}
}

// seed stores sample exchanges in a session and returns them as stored.
func seed(tb testing.TB, db *store.DB, session string) (*store.Session, []*exchange.Exchange) {
	tb.Helper()
	ctx := context.Background()
	if err := db.InsertExchanges(ctx, sample(session)); err != nil {
		tb.Fatal(err)
	}
	s, err := db.Session(ctx, session)
	if err != nil {
		tb.Fatal(err)
	}
	return s, stored(tb, db, s.ID)
}

// stored reads a session's exchanges, oldest first, with annotations.
func stored(tb testing.TB, db *store.DB, session string) []*exchange.Exchange {
	tb.Helper()
	_, xs, err := load(context.Background(), db, Selection{Session: session})
	if err != nil {
		tb.Fatal(err)
	}
	return xs
}

// sameExchanges compares exchanges from two stores: everything but the
// session id (a new store, a new session) must match.
func sameExchanges(t *testing.T, want, got []*exchange.Exchange) {
	t.Helper()
	sort.Slice(want, func(i, j int) bool { return want[i].StartedAt.Before(want[j].StartedAt) })
	sort.Slice(got, func(i, j int) bool { return got[i].StartedAt.Before(got[j].StartedAt) })
	// JSON documents round-trip by value: encoding/json compacts embedded
	// JSON, so whitespace is normalised (key order is kept).
	norm := func(xs []*exchange.Exchange) []*exchange.Exchange {
		out := make([]*exchange.Exchange, len(xs))
		for i, x := range xs {
			c := *x
			c.Event, c.Function.RawResponse = compact(t, c.Event), compact(t, c.Function.RawResponse)
			out[i] = &c
		}
		return out
	}
	want, got = norm(want), norm(got)
	opts := cmp.Options{
		cmpopts.IgnoreFields(exchange.Exchange{}, "Session"),
		cmpopts.EquateEmpty(),
	}
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("exchanges differ after the round trip (-want +got):\n%s", diff)
	}
}

// harSchema compiles har-schema 2.0.0 (testdata/har-schema, from npm).
func harSchema(tb testing.TB) *jsonschema.Schema {
	tb.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	dir := filepath.Join("testdata", "har-schema")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) < 10 {
		tb.Fatalf("har-schema files: %v (%d)", err, len(files))
	}
	for _, f := range files {
		if filepath.Base(f) == "package.json" {
			continue
		}
		r, err := os.Open(f)
		if err != nil {
			tb.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(r)
		r.Close()
		if err != nil {
			tb.Fatalf("%s: %v", f, err)
		}
		if err := c.AddResource("https://har-schema.test/"+filepath.Base(f), doc); err != nil {
			tb.Fatalf("%s: %v", f, err)
		}
	}
	s, err := c.Compile("https://har-schema.test/har.json")
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func validateHAR(tb testing.TB, b []byte) {
	tb.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytesReader(b))
	if err != nil {
		tb.Fatal(err)
	}
	if err := harSchema(tb).Validate(doc); err != nil {
		tb.Fatalf("HAR does not validate against har-schema 2.0.0: %v", err)
	}
}

func storeNote(s string) store.SessionUpdate { return store.SessionUpdate{Note: &s} }

func compact(t *testing.T, b json.RawMessage) json.RawMessage {
	t.Helper()
	if len(b) == 0 {
		return nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatalf("not JSON: %q: %v", b, err)
	}
	return buf.Bytes()
}
