package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/gatescope/gatescope/server/exchange"
)

// listSeed stores n varied exchanges in session s: durations, sizes and
// functions in an order that is not insertion order, some failed, some
// cold, some replays, on two APIs.
func listSeed(t *testing.T, db *DB, s string, n int) []*exchange.Exchange {
	t.Helper()
	outcomes := []exchange.Outcome{exchange.OutcomeOK, exchange.OutcomeOK, exchange.OutcomeFunctionError, exchange.OutcomeTimeout, ""}
	statuses := []int{200, 500, 502, 504, 404}
	var xs []*exchange.Exchange
	for i := range n {
		x := fullExchange(s, i)
		x.DurationMs = float64((i * 7919) % 97)
		x.Function.Name = fmt.Sprintf("Fn%d", (i*31)%5)
		x.Function.Cold = i%4 == 0
		x.API.ID = []string{"api1", "api2"}[i%2]
		x.Outcome, x.Response.Status = outcomes[i%5], statuses[(i/5)%5]
		x.Response.IsBase64 = false
		x.Response.Body = strings.Repeat("x", (i*13)%50)
		x.ReplayOf = ""
		if i%6 == 0 {
			x.ReplayOf = "01ORIGINAL"
		}
		xs = append(xs, x)
	}
	if err := db.InsertExchanges(context.Background(), xs); err != nil {
		t.Fatal(err)
	}
	return xs
}

// TestListIsSummarize: a list row read from the store is exchange.Summarize
// of the exchange stored, so live rows and fetched rows look the same.
func TestListIsSummarize(t *testing.T) {
	db := openTest(t, Options{})
	xs := listSeed(t, db, "s", 12)
	cut := fullExchange("s", 99) // a body the store keeps only part of
	cut.Response.IsBase64, cut.Response.Body = false, strings.Repeat("y", db.bodyCap+10)
	if err := db.InsertExchanges(context.Background(), []*exchange.Exchange{cut}); err != nil {
		t.Fatal(err)
	}
	xs = append(xs, cut)
	w, err := db.List(context.Background(), ListQuery{Filter: Filter{Limit: 100}, Count: true})
	if err != nil {
		t.Fatal(err)
	}
	if w.Total != len(xs) || len(w.Items) != len(xs) || w.Next != "" {
		t.Fatalf("total %d, %d items, next %q; want %d, all, none", w.Total, len(w.Items), w.Next, len(xs))
	}
	for i, got := range w.Items {
		want := exchange.Summarize(xs[len(xs)-1-i])
		if d := gocmp.Diff(want, got); d != "" {
			t.Errorf("row %d differs from Summarize (-want +got):\n%s", i, d)
		}
	}
}

// TestListSortsAndCursors: each sort, walked window by window by cursor
// and by offset, gives the same rows, in the order the sort says, ties
// broken by insertion order, none twice, none missed, while exchanges
// keep arriving (the snapshot holds them out).
func TestListSortsAndCursors(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	xs := listSeed(t, db, "s", 53)
	seq := map[string]int{}
	for i, x := range xs {
		seq[x.ID] = i
	}
	key := map[string]func(x *exchange.Exchange) any{
		SortTime:     func(x *exchange.Exchange) any { return 0 },
		SortDuration: func(x *exchange.Exchange) any { return x.DurationMs },
		SortSize:     func(x *exchange.Exchange) any { return len(x.Response.Body) },
		SortFunction: func(x *exchange.Exchange) any { return x.Function.Name },
	}
	compare := func(a, b any) int {
		switch a := a.(type) {
		case float64:
			return cmp.Compare(a, b.(float64))
		case int:
			return cmp.Compare(a, b.(int))
		default:
			return cmp.Compare(a.(string), b.(string))
		}
	}
	for _, by := range []string{SortTime, SortDuration, SortSize, SortFunction} {
		for _, asc := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s asc=%v", by, asc), func(t *testing.T) {
				want := slices.Clone(xs)
				slices.SortStableFunc(want, func(a, b *exchange.Exchange) int {
					c := cmp.Or(compare(key[by](a), key[by](b)), cmp.Compare(seq[a.ID], seq[b.ID]))
					if !asc {
						c = -c
					}
					return c
				})
				var wantIDs []string
				for _, x := range want {
					wantIDs = append(wantIDs, x.ID)
				}
				first, err := db.List(ctx, ListQuery{Filter: Filter{Limit: 10}, Sort: by, Asc: asc})
				if err != nil {
					t.Fatal(err)
				}
				// Arrivals after the first window stay out of this walk.
				late := fullExchange("s", 500)
				if err := db.InsertExchanges(ctx, []*exchange.Exchange{late}); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.w.Exec(`DELETE FROM exchanges WHERE id = ?`, late.ID) })
				byCursor, byOffset := idsOf(first.Items), idsOf(first.Items)
				for next, off := first.Next, 10; next != ""; off += 10 {
					w, err := db.List(ctx, ListQuery{Filter: Filter{Limit: 10, StoredBefore: first.Snapshot}, Sort: by, Asc: asc, Cursor: next})
					if err != nil {
						t.Fatal(err)
					}
					o, err := db.List(ctx, ListQuery{Filter: Filter{Limit: 10, StoredBefore: first.Snapshot}, Sort: by, Asc: asc, Offset: off})
					if err != nil {
						t.Fatal(err)
					}
					byCursor, byOffset, next = append(byCursor, idsOf(w.Items)...), append(byOffset, idsOf(o.Items)...), w.Next
				}
				if d := gocmp.Diff(wantIDs, byCursor); d != "" {
					t.Errorf("by cursor (-want +got):\n%s", d)
				}
				if d := gocmp.Diff(wantIDs, byOffset); d != "" {
					t.Errorf("by offset (-want +got):\n%s", d)
				}
			})
		}
	}
	_, err := db.List(ctx, ListQuery{Sort: SortSize, Cursor: encodeCursor(cursor{Sort: SortDuration, Value: 1.0, Seq: 3})})
	if !errors.Is(err, ErrBadCursor) {
		t.Errorf("a duration cursor on a size sort: %v, want ErrBadCursor", err)
	}
}

