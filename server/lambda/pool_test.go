package lambda

import (
	"context"
	"os/exec"
	"testing"
)

// TestWarmEnvironmentDiedBeforeDispatch: an idle environment whose process
// exits after the pool handed it out, before it took the event, gets no
// event (as in Lambda); the invocation runs in a new one and no slot leaks.
func TestWarmEnvironmentDiedBeforeDispatch(t *testing.T) {
	fn := goFunction(t)
	fn.ReservedConcurrency = reserved(1)
	m := newManager(t, fn)
	p := m.pools["GoFn"]

	// A warm environment whose runtime never asks for the next event.
	dying := &env{fn: fn, cmd: &exec.Cmd{}, logs: newLogSink(nil),
		next: make(chan *invocation), exited: make(chan struct{}), stop: make(chan struct{})}
	dying.logs.closed = true
	p.mu.Lock()
	p.idle, p.count = append(p.idle, dying), p.count+1
	p.mu.Unlock()

	type outcome struct {
		res *Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := m.Invoke(context.Background(), "GoFn", Request{Payload: []byte(`{"echo":"retried"}`)})
		done <- outcome{res, err}
	}()
	waitBusy(t, m, "GoFn", 1) // the pool handed out the only, dying, environment
	close(dying.exited)
	o := <-done
	if o.err != nil || string(o.res.Payload) != `{"echo":"retried"}` || !o.res.Cold {
		t.Fatalf("err %v, result %+v; want the event served by a new environment", o.err, o.res)
	}
	select {
	case <-dying.stop:
	default:
		t.Error("the dead environment was not discarded")
	}
	if n := m.Busy("GoFn"); n != 0 {
		t.Errorf("Busy = %d after the invoke, want 0", n)
	}
	if r := invoke(t, m, "GoFn", `{}`); r.Cold {
		t.Error("the new environment did not go back to the pool")
	}
}
