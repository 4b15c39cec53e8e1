package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/store"
)

func TestHealth(t *testing.T) {
	for _, tc := range []struct {
		name       string
		health     func() error
		wantCode   int
		wantStatus string
		wantError  string
	}{
		{"no check", nil, 200, "ok", ""},
		{"ready", func() error { return nil }, 200, "ok", ""},
		{"starting", func() error { return fmt.Errorf("building Hello: %w", ErrStarting) }, 503, "starting", "building Hello: starting"},
		{"failed", func() error { return errors.New("build Hello: exit status 1") }, 503, "error", "build Hello: exit status 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts, _, _ := testServer(t, Options{Health: tc.health})
			var got map[string]string
			getJSON(t, ts.URL+"/api/health", tc.wantCode, &got)
			want := map[string]string{"status": tc.wantStatus}
			if tc.wantError != "" {
				want["error"] = tc.wantError
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("health (-want +got):\n%s", diff)
			}
		})
	}
}

type listResp struct {
	Exchanges []*exchange.Exchange `json:"exchanges"`
	Next      *string              `json:"next"`
}

func ids(xs []*exchange.Exchange) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = x.ID
	}
	return out
}

// newestFirst returns the ids of xs[i] for the given indexes, newest first.
func newestFirst(xs []*exchange.Exchange, idx ...int) []string {
	slices.Sort(idx)
	slices.Reverse(idx)
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = xs[j].ID
	}
	return out
}

func span(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

func TestListExchangesFilters(t *testing.T) {
	ts, _, xs := testServer(t, Options{})
	for _, tc := range []struct {
		query string
		want  []int
	}{
		{"", span(0, 19)},
		{"limit=1000", span(0, 19)},
		{"session=bug-123", span(10, 15)},
		{"route=GET+%2Fhello", span(0, 10)},
		{"method=post", span(10, 15)},
		{"status=5xx", append(span(10, 15), 18)},
		{"status=5", append(span(10, 15), 18)},
		{"status=502", span(10, 15)},
		{"status=504", []int{18}},
		{"status=4xx", span(15, 18)},
		{"outcome=no_route", span(15, 18)},
		{"q=hello+from+go", span(0, 10)}, // response bodies, not raw function output
		{"q=items.push", span(10, 15)},
		{"since=" + t0.Add(10*time.Second).Format(time.RFC3339), span(10, 19)},
		{"until=" + fmt.Sprint(t0.Add(2*time.Second).UnixMilli()), span(0, 2)},
		{"session=bug-123&status=2xx", nil},
		{"session=nope", nil},
	} {
		t.Run(tc.query, func(t *testing.T) {
			var got listResp
			getJSON(t, ts.URL+"/api/exchanges?"+tc.query, 200, &got)
			if got.Exchanges == nil || got.Next == nil {
				t.Fatalf("exchanges and next must be present (not null): %+v", got)
			}
			want := newestFirst(xs, tc.want...)
			if diff := cmp.Diff(want, ids(got.Exchanges)); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			if *got.Next != "" {
				t.Errorf("next = %q, want empty on the only page", *got.Next)
			}
		})
	}
}

func TestListExchangesFullRecord(t *testing.T) {
	ts, _, xs := testServer(t, Options{})
	var got listResp
	getJSON(t, ts.URL+"/api/exchanges?limit=1&status=502", 200, &got)
	if len(got.Exchanges) != 1 {
		t.Fatalf("got %d exchanges", len(got.Exchanges))
	}
	g, w := got.Exchanges[0], xs[14]
	if g.ID != w.ID || g.Request.Body != w.Request.Body || g.Function.Error == nil ||
		g.Function.Error.Message != w.Function.Error.Message || g.Explanation != w.Explanation ||
		!strings.Contains(g.Logs, "REPORT RequestId") || string(g.Outcome) != "function_error" {
		t.Errorf("record not complete: %+v", g)
	}
	// The raw JSON carries every contract key.
	_, _, b := do(t, "GET", ts.URL+"/api/exchanges?limit=1", "")
	var raw struct{ Exchanges []map[string]any }
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "session", "api", "routeKey", "requestId", "traceId", "startedAt", "durationMs",
		"request", "event", "function", "response", "outcome", "explanation", "timings", "logs"} {
		if _, ok := raw.Exchanges[0][k]; !ok {
			t.Errorf("key %q missing", k)
		}
	}
}

