package lambda

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/testenv"
)

// testSink is a logSink reading a real pipe; w plays the function process.
type testSink struct {
	*logSink
	w       *os.File
	written int64
}

// newTestSink returns a sink over a fresh pipe, its reader started unless
// told otherwise (start it with go s.run()).
func newTestSink(t *testing.T, reading bool) *testSink {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &testSink{logSink: newLogSink(r), w: w}
	if reading {
		go s.run()
	}
	t.Cleanup(func() { w.Close() })
	return s
}

func (s *testSink) print(t *testing.T, text string) {
	t.Helper()
	n, err := s.w.WriteString(text)
	if err != nil {
		t.Fatal(err)
	}
	s.written += int64(n)
}

// waitRead waits until the reader has taken everything printed so far out
// of the pipe.
func (s *testSink) waitRead(t *testing.T) {
	t.Helper()
	testenv.Eventually(t, 10*time.Second, "the sink reads what was printed", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.consumed == s.written
	})
}

// TestLogSinkAttribution runs invocations against a real pipe: each step
// prints, or starts (begin) or ends (end) an invocation, and each invocation
// must get what was printed before it (pre, shown before START) and during
// it (out).
func TestLogSinkAttribution(t *testing.T) {
	type inv struct{ pre, out string }
	big := strings.Repeat("0123456789abcdef", 200<<10/16) // several reads, more than a pipe holds
	tests := []struct {
		name  string
		steps []string // "begin", "end", or text the process prints
		want  []inv
	}{
		{"nothing printed", []string{"begin", "end"}, []inv{{"", ""}}},
		{"init output goes before START", []string{"init\n", "begin", "handler\n", "end"}, []inv{{"init\n", "handler\n"}}},
		{"last line without newline", []string{"begin", "a\n", "no newline", "end"}, []inv{{"", "a\nno newline"}}},
		{"output between invocations goes to the next one", []string{"begin", "one\n", "end", "late\n", "begin", "two\n", "end"},
			[]inv{{"", "one\n"}, {"late\n", "two\n"}}},
		{"warm invocations keep their own output", []string{"begin", "one\n", "end", "begin", "end", "begin", "three\n", "end"},
			[]inv{{"", "one\n"}, {"", ""}, {"", "three\n"}}},
		{"large output", []string{"begin", big, "end"}, []inv{{"", big}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestSink(t, true)
			var got []inv
			var out *logBuf
			for _, step := range tt.steps {
				switch step {
				case "begin":
					// Output printed between invocations is the next one's
					// once it has been read; end needs no such help.
					s.waitRead(t)
					out = newLogBuf(MaxLogBytes, LogTailBytes)
					pre, _ := s.begin(out)
					got = append(got, inv{pre: pre})
				case "end":
					s.end(5 * time.Second)
					got[len(got)-1].out, _ = out.text()
				default:
					s.print(t, step)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%d invocations, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("invocation %d: pre %.40q out %.40q, want pre %.40q out %.40q",
						i, got[i].pre, got[i].out, tt.want[i].pre, tt.want[i].out)
				}
			}
		})
	}
}

// TestLogSinkEndWaitsForUnreadOutput: output still in the pipe when the
// response arrives (FIONREAD > 0) belongs to the invocation; end waits for
// the reader to take it instead of sleeping a fixed time.
func TestLogSinkEndWaitsForUnreadOutput(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("pendingBytes (FIONREAD) is implemented on Linux only")
	}
	s := newTestSink(t, false)
	out := newLogBuf(MaxLogBytes, LogTailBytes)
	s.begin(out)
	s.print(t, "last line\n")
	if n := pendingBytes(s.r); n != len("last line\n") {
		t.Fatalf("pendingBytes = %d with nothing read yet, want %d", n, len("last line\n"))
	}
	go s.run() // the reader starts only now, racing end
	s.end(10 * time.Second)
	if got, _ := out.text(); got != "last line\n" {
		t.Fatalf("log = %q, want the last line in it", got)
	}
	if n := pendingBytes(s.r); n != 0 {
		t.Errorf("pendingBytes = %d after end, want 0", n)
	}
}

// TestLogSinkNoLostLastLine repeats what a runtime does, print and then
// respond, many times: the reader and end race each time, and the last line
// must always land in its own invocation's log, never in the next one's.
func TestLogSinkNoLostLastLine(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("pendingBytes (FIONREAD) is implemented on Linux only")
	}
	s := newTestSink(t, true)
	for i := range 1000 {
		out := newLogBuf(MaxLogBytes, LogTailBytes)
		if pre, _ := s.begin(out); len(pre) != 0 {
			t.Fatalf("invocation %d: %q printed by the one before it came before its START", i, pre)
		}
		s.print(t, "last line\n")
		s.end(10 * time.Second)
		if got, _ := out.text(); got != "last line\n" {
			t.Fatalf("invocation %d: log = %q, want %q", i, got, "last line\n")
		}
	}
}

