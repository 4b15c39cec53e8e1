package lambda

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gatescope/gatescope/server/awsid"
	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/trace"
)

// initLimit is how long Lambda lets a new environment initialize.
const initLimit = 10 * time.Second

// pool holds the execution environments of one local function. It grows on
// demand up to max and reuses idle (warm) environments, most recently used
// first, as Lambda does. Past max, a function with reserved concurrency is
// throttled as AWS throttles it; any other function waits for the next free
// environment, because AWS would have scaled it (to the account's 1,000)
// where one machine cannot.
type pool struct {
	m        *Manager
	fn       *config.Function
	max      int
	reserved bool

	mu    sync.Mutex
	idle  []*env
	count int           // environments running, idle or starting
	freed chan struct{} // closed (and replaced) when an environment or a slot frees up
	// gen is the generation of the code new environments start from
	// (preparation.gen); an environment of another is stale: it finishes
	// what it runs, and is never used again. deployment numbers that code
	// for a function prepared lazily.
	gen        uint64
	deployment int64
	// retired: the function was removed or its configuration replaced
	// by a deployment; no environment goes back to idle.
	retired bool
}

func newPool(m *Manager, fn *config.Function, deployment int64) *pool {
	p := &pool{m: m, fn: fn, max: m.opts.MaxEnvironments, freed: make(chan struct{}), deployment: deployment}
	if r := fn.ReservedConcurrency; r != nil {
		p.max, p.reserved = *r, true
	}
	return p
}

// QueueTimeout is the error of an invocation whose context ended while it
// waited for one of the function's environments to free up.
type QueueTimeout struct {
	Function string
	Max      int
	Waited   time.Duration
	Err      error // the context's error
}

func (e *QueueTimeout) Error() string {
	return fmt.Sprintf("the request waited %s for one of the %d environments of %s, all busy: raise --max-environments",
		e.Waited.Round(time.Millisecond), e.Max, e.Function)
}

func (e *QueueTimeout) Unwrap() error { return e.Err }

// acquire returns a warm environment, or reserves a slot for a new one (nil
// env), waiting for one to free up when an unreserved function is at max.
// It fails with ErrThrottled when a reserved function is at its limit, and
// with a *QueueTimeout when ctx ends first. waited is the time spent queued.
func (p *pool) acquire(ctx context.Context) (e *env, waited time.Duration, err error) {
	var start time.Time
	for {
		e, ok, freed, throttled := p.tryAcquire()
		switch {
		case ok:
			if !start.IsZero() {
				waited = time.Since(start)
			}
			return e, waited, nil
		case throttled:
			return nil, 0, &ServiceError{
				Type: "TooManyRequestsException",
				Message: fmt.Sprintf("Rate Exceeded: function %s is at its reserved concurrency of %d (ReservedConcurrentExecutions)",
					p.fn.Name, p.max),
				Status: 429,
				Err:    ErrThrottled,
			}
		}
		if start.IsZero() {
			start = time.Now()
		}
		select {
		case <-freed:
		case <-ctx.Done():
			return nil, 0, &QueueTimeout{Function: p.fn.Name, Max: p.max, Waited: time.Since(start), Err: ctx.Err()}
		}
	}
}

// tryAcquire is one look at the pool: an idle environment, a free slot
// (ok with a nil env), or the channel to wait on.
func (p *pool) tryAcquire() (e *env, ok bool, freed <-chan struct{}, throttled bool) {
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
		}
		if p.stale(e) { // setDeployment ends these; one may be on its way
			p.count--
			e.kill()
			continue
		}
		return e, true, nil, false
	}
	if p.count < p.max {
		p.count++
		return nil, true, nil, false
	}
	return nil, false, p.freed, p.reserved
}

// signal wakes every waiter to look again. Callers hold p.mu.
func (p *pool) signal() {
	close(p.freed)
	p.freed = make(chan struct{})
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
	stale := p.stale(e)
	if stale {
		p.count-- // finished on the code it started with: never used again
	} else {
		e.lastUsed = time.Now()
		p.idle = append(p.idle, e)
	}
	p.signal()
	p.mu.Unlock()
	if stale {
		e.kill()
	}
}

// stale reports whether e runs code other than what new environments
// start from. Callers hold p.mu.
func (p *pool) stale(e *env) bool { return p.retired || e.gen != p.gen }

