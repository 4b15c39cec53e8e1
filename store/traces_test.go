package store

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
)

func TestTraces(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1795978993, 0)
	clock := now
	db := openTest(t, Options{Now: func() time.Time { return clock }})
	const root = "1-5759e988-bd862e3fe1be46a994272793"
	x := &exchange.Exchange{ID: exchange.NewID(now), Session: "s", StartedAt: now, TraceID: "Root=" + root,
		API: exchange.APIRef{ID: "Api"}, Function: exchange.FunctionCall{Name: "Fn"}, Logs: "START\nhello\n",
		Trace: &exchange.Trace{
			Segments: []json.RawMessage{json.RawMessage(`{"id":"a","name":"Api/Prod"}`), json.RawMessage(`{"id":"b","name":"fn"}`)},
			LogTimes: []exchange.LogTime{{Offset: 6, At: now.Add(time.Millisecond)}},
		}}
	other := &exchange.Exchange{ID: exchange.NewID(now.Add(time.Millisecond)), Session: "s", StartedAt: now, TraceID: "Root=1-00000000-000000000000000000000000"}
	if err := db.InsertExchanges(ctx, []*exchange.Exchange{x, other}); err != nil {
		t.Fatal(err)
	}
	docs := []TraceDoc{
		{TraceID: root, ID: "c", ParentID: "b", InProgress: true, Source: "xray", Body: json.RawMessage(`{"id":"c","in_progress":true}`)},
		{TraceID: root, ID: "c", ParentID: "b", Source: "xray", Body: json.RawMessage(`{"id":"c","end_time":2}`), Nodes: []string{"aws:DynamoDB"}},
	}
	if err := db.InsertTraceDocs(ctx, docs); err != nil {
		t.Fatal(err)
	}
	// A late in-progress copy does not replace the complete one.
	if err := db.InsertTraceDocs(ctx, docs[:1]); err != nil {
		t.Fatal(err)
	}
	et, err := db.TraceOf(ctx, x.ID)
	if err != nil {
		t.Fatal(err)
	}
	if et.TraceID != root || len(et.LogTimes) != 1 || et.LogTimes[0].Offset != 6 || !et.LogTimes[0].At.Equal(now.Add(time.Millisecond)) {
		t.Errorf("TraceOf = %+v", et)
	}
	got, err := db.TraceDocs(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, d := range got {
		s = append(s, string(d))
	}
	// Documents come in the order they were received, gatescope's own
	// first; the reader resolves the in-progress copies.
	if want := `{"id":"a","name":"Api/Prod"}|{"id":"b","name":"fn"}|{"id":"c","in_progress":true}|{"id":"c","end_time":2}|{"id":"c","in_progress":true}`; strings.Join(s, "|") != want {
		t.Errorf("docs:\n%s\nwant\n%s", strings.Join(s, "|"), want)
	}
	// The exchange's trace id is there even without segments of its own.
	if et, err := db.TraceOf(ctx, other.ID); err != nil || et.TraceID != "1-00000000-000000000000000000000000" {
		t.Errorf("TraceOf(other) = %+v, %v", et, err)
	}
	if _, err := db.TraceOf(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown exchange: %v", err)
	}
	// The live list's node filter.
	for node, want := range map[string]int{"aws:DynamoDB": 1, "remote:x": 0, "api:Api": 1, "fn:Fn": 1, "fn:Other": 0} {
		xs, _, err := db.Exchanges(ctx, Filter{Node: node})
		if err != nil || len(xs) != want {
			t.Errorf("Node %q: %d exchanges, %v; want %d", node, len(xs), err, want)
		}
	}

	// Documents of a trace no exchange has are kept a while, then pruned;
	// those of a stored exchange stay.
	orphan := TraceDoc{TraceID: "1-11111111-111111111111111111111111", ID: "o", Source: "otlp", Body: json.RawMessage(`{"id":"o"}`)}
	if err := db.InsertTraceDocs(ctx, []TraceDoc{orphan}); err != nil {
		t.Fatal(err)
	}
	if n, err := db.PruneTraces(ctx); err != nil || n != 0 {
		t.Errorf("prune now: %d, %v", n, err)
	}
	clock = now.Add(time.Hour)
	if n, err := db.PruneTraces(ctx); err != nil || n != 1 {
		t.Errorf("prune later: %d, %v", n, err)
	}
	if got, _ := db.TraceDocs(ctx, root); len(got) != 5 {
		t.Errorf("an exchange's trace lost documents: %d", len(got))
	}
	// Deleting the exchange takes its segments; its trace's documents go
	// with the next prune.
	if _, err := db.Prune(ctx, 0, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n, err := db.PruneTraces(ctx); err != nil || n != 2 {
		t.Errorf("prune after the exchange went: %d rows, %v; want its 2", n, err)
	}
	if got, _ := db.TraceDocs(ctx, root); len(got) != 0 {
		t.Errorf("left: %s", got)
	}
}
