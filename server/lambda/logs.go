package lambda

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"
)

// Log limits. An invocation keeps at most MaxLogBytes of what the function
// prints: its first part and its last LogTailBytes (where a crash's
// traceback or a timeout's last words are), with a line saying how much
// was cut between them. Lambda itself cuts each CloudWatch event at 256 KB
// and the Invoke API's Tail at 4 KB; 1 MiB keeps several such events of a
// chatty invocation while bounding what one invocation holds in memory as
// it streams, what the store keeps and what a page shows (a function once
// printed 100 MB and gatescope held, stored and rendered all of it).
// Output between invocations (init, or late lines) keeps maxPendingBytes
// the same way.
const (
	MaxLogBytes     = 1 << 20
	LogTailBytes    = 64 << 10
	maxPendingBytes = 256 << 10
	// lineSlack is how far a cut looks for a line break to end or start at.
	lineSlack = 4 << 10
)

// logBuf keeps the start and the end of a stream within max bytes and
// counts what falls between, as the stream is written: it never holds
// more than max bytes, whatever is written to it.
type logBuf struct {
	headMax int
	head    []byte
	tail    []byte // ring buffer of the last bytes written after head filled
	tailMax int
	next    int   // where the ring writes next
	total   int64 // bytes written
	// stamps record when each write began, at most maxStamps of them (an
	// invocation's log lines as ticks on its trace); nil when not asked.
	stamps []logStamp
}

// logStamp is a write into a logBuf: its offset in the stream and when.
type logStamp struct {
	offset int64
	at     time.Time
}

// maxStamps bounds the write times an invocation keeps: the sink reads
// up to 32 KB at a time, so a chatty function's later lines share the
// last time kept.
const maxStamps = 1000

// stamp makes b record when each write began.
func (b *logBuf) stamp() *logBuf {
	b.stamps = make([]logStamp, 0, 16)
	return b
}

// newLogBuf keeps the first max-tail bytes and the last tail bytes.
func newLogBuf(max, tail int) *logBuf {
	return &logBuf{headMax: max - tail, tailMax: tail}
}

func (b *logBuf) Write(p []byte) (int, error) {
	n := len(p)
	if b.stamps != nil && len(b.stamps) < maxStamps && n > 0 {
		b.stamps = append(b.stamps, logStamp{b.total, time.Now()})
	}
	b.total += int64(n)
	if room := b.headMax - len(b.head); room > 0 {
		k := min(room, len(p))
		b.head = append(b.head, p[:k]...)
		p = p[k:]
	}
	if len(p) == 0 || b.tailMax == 0 {
		return n, nil
	}
	if len(p) >= b.tailMax { // only the last tailMax bytes of p can stay
		p = p[len(p)-b.tailMax:]
	}
	if b.tail == nil {
		b.tail = make([]byte, 0, b.tailMax)
	}
	for len(p) > 0 {
		if len(b.tail) < b.tailMax {
			k := min(b.tailMax-len(b.tail), len(p))
			b.tail = append(b.tail, p[:k]...)
			p = p[k:]
			b.next = len(b.tail) % b.tailMax
			continue
		}
		k := copy(b.tail[b.next:], p)
		p = p[k:]
		b.next = (b.next + k) % b.tailMax
	}
	return n, nil
}

func (b *logBuf) WriteString(s string) { b.Write([]byte(s)) }

// ordered returns the ring's bytes oldest first.
func (b *logBuf) ordered() []byte {
	if len(b.tail) < b.tailMax {
		return b.tail
	}
	return append(append(make([]byte, 0, b.tailMax), b.tail[b.next:]...), b.tail[:b.next]...)
}

// parts returns what is kept: the start, the end, and how many bytes were
// cut between them (0 when nothing was: then tail follows start directly).
// A cut ends the start at a line break and begins the end after one when
// one is near, so the log reads in whole lines.
func (b *logBuf) parts() (start, end []byte, cut int64) {
	start, end = b.head, b.ordered()
	if b.total == int64(len(start)+len(end)) {
		return start, end, 0
	}
	if i := bytes.LastIndexByte(start, '\n'); i >= 0 && len(start)-i <= lineSlack {
		start = start[:i+1]
	} else {
		start = start[:runeCut(start)]
	}
	if i := bytes.IndexByte(end, '\n'); i >= 0 && i < lineSlack {
		end = end[i+1:]
	} else {
		for len(end) > 0 && !utf8.RuneStart(end[0]) {
			end = end[1:]
		}
	}
	return start, end, b.total - int64(len(start)+len(end))
}

// runeCut is len(p) less a UTF-8 sequence cut short at its end.
func runeCut(p []byte) int {
	for i := len(p) - 1; i >= 0 && i >= len(p)-utf8.UTFMax; i-- {
		if utf8.RuneStart(p[i]) {
			if !utf8.FullRune(p[i:]) {
				return i
			}
			break
		}
	}
	return len(p)
}

// text is what the buffer kept, with a line marking the cut, and the
// number of bytes cut.
func (b *logBuf) text() (string, int64) {
	start, end, cut := b.parts()
	var s strings.Builder
	s.Grow(len(start) + len(end) + 160)
	s.Write(start)
	if cut > 0 {
		if len(start) > 0 && start[len(start)-1] != '\n' {
			s.WriteByte('\n')
		}
		s.WriteString(cutLine(cut, b.headMax+b.tailMax, b.tailMax))
	}
	s.Write(end)
	return s.String(), cut
}

// cutLine marks where a log was cut. It is gatescope's, not the
// function's: it says what happened and why.
func cutLine(cut int64, max, tail int) string {
	return fmt.Sprintf("[gatescope cut %d bytes of log here: it keeps %d KB per invocation, the last %d KB included]\n",
		cut, max>>10, tail>>10)
}

func (b *logBuf) reset() {
	b.head, b.tail, b.next, b.total = b.head[:0], nil, 0, 0
}

// logSink collects an environment's stdout and stderr (one pipe, as Lambda
// merges them into one stream) and attributes each chunk to the invocation
// running when it was read. Output read while no invocation runs (init, or
// after a response) is kept and put in front of the next invocation's log.
type logSink struct {
	r *os.File

	mu       sync.Mutex
	cond     *sync.Cond
	dst      *logBuf // the running invocation's log, or nil
	pending  *logBuf // output read while no invocation ran
	consumed int64   // bytes read from the pipe so far
	closed   bool    // the pipe hit EOF: the process and its children are gone
}

func newLogSink(r *os.File) *logSink {
	s := &logSink{r: r, pending: newLogBuf(maxPendingBytes, LogTailBytes)}
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
			} else {
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
// late output of the previous invocation), and how many bytes of that were
// cut. dst must not be touched until end.
func (s *logSink) begin(dst *logBuf) (pre string, cut int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pre, cut = s.pending.text()
	s.pending.reset()
	s.dst = dst
	return pre, cut
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
func ensureNewline(s string) string {
	if s != "" && s[len(s)-1] != '\n' {
		return s + "\n"
	}
	return s
}