// pages walks every page of a query and returns the ids in order.
func pages(t *testing.T, base string) (all []string, n int) {
	t.Helper()
	cursor := ""
	for n = 1; n < 100; n++ {
		url := base
		if cursor != "" {
			url += "&before=" + cursor
		}
		var got listResp
		getJSON(t, url, 200, &got)
		all = append(all, ids(got.Exchanges)...)
		if *got.Next == "" {
			return all, n
		}
		cursor = *got.Next
	}
	t.Fatal("pagination does not end")
	return nil, 0
}

func TestListExchangesPagination(t *testing.T) {
	ts, _, xs := testServer(t, Options{})
	for _, tc := range []struct {
		query     string
		want      []int
		wantPages int
	}{
		{"limit=5", span(0, 19), 4},
		{"limit=19", span(0, 19), 1},
		{"limit=2&status=502", span(10, 15), 3},
		{"limit=5&status=502", span(10, 15), 1},
		{"limit=3&session=default", append(span(0, 10), 15, 16, 17, 18), 5},
	} {
		t.Run(tc.query, func(t *testing.T) {
			got, n := pages(t, ts.URL+"/api/exchanges?"+tc.query)
			if diff := cmp.Diff(newestFirst(xs, tc.want...), got); diff != "" {
				t.Errorf("ids over all pages (-want +got):\n%s", diff)
			}
			if n != tc.wantPages {
				t.Errorf("%d pages, want %d", n, tc.wantPages)
			}
		})
	}
	t.Run("after", func(t *testing.T) {
		var got listResp
		getJSON(t, ts.URL+"/api/exchanges?after="+xs[16].ID, 200, &got)
		if diff := cmp.Diff([]string{xs[17].ID, xs[18].ID}, ids(got.Exchanges)); diff != "" {
			t.Errorf("after: oldest first (-want +got):\n%s", diff)
		}
	})
}

func TestListExchangesBadRequest(t *testing.T) {
	ts, _, xs := testServer(t, Options{})
	for _, tc := range []struct{ query, wantErr string }{
		{"limit=abc", "limit"},
		{"limit=0", "limit"},
		{"status=9xx", "status"},
		{"status=abc", "status"},
		{"since=yesterday", "since"},
		{"until=2026-13-01", "until"},
		{"before=" + xs[1].ID + "&after=" + xs[0].ID, "before or after"},
		{"before=01NOSUCHCURSOR0000000000000", "unknown cursor"},
		{"view=summary&sort=colour", "sort"},
		{"view=summary&replays=maybe", "replays"},
		{"view=summary&min=-1", "min"},
		{"view=summary&max=fast", "max"},
		{"view=summary&offset=-3", "offset"},
		{"view=summary&snapshot=x", "snapshot"},
		{"view=summary&sort=size&cursor=bm9wZQ", "cursor"},
		{"view=summary&sort=size&before=" + xs[1].ID, "before and after"},
		{"sort=size", "view=summary"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			var got map[string]string
			getJSON(t, ts.URL+"/api/exchanges?"+tc.query, 400, &got)
			if !strings.Contains(got["error"], tc.wantErr) {
				t.Errorf("error %q does not mention %q", got["error"], tc.wantErr)
			}
		})
	}
}