// setCode makes new environments start from the code of preparation
// generation gen and ends the idle ones that run other code; busy ones end
// when they finish.
func (p *pool) setCode(gen uint64, deployment int64) {
	p.mu.Lock()
	p.gen, p.deployment = gen, deployment
	gone := p.dropStale()
	p.mu.Unlock()
	for _, e := range gone {
		e.kill()
	}
}

// adopt takes an environment started ahead of any invoke (a deployment's
// trial of its new code) as an idle one, unless it is stale already or the
// pool is full.
func (p *pool) adopt(e *env) {
	p.mu.Lock()
	ok := !p.stale(e) && p.count < p.max
	if ok {
		p.count++
		e.lastUsed = time.Now()
		p.idle = append(p.idle, e)
		p.signal()
	}
	p.mu.Unlock()
	if !ok {
		e.kill()
	}
}

// retire ends the pool's idle environments and keeps busy ones from
// going back to idle: its function was removed or replaced.
func (p *pool) retire() {
	p.mu.Lock()
	p.retired = true
	gone := p.dropStale()
	p.mu.Unlock()
	for _, e := range gone {
		e.kill()
	}
}

// dropStale takes the stale environments out of idle and returns them.
// Callers hold p.mu.
func (p *pool) dropStale() []*env { return p.removeIdle(p.stale) }

// removeIdle takes the idle environments that end says to end out of the
// pool and returns them, for the caller to kill outside the lock.
// Callers hold p.mu.
func (p *pool) removeIdle(end func(*env) bool) []*env {
	var keep, gone []*env
	for _, e := range p.idle {
		if end(e) {
			gone = append(gone, e)
		} else {
			keep = append(keep, e)
		}
	}
	p.idle = keep
	p.count -= len(gone)
	if len(gone) > 0 {
		p.signal()
	}
	return gone
}

// discard ends an environment that must not serve again.
func (p *pool) discard(e *env) {
	if e != nil {
		e.kill()
	}
	p.mu.Lock()
	p.count--
	p.signal()
	p.mu.Unlock()
}

