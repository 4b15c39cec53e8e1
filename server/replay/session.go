package replay

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/store"
)

// MaxConcurrency bounds a session replay's worker pool: each worker may hold
// an execution environment of its own, and local environments are processes.
const MaxConcurrency = 64

// SessionOptions tune ReplaySession; the JSON form is the body of
// POST /api/sessions/{id}/replay.
type SessionOptions struct {
	// OnlyFailed replays only exchanges that failed (see Failed).
	OnlyFailed bool `json:"onlyFailed"`
	// Target is "", "local", a function name or an ARN.
	Target string `json:"target"`
	// Concurrency is the number of replays in flight (default 1, which
	// keeps the original order for stateful functions).
	Concurrency int `json:"concurrency"`
	// Ignore lists extra paths or names the diff skips (see Compare).
	Ignore []string `json:"ignore"`
	// ConfirmRemote must be true when a replay would invoke a deployed
	// function, as Edit.ConfirmRemote.
	ConfirmRemote bool `json:"confirmRemote,omitempty"`
}

// Result is one replayed exchange. Error is set, and Replay and Diff are
// not, when the exchange could not be replayed (e.g. it has no event).
type Result struct {
	Original *exchange.Exchange `json:"original"`
	Replay   *exchange.Exchange `json:"replay,omitempty"`
	Diff     *Diff              `json:"diff,omitempty"`
	Error    string             `json:"error,omitempty"`
}

// Counts sum a report's results by class; Errors counts results that could
// not be replayed.
type Counts struct {
	Same         int `json:"same"`
	Changed      int `json:"changed"`
	NewlyFailing int `json:"newlyFailing"`
	NewlyPassing int `json:"newlyPassing"`
	Errors       int `json:"errors"`
}

// SessionReport is the outcome of replaying a session: one Result per
// original, oldest first.
type SessionReport struct {
	Session string `json:"session"` // id of the replayed session
	Name    string `json:"name"`
	Target  string `json:"target"`
	// RecordedIn is the session the replays were stored in.
	RecordedIn string   `json:"recordedIn"`
	Counts     Counts   `json:"counts"`
	Results    []Result `json:"results"`
}

// Breaking returns the results whose diff breaks e.
func (rep *SessionReport) Breaking(e Expect) []Result {
	var out []Result
	for _, r := range rep.Results {
		if r.Diff != nil && r.Diff.Breaks(e) {
			out = append(out, r)
		}
	}
	return out
}

func (rep *SessionReport) count() {
	rep.Counts = Counts{}
	for _, r := range rep.Results {
		if r.Diff == nil {
			rep.Counts.Errors++
			continue
		}
		switch r.Diff.Class {
		case ClassSame:
			rep.Counts.Same++
		case ClassChanged:
			rep.Counts.Changed++
		case ClassNewlyFailing:
			rep.Counts.NewlyFailing++
		case ClassNewlyPassing:
			rep.Counts.NewlyPassing++
		}
	}
}

// ReplaySession replays every original exchange (not replays) of session,
// an id or a name, oldest first, through a pool of opts.Concurrency
// workers, and diffs each replay with its original. Each replay is stored
// in the session the Replayer records into, with ReplayOf set. An exchange
// that cannot be replayed gets an Error in its Result; only an unknown
// session, a store failure or cancellation end the run early.
func (r *Replayer) ReplaySession(ctx context.Context, session string, opts SessionOptions) (*SessionReport, error) {
	// Refused before anything runs; exchanges that name a deployed
	// function themselves are refused one by one, in their results.
	if err := r.confirmed(targetName(opts.Target), opts.ConfirmRemote); err != nil {
		return nil, err
	}
	sess, err := r.store.Session(ctx, session)
	if err != nil {
		return nil, fmt.Errorf("replay session: %w", err)
	}
	all, err := sessionExchanges(ctx, r.store, sess.ID)
	if err != nil {
		return nil, fmt.Errorf("replay session %q: %w", sess.Name, err)
	}
	rep := &SessionReport{Session: sess.ID, Name: sess.Name, Target: opts.Target, RecordedIn: r.session(), Results: []Result{}}
	for _, x := range all {
		if x.ReplayOf == "" && (!opts.OnlyFailed || x.Failed()) {
			rep.Results = append(rep.Results, Result{Original: x})
		}
	}
	workers := min(max(opts.Concurrency, 1), MaxConcurrency, max(len(rep.Results), 1))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				res := &rep.Results[i]
				x, err := r.replay(ctx, res.Original, Edit{Target: opts.Target, ConfirmRemote: opts.ConfirmRemote})
				if err != nil {
					res.Error = err.Error()
					continue
				}
				res.Replay, res.Diff = x, Compare(res.Original, x, opts.Ignore)
				r.since(ctx, res.Diff, res.Original, x)
			}
		})
	}