func TestGetExchange(t *testing.T) {
	ts, _, xs := testServer(t, Options{})
	var got exchange.Exchange
	getJSON(t, ts.URL+"/api/exchanges/"+xs[12].ID, 200, &got)
	if got.ID != xs[12].ID || got.Request.URL != "/items" || got.Response.Status != 502 || got.Function.Name != "Hello" {
		t.Errorf("exchange = %+v", got)
	}
	var e map[string]string
	getJSON(t, ts.URL+"/api/exchanges/NOPE", 404, &e)
	if !strings.Contains(e["error"], "not found") {
		t.Errorf("404 error = %q", e["error"])
	}
}

func TestSessions(t *testing.T) {
	ts, _, xs := testServer(t, Options{})
	var got struct{ Sessions []map[string]any }
	getJSON(t, ts.URL+"/api/sessions", 200, &got)
	if len(got.Sessions) != 2 {
		t.Fatalf("sessions = %v", got.Sessions)
	}
	counts := map[string]float64{}
	var bugID string
	for _, s := range got.Sessions {
		for _, k := range []string{"id", "name", "createdAt", "note", "exchanges"} {
			if _, ok := s[k]; !ok {
				t.Errorf("session %v lacks %q", s, k)
			}
		}
		counts[s["name"].(string)] = s["exchanges"].(float64)
		if s["name"] == "bug-123" {
			bugID = s["id"].(string)
		}
	}
	if diff := cmp.Diff(map[string]float64{"default": 14, "bug-123": 5}, counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}

	code, _, b := do(t, http.MethodDelete, ts.URL+"/api/sessions/"+bugID, "")
	if code != http.StatusNoContent || len(b) != 0 {
		t.Fatalf("delete: %d %s", code, b)
	}
	var e map[string]string
	getJSON(t, ts.URL+"/api/exchanges/"+xs[10].ID, 404, &e)
	code, _, _ = do(t, http.MethodDelete, ts.URL+"/api/sessions/"+bugID, "")
	if code != http.StatusNotFound {
		t.Errorf("second delete: %d, want 404", code)
	}
}

func TestSessionsEmpty(t *testing.T) {
	db := openStore(t)
	ts := httptestServer(t, Options{Store: db})
	_, _, b := do(t, "GET", ts.URL+"/api/sessions", "")
	if strings.TrimSpace(string(b)) != `{"sessions":[]}` {
		t.Errorf("empty sessions = %s", b)
	}
	_, _, b = do(t, "GET", ts.URL+"/api/exchanges", "")
	if strings.TrimSpace(string(b)) != `{"exchanges":[],"next":""}` {
		t.Errorf("empty exchanges = %s", b)
	}
}

func TestStats(t *testing.T) {
	ts, _, _ := testServer(t, Options{Counters: func() Counters { return Counters{Captured: 21, Dropped: 2} }})
	var got map[string]any
	getJSON(t, ts.URL+"/api/stats?session=bug-123", 200, &got)
	if got["total"] != 5.0 || got["captured"] != 21.0 || got["dropped"] != 2.0 {
		t.Errorf("stats = %v", got)
	}
	if bo := got["byOutcome"].(map[string]any); bo["function_error"] != 5.0 {
		t.Errorf("byOutcome = %v", bo)
	}
	routes := got["routes"].([]any)
	if len(routes) != 1 || routes[0].(map[string]any)["routeKey"] != "POST /items" {
		t.Errorf("routes = %v", routes)
	}
	getJSON(t, ts.URL+"/api/stats", 200, &got)
	if got["total"] != 19.0 {
		t.Errorf("total over all sessions = %v", got["total"])
	}
}

func TestUnknownAPI(t *testing.T) {
	ts, _, _ := testServer(t, Options{})
	var e map[string]string
	getJSON(t, ts.URL+"/api/nope", 404, &e)
	if !strings.Contains(e["error"], "/api/nope") {
		t.Errorf("unknown API error = %q", e["error"])
	}
}