// reap ends environments idle since before cutoff and returns how many.
func (p *pool) reap(cutoff time.Time) int {
	p.mu.Lock()
	gone := p.removeIdle(func(e *env) bool { return e.lastUsed.Before(cutoff) })
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

// errEnvGone says a warm environment died between invocations: the
// invocation needs another one.
var errEnvGone = errors.New("environment exited while idle")

// invoke runs one invocation in a warm or new environment.
func (p *pool) invoke(ctx context.Context, req Request) (*Result, error) {
	for {
		res, err := p.invokeOnce(ctx, req)
		if !errors.Is(err, errEnvGone) {
			return res, err
		}
	}
}

// invokeOnce runs one invocation, or fails with errEnvGone when the
// environment it got turned out dead before the event was handed over.
func (p *pool) invokeOnce(ctx context.Context, req Request) (*Result, error) {
	begin := time.Now()
	e, waited, err := p.acquire(ctx)
	if err != nil {
		return nil, err
	}
	res := &Result{RequestID: awsid.NewUUID(), Target: "local", Queued: waited}
	tr, header := p.newTrace(req, res.RequestID, begin)
	if e != nil && e.fresh {
		// Started by a deployment before any invoke: its first invocation
		// reports its init, as a cold start does.
		e.fresh = false
		res.Cold, res.InitDuration = true, e.initDur
		tr.InitStart, tr.InitEnd = e.started, e.started.Add(e.initDur)
	}
	if e == nil {
		var initErr []byte
		if e, initErr, err = p.coldStart(ctx, res); err != nil {
			return nil, err
		}
		tr.InitStart, tr.InitEnd = e.started, e.started.Add(e.initDur)
		res.Deployment, res.Version = e.deployment, e.version
		if initErr != nil {
			res = p.initFailed(e, res, initErr)
			tr.InitEnd = time.Now()
			tr.FunctionError, tr.InitFailed, tr.Payload = true, true, res.Payload
			tr.End = tr.InitEnd
			res.Trace = tr
			return res, nil
		}
	}
	res.Deployment, res.Version = e.deployment, e.version

	inv := p.newInvocation(res.RequestID, req, header)
	out := newLogBuf(MaxLogBytes, LogTailBytes).stamp() // kept as it streams, never more
	pre, preCut := e.logs.begin(out)                    // what came before the invocation goes before START
	if err := p.dispatch(ctx, e, inv); err != nil {
		return nil, err
	}
	rep, tail, err := p.await(ctx, e, inv)
	if err != nil {
		return nil, err
	}
	e.logs.end(5 * time.Millisecond)
	p.complete(e, inv, rep, res)
	res.Log, res.LogTruncated = p.assembleLog(res, pre, out, tail)
	res.LogTruncated += preCut
	res.LogTimes = logTimes(len(pre)+len(startLine(res.RequestID)), out, res.Log)
	now := time.Now()
	tr.InvokeStart, tr.ResponseAt, tr.OverheadEnd, tr.End = inv.started, rep.finished, now, now
	if polled := time.Unix(0, e.polled.Load()); polled.After(rep.finished) && polled.Before(now) {
		tr.OverheadEnd = polled // the runtime asked for the next event
	}
	tr.FunctionError, tr.Payload, tr.Cause = rep.isError, rep.payload, rep.cause
	res.Trace = tr
	p.putBack(e)
	return res, nil
}

// newTrace makes the invocation's part of its trace, as Lambda does: the
// caller's root (or a new one) and its Parent as the parent of Lambda's
// segment; the caller's sampling decision, or, when it left it open, the
// function's (Tracing: Active samples). It returns the
// Lambda-Runtime-Trace-Id the runtime gets, whose Parent is the function
// segment: the SDKs' facade, under which the function's own subsegments go.
func (p *pool) newTrace(req Request, requestID string, begin time.Time) (*trace.Invocation, string) {
	h := trace.ParseHeader(req.TraceID)
	tr := &trace.Invocation{
		TraceID: h.Root, Caller: h.Parent,
		ServiceID: trace.NewID(), FunctionID: trace.NewID(),
		Function: p.fn.FunctionName, ARN: p.m.arn(p.fn), Account: p.m.accountID(), Region: p.m.region(),
		RequestID: requestID, Start: begin, Timeout: p.fn.Timeout,
	}
	if tr.Function == "" {
		tr.Function = p.fn.Name
	}
	if tr.TraceID == "" {
		tr.TraceID = trace.NewRoot(begin)
	}
	switch h.Sampled {
	case trace.SampledYes:
		tr.Sampled = true
	case trace.SampledUnknown:
		tr.Sampled = p.fn.Tracing == config.TracingActive
	}
	rt := trace.Header{Root: tr.TraceID, Parent: tr.FunctionID, Sampled: trace.SampledNo, Extra: h.Extra}
	if tr.Sampled {
		rt.Sampled = trace.SampledYes
	}
	return tr, rt.String()
}

// logTimes maps when the log buffer's writes began to offsets in the
// assembled log, whose function output starts at base. Writes past a cut
// are left out: where their lines landed is not known.
func logTimes(base int, out *logBuf, log string) []LogTime {
	if len(out.stamps) == 0 {
		return nil
	}
	end := len(log)
	if i := strings.Index(log[base:], "[gatescope cut "); i >= 0 {
		end = base + i
	}
	lt := make([]LogTime, 0, len(out.stamps))
	for _, s := range out.stamps {
		if off := base + int(s.offset); off < end {
			lt = append(lt, LogTime{Offset: off, At: s.at})
		}
	}
	return lt
}

// coldStart starts a new environment in the slot acquire reserved and waits
// for its init. initErr is the init failure Lambda would report; err means
// no environment (the slot is freed).
func (p *pool) coldStart(ctx context.Context, res *Result) (e *env, initErr []byte, err error) {
	e, err = p.m.startEnv(ctx, p.fn)
	if err != nil {
		p.discard(nil)
		return nil, nil, err
	}
	p.m.track(e)
	initErr, err = e.waitReady(ctx, initLimit)
	if err != nil {
		p.discard(e)
		return nil, nil, err
	}
	res.Cold = true
	res.InitDuration = e.initDur
	return e, initErr, nil
}

// initFailed ends an environment whose init failed and reports the failure
// as the invocation's function error, as Lambda does: the log holds the init
// output and an empty invocation.
func (p *pool) initFailed(e *env, res *Result, initErr []byte) *Result {
	p.discard(e)
	e.logs.waitClosed(100 * time.Millisecond)
	pre, cut := e.logs.begin(nil)
	e.logs.end(0)
	res.FunctionError = "Unhandled"
	res.Payload = initErr
	res.LogTruncated = cut
	res.Log = pre + startLine(res.RequestID) + endLine(res.RequestID) +
		reportLine(res.RequestID, 0, p.fn.MemoryMB, 0, time.Since(e.started))
	return res
}

// newInvocation is the event as the runtime will receive it, its deadline
// counted from now.
func (p *pool) newInvocation(id string, req Request, traceHeader string) *invocation {
	return &invocation{
		id:        id,
		payload:   req.Payload,
		deadline:  time.Now().Add(p.fn.Timeout),
		arn:       p.m.arn(p.fn),
		traceID:   traceHeader,
		clientCtx: req.ClientContext,
		cognito:   req.CognitoIdentity,
		done:      make(chan reply, 1),
	}
}

// dispatch hands inv to the runtime's waiting GET /next. A warm environment
// that died between invocations is discarded with errEnvGone: Lambda would
// never hand it an event, so neither do we. If the caller gives up first,
// the environment goes back to the pool unused.
func (p *pool) dispatch(ctx context.Context, e *env, inv *invocation) error {
	select {
	case e.next <- inv:
		return nil
	case <-e.exited:
		e.logs.end(0)
		p.discard(e)
		return errEnvGone
	case <-ctx.Done():
		e.logs.end(0)
		p.release(e)
		return ctx.Err()
	}
}

// await waits for the invocation to end: the runtime's reply, the process
// exiting (crash) or the deadline (the environment is killed). For the last
// two it makes Lambda's error reply and tail, Lambda's own log line about
// how the invocation ended. If the caller gives up first, the function runs
// on, as in Lambda, and finishDetached returns its environment to the pool.
func (p *pool) await(ctx context.Context, e *env, inv *invocation) (rep reply, tail string, err error) {
	timer := time.NewTimer(time.Until(inv.deadline))
	defer timer.Stop()
	select {
	case rep = <-inv.done:
	case <-e.exited:
		select {
		case rep = <-inv.done: // finished just before exiting
		default:
			e.logs.waitClosed(100 * time.Millisecond)
			exit := exitText(e.exitErr)
			rep = reply{payload: exitPayload(inv.id, exit), isError: true, finished: time.Now()}
			tail = fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %s\nRuntime.ExitError\n", inv.id, exit)
		}
	case <-timer.C:
		e.kill()
		rep = reply{payload: timeoutPayload(inv.id, p.fn.Timeout.Seconds()), isError: true, finished: time.Now()}
		tail = fmt.Sprintf("%s %s Task timed out after %.2f seconds\n",
			time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), inv.id, p.fn.Timeout.Seconds())
	case <-ctx.Done():
		go p.finishDetached(e, inv)
		return reply{}, "", ctx.Err()
	}
	return rep, tail, nil
}

