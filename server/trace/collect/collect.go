// Package collect receives the documents functions send: an X-Ray
// daemon's UDP endpoint (segments, subsegments, in-progress documents,
// ADOT's OTLP datagrams) and OTLP/HTTP at /v1/traces (protobuf and JSON).
// Like capture, it never holds anyone up: documents pass a rate limit and
// a bounded queue, and whatever does not fit is dropped and counted; one
// writer goroutine stores them in batches.
package collect

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatescope/gatescope/server/trace"
	"github.com/gatescope/gatescope/store"
)

// Store is where documents go (store.DB).
type Store interface {
	InsertTraceDocs(ctx context.Context, docs []store.TraceDoc) error
}

var _ Store = (*store.DB)(nil)

// Options bound a Collector. Zero values take the defaults.
type Options struct {
	// Rate is how many documents a second are accepted, with bursts of as
	// many (default 5000: a function that records ten subsegments per
	// request at 500 requests a second). Past it, datagrams are dropped
	// before they are parsed.
	Rate int
	// QueueSize bounds the documents waiting for the writer (default
	// 65536), and QueueBytes their size (default 16 MiB): enough to ride
	// out the store's pauses (a WAL checkpoint, the capture writer's turn)
	// at a few thousand documents a second, never more memory than that.
	QueueSize  int
	QueueBytes int64
	// BatchSize and FlushInterval shape the writer's transactions
	// (default 500 documents or 20 ms).
	BatchSize     int
	FlushInterval time.Duration
	// MaxBody bounds an OTLP/HTTP request, decompressed (default 20 MiB,
	// the collector's; larger is answered 413).
	MaxBody int64
}

// Counts are what a Collector did since it started.
type Counts struct {
	Received uint64 `json:"received"` // documents accepted into the queue
	Stored   uint64 `json:"stored"`
	Dropped  uint64 `json:"dropped"`  // over the rate, the queue full, or a failed write
	OverRate uint64 `json:"overRate"` // of Dropped: over the rate
	Invalid  uint64 `json:"invalid"`  // datagrams or requests that were not traces
}

// Collector takes documents off their senders and stores them.
type Collector struct {
	log   *slog.Logger
	st    Store
	opts  Options
	queue chan trace.Doc

	bucket bucket

	mu     sync.RWMutex // guards closed against Offer's send
	closed bool
	done   chan struct{}

	received, stored, dropped, invalid, overRate atomic.Uint64
	queued                                       atomic.Int64 // bytes of documents in the queue
}

// New returns a collector writing to st. Call Run to start its writer.
func New(logger *slog.Logger, st Store, opts Options) *Collector {
	if opts.Rate <= 0 {
		opts.Rate = 5000
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 1 << 16
	}
	if opts.QueueBytes <= 0 {
		opts.QueueBytes = 16 << 20
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 500
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = 20 * time.Millisecond
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = 20 << 20
	}
	return &Collector{log: logger, st: st, opts: opts, queue: make(chan trace.Doc, opts.QueueSize),
		bucket: newBucket(opts.Rate), done: make(chan struct{})}
}

// Counts returns the collector's counters.
func (c *Collector) Counts() Counts {
	return Counts{Received: c.received.Load(), Stored: c.stored.Load(), Dropped: c.dropped.Load(), Invalid: c.invalid.Load(),
		OverRate: c.overRate.Load()}
}

// admit takes n documents' worth of the rate; false (and n counted as
// dropped) when the rate is spent.
func (c *Collector) admit(n int) bool {
	if c.bucket.take(n, time.Now()) {
		return true
	}
	c.dropped.Add(uint64(n))
	c.overRate.Add(uint64(n))
	return false
}

// offer queues documents without blocking and returns how many it took;
// the rest are counted as dropped.
func (c *Collector) offer(docs []trace.Doc) int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := 0
	for _, d := range docs {
		if c.closed {
			break
		}
		size := int64(len(d.Body))
		if c.queued.Add(size) > c.opts.QueueBytes {
			c.queued.Add(-size)
			continue
		}
		select {
		case c.queue <- d:
			n++
		default:
			c.queued.Add(-size)
		}
	}
	c.received.Add(uint64(n))
	c.dropped.Add(uint64(len(docs) - n))
	return n
}

// Run is the writer loop: batches of documents, one transaction each. It
// returns once ctx is done, after storing what was queued.
func (c *Collector) Run(ctx context.Context) {
	defer close(c.done)
	wctx := context.WithoutCancel(ctx)
	t := time.NewTicker(c.opts.FlushInterval)
	defer t.Stop()
	batch := make([]trace.Doc, 0, c.opts.BatchSize)
	flush := func() {
		if len(batch) > 0 {
			c.write(wctx, batch)
			batch = batch[:0]
		}
	}
	for {
		select {
		case d := <-c.queue:
			batch = append(batch, d)
			if len(batch) >= c.opts.BatchSize {
				flush()
			}
		case <-t.C:
			flush()
		case <-ctx.Done():
			c.mu.Lock()
			c.closed = true
			c.mu.Unlock()
			for {
				select {
				case d := <-c.queue:
					batch = append(batch, d)
					if len(batch) >= c.opts.BatchSize {
						flush()
					}
					continue
				default:
				}
				break
			}
			flush()
			return
		}
	}
}

// Done is closed when Run has returned.
func (c *Collector) Done() <-chan struct{} { return c.done }

func (c *Collector) write(ctx context.Context, batch []trace.Doc) {
	docs := make([]store.TraceDoc, len(batch))
	var size int64
	defer func() { c.queued.Add(-size) }()
	for i, d := range batch {
		size += int64(len(d.Body))
		docs[i] = store.TraceDoc{TraceID: d.TraceID, ID: d.ID, ParentID: d.ParentID, InProgress: d.InProgress,
			Source: d.Source, Body: d.Body, Nodes: d.Nodes}
	}
	if err := c.st.InsertTraceDocs(ctx, docs); err != nil {
		c.dropped.Add(uint64(len(docs)))
		c.log.Warn("traces: dropping documents the store did not take", slog.Int("documents", len(docs)), slog.Any("err", err))
		return
	}
	c.stored.Add(uint64(len(docs)))
}

// bucket is a token bucket: rate tokens a second, at most rate held.
type bucket struct {
	mu     sync.Mutex
	rate   float64
	tokens float64
	last   time.Time
}

func newBucket(rate int) bucket { return bucket{rate: float64(rate), tokens: float64(rate)} }

func (b *bucket) take(n int, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.last.IsZero() {
		b.tokens = min(b.rate, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	if b.tokens < float64(n) {
		return false
	}
	b.tokens -= float64(n)
	return true
}
