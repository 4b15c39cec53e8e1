package dashboard

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/google/go-cmp/cmp"
)

// TestDeployRowOf follows the table deploys.js's deployView is tested
// with too (web/jstest/deploys.test.js), so a deployment reads the same
// rendered by the server and drawn from a live frame.
func TestDeployRowOf(t *testing.T) {
	b, err := os.ReadFile("../../web/testdata/deployments.json")
	if err != nil {
		t.Fatal(err)
	}
	type view struct {
		ID         int64    `json:"id"`
		Status     string   `json:"status"`
		Label      string   `json:"label"`
		StatusText string   `json:"statusText"`
		What       string   `json:"what"`
		Took       string   `json:"took"`
		Errors     []string `json:"errors"`
	}
	var table struct {
		Cases []struct {
			Name       string
			Deployment exchange.Deployment
			View       view
		}
	}
	if err := json.Unmarshal(b, &table); err != nil {
		t.Fatal(err)
	}
	if len(table.Cases) < 5 {
		t.Fatalf("%d cases", len(table.Cases))
	}
	for _, c := range table.Cases {
		r := deployRowOf(&c.Deployment)
		got := view{ID: r.ID, Status: r.Status, Label: r.Label, StatusText: r.StatusText, What: r.What, Took: r.Took, Errors: r.Errors}
		if got.Errors == nil {
			got.Errors = []string{}
		}
		if diff := cmp.Diff(c.View, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.Name, diff)
		}
	}
}

// seedDeployments stores gatescope's start, a deployed code change and a
// failed one.
func seedDeployments(t *testing.T, db interface {
	CreateDeployment(context.Context, *exchange.Deployment) error
}) []*exchange.Deployment {
	t.Helper()
	ds := []*exchange.Deployment{
		{StartedAt: t0, DurationMs: 900, Trigger: "start", Status: "deployed", Changes: []string{"gatescope started: 1 function, 1 route"}},
		{StartedAt: t0.Add(time.Minute), DurationMs: 40, Trigger: "code", Status: "deployed", Files: []string{"hello/app.js"},
			Changes: []string{"function Hello: code changed"}, Functions: []exchange.DeployedFunction{{Name: "Hello", Change: "code", Status: "deployed"}}},
		{StartedAt: t0.Add(2 * time.Minute), DurationMs: 812, Trigger: "code", Status: "failed", Files: []string{"hello/app.js"},
			Changes:   []string{"function Hello: code changed"},
			Functions: []exchange.DeployedFunction{{Name: "Hello", Change: "code", Status: "failed", Error: "app.js:1\nSyntaxError: Unexpected token ';'"}}},
	}
	for _, d := range ds {
		if err := db.CreateDeployment(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	return ds
}

func TestDeploymentsAPI(t *testing.T) {
	ts, db, _ := testServer(t, Options{})
	ds := seedDeployments(t, db)
	var list struct{ Deployments []*exchange.Deployment }
	getJSON(t, ts.URL+"/api/deployments?limit=2", 200, &list)
	if len(list.Deployments) != 2 || list.Deployments[0].ID != ds[2].ID || list.Deployments[1].ID != ds[1].ID {
		t.Errorf("newest two: %+v", list.Deployments)
	}
	var one exchange.Deployment
	getJSON(t, ts.URL+"/api/deployments/"+strconv.FormatInt(ds[2].ID, 10), 200, &one)
	if one.Status != "failed" || one.Functions[0].Error != ds[2].Functions[0].Error {
		t.Errorf("one: %+v", one)
	}
	var e struct{ Error string }
	getJSON(t, ts.URL+"/api/deployments/999", 404, &e)
	getJSON(t, ts.URL+"/api/deployments/x", 400, &e)
	getJSON(t, ts.URL+"/api/deployments?limit=0", 400, &e)
	empty := httptestServer(t, Options{Store: openStore(t)})
	getJSON(t, empty.URL+"/api/deployments", 200, &list)
	if list.Deployments == nil || len(list.Deployments) != 0 {
		t.Errorf("no deployments: %+v, want []", list.Deployments)
	}
}

// TestListPageDeployments: the live list shows the newest deployments,
// newest first, a failed one with its error; older pages do not.
func TestListPageDeployments(t *testing.T) {
	ts, db, xs := testServer(t, Options{})
	d := getPage(t, ts.URL+"/", 200)
	if !hasAttr(d.one(t, "deploys"), "hidden") {
		t.Error("the strip shows with no deployment")
	}
	ds := seedDeployments(t, db)
	d = getPage(t, ts.URL+"/", 200)
	if hasAttr(d.one(t, "deploys"), "hidden") {
		t.Fatal("the strip is hidden")
	}
	rows := d.all("deployment")
	if len(rows) != 3 || attr(rows[0], "data-id") != strconv.FormatInt(ds[2].ID, 10) {
		t.Fatalf("%d rows, first %q", len(rows), attr(rows[0], "data-id"))
	}
	top := rows[0]
	if got := text(findAll(top, "deploy-status")[0]); got != "failed: the last good version keeps serving" {
		t.Errorf("status %q", got)
	}
	if got := text(findAll(top, "deploy-errors")[0]); !strings.Contains(got, "Hello: app.js:1") {
		t.Errorf("errors %q", got)
	}
	if got := text(findAll(rows[1], "deploy-what")[0]); got != "function Hello: code changed (hello/app.js)" {
		t.Errorf("what %q", got)
	}
	if !hasAttr(findAll(rows[1], "deploy-errors")[0], "hidden") {
		t.Error("errors shown for a deployment without any")
	}
	older := getPage(t, ts.URL+"/?before="+xs[5].ID, 200)
	if len(older.all("deployment")) != 0 {
		t.Error("an older page shows deployments")
	}
}

func TestInspectorCodeVersion(t *testing.T) {
	ts, db, _ := testServer(t, Options{})
	x := okExchange(40, func(x *exchange.Exchange) { x.Deployment, x.Function.Version = 14, "3f2a9c1e0b7d" })
	if err := db.InsertExchanges(context.Background(), []*exchange.Exchange{x}); err != nil {
		t.Fatal(err)
	}
	d := getPage(t, ts.URL+"/exchanges/"+x.ID, 200)
	if got := text(d.one(t, "facts")); !strings.Contains(got, "deployment 14 · version 3f2a9c1e0b7d") {
		t.Errorf("facts lack the code version: %q", got)
	}
}