func idsOf(ss []exchange.Summary) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.ID)
	}
	return out
}

// TestListFilters: each of the list's filters keeps exactly the exchanges
// its rule in Go keeps; Failed is exchange.Failed.
func TestListFilters(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	xs := listSeed(t, db, "s", 60)
	tests := []struct {
		name string
		f    Filter
		keep func(x *exchange.Exchange) bool
	}{
		{"failed", Filter{Failed: true}, (*exchange.Exchange).Failed},
		{"function", Filter{Function: "Fn2"}, func(x *exchange.Exchange) bool { return x.Function.Name == "Fn2" }},
		{"api", Filter{API: "api2"}, func(x *exchange.Exchange) bool { return x.API.ID == "api2" }},
		{"min duration", Filter{MinMs: 50}, func(x *exchange.Exchange) bool { return x.DurationMs >= 50 }},
		{"duration range", Filter{MinMs: 10, MaxMs: 20}, func(x *exchange.Exchange) bool { return x.DurationMs >= 10 && x.DurationMs <= 20 }},
		{"cold", Filter{Cold: true}, func(x *exchange.Exchange) bool { return x.Function.Cold }},
		{"replays", Filter{Replays: ReplaysOnly}, func(x *exchange.Exchange) bool { return x.ReplayOf != "" }},
		{"no replays", Filter{Replays: ReplaysHidden}, func(x *exchange.Exchange) bool { return x.ReplayOf == "" }},
		{"exact status", Filter{Status: 502}, func(x *exchange.Exchange) bool { return x.Response.Status == 502 }},
		{"5xx and cold", Filter{StatusClass: 5, Cold: true}, func(x *exchange.Exchange) bool { return x.Response.Status >= 500 && x.Function.Cold }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var want []string
			for i := len(xs) - 1; i >= 0; i-- {
				if tc.keep(xs[i]) {
					want = append(want, xs[i].ID)
				}
			}
			if len(want) == 0 || len(want) == len(xs) {
				t.Fatalf("the seed does not exercise %s: %d of %d kept", tc.name, len(want), len(xs))
			}
			f := tc.f
			f.Limit = 100
			w, err := db.List(ctx, ListQuery{Filter: f, Count: true})
			if err != nil {
				t.Fatal(err)
			}
			if d := gocmp.Diff(want, idsOf(w.Items)); d != "" || w.Total != len(want) {
				t.Errorf("total %d, want %d; rows (-want +got):\n%s", w.Total, len(want), d)
			}
			got, _, err := db.Exchanges(ctx, f) // the full records filter alike
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Errorf("Exchanges: %d, want %d", len(got), len(want))
			}
		})
	}
}

