package store

import (
	"context"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
)

// TestNeighbours: an exchange's neighbours are the ones stored around it
// in its own session, whatever the other sessions stored between them.
func TestNeighbours(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	t0 := time.Now()
	var xs []*exchange.Exchange
	for i, session := range []string{"a", "b", "a", "b", "a"} {
		xs = append(xs, &exchange.Exchange{ID: exchange.NewID(t0.Add(time.Duration(i) * time.Millisecond)), Session: session,
			StartedAt: t0, Request: exchange.HTTPRequest{Method: "GET", URL: "/"}})
	}
	if err := db.InsertExchanges(ctx, xs); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		x            int
		newer, older string
	}{
		{0, xs[2].ID, ""},
		{2, xs[4].ID, xs[0].ID},
		{4, "", xs[2].ID},
		{1, xs[3].ID, ""},
	} {
		newer, older, err := db.Neighbours(ctx, xs[tc.x].ID)
		if err != nil || newer != tc.newer || older != tc.older {
			t.Errorf("Neighbours(x%d) = %q, %q, %v; want %q, %q", tc.x, newer, older, err, tc.newer, tc.older)
		}
	}
	if newer, older, err := db.Neighbours(ctx, "nosuch"); err != nil || newer != "" || older != "" {
		t.Errorf("Neighbours(nosuch) = %q, %q, %v", newer, older, err)
	}
}
