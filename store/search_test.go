package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/google/go-cmp/cmp"
)

// seed inserts n exchanges into session s with varied routes, statuses and
// outcomes; exchange i starts at t0 + i seconds.
func seed(t *testing.T, db *DB, s string, from, n int) []*exchange.Exchange {
	t.Helper()
	var xs []*exchange.Exchange
	for i := from; i < from+n; i++ {
		x := fullExchange(s, i)
		x.StartedAt = t0.Add(time.Duration(i) * time.Second)
		x.ID = exchange.NewID(x.StartedAt)
		x.Request.Body = fmt.Sprintf("body %d", i)
		x.Logs = fmt.Sprintf("log line %d", i)
		switch i % 3 {
		case 0:
			x.RouteKey, x.Request.Method, x.Response.Status, x.Outcome = "GET /a", "GET", 200, exchange.OutcomeOK
		case 1:
			x.RouteKey, x.Request.Method, x.Response.Status, x.Outcome = "POST /b", "POST", 502, exchange.OutcomeMalformedResponse
		case 2:
			x.RouteKey, x.Request.Method, x.Response.Status, x.Outcome = "GET /c", "GET", 404, exchange.OutcomeNoRoute
		}
		x.DurationMs = float64(i)
		xs = append(xs, x)
	}
	if err := db.InsertExchanges(context.Background(), xs); err != nil {
		t.Fatal(err)
	}
	return xs
}

func ids(xs []*exchange.Exchange) []string {
	out := []string{}
	for _, x := range xs {
		out = append(out, x.ID)
	}
	return out
}

func TestSearch(t *testing.T) {
	ctx := context.Background()
	for _, indexed := range []bool{false, true} {
		t.Run(fmt.Sprintf("indexed=%v", indexed), func(t *testing.T) {
			db := openTest(t, Options{manualIndex: true})
			a := fullExchange("s", 1)
			a.Request.Body = `{"msg":"Hello From Node","n":1}`
			a.Logs = "INFO cache miss for key user:42"
			b := fullExchange("s", 2)
			b.Request.Body = `nothing here 100%_done`
			b.Logs = "ok"
			b.Response.Status, b.RouteKey, b.Request.URL = 201, "POST /orders", "/orders/7"
			if err := db.InsertExchanges(ctx, []*exchange.Exchange{a, b}); err != nil {
				t.Fatal(err)
			}
			if indexed {
				if n, err := db.IndexPending(ctx); err != nil || n != 2 {
					t.Fatalf("IndexPending = %d, %v", n, err)
				}
			}
			for q, want := range map[string][]string{
				"hello from node":      {a.ID},       // phrase in a body, any case
				"cache miss":           {a.ID},       // in the logs
				"user:42":              {a.ID},       // FTS syntax is literal
				`"quoted" AND OR *`:    {},           // no syntax error
				"/orders":              {b.ID},       // path
				"201":                  {b.ID},       // status
				"function_error":       {b.ID, a.ID}, // outcome
				"%_":                   {b.ID},       // short: LIKE, wildcards escaped
				"ok":                   {b.ID},       // short: logs
				"\x00\xff":             {},
				"binary never matches": {},
			} {
				xs, _, err := db.Exchanges(ctx, Filter{Query: q})
				if err != nil {
					t.Fatalf("query %q: %v", q, err)
				}
				if diff := cmp.Diff(want, ids(xs)); diff != "" {
					t.Errorf("query %q (-want +got):\n%s", q, diff)
				}
			}
		})
	}
}