// TestListMatch: a search shows where it matched when that is text the
// row does not show (bodies, logs), on one line; a match in the path
// needs none.
func TestListMatch(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{manualIndex: true})
	mk := func(i int, mod func(x *exchange.Exchange)) *exchange.Exchange {
		x := fullExchange("s", i)
		x.Response.IsBase64, x.Response.Body, x.Request.Body, x.Logs = false, "", "", "START\nEND"
		mod(x)
		return x
	}
	long := strings.Repeat("a", 200)
	xs := []*exchange.Exchange{
		mk(0, func(x *exchange.Exchange) { x.Logs = "START\nfatal:\n  Pool Exhausted after 3 tries\nEND" }),
		mk(1, func(x *exchange.Exchange) { x.Response.Body = long + `{"error":"pool exhausted"}` + long }),
		mk(2, func(x *exchange.Exchange) { x.Request.URL = "/pool exhausted" }),
		mk(3, func(x *exchange.Exchange) { x.Request.Body = "pool exhausted" }),
	}
	if err := db.InsertExchanges(ctx, xs); err != nil {
		t.Fatal(err)
	}
	want := map[string]*exchange.Match{
		xs[0].ID: {Field: "logs", Before: "START fatal: ", Hit: "Pool Exhausted", After: " after 3 tries END"},
		xs[1].ID: {Field: "response body", Before: strings.Repeat("a", 24-len(`{"error":"`)) + `{"error":"`, Hit: "pool exhausted",
			After: `"}` + strings.Repeat("a", 62)},
		xs[2].ID: nil,
		xs[3].ID: {Field: "request body", Hit: "pool exhausted"},
	}
	for _, indexed := range []bool{false, true} { // the tail scan and the index
		if indexed {
			if _, err := db.IndexPending(ctx); err != nil {
				t.Fatal(err)
			}
		}
		w, err := db.List(ctx, ListQuery{Filter: Filter{Query: "pool EXHAUSTED"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(w.Items) != len(xs) {
			t.Fatalf("indexed=%v: %d rows, want %d", indexed, len(w.Items), len(xs))
		}
		for _, s := range w.Items {
			if d := gocmp.Diff(want[s.ID], s.Match); d != "" {
				t.Errorf("indexed=%v: match of %s (-want +got):\n%s", indexed, s.URL, d)
			}
		}
	}
}

// TestFacets: the chips' counts are what choosing each chip lists.
func TestFacets(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	listSeed(t, db, "s", 40)
	listSeed(t, db, "other", 7)
	base := Filter{Session: "s", Function: "Fn1"}
	fc, err := db.Facets(ctx, Filter{Session: "s", Function: "Fn1", StatusClass: 2, Failed: true})
	if err != nil {
		t.Fatal(err)
	}
	count := func(f Filter) int {
		f.Limit = 1
		w, err := db.List(ctx, ListQuery{Filter: f, Count: true})
		if err != nil {
			t.Fatal(err)
		}
		return w.Total
	}
	with := func(mod func(f *Filter)) Filter {
		f := base
		mod(&f)
		return f
	}
	got := map[string]int{"total": fc.Total, "failed": fc.Failed, "replays": fc.Replays}
	want := map[string]int{"total": count(base), "failed": count(with(func(f *Filter) { f.Failed = true })),
		"replays": count(with(func(f *Filter) { f.Replays = ReplaysOnly }))}
	for c := 2; c <= 5; c++ {
		k := fmt.Sprintf("%dxx", c)
		got[k], want[k] = fc.Status[k], count(with(func(f *Filter) { f.StatusClass = c }))
	}
	for _, o := range exchange.Outcomes() {
		got[string(o)], want[string(o)] = fc.Outcome[string(o)], count(with(func(f *Filter) { f.Outcome = string(o) }))
	}
	if d := gocmp.Diff(want, got); d != "" {
		t.Errorf("facets (-lists +facets):\n%s", d)
	}
	if fc.Total == 0 || fc.Failed == 0 || fc.Failed == fc.Total {
		t.Errorf("the seed does not exercise the facets: %+v", fc)
	}
}

// TestListSortsUseIndexes: each sort's key is written as its index is
// (migrations/0008_list.sql), so a sorted window reads an index range
// instead of sorting every exchange; the chips' counts and the API names
// read the covering index.
func TestListSortsUseIndexes(t *testing.T) {
	db := openTest(t, Options{})
	plan := func(q string) string { return queryPlan(t, db, q) }
	for by, key := range sortKeys {
		for _, dir := range []string{"ASC", "DESC"} {
			p := plan(`SELECT e.seq FROM exchanges e WHERE e.seq < 1000 AND ` + key + ` <= 5 AND (` + key + ` < 5 OR e.seq < 9)
				ORDER BY ` + key + ` ` + dir + `, e.seq ` + dir + ` LIMIT 10`)
			if strings.Contains(p, "TEMP B-TREE") || !strings.Contains(p, "INDEX exchanges_") {
				t.Errorf("sort by %s %s: %s", by, dir, p)
			}
		}
	}
	for _, q := range []string{
		`SELECT e.status / 100, e.outcome, e.replay_of <> '', count(*) FROM exchanges e GROUP BY 1, 2, 3`,
		`SELECT DISTINCT api_id FROM exchanges WHERE api_id <> ''`,
		`SELECT DISTINCT function FROM exchanges WHERE function <> ''`,
	} {
		if p := plan(q); !strings.Contains(p, "COVERING INDEX") {
			t.Errorf("%s: %s", q, p)
		}
	}
}

// TestListCountsReadIndexes: counting up to a snapshot, with or without
// a chip's filter, reads a narrow index, never the rows.
func TestListCountsReadIndexes(t *testing.T) {
	db := openTest(t, Options{})
	for _, f := range []Filter{{StoredBefore: 10}, {StoredBefore: 10, StatusClass: 5}, {StoredBefore: 10, Session: "s", Outcome: "ok"}} {
		where, args := f.where()
		detail := queryPlan(t, db, `SELECT count(*) FROM exchanges e WHERE `+strings.Join(where, " AND "), args...)
		if !strings.Contains(detail, "COVERING INDEX") {
			t.Errorf("count %+v: %s", f, detail)
		}
	}
}

// queryPlan is SQLite's plan for q, its steps joined by "; ".
func queryPlan(t *testing.T, db *DB, q string, args ...any) string {
	t.Helper()
	rows, err := db.r.Query(`EXPLAIN QUERY PLAN `+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		out = append(out, detail)
	}
	return strings.Join(out, "; ")
}
