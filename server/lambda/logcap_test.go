package lambda

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// TestLogCapWhileStreaming is the review's finding 5: a function printed
// 20 MB in one invocation and gatescope held, stored and served all of it.
// The invocation's log now keeps its first part, its last LogTailBytes and
// the platform lines, says how much it cut, and memory stays bounded while
// the 20 MB stream through.
func TestLogCapWhileStreaming(t *testing.T) {
	m := newManager(t, goFunction(t))
	invoke(t, m, "GoFn", `{"echo":"warm up"}`) // start the environment outside the measure

	const mb = 20
	var res *Result
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res = invoke(t, m, "GoFn", fmt.Sprintf(`{"printMB":%d}`, mb))
	runtime.ReadMemStats(&after)

	printed := int64(mb << 20 / 100 * 100)
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("printed %d MB: log %d bytes, cut %d, %.1f MB allocated during the invocation",
		mb, len(res.Log), res.LogTruncated, float64(allocated)/(1<<20))
	if allocated > 12<<20 {
		t.Errorf("%d MB allocated while %d MB streamed: the log is not cut as it streams", allocated>>20, mb)
	}
	if len(res.Log) > MaxLogBytes+1<<10 {
		t.Errorf("log is %d bytes, want at most %d and the platform lines", len(res.Log), MaxLogBytes)
	}
	last := fmt.Sprintf("line %08d ", printed/100-1)
	marker := fmt.Sprintf("[gatescope cut %d bytes of log here: it keeps 1024 KB per invocation, the last 64 KB included]\n", res.LogTruncated)
	for _, want := range []string{"START RequestId: " + res.RequestID, "\nline 00000000 ", "\n" + marker + "line ", "\n" + last,
		"\nEND RequestId: " + res.RequestID + "\nREPORT RequestId: " + res.RequestID} {
		if !strings.Contains(res.Log, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	start, end := strings.Index(res.Log, "\nline "), strings.LastIndex(res.Log, "\nEND RequestId")
	if kept := int64(end-start) - int64(len(marker)); kept+res.LogTruncated != printed {
		t.Errorf("kept %d + cut %d != printed %d", kept, res.LogTruncated, printed)
	}
	// The Invoke API's Tail is still the last 4 KB: the function's last
	// lines and the platform's.
	if tail := res.Log[max(0, len(res.Log)-4096):]; !strings.Contains(tail, last) || !strings.Contains(tail, "REPORT RequestId") {
		t.Errorf("tail %q", tail)
	}
	// The next invocation starts clean.
	next := invoke(t, m, "GoFn", `{"print":"small"}`)
	if next.LogTruncated != 0 || strings.Contains(next.Log, "gatescope cut") || !strings.Contains(next.Log, "small") {
		t.Errorf("next log (cut %d): %q", next.LogTruncated, next.Log)
	}
}
