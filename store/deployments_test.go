package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/google/go-cmp/cmp"
)

func TestDeployments(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	start := &exchange.Deployment{StartedAt: t0, Trigger: exchange.TriggerStart, Status: exchange.DeployBuilding,
		Functions: []exchange.DeployedFunction{{Name: "Hello", Change: "added", Status: exchange.DeployBuilding}}}
	if err := db.CreateDeployment(ctx, start); err != nil {
		t.Fatal(err)
	}
	start.Status, start.DurationMs = exchange.DeployDeployed, 812.5
	start.Functions[0] = exchange.DeployedFunction{Name: "Hello", Change: "added", Status: exchange.DeployDeployed, BuildMs: 800, Version: "abc"}
	if err := db.UpdateDeployment(ctx, start); err != nil {
		t.Fatal(err)
	}
	failed := &exchange.Deployment{StartedAt: t0.Add(time.Minute), Trigger: exchange.TriggerCode, Status: exchange.DeployFailed,
		Files: []string{"hello/main.go"}, Changes: []string{"function Hello: code changed"},
		Functions: []exchange.DeployedFunction{{Name: "Hello", Change: "code", Status: exchange.DeployFailed, Error: "main.go:3:1: syntax error"}}}
	tpl := &exchange.Deployment{StartedAt: t0.Add(2 * time.Minute), Trigger: exchange.TriggerTemplate, Status: exchange.DeployFailed,
		Files: []string{"template.yaml"}, Error: "template.yaml:12: resource Hello: ..."}
	for _, d := range []*exchange.Deployment{failed, tpl} {
		if err := db.CreateDeployment(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if start.ID == 0 || failed.ID != start.ID+1 || tpl.ID != failed.ID+1 {
		t.Errorf("ids %d, %d, %d: want consecutive from 1", start.ID, failed.ID, tpl.ID)
	}

	got, err := db.Deployments(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]*exchange.Deployment{tpl, failed, start}, got); diff != "" {
		t.Errorf("Deployments (-want +got):\n%s", diff)
	}
	between, err := db.DeploymentsBetween(ctx, start.ID, tpl.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]*exchange.Deployment{failed, tpl}, between); diff != "" {
		t.Errorf("DeploymentsBetween (-want +got):\n%s", diff)
	}
	one, err := db.Deployment(ctx, failed.ID)
	if err != nil || one.Functions[0].Error != "main.go:3:1: syntax error" {
		t.Errorf("Deployment(%d) = %+v, %v", failed.ID, one, err)
	}
	if _, err := db.Deployment(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing deployment: %v, want ErrNotFound", err)
	}
	if err := db.UpdateDeployment(ctx, &exchange.Deployment{ID: 999}); !errors.Is(err, ErrNotFound) {
		t.Errorf("update of a missing deployment: %v, want ErrNotFound", err)
	}
}
