package lambda

import (
	"context"
	"errors"
	"time"

	"github.com/gatescope/gatescope/server/config"
)

// preparation is one run of preparing a local function: building or
// unpacking its code and finding its interpreter. Everyone who needs the
// function waits on the same run, so a request arriving during a build
// never starts a second one.
type preparation struct {
	fn         *config.Function
	deployment int64
	// gen tells preparations apart (numbers need not: a deployment that
	// was not recorded has none); environments carry it (see pool.stale).
	gen    uint64
	ctx    context.Context // ends when Close or a later deployment cancels the build
	cancel context.CancelFunc

	done chan struct{} // closed once the fields below are set
	cmd  command
	err  error
	at   time.Time
	// source is the digest of what the code was made from ("" when it
	// could not be read); took is how long preparing took.
	source string
	took   time.Duration
	// unchanged: a redeployment found the sources as they were and made
	// nothing (see Deploy); outcome is how it ended.
	unchanged bool
	outcome   Outcome
}

// newPreparation returns a preparation of fn for deployment, not started.
func (m *Manager) newPreparation(fn *config.Function, deployment int64) *preparation {
	ctx, cancel := context.WithCancel(m.buildCtx)
	return &preparation{fn: fn, deployment: deployment, gen: m.gens.Add(1), ctx: ctx, cancel: cancel, done: make(chan struct{})}
}

// startPrepare returns fn's preparation: the one in flight, or a new one.
// With again, a finished preparation is redone (Prepare, after the code
// may have changed); without it, a finished one is reused.
func (m *Manager) startPrepare(fn *config.Function, again bool) *preparation {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p := m.preps[fn.Name]; p != nil {
		select {
		case <-p.done:
			if !again {
				return p
			}
		default:
			return p // in flight
		}
	}
	var p *preparation
	if pl := m.pools[fn.Name]; pl != nil {
		pl.mu.Lock()
		p = m.newPreparation(fn, pl.deployment)
		pl.mu.Unlock()
		pl.setCode(p.gen, p.deployment)
	} else { // removed by a deployment while an invoke of it was starting
		p = m.newPreparation(fn, 0)
	}
	m.preps[fn.Name] = p
	go func() {
		m.build(p, nil)
		p.cancel()
		close(p.done)
	}()
	return p
}

// build runs a preparation, unless unchanged (given the digest of its
// sources) says the code it would make is what runs already.
func (m *Manager) build(p *preparation, unchanged func(source string) bool) {
	// Builds use every core themselves: a few at a time is as fast as
	// all at once, without the memory of all at once.
	select {
	case m.preparing <- struct{}{}:
	case <-p.ctx.Done():
		p.err, p.at = p.ctx.Err(), time.Now()
		return
	}
	defer func() { <-m.preparing }()
	start := time.Now()
	p.source, _ = m.sums.digest(p.fn) // unreadable sources: prepare says why
	if unchanged != nil && p.source != "" && unchanged(p.source) {
		p.unchanged, p.at = true, time.Now()
		return
	}
	p.cmd, p.err = m.prepare(p.ctx, p.fn)
	p.cmd.gen, p.cmd.deployment, p.cmd.version = p.gen, p.deployment, shortVersion(p.source)
	p.at = time.Now()
	p.took = p.at.Sub(start)
}

// shortVersion is how a code version is shown: 12 hex digits of its digest.
func shortVersion(source string) string {
	if len(source) > 12 {
		return source[:12]
	}
	return source
}

// prepared waits for fn's preparation, starting one if none ever ran.
// When ctx's deadline passes first, the invoke is refused as Lambda refuses
// one while a function is Pending.
func (m *Manager) prepared(ctx context.Context, fn *config.Function) (command, error) {
	p := m.startPrepare(fn, false)
	select {
	case <-p.done:
		return p.cmd, p.err
	case <-ctx.Done():
		return command{}, pending(ctx, fn, "preparing")
	}
}

// pending is the error of an invoke whose context ended while its
// function's code was being prepared (doing: preparing, rebuilding).
func pending(ctx context.Context, fn *config.Function, doing string) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &ServiceError{
			Type: "ResourceConflictException",
			Message: "The operation cannot be performed at this time. The function is currently in the following state: Pending " +
				"(gatescope is still " + doing + " " + fn.Name + "'s code; its build is in gatescope's log)",
			Status: 409,
		}
	}
	return ctx.Err()
}