// TestAnnotationsInAPI: stars and notes, stored beside the exchanges, come
// back with them from the list and the single-exchange endpoints.
func TestAnnotationsInAPI(t *testing.T) {
	ts, db, xs := testServer(t, Options{})
	ctx := context.Background()
	if err := db.SetStar(ctx, xs[3].ID, true); err != nil {
		t.Fatal(err)
	}
	if err := db.SetNote(ctx, xs[3].ID, "look here"); err != nil {
		t.Fatal(err)
	}
	var x exchange.Exchange
	getJSON(t, ts.URL+"/api/exchanges/"+xs[3].ID, 200, &x)
	if !x.Starred || x.Note != "look here" {
		t.Errorf("exchange: starred %v note %q", x.Starred, x.Note)
	}
	var list struct{ Exchanges []exchange.Exchange }
	getJSON(t, ts.URL+"/api/exchanges?limit=100", 200, &list)
	starred := 0
	for _, e := range list.Exchanges {
		if e.Starred {
			starred++
			if e.ID != xs[3].ID || e.Note != "look here" {
				t.Errorf("wrong exchange starred: %s %q", e.ID, e.Note)
			}
		}
	}
	if starred != 1 {
		t.Errorf("%d starred in the list, want 1", starred)
	}
}

func TestAnnotationAPI(t *testing.T) {
	ctx := context.Background()
	srv, db, all := testServer(t, Options{})
	s, err := db.Session(ctx, "bug-123")
	if err != nil {
		t.Fatal(err)
	}
	var xs []*exchange.Exchange // bug-123's exchanges
	for _, x := range all {
		if x.Session == s.ID {
			xs = append(xs, x)
		}
	}
	if _, err := db.EnsureSession(ctx, "taken"); err != nil {
		t.Fatal(err)
	}
	id := xs[2].ID
	tests := []struct {
		name, method, path, body string
		code                     int
	}{
		{"rename", "PATCH", "/api/sessions/" + s.ID, `{"name":"renamed","note":"see #12"}`, 200},
		{"rename taken", "PATCH", "/api/sessions/" + s.ID, `{"name":"taken"}`, 409},
		{"rename empty", "PATCH", "/api/sessions/" + s.ID, `{"name":""}`, 400},
		{"rename unknown", "PATCH", "/api/sessions/nosuch", `{"note":"x"}`, 404},
		{"bad json", "PATCH", "/api/sessions/" + s.ID, `{`, 400},
		{"star", "PUT", "/api/exchanges/" + id + "/star", ``, 200},
		{"star unknown", "PUT", "/api/exchanges/nosuch/star", ``, 404},
		{"note", "PUT", "/api/exchanges/" + id + "/note", `{"note":"flaky"}`, 200},
		{"note unknown", "PUT", "/api/exchanges/nosuch/note", `{"note":"x"}`, 404},
		{"unstar", "DELETE", "/api/exchanges/" + xs[0].ID + "/star", ``, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, _, b := do(t, tt.method, srv.URL+tt.path, tt.body); code != tt.code {
				t.Errorf("%s %s = %d %s, want %d", tt.method, tt.path, code, b, tt.code)
			}
		})
	}
	got, _ := db.Session(ctx, s.ID)
	if got.Name != "renamed" || got.Note != "see #12" {
		t.Errorf("session = %+v", got)
	}
	after, _, err := db.Exchanges(ctx, store.Filter{Session: s.ID})
	if err == nil {
		err = db.Annotate(ctx, after)
	}
	if err != nil {
		t.Fatal(err)
	}
	marks := map[string]*exchange.Exchange{}
	for _, x := range after {
		marks[x.ID] = x
	}
	if a, b := marks[xs[2].ID], marks[xs[0].ID]; !a.Starred || a.Note != "flaky" || b.Starred {
		t.Errorf("annotations: %v %q / %v", a.Starred, a.Note, b.Starred)
	}
}

