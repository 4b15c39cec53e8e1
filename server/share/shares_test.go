package share

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestShareSnapshotAndRevoke: a link shows the session as it was when the
// link was made, says so, and keeps showing only that while the session
// records on; the dashboard lists the session's links by id and revokes
// one or all of them.
func TestShareSnapshotAndRevoke(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	db := openStoreAt(t, clock)
	xs := sample("rec")
	before, after := xs[:2], xs[2:]
	if err := db.InsertExchanges(ctx, before); err != nil {
		t.Fatal(err)
	}
	s, _ := db.Session(ctx, "rec")
	srv := newServer(t, db, clock)

	create := func() ShareLink {
		t.Helper()
		resp, b := do(t, "POST", srv.URL+"/api/sessions/"+s.ID+"/share", "", nil)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create share: %d %s", resp.StatusCode, b)
		}
		var l ShareLink
		json.Unmarshal([]byte(b), &l)
		return l
	}
	first := create()
	// The session records on: the link must not show what came later.
	if err := db.InsertExchanges(ctx, after); err != nil {
		t.Fatal(err)
	}
	resp, page := do(t, "GET", first.URL, "", nil)
	if resp.StatusCode != 200 || strings.Count(page, `data-testid="share-row"`) != len(before) {
		t.Fatalf("share page: %d, %d rows; want %d", resp.StatusCode, strings.Count(page, `data-testid="share-row"`), len(before))
	}
	if !strings.Contains(page, `data-testid="share-taken">2026-03-01 12:00 UTC<`) || !strings.Contains(page, "requests made later are not shown") {
		t.Errorf("the page does not say it is a snapshot:\n%s", page)
	}
	for _, x := range before {
		if resp, _ := do(t, "GET", first.URL+"/exchanges/"+x.ID, "", nil); resp.StatusCode != 200 {
			t.Errorf("exchange %s of the snapshot: %d", x.ID, resp.StatusCode)
		}
	}
	for _, x := range after {
		if resp, _ := do(t, "GET", first.URL+"/exchanges/"+x.ID, "", nil); resp.StatusCode != 404 {
			t.Errorf("exchange %s recorded after the link: %d, want 404", x.ID, resp.StatusCode)
		}
	}

	now = now.Add(time.Minute)
	second := create() // this one holds every exchange

	list := func() []ShareInfo {
		t.Helper()
		resp, b := do(t, "GET", srv.URL+"/api/sessions/rec/shares", "", nil) // by name, as every session route
		if resp.StatusCode != 200 {
			t.Fatalf("list shares: %d %s", resp.StatusCode, b)
		}
		var out sharesResponse
		if err := json.Unmarshal([]byte(b), &out); err != nil {
			t.Fatal(err)
		}
		for _, sh := range out.Shares {
			if strings.Contains(b, first.Token) || strings.Contains(b, second.Token) {
				t.Fatalf("the listing reveals a token: %s", b)
			}
			if len(sh.ID) != 12 {
				t.Errorf("share id %q", sh.ID)
			}
		}
		return out.Shares
	}
	got := list()
	want := []ShareInfo{
		{ID: got[0].ID, CreatedAt: now, ExpiresAt: now.Add(DefaultShareTTL),
			Snapshot: Snapshot{Exchanges: len(xs), LastExchange: xs[len(xs)-1].ID}},
		{ID: got[1].ID, CreatedAt: now.Add(-time.Minute), ExpiresAt: now.Add(-time.Minute + DefaultShareTTL),
			Snapshot: Snapshot{Exchanges: len(before), LastExchange: before[len(before)-1].ID}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("shares (-want +got):\n%s", diff)
	}

	// Revoke the first by its id: its link stops opening, the other works.
	if resp, b := do(t, "DELETE", srv.URL+"/api/sessions/"+s.ID+"/shares/"+got[1].ID, "", nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", resp.StatusCode, b)
	}
	if resp, _ := do(t, "GET", first.URL, "", nil); resp.StatusCode != 404 {
		t.Errorf("revoked link: %d", resp.StatusCode)
	}
	if resp, _ := do(t, "GET", second.URL, "", nil); resp.StatusCode != 200 {
		t.Errorf("the other link: %d", resp.StatusCode)
	}
	for _, c := range []struct {
		path string
		code int
	}{
		{"/api/sessions/" + s.ID + "/shares/" + got[1].ID, 404}, // already gone
		{"/api/sessions/" + s.ID + "/shares/nothex", 404},
		{"/api/sessions/nosuch/shares/" + got[0].ID, 404},
		{"/api/sessions/nosuch/shares", 404},
	} {
		if resp, b := do(t, "DELETE", srv.URL+c.path, "", nil); resp.StatusCode != c.code {
			t.Errorf("DELETE %s = %d %s, want %d", c.path, resp.StatusCode, b, c.code)
		}
	}
	if resp, _ := do(t, "GET", srv.URL+"/api/sessions/nosuch/shares", "", nil); resp.StatusCode != 404 {
		t.Errorf("shares of an unknown session: %d", resp.StatusCode)
	}

	// Revoke all.
	create()
	resp, b := do(t, "DELETE", srv.URL+"/api/sessions/"+s.ID+"/shares", "", nil)
	if resp.StatusCode != 200 || strings.TrimSpace(b) != `{"revoked":2}` {
		t.Errorf("revoke all: %d %s", resp.StatusCode, b)
	}
	if left := list(); len(left) != 0 {
		t.Errorf("%d links left", len(left))
	}
	if resp, _ := do(t, "GET", second.URL, "", nil); resp.StatusCode != 404 {
		t.Errorf("link after revoke all: %d", resp.StatusCode)
	}
}
