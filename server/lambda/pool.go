package lambda

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/gatescope/gatescope/server/config"
)

// initLimit is how long Lambda lets a new environment initialize.
const initLimit = 10 * time.Second

// pool holds the execution environments of one local function. It grows on
// demand up to the function's concurrency limit and reuses idle (warm)
// environments, most recently used first, as Lambda does.
type pool struct {
	m  *Manager
	fn *config.Function

	mu    sync.Mutex
	idle  []*env
	count int // environments running, idle or starting
}

// acquire returns a warm environment, or reserves a slot for a new one
// (nil, nil), or fails with ErrThrottled when the pool is at its limit.
func (p *pool) acquire() (*env, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for n := len(p.idle); n > 0; n = len(p.idle) {
		e := p.idle[n-1]
		p.idle = p.idle[:n-1]
		select {
		case <-e.exited: // died while idle: forget it
			p.count--
			continue
		default:
			return e, nil
		}
	}
	if p.count >= p.fn.Concurrency {
		return nil, &ServiceError{
			Type:    "TooManyRequestsException",
			Message: fmt.Sprintf("Rate Exceeded: function %s has %d of %d environments busy", p.fn.Name, p.count, p.fn.Concurrency),
			Status:  429,
			Err:     ErrThrottled,
		}
	}
	p.count++
	return nil, nil
}

// busy is how many environments are in use: starting for an invocation or
// running one. At the concurrency limit it equals count and acquire throttles.
func (p *pool) busy() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count - len(p.idle)
}

func (p *pool) release(e *env) {
	p.mu.Lock()
	e.lastUsed = time.Now()
	p.idle = append(p.idle, e)
	p.mu.Unlock()
}

// discard ends an environment that must not serve again.
func (p *pool) discard(e *env) {
	if e != nil {
		e.kill()
	}
	p.mu.Lock()
	p.count--
	p.mu.Unlock()
}

// reap ends environments idle since before cutoff and returns how many.
func (p *pool) reap(cutoff time.Time) int {
	p.mu.Lock()
	var keep, gone []*env
	for _, e := range p.idle {
		if e.lastUsed.Before(cutoff) {
			gone = append(gone, e)
		} else {
			keep = append(keep, e)
		}
	}
	p.idle = keep
	p.count -= len(gone)
	p.mu.Unlock()
	for _, e := range gone {
		e.kill()
	}
	return len(gone)
}

// closeAll ends every idle environment; busy ones end with their process
// when the manager kills them through envs.
func (p *pool) closeAll() {
	p.reap(time.Now().Add(time.Hour))
}

// invoke runs one invocation in a warm or new environment.
func (p *pool) invoke(ctx context.Context, req Request) (*Result, error) {
	e, err := p.acquire()
	if err != nil {
		return nil, err
	}
	res := &Result{RequestID: newUUID(), Target: "local"}
	var pre bytes.Buffer // output printed before the invocation started (init)
	if e == nil {
		e, err = p.m.startEnv(p.fn)
		if err != nil {
			p.discard(nil)
			return nil, err
		}
		p.m.track(e)
		initErr, err := e.waitReady(ctx, initLimit)
		if err != nil {
			p.discard(e)
			return nil, err
		}
		res.Cold = true
		res.InitDuration = e.initDur
		if initErr != nil {
			// Lambda reports an init failure as the invocation's function error.
			p.discard(e)
			e.logs.waitClosed(100 * time.Millisecond)
			pre.Write(e.logs.begin(nil))
			e.logs.end(0)
			res.FunctionError = "Unhandled"
			res.Payload = initErr
			res.Log = pre.String() + startLine(res.RequestID) + endLine(res.RequestID) +
				reportLine(res.RequestID, 0, p.fn.MemoryMB, 0, time.Since(e.started))
			return res, nil
		}
	}

	inv := &invocation{
		id:        res.RequestID,
		payload:   req.Payload,
		deadline:  time.Now().Add(p.fn.Timeout),
		arn:       p.m.arn(p.fn),
		traceID:   req.TraceID,
		clientCtx: req.ClientContext,
		cognito:   req.CognitoIdentity,
		done:      make(chan reply, 1),
	}
	if inv.traceID == "" {
		inv.traceID = p.m.newTraceID()
	}
	var out bytes.Buffer
	pre.Write(e.logs.begin(&out)) // what came before the invocation goes before START

	select {
	case e.next <- inv:
	case <-e.exited:
		// A warm environment that died between invocations: Lambda would
		// never hand it an event, so neither do we.
		e.logs.end(0)
		p.discard(e)
		return p.invoke(ctx, req)
	case <-ctx.Done():
		e.logs.end(0)
		p.release(e)
		return nil, ctx.Err()
	}

	timer := time.NewTimer(time.Until(inv.deadline))
	defer timer.Stop()
	var rep reply
	var tail string // Lambda's own line about how the invocation ended
	select {
	case rep = <-inv.done:
	case <-e.exited:
		select {
		case rep = <-inv.done: // finished just before exiting
		default:
			e.logs.waitClosed(100 * time.Millisecond)
			exit := exitText(e.exitErr)
			rep = reply{payload: exitPayload(res.RequestID, exit), isError: true, finished: time.Now()}
			tail = fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %s\nRuntime.ExitError\n", res.RequestID, exit)
		}
	case <-timer.C:
		e.kill()
		rep = reply{payload: timeoutPayload(res.RequestID, p.fn.Timeout.Seconds()), isError: true, finished: time.Now()}
		tail = fmt.Sprintf("%s %s Task timed out after %.2f seconds\n",
			time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), res.RequestID, p.fn.Timeout.Seconds())
	case <-ctx.Done():
		// The caller gave up (client gone, gateway timeout); the function
		// runs on, as in Lambda, and its environment returns to the pool.
		go p.finishDetached(e, inv)
		return nil, ctx.Err()
	}

	e.logs.end(5 * time.Millisecond)
	if inv.started.IsZero() {
		inv.started = rep.finished
	}
	res.Duration = rep.finished.Sub(inv.started)
	res.MaxMemoryMB = e.maxMemoryMB()
	res.Payload = rep.payload
	if rep.isError {
		res.FunctionError = "Unhandled"
	}
	ensureNewline(&out)
	out.WriteString(tail)
	var initDur time.Duration
	if res.Cold {
		initDur = res.InitDuration
	}
	res.Log = pre.String() + startLine(res.RequestID) + out.String() + endLine(res.RequestID) +
		reportLine(res.RequestID, res.Duration, p.fn.MemoryMB, res.MaxMemoryMB, initDur)

	select {
	case <-e.stop: // killed (timeout) or exited
		p.discard(e)
	default:
		p.release(e)
	}
	return res, nil
}

// finishDetached waits for an abandoned invocation to end and returns its
// environment to the pool, or discards it if it dies or times out.
func (p *pool) finishDetached(e *env, inv *invocation) {
	timer := time.NewTimer(time.Until(inv.deadline))
	defer timer.Stop()
	select {
	case <-inv.done:
		e.logs.end(0)
		p.release(e)
	case <-e.exited:
		e.logs.end(0)
		p.discard(e)
	case <-timer.C:
		e.logs.end(0)
		p.discard(e)
	}
}
