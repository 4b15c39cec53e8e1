package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
)

// pruner is what retention needs from the store.
type pruner interface {
	Prune(ctx context.Context, keep int, olderThan time.Time) (int, error)
	PruneTraces(ctx context.Context) (int, error)
}

// retention keeps the store within serve's --retain and --retain-for. It
// prunes at start, every interval (for the age limit and traces), and,
// under a count limit, each time capture has written a tenth of it (at
// most a thousand): retention then deletes rows about as fast as they
// arrive. Pruning only every minute deleted a minute's traffic at once
// (90,000 rows at 1,500 requests/s), holding the store's one writer
// connection for seconds while capture's queue filled and overflowed.
type retention struct {
	log      *slog.Logger
	st       pruner
	keep     int
	age      time.Duration
	interval time.Duration
	kick     chan struct{}
	step     int
	since    int // written since the last kick; only Written touches it
}

func newRetention(logger *slog.Logger, st pruner, keep int, age time.Duration) *retention {
	return &retention{
		log: logger, st: st, keep: keep, age: age, interval: time.Minute,
		kick: make(chan struct{}, 1),
		step: min(max(keep/10, 1), 1000),
	}
}

// Written is a capture subscriber: it runs on the capture writer after
// each committed batch, so it must not block.
func (r *retention) Written(batch []*exchange.Exchange) {
	if r.keep <= 0 {
		return
	}
	r.since += len(batch)
	if r.since < r.step {
		return
	}
	r.since = 0
	select {
	case r.kick <- struct{}{}:
	default: // a prune is pending; it will see these rows too
	}
}

// Run prunes until ctx is done.
func (r *retention) Run(ctx context.Context) {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		r.prune(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-r.kick:
		}
	}
}

func (r *retention) prune(ctx context.Context) {
	var cutoff time.Time
	if r.age > 0 {
		cutoff = time.Now().Add(-r.age)
	}
	if n, err := r.st.Prune(ctx, r.keep, cutoff); err != nil && ctx.Err() == nil {
		r.log.Warn("prune exchanges", slog.Any("err", err))
	} else if n > 0 {
		r.log.Debug("pruned exchanges", slog.Int("count", n))
	}
	if n, err := r.st.PruneTraces(ctx); err != nil && ctx.Err() == nil {
		r.log.Warn("prune trace documents", slog.Any("err", err))
	} else if n > 0 {
		r.log.Debug("pruned trace documents", slog.Int("count", n))
	}
}