func TestFilters(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	s1, _ := db.EnsureSession(ctx, "one")
	s2, _ := db.EnsureSession(ctx, "two")
	xs := seed(t, db, s1.ID, 0, 9)
	other := seed(t, db, s2.ID, 9, 3)
	all := append(append([]*exchange.Exchange{}, xs...), other...)
	rev := func(idx ...int) []string {
		var out []string
		for i := len(idx) - 1; i >= 0; i-- {
			out = append(out, all[idx[i]].ID)
		}
		return out
	}
	for name, tc := range map[string]struct {
		f    Filter
		want []string
	}{
		"all":              {Filter{}, rev(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)},
		"session by name":  {Filter{Session: "two"}, rev(9, 10, 11)},
		"session by id":    {Filter{Session: s2.ID}, rev(9, 10, 11)},
		"unknown session":  {Filter{Session: "nope"}, nil},
		"route":            {Filter{Session: "one", Route: "POST /b"}, rev(1, 4, 7)},
		"method any case":  {Filter{Session: "one", Method: "post"}, rev(1, 4, 7)},
		"outcome":          {Filter{Session: "one", Outcome: "no_route"}, rev(2, 5, 8)},
		"status class 5xx": {Filter{Session: "one", StatusClass: 5}, rev(1, 4, 7)},
		"status class 2xx": {Filter{Session: "one", StatusClass: 2}, rev(0, 3, 6)},
		"since until":      {Filter{Since: t0.Add(3 * time.Second), Until: t0.Add(5 * time.Second)}, rev(3, 4)},
		"query and route":  {Filter{Query: "body 1", Route: "POST /b"}, rev(1, 10)},
		"limit":            {Filter{Limit: 2}, rev(10, 11)},
		"after":            {Filter{After: all[8].ID}, []string{all[9].ID, all[10].ID, all[11].ID}},
		"replays of":       {Filter{ReplayOf: "01ORIGINAL", Session: "two"}, rev(9, 10, 11)},
		"replays of none":  {Filter{ReplayOf: "01NOTHING"}, nil},
	} {
		t.Run(name, func(t *testing.T) {
			got, _, err := db.Exchanges(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, ids(got)); diff != "" && !(len(tc.want) == 0 && len(got) == 0) {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestPaginationWhileInserting pages through a session while a writer keeps
// inserting: every row that existed at the start is seen exactly once.
func TestPaginationWhileInserting(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	initial := seed(t, db, "p", 0, 120)

	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 1000; ; i += 5 {
			select {
			case <-stop:
				return
			default:
			}
			seed(t, db, "p", i, 5)
		}
	}()

	seen := map[string]int{}
	first, _, err := db.Exchanges(ctx, Filter{Session: "p", Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	before := first[0].ID // start just after a known row, like a client would
	for before != "" {
		page, next, err := db.Exchanges(ctx, Filter{Session: "p", Before: before, Limit: 7})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range page {
			seen[x.ID]++
		}
		before = next
	}
	close(stop)
	wg.Wait()
	for _, x := range initial {
		if x.ID != first[0].ID && seen[x.ID] != 1 {
			t.Errorf("exchange %s seen %d times", x.ID, seen[x.ID])
		}
	}
	if _, _, err := db.Exchanges(ctx, Filter{Before: "gone"}); err == nil {
		t.Error("unknown cursor: no error")
	}
}

func TestPruneAndStats(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	xs := seed(t, db, "p", 0, 10)

	st, err := db.Stats(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	want := &Stats{Total: 10,
		ByOutcome: map[string]int{"ok": 4, "malformed_response": 3, "no_route": 3},
		Routes: []RouteStats{
			{RouteKey: "GET /a", Count: 4, P50Ms: 3, P99Ms: 9},
			{RouteKey: "GET /c", Count: 3, P50Ms: 5, P99Ms: 8},
			{RouteKey: "POST /b", Count: 3, P50Ms: 4, P99Ms: 7},
		}}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}

	rc, err := db.RouteCounts(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	wantRC := []RouteCount{{"GET /a", 4}, {"GET /c", 3}, {"POST /b", 3}}
	if diff := cmp.Diff(wantRC, rc); diff != "" {
		t.Errorf("route counts (-want +got):\n%s", diff)
	}
	if rc, _ := db.RouteCounts(ctx, ""); len(rc) != 3 {
		t.Errorf("route counts of every session: %v", rc)
	}

	n, err := db.Prune(ctx, 0, t0.Add(2*time.Second)) // drops 0 and 1
	if err != nil || n != 2 {
		t.Fatalf("prune by age = %d, %v", n, err)
	}
	n, err = db.Prune(ctx, 5, time.Time{}) // keeps 5..9
	if err != nil || n != 3 {
		t.Fatalf("prune by count = %d, %v", n, err)
	}
	got, _, _ := db.Exchanges(ctx, Filter{})
	if diff := cmp.Diff([]string{xs[9].ID, xs[8].ID, xs[7].ID, xs[6].ID, xs[5].ID}, ids(got)); diff != "" {
		t.Errorf("after prune (-want +got):\n%s", diff)
	}
	// The trigger-kept counts follow deletions.
	if st, _ := db.Stats(ctx, "p"); st.Total != 5 {
		t.Errorf("stats after prune: total %d, want 5", st.Total)
	}
	sum := 0
	rc, _ = db.RouteCounts(ctx, "p")
	for _, r := range rc {
		sum += r.Count
	}
	if sum != 5 {
		t.Errorf("route counts after prune sum to %d, want 5: %v", sum, rc)
	}
	if ss, _ := db.Sessions(ctx); len(ss) != 1 || ss[0].Exchanges != 5 {
		t.Errorf("session count after prune: %+v", ss[0])
	}
	if _, err := db.IndexPending(ctx); err != nil {
		t.Fatal(err)
	}
	hits, _, _ := db.Exchanges(ctx, Filter{Query: "log line"})
	if len(hits) != 5 {
		t.Errorf("search after prune: %d hits, want 5", len(hits))
	}
	if st, _ := db.Stats(ctx, "nope"); st.Total != 0 {
		t.Errorf("unknown session stats: %+v", st)
	}
}