feed:
	for i := range rep.Results {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	rep.count()
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("replay session %q: %w", sess.Name, err)
	}
	return rep, nil
}

// ReplayOne replays exchange id with the edit applied and diffs the replay
// with the original.
func (r *Replayer) ReplayOne(ctx context.Context, id string, e Edit, ignore []string) (*Result, error) {
	orig, err := r.store.Exchange(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("replay %s: %w", id, err)
	}
	x, err := r.replay(ctx, orig, e)
	if err != nil {
		return nil, err
	}
	d := Compare(orig, x, ignore)
	r.since(ctx, d, orig, x)
	return &Result{Original: orig, Replay: x, Diff: d}, nil
}

// sessionExchanges returns every exchange of a session, oldest first.
func sessionExchanges(ctx context.Context, st Store, sessionID string) ([]*exchange.Exchange, error) {
	var all []*exchange.Exchange
	next := ""
	for {
		xs, n, err := st.Exchanges(ctx, store.Filter{Session: sessionID, Before: next, Limit: store.MaxLimit})
		if err != nil {
			return nil, err
		}
		all = append(all, xs...)
		if n == "" {
			break
		}
		next = n
	}
	slices.Reverse(all)
	return all, nil
}

// Replays returns the replays of exchange id, newest first, from any
// session (the store indexes replay_of).
func (r *Replayer) Replays(ctx context.Context, id string) ([]*exchange.Exchange, error) {
	if _, err := r.store.Exchange(ctx, id); err != nil {
		return nil, fmt.Errorf("replays of %s: %w", id, err)
	}
	xs, _, err := r.store.Exchanges(ctx, store.Filter{ReplayOf: id, Limit: store.MaxLimit})
	if err != nil {
		return nil, fmt.Errorf("replays of %s: %w", id, err)
	}
	if xs == nil {
		xs = []*exchange.Exchange{}
	}
	return xs, nil
}

// DiffOf diffs two stored exchanges: against (normally a replay of id) or,
// when against is "", the newest replay of id. It returns the diff and both
// exchanges; an error wrapping store.ErrNotFound when either is missing.
func (r *Replayer) DiffOf(ctx context.Context, id, against string, ignore []string) (*Diff, *exchange.Exchange, *exchange.Exchange, error) {
	orig, err := r.store.Exchange(ctx, id)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("diff %s: %w", id, err)
	}
	var rep *exchange.Exchange
	if against == "" {
		rs, err := r.Replays(ctx, id)
		if err != nil {
			return nil, nil, nil, err
		}
		if len(rs) == 0 {
			return nil, nil, nil, fmt.Errorf("diff %s: no replay of it: %w", id, store.ErrNotFound)
		}
		rep = rs[0]
	} else if rep, err = r.store.Exchange(ctx, against); err != nil {
		return nil, nil, nil, fmt.Errorf("diff %s against %s: %w", id, against, err)
	}
	d, err := CompareContext(ctx, orig, rep, ignore)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("diff %s against %s: %w", id, rep.ID, err)
	}
	r.since(ctx, d, orig, rep)
	return d, orig, rep, nil
}