// complete fills res with how the invocation ended.
func (p *pool) complete(e *env, inv *invocation, rep reply, res *Result) {
	if inv.started.IsZero() {
		inv.started = rep.finished
	}
	res.Duration = rep.finished.Sub(inv.started)
	res.MaxMemoryMB = e.maxMemoryMB()
	res.Payload = rep.payload
	if rep.isError {
		res.FunctionError = "Unhandled"
	}
}

// assembleLog is the invocation's log as CloudWatch shows it: what was
// printed before it, START, the function's output (cut to MaxLogBytes)
// and Lambda's tail, END, and REPORT, with the Init Duration of a cold
// start; and how many bytes of the output were cut. The platform lines
// are always kept whole.
func (p *pool) assembleLog(res *Result, pre string, out *logBuf, tail string) (string, int64) {
	text, cut := out.text()
	var initDur time.Duration
	if res.Cold {
		initDur = res.InitDuration
	}
	return pre + startLine(res.RequestID) + ensureNewline(text) + tail + endLine(res.RequestID) +
		reportLine(res.RequestID, res.Duration, p.fn.MemoryMB, res.MaxMemoryMB, initDur), cut
}

// putBack returns an environment that served an invocation to the pool, or
// discards it if it was killed (timeout) or exited.
func (p *pool) putBack(e *env) {
	select {
	case <-e.stop:
		p.discard(e)
	default:
		p.release(e)
	}
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
