package capture

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
)

// Store is what the pipeline needs from the database.
type Store interface {
	InsertExchanges(ctx context.Context, xs []*exchange.Exchange) error
}

// PipelineOptions tune a Pipeline. Zero values take the defaults.
type PipelineOptions struct {
	QueueSize int // default 8192
	BatchSize int // default 500
	// FlushInterval is the least time from the start of one write to the
	// next (default 20ms). An exchange that arrives when the writer has
	// been idle that long is written at once; under traffic, what arrives
	// within an interval goes in one transaction, which bounds what
	// transactions cost (about 0.3 ms each, against 0.05 ms an exchange in
	// a batch) and how often the store's indexer wakes after them.
	FlushInterval time.Duration
	// A failed batch is retried MaxRetries times (default 5), waiting
	// RetryBackoff (default 100ms) doubling each time, then dropped.
	MaxRetries   int
	RetryBackoff time.Duration
}

// DefaultFlushInterval is PipelineOptions.FlushInterval's default. An
// answered exchange is committed within this long plus the write in
// progress and its own; that is what a SIGKILL can lose.
const DefaultFlushInterval = 20 * time.Millisecond

// Pipeline takes finished exchanges off the request path: Submit never
// blocks, one writer goroutine (Run) stores them in batches and, after each
// commit, hands the batch to subscribers (the live hub).
type Pipeline struct {
	log   *slog.Logger
	st    Store
	opts  PipelineOptions
	queue chan *exchange.Exchange

	// mu guards closed against Submit's send, so nothing enters the queue
	// after the final drain has begun.
	mu     sync.RWMutex
	closed bool
	stop   chan struct{} // closed by Close
	done   chan struct{} // closed when Run returns
	once   sync.Once

	subMu sync.Mutex
	subs  []func([]*exchange.Exchange)

	dropped, written atomic.Uint64
}

// NewPipeline returns a pipeline writing to st. Call Run to start it.
func NewPipeline(logger *slog.Logger, st Store, opts PipelineOptions) *Pipeline {
	if opts.QueueSize <= 0 {
		opts.QueueSize = 8192
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 500
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = DefaultFlushInterval
	}
	if opts.MaxRetries <= 0 {
		opts.MaxRetries = 5
	}
	if opts.RetryBackoff <= 0 {
		opts.RetryBackoff = 100 * time.Millisecond
	}
	return &Pipeline{
		log:   logger,
		st:    st,
		opts:  opts,
		queue: make(chan *exchange.Exchange, opts.QueueSize),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
}

// Submit queues x for storage. It never blocks: when the queue is full or the
// pipeline closed, x is counted as dropped and Submit returns false. The
// pipeline owns x from now on (the store fills in ID and Session).
func (p *Pipeline) Submit(x *exchange.Exchange) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if !p.closed {
		select {
		case p.queue <- x:
			return true
		default:
		}
	}
	p.dropped.Add(1)
	return false
}

// Subscribe registers fn to receive each batch after it is committed. fn runs
// on the writer goroutine, so it must not block (the hub's Publish doesn't);
// it must not modify the exchanges.
func (p *Pipeline) Subscribe(fn func([]*exchange.Exchange)) {
	p.subMu.Lock()
	defer p.subMu.Unlock()
	p.subs = append(p.subs, fn)
}

// Dropped is how many exchanges were not stored: queue full, pipeline closed,
// or the store failing past the retries.
func (p *Pipeline) Dropped() uint64 { return p.dropped.Load() }

// Written is how many exchanges were stored.
func (p *Pipeline) Written() uint64 { return p.written.Load() }

// Run is the writer loop. It returns once ctx is done or Close was called,
// and everything queued by then is written.
//
// It waits for an exchange, without a timer while idle. If the last write
// began at least FlushInterval ago the exchange is written at once, with
// whatever else is queued; otherwise it gathers what arrives until then.
func (p *Pipeline) Run(ctx context.Context) {
	defer close(p.done)
	// Writes outlive ctx: the final flush happens after it is canceled.
	wctx := context.WithoutCancel(ctx)
	var last time.Time // when the last write began
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		var batch []*exchange.Exchange
		select {
		case x := <-p.queue:
			batch = append(make([]*exchange.Exchange, 0, p.opts.BatchSize), x)
		case <-ctx.Done():
			p.shut()
			p.drain(wctx, nil)
			return
		case <-p.stop:
			p.drain(wctx, nil)
			return
		}
		if wait := p.opts.FlushInterval - time.Since(last); wait > 0 {
			timer.Reset(wait)
		gather:
			for len(batch) < p.opts.BatchSize {
				select {
				case x := <-p.queue:
					batch = append(batch, x)
				case <-timer.C:
					break gather
				case <-ctx.Done():
					p.shut()
					p.drain(wctx, batch)
					return
				case <-p.stop:
					p.drain(wctx, batch)
					return
				}
			}
			timer.Stop()
		}
	fill:
		for len(batch) < p.opts.BatchSize {
			select {
			case x := <-p.queue:
				batch = append(batch, x)
			default:
				break fill
			}
		}
		last = time.Now()
		p.write(wctx, batch)
	}
}

// shut stops Submit from queueing. After it returns no send is in flight.
func (p *Pipeline) shut() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
}

// drain writes batch and everything left in the queue. Called after shut.
func (p *Pipeline) drain(ctx context.Context, batch []*exchange.Exchange) {
	for {
		select {
		case x := <-p.queue:
			batch = append(batch, x)
			if len(batch) < p.opts.BatchSize {
				continue
			}
		default:
		}
		if len(batch) > 0 {
			p.write(ctx, batch)
		}
		if len(p.queue) == 0 {
			return
		}
		batch = make([]*exchange.Exchange, 0, p.opts.BatchSize)
	}
}

// write stores one batch, retrying with backoff, then publishes it. A batch
// that still fails is counted as dropped: capture must keep going.
func (p *Pipeline) write(ctx context.Context, batch []*exchange.Exchange) {
	wait := p.opts.RetryBackoff
	for attempt := 0; ; attempt++ {
		err := p.st.InsertExchanges(ctx, batch)
		if err == nil {
			break
		}
		if attempt >= p.opts.MaxRetries {
			p.dropped.Add(uint64(len(batch)))
			p.log.Error("capture: dropping batch after retries",
				slog.Int("exchanges", len(batch)), slog.Int("attempts", attempt+1), slog.Any("err", err))
			return
		}
		p.log.Warn("capture: store write failed, retrying",
			slog.Int("exchanges", len(batch)), slog.Duration("in", wait), slog.Any("err", err))
		time.Sleep(wait)
		wait *= 2
	}
	p.written.Add(uint64(len(batch)))
	p.subMu.Lock()
	subs := p.subs
	p.subMu.Unlock()
	for _, fn := range subs {
		fn(batch)
	}
}

// Close stops accepting exchanges, flushes the queue and waits for Run to
// return, or for ctx.
func (p *Pipeline) Close(ctx context.Context) error {
	p.once.Do(func() {
		p.shut()
		close(p.stop)
	})
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