// TestLogSinkEndGivesUp: with nobody reading, end waits as long as it is
// allowed and then stops attributing output to the invocation; what comes
// later is kept for the next one.
func TestLogSinkEndGivesUp(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("pendingBytes (FIONREAD) is implemented on Linux only")
	}
	s := newTestSink(t, false)
	out := newLogBuf(MaxLogBytes, LogTailBytes)
	s.begin(out)
	s.print(t, "stuck\n")
	start := time.Now()
	s.end(50 * time.Millisecond)
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("end returned after %v with output unread, want it to wait 50ms", d)
	}
	go s.run()
	s.waitRead(t)
	if got, _ := out.text(); got != "" {
		t.Errorf("output read after end went to the ended invocation: %q", got)
	}
	if pre, _ := s.begin(nil); pre != "stuck\n" {
		t.Errorf("next invocation's pre = %q, want the late output", pre)
	}
}

// TestLogSinkClosed: once the process is gone, waitClosed returns with its
// last output read, and end does not wait.
func TestLogSinkClosed(t *testing.T) {
	s := newTestSink(t, true)
	s.print(t, "dying words\n")
	s.w.Close()
	s.waitClosed(10 * time.Second)
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if !closed {
		t.Fatal("waitClosed returned before EOF")
	}
	if pre, _ := s.begin(nil); pre != "dying words\n" {
		t.Errorf("output of the exited process = %q", pre)
	}
	start := time.Now()
	s.end(10 * time.Second)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("end waited %v on a closed pipe", d)
	}
}

// TestLogSinkWaitClosedGivesUp: a process that keeps its pipe open (a
// child holding it) does not hold waitClosed past its wait.
func TestLogSinkWaitClosedGivesUp(t *testing.T) {
	s := newTestSink(t, true)
	start := time.Now()
	s.waitClosed(50 * time.Millisecond)
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("waitClosed returned after %v, want 50ms", d)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		t.Error("closed with the writer still open")
	}
}

// TestLogSinkIdleOutputBounded: an idle process cannot pile up more than
// maxPendingBytes for the next invocation's log: its start and its end,
// with the cut marked and counted.
func TestLogSinkIdleOutputBounded(t *testing.T) {
	s := newTestSink(t, true)
	s.print(t, "first\n"+strings.Repeat("x", 3<<20)+"\nlast\n")
	s.waitRead(t)
	pre, cut := s.begin(nil)
	if len(pre) > maxPendingBytes+200 || !strings.HasPrefix(pre, "first\n") || !strings.HasSuffix(pre, "\nlast\n") ||
		!strings.Contains(pre, fmt.Sprintf("[gatescope cut %d bytes of log here", cut)) {
		t.Errorf("kept %d bytes of idle output (cut %d): %.40q … %.40q", len(pre), cut, pre, pre[max(0, len(pre)-40):])
	}
	// Kept, less the marker line (and the line break put before it when
	// the start did not end one), plus cut is what was printed.
	kept := int64(len(pre)) - int64(len(cutLine(cut, maxPendingBytes, LogTailBytes)))
	if d := kept + cut - s.written; d != 0 && d != 1 {
		t.Errorf("kept %d + cut %d != printed %d", kept, cut, s.written)
	}
}

// TestLogBuf: a stream is kept whole up to the limit; past it, its start
// and its last part, cut at line breaks near the limits, with the count
// of bytes cut exact.
func TestLogBuf(t *testing.T) {
	line := func(i int) string { return fmt.Sprintf("line %05d of output\n", i) } // 21 bytes
	var many strings.Builder
	for i := range 1000 {
		many.WriteString(line(i))
	}
	tests := []struct {
		name       string
		max, tail  int
		writes     []string
		want       string // whole text, or "" to check the parts below
		start, end string
	}{
		{"empty", 100, 20, nil, "", "", ""},
		{"under the limit", 100, 20, []string{"a\n", "b\n"}, "a\nb\n", "", ""},
		{"exactly the limit", 10, 4, []string{"0123456789"}, "0123456789", "", ""},
		{"one byte over, no line breaks", 10, 4, []string{"0123456789x"}, "012345\n" + cutLine(1, 10, 4) + "789x", "", ""},
		{"lines", 21 * 40, 21 * 10, []string{many.String()}, "", line(0), line(999)},
		{"written a byte at a time", 21 * 40, 21 * 10, strings.Split(many.String(), ""), "", line(0), line(999)},
		{"multi-byte runes at the cuts", 10, 4, []string{"ééééééééé"}, "ééé\n" + cutLine(8, 10, 4) + "éé", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newLogBuf(tt.max, tt.tail)
			total := 0
			for _, w := range tt.writes {
				b.WriteString(w)
				total += len(w)
			}
			got, cut := b.text()
			if tt.want != "" || tt.start == "" {
				if got != tt.want {
					t.Errorf("text = %q, want %q", got, tt.want)
				}
			}
			start, end, c := b.parts()
			if c != cut || int64(len(start)+len(end))+cut != int64(total) || len(start)+len(end) > tt.max {
				t.Errorf("kept %d+%d, cut %d (%d), written %d, max %d", len(start), len(end), cut, c, total, tt.max)
			}
			if tt.start != "" && (!strings.HasPrefix(got, tt.start) || !strings.HasSuffix(got, tt.end) ||
				!strings.HasSuffix(string(start), "\n") || !strings.HasPrefix(string(end), "line ")) {
				t.Errorf("text %q … %q does not keep whole lines at both ends", got[:40], got[len(got)-40:])
			}
		})
	}
}