// TestListSummaries: the list's windows are row summaries, without the
// bodies, logs and event the full records carry, with the count and the
// snapshot the next windows read at.
func TestListSummaries(t *testing.T) {
	ts, db, xs := testServer(t, Options{})
	_, _, b := do(t, "GET", ts.URL+"/api/exchanges?view=summary&limit=5&count=1", "")
	var raw struct {
		Exchanges []map[string]any
		Next      string
		Snapshot  int64
		Total     int
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw.Exchanges) != 5 || raw.Total != len(xs) || raw.Snapshot != int64(len(xs)+1) || raw.Next == "" {
		t.Fatalf("%d rows, total %d, snapshot %d, next %q", len(raw.Exchanges), raw.Total, raw.Snapshot, raw.Next)
	}
	for _, k := range []string{"id", "session", "startedAt", "method", "url", "routeKey", "status", "outcome", "failed",
		"durationMs", "cold", "function", "explanation", "size", "phases"} {
		if _, ok := raw.Exchanges[0][k]; !ok {
			t.Errorf("summary lacks %q", k)
		}
	}
	for _, k := range []string{"logs", "event", "request", "response", "timings"} {
		if _, ok := raw.Exchanges[0][k]; ok {
			t.Errorf("summary carries %q", k)
		}
	}

	// A window at the snapshot ignores what arrived since; sorted, the
	// longest first; searched, where it matched.
	late := okExchange(50)
	if err := db.InsertExchanges(context.Background(), []*exchange.Exchange{late}); err != nil {
		t.Fatal(err)
	}
	var w struct {
		Exchanges []exchange.Summary
		Next      string
	}
	getJSON(t, fmt.Sprintf("%s/api/exchanges?view=summary&limit=5&snapshot=%d&cursor=%s", ts.URL, raw.Snapshot, raw.Next), 200, &w)
	if diff := cmp.Diff(newestFirst(xs, span(9, 14)...), summaryIDs(w.Exchanges)); diff != "" {
		t.Errorf("second window (-want +got):\n%s", diff)
	}
	slow := okExchange(51, func(x *exchange.Exchange) { x.DurationMs = 3000 })
	if err := db.InsertExchanges(context.Background(), []*exchange.Exchange{slow}); err != nil {
		t.Fatal(err)
	}
	getJSON(t, ts.URL+"/api/exchanges?view=summary&limit=1&sort=duration", 200, &w)
	if len(w.Exchanges) != 1 || w.Exchanges[0].ID != slow.ID {
		t.Errorf("longest first: %v", summaryIDs(w.Exchanges))
	}
	getJSON(t, ts.URL+"/api/exchanges?view=summary&q=items.push&session=bug-123", 200, &w)
	if len(w.Exchanges) != 5 || w.Exchanges[0].Match == nil || w.Exchanges[0].Match.Field != "logs" ||
		w.Exchanges[0].Match.Hit != "items.push" {
		t.Errorf("search rows: %+v", w.Exchanges)
	}
}

func summaryIDs(ss []exchange.Summary) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.ID)
	}
	return out
}

// TestFacetsAPI: the chips' counts for a filter, leaving out the chips'
// own fields.
func TestFacetsAPI(t *testing.T) {
	ts, _, _ := testServer(t, Options{})
	var fc store.Facets
	getJSON(t, ts.URL+"/api/facets?session=default&status=2xx&failed=1", 200, &fc)
	want := store.Facets{Total: 14, Status: map[string]int{"2xx": 10, "4xx": 3, "5xx": 1},
		Outcome: map[string]int{"ok": 10, "no_route": 3, "timeout": 1}, Failed: 4}
	if diff := cmp.Diff(want, fc); diff != "" {
		t.Errorf("facets (-want +got):\n%s", diff)
	}
	var bad map[string]string
	getJSON(t, ts.URL+"/api/facets?status=9xx", 400, &bad)
}
