package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/testenv"
)

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// fakeStore records committed ids. gate, when set, blocks each insert until
// a value arrives; fail makes the first N inserts fail.
type fakeStore struct {
	mu        sync.Mutex
	committed map[string]bool
	order     []string
	batches   []int // sizes of the committed batches
	calls     chan struct{}
	gate      chan struct{}
	fail      int
}

func newFakeStore() *fakeStore {
	return &fakeStore{committed: map[string]bool{}, calls: make(chan struct{}, 1000)}
}

func (s *fakeStore) InsertExchanges(ctx context.Context, xs []*exchange.Exchange) error {
	s.calls <- struct{}{}
	if s.gate != nil {
		<-s.gate
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail > 0 {
		s.fail--
		return errors.New("disk full")
	}
	for _, x := range xs {
		s.committed[x.ID] = true
		s.order = append(s.order, x.ID)
	}
	s.batches = append(s.batches, len(xs))
	return nil
}

func (s *fakeStore) ids() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.order...)
}

func ex(i int) *exchange.Exchange { return &exchange.Exchange{ID: fmt.Sprintf("x%04d", i)} }

func TestPipelineDropsWhenFull(t *testing.T) {
	st := newFakeStore()
	st.gate = make(chan struct{})
	p := NewPipeline(testLogger(t), st, PipelineOptions{QueueSize: 10, BatchSize: 1})
	go p.Run(context.Background())

	if !p.Submit(ex(0)) {
		t.Fatal("first submit refused")
	}
	<-st.calls // the writer holds x0 and is blocked in the store

	done := make(chan struct{})
	go func() { // Submit must not block even with the writer stuck
		defer close(done)
		for i := 1; i <= 15; i++ {
			p.Submit(ex(i))
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Submit blocked")
	}
	if got := p.Dropped(); got != 5 {
		t.Errorf("Dropped() = %d, want 5", got)
	}
	close(st.gate) // unblock every insert from now on
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := p.Written(); got != 11 {
		t.Errorf("Written() = %d, want 11", got)
	}
	if got := len(st.ids()); got != 11 {
		t.Errorf("store holds %d, want 11", got)
	}
}

func TestPipelineFlushOnClose(t *testing.T) {
	st := newFakeStore()
	p := NewPipeline(testLogger(t), st, PipelineOptions{FlushInterval: time.Hour, BatchSize: 1000})
	go p.Run(context.Background())
	for i := range 3 {
		p.Submit(ex(i))
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := st.ids(); len(got) != 3 {
		t.Errorf("after Close store holds %v, want 3", got)
	}
	if p.Submit(ex(9)) || p.Dropped() != 1 {
		t.Errorf("Submit after Close accepted or not counted (dropped %d)", p.Dropped())
	}
	if err := p.Close(context.Background()); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestPipelineRunEndsWithContext(t *testing.T) {
	st := newFakeStore()
	p := NewPipeline(testLogger(t), st, PipelineOptions{FlushInterval: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { p.Run(ctx); close(ran) }()
	for i := range 5 {
		p.Submit(ex(i))
	}
	cancel()
	select {
	case <-ran:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
	}
	if got := len(st.ids()); got != 5 {
		t.Errorf("store holds %d after cancel, want 5", got)
	}
}

func TestPipelinePublishAfterCommit(t *testing.T) {
	st := newFakeStore()
	st.fail = 2 // two failed attempts, then success
	p := NewPipeline(testLogger(t), st, PipelineOptions{RetryBackoff: time.Millisecond, BatchSize: 4})
	var mu sync.Mutex
	var published []string
	p.Subscribe(func(xs []*exchange.Exchange) {
		st.mu.Lock()
		defer st.mu.Unlock()
		mu.Lock()
		defer mu.Unlock()
		for _, x := range xs {
			if !st.committed[x.ID] {
				t.Errorf("%s published before commit", x.ID)
			}
			published = append(published, x.ID)
		}
	})
	go p.Run(context.Background())
	for i := range 10 {
		p.Submit(ex(i))
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(published) != 10 || p.Written() != 10 || p.Dropped() != 0 {
		t.Errorf("published %d, written %d, dropped %d; want 10, 10, 0", len(published), p.Written(), p.Dropped())
	}
	for i, id := range published {
		if id != ex(i).ID {
			t.Fatalf("published out of order: %v", published)
		}
	}
}

func TestPipelineGivesUpAfterRetries(t *testing.T) {
	st := newFakeStore()
	st.fail = 1000
	p := NewPipeline(testLogger(t), st, PipelineOptions{RetryBackoff: time.Millisecond, MaxRetries: 2})
	called := false
	p.Subscribe(func([]*exchange.Exchange) { called = true })
	for i := range 3 { // queued before the writer starts: one batch
		p.Submit(ex(i))
	}
	go p.Run(context.Background())
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p.Dropped() != 3 || p.Written() != 0 || called {
		t.Errorf("dropped %d written %d published %v; want 3, 0, false", p.Dropped(), p.Written(), called)
	}
	if n := len(st.calls); n != 3 {
		t.Errorf("store called %d times, want 3 (1 + 2 retries)", n)
	}
}

// TestPipelineWritesWhenIdle: an exchange that arrives while the writer is
// idle is written at once, not after a timer; what arrives while a write
// runs goes into the next write, as one batch.
func TestPipelineWritesWhenIdle(t *testing.T) {
	st := newFakeStore()
	st.gate = make(chan struct{})
	p := NewPipeline(testLogger(t), st, PipelineOptions{FlushInterval: time.Hour})
	go p.Run(context.Background())

	p.Submit(ex(0))
	select {
	case <-st.calls: // written at once, though the interval is an hour
	case <-time.After(10 * time.Second):
		t.Fatal("an exchange waited for a timer")
	}
	for i := 1; i < 10; i++ {
		p.Submit(ex(i)) // while x0's write runs
	}
	close(st.gate)
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if fmt.Sprint(st.batches) != "[1 9]" {
		t.Errorf("batches %v, want [1 9]: the nine that queued during a write go in one", st.batches)
	}
}

// TestPipelineSpacesWrites: under traffic a write starts no sooner than
// FlushInterval after the last one began, so exchanges arriving meanwhile
// share a transaction; and each is written within the interval.
func TestPipelineSpacesWrites(t *testing.T) {
	st := newFakeStore()
	const interval = 500 * time.Millisecond
	p := NewPipeline(testLogger(t), st, PipelineOptions{FlushInterval: interval})
	go p.Run(context.Background())
	defer p.Close(context.Background())

	p.Submit(ex(0))
	<-st.calls
	start := time.Now()
	for i := 1; i < 5; i++ {
		p.Submit(ex(i))
	}
	testenv.Eventually(t, 10*time.Second, "five exchanges committed", func() bool { return len(st.ids()) == 5 })
	took := time.Since(start)
	st.mu.Lock()
	defer st.mu.Unlock()
	if fmt.Sprint(st.batches) != "[1 4]" {
		t.Errorf("batches %v, want [1 4]", st.batches)
	}
	if took > 10*interval {
		t.Errorf("the second write came %v after the first; the interval is %v", took, interval)
	}
}
