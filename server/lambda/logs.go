package lambda

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// logSink collects an environment's stdout and stderr (one pipe, as Lambda
// merges them into one stream) and attributes each chunk to the invocation
// running when it was read. Output read while no invocation runs (init, or
// after a response) is kept and put in front of the next invocation's log.
type logSink struct {
	r *os.File

	mu       sync.Mutex
	cond     *sync.Cond
	dst      *bytes.Buffer // the running invocation's log, or nil
	pending  bytes.Buffer  // output read while no invocation ran
	consumed int64         // bytes read from the pipe so far
	closed   bool          // the pipe hit EOF: the process and its children are gone
}

func newLogSink(r *os.File) *logSink {
	s := &logSink{r: r}
	s.cond = sync.NewCond(&s.mu)
	return s
}

// run reads the pipe until EOF. It is the only reader. Each read happens
// with mu held (the pipe is non-blocking, and between reads run waits for
// data without the lock), so end never meets bytes that have left the pipe
// but are not counted yet: FIONREAD plus consumed is exact under mu.
func (s *logSink) run() {
	defer s.r.Close()
	buf := make([]byte, 32<<10)
	rc, err := s.r.SyscallConn()
	for done := err != nil; !done; {
		err = rc.Read(func(fd uintptr) bool {
			s.mu.Lock()
			defer s.mu.Unlock()
			n, err := syscall.Read(int(fd), buf)
			for err == syscall.EINTR {
				n, err = syscall.Read(int(fd), buf)
			}
			if err == syscall.EAGAIN {
				return false // nothing to read: wait for data, unlocked
			}
			if err != nil || n <= 0 { // EOF: the process and its children are gone
				s.closed = true
				s.cond.Broadcast()
				done = true
				return true
			}
			if s.dst != nil {
				s.dst.Write(buf[:n])
			} else if s.pending.Len() < 1<<20 { // bound what an idle process can pile up
				s.pending.Write(buf[:n])
			}
			s.consumed += int64(n)
			return true
		})
		done = done || err != nil
	}
	s.mu.Lock()
	s.closed = true // also when the file could not be read at all
	s.cond.Broadcast()
	s.mu.Unlock()
}

// begin directs output to dst, the log of the invocation about to start,
// and returns whatever was printed while no invocation ran (init output, or
// late output of the previous invocation). dst must not be touched until end.
func (s *logSink) begin(dst *bytes.Buffer) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	pre := bytes.Clone(s.pending.Bytes())
	s.pending.Reset()
	s.dst = dst
	return pre
}

// end waits, briefly, until everything the process wrote before this call
// has been read, then stops attributing output to the invocation. Runtimes
// write their logs before they post the response, so this keeps a handler's
// last lines in its own log without a fixed sleep.
func (s *logSink) end(wait time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		if n := pendingBytes(s.r); n > 0 {
			target := s.consumed + int64(n)
			deadline := time.Now().Add(wait)
			for s.consumed < target && !s.closed && time.Now().Before(deadline) {
				s.mu.Unlock()
				runtime.Gosched()
				time.Sleep(50 * time.Microsecond)
				s.mu.Lock()
			}
		}
	}
	s.dst = nil
}

// waitClosed waits until the pipe hits EOF or the wait passes, so the output
// of a process that crashed is complete in its log.
func (s *logSink) waitClosed(wait time.Duration) {
	t := time.AfterFunc(wait, func() { s.mu.Lock(); s.cond.Broadcast(); s.mu.Unlock() })
	defer t.Stop()
	deadline := time.Now().Add(wait)
	s.mu.Lock()
	for !s.closed && time.Now().Before(deadline) {
		s.cond.Wait()
	}
	s.mu.Unlock()
}

// startLine, endLine and reportLine are Lambda's platform log lines. REPORT
// fields are tab separated with a trailing tab, Init Duration last.
func startLine(id string) string { return "START RequestId: " + id + " Version: $LATEST\n" }
func endLine(id string) string   { return "END RequestId: " + id + "\n" }

func reportLine(id string, d time.Duration, memMB, maxMemMB int, initDur time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	s := fmt.Sprintf("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB\t",
		id, ms, billed(d), memMB, maxMemMB)
	if initDur > 0 {
		s += fmt.Sprintf("Init Duration: %.2f ms\t", float64(initDur)/float64(time.Millisecond))
	}
	return s + "\n"
}

// billed is the duration rounded up to the millisecond, at least 1 ms.
func billed(d time.Duration) int64 {
	ms := int64(math.Ceil(float64(d) / float64(time.Millisecond)))
	if ms < 1 {
		ms = 1
	}
	return ms
}

// ensureNewline makes sure platform lines start on a line of their own.
func ensureNewline(b *bytes.Buffer) {
	if n := b.Len(); n > 0 && b.Bytes()[n-1] != '\n' {
		b.WriteByte('\n')
	}
}
