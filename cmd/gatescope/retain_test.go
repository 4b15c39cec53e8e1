package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/capture"
	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/testenv"
	"github.com/gatescope/gatescope/store"
)

// TestRetentionKeepsPaceWithCapture: under a count limit, retention prunes
// as capture writes (each tenth of the limit), not only on its minute tick,
// so the store never holds a minute's traffic beyond --retain. The tick is
// an hour here: only capture's kicks can prune.
func TestRetentionKeepsPaceWithCapture(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := store.Open(filepath.Join(t.TempDir(), "g.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	logger := slog.New(slog.DiscardHandler)
	p := capture.NewPipeline(logger, db, capture.PipelineOptions{FlushInterval: time.Millisecond})
	const keep = 50
	r := newRetention(logger, db, keep, 0)
	r.interval = time.Hour
	p.Subscribe(r.Written)
	go p.Run(ctx)
	go r.Run(ctx)

	total := func() int {
		st, err := db.Stats(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		return st.Total
	}
	const sent = 500
	for i := range sent {
		x := &exchange.Exchange{StartedAt: time.Now(), RouteKey: "GET /noop", Outcome: exchange.OutcomeOK}
		x.Request.Method, x.Request.URL = "GET", "/noop"
		x.Response.Status = 200
		if !p.Submit(x) {
			t.Fatalf("exchange %d dropped", i)
		}
		if i%100 == 99 {
			// Between bursts the store stays within the limit and the
			// rows written since the last prune.
			testenv.Eventually(t, 10*time.Second, "written", func() bool { return p.Written() == uint64(i+1) })
			testenv.Eventually(t, 10*time.Second, "pruned to the limit", func() bool { return total() <= keep+r.step })
		}
	}
	if n := total(); n < keep {
		t.Errorf("%d exchanges left, want at least the %d kept", n, keep)
	}
}
