package replay

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/store"
	"github.com/google/go-cmp/cmp"
)

// TestSince: a replay on a later deployment than its original says which
// deployment its difference dates from: the first after the original's
// that changed its function or its route and served (not one that failed,
// nor one that changed other functions).
func TestSince(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(filepath.Join(t.TempDir(), "gs.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	deploy := func(d exchange.Deployment) int64 {
		t.Helper()
		d.StartedAt = at
		if err := db.CreateDeployment(ctx, &d); err != nil {
			t.Fatal(err)
		}
		return d.ID
	}
	start := deploy(exchange.Deployment{Trigger: "start", Status: "deployed"})
	other := deploy(exchange.Deployment{Trigger: "code", Status: "deployed", Changes: []string{"function Other: code changed"},
		Functions: []exchange.DeployedFunction{{Name: "Other", Change: "code", Status: "deployed"}}})
	broken := deploy(exchange.Deployment{Trigger: "code", Status: "failed", Changes: []string{"function Items: code changed"},
		Functions: []exchange.DeployedFunction{{Name: "Items", Change: "code", Status: "failed", Error: "syntax"}}})
	fixed := deploy(exchange.Deployment{Trigger: "code", Status: "deployed", Changes: []string{"function Items: code changed"},
		Functions: []exchange.DeployedFunction{{Name: "Items", Change: "code", Status: "deployed"}}})
	route := deploy(exchange.Deployment{Trigger: "template", Status: "deployed", Changes: []string{"route POST /items now → Items2"}})
	_, _ = other, broken

	x := func(id string, deployment int64, status int, outcome exchange.Outcome) *exchange.Exchange {
		return &exchange.Exchange{ID: id, Session: "s", StartedAt: at, RouteKey: "POST /items", Deployment: deployment,
			Function: exchange.FunctionCall{Name: "Items"}, Response: exchange.HTTPResponse{Status: status}, Outcome: outcome}
	}
	orig := x(exchange.NewID(at), start, 502, exchange.OutcomeFunctionError)
	rep := x(exchange.NewID(at.Add(time.Second)), route, 200, exchange.OutcomeOK)
	rep.ReplayOf = orig.ID
	same := x(exchange.NewID(at.Add(2*time.Second)), route, 502, exchange.OutcomeFunctionError)
	same.ReplayOf = orig.ID
	if err := db.InsertExchanges(ctx, []*exchange.Exchange{orig, rep, same}); err != nil {
		t.Fatal(err)
	}
	r := New(db, nil, nil, func() string { return "s" }, nil)
	d, _, _, err := r.DiffOf(ctx, orig.ID, rep.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := (&Since{Deployment: fixed, Change: "function Items: code changed"}); !cmp.Equal(d.Since, want) {
		t.Errorf("Since = %+v, want %+v", d.Since, want)
	}
	if got, want := d.Verdict(), "newly passing since deployment "+strconv.FormatInt(fixed, 10); got != want {
		t.Errorf("Verdict = %q, want %q", got, want)
	}

	// The route's own change counts when the function did not change.
	orig.Deployment = fixed
	d = Compare(orig, rep, nil)
	r.since(ctx, d, orig, rep)
	if d.Since == nil || d.Since.Deployment != route || d.Since.Change != "route POST /items now → Items2" {
		t.Errorf("since the route changed: %+v", d.Since)
	}
	// A replay that is the same has no "since" (the stored original ran on
	// the start); nor one on the same deployment.
	orig.Deployment = start
	if d, _, _, _ := r.DiffOf(ctx, orig.ID, same.ID, nil); d.Since != nil || d.Verdict() != "same" {
		t.Errorf("same: %+v %q", d.Since, d.Verdict())
	}
	rep.Deployment = start
	d = Compare(orig, rep, nil)
	r.since(ctx, d, orig, rep)
	if d.Since != nil || d.Verdict() != "newly passing" {
		t.Errorf("same deployment: %+v %q", d.Since, d.Verdict())
	}
}
