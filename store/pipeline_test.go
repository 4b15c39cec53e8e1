package store

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/capture"
	"github.com/gatescope/gatescope/server/exchange"
)

var _ capture.Store = (*DB)(nil)

// TestPipelineWithReaders: many producers submit through the pipeline into a
// real database while readers list and search; everything is written once.
func TestPipelineWithReaders(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	p := capture.NewPipeline(slog.New(slog.NewTextHandler(io.Discard, nil)), db,
		capture.PipelineOptions{BatchSize: 100})
	var published sync.Map
	p.Subscribe(func(xs []*exchange.Exchange) {
		for _, x := range xs {
			published.Store(x.ID, true)
		}
	})
	go p.Run(ctx)

	const producers, each = 4, 150
	var wg sync.WaitGroup
	for g := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				x := fullExchange("live", g*each+i)
				x.ID = ""
				x.StartedAt = time.Now()
				for !p.Submit(x) {
					time.Sleep(time.Millisecond) // queue full: only in this test do we insist
				}
			}
		}()
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 3 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, _, err := db.Exchanges(ctx, Filter{Session: "live", Query: "hello from node", Limit: 20}); err != nil {
					t.Error(err)
					return
				}
				time.Sleep(2 * time.Millisecond)
				if _, err := db.Stats(ctx, "live"); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	close(stop)
	readers.Wait()

	total := producers * each
	if p.Written() != uint64(total) {
		t.Errorf("Written() = %d, want %d (dropped %d)", p.Written(), total, p.Dropped())
	}
	s, err := db.Session(ctx, "live")
	if err != nil || s.Exchanges != total {
		t.Fatalf("session holds %v, err %v; want %d", s, err, total)
	}
	n := 0
	published.Range(func(any, any) bool { n++; return true })
	if n != total {
		t.Errorf("published %d, want %d", n, total)
	}
	xs, _, err := db.Exchanges(ctx, Filter{Query: "hello from node", Limit: MaxLimit})
	if err != nil || len(xs) != total {
		t.Errorf("search: %d hits, %v", len(xs), err)
	}
}
