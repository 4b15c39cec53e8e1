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
	done chan struct{} // closed once cmd, err and at are set
	cmd  command
	err  error
	at   time.Time
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
	p := &preparation{done: make(chan struct{})}
	m.preps[fn.Name] = p
	go func() {
		// Builds use every core themselves: a few at a time is as fast as
		// all at once, without the memory of all at once.
		m.preparing <- struct{}{}
		p.cmd, p.err = m.prepare(m.buildCtx, fn)
		<-m.preparing
		p.at = time.Now()
		close(p.done)
	}()
	return p
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
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return command{}, &ServiceError{
				Type: "ResourceConflictException",
				Message: "The operation cannot be performed at this time. The function is currently in the following state: Pending " +
					"(gatescope is still preparing " + fn.Name + "'s code; its build is in gatescope's log)",
				Status: 409,
			}
		}
		return command{}, ctx.Err()
	}
}
