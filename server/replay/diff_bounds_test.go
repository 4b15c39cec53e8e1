package replay

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
)

// wideBody is {"items":[{"v":"<tag>0"},…]}: n items that all change
// between two tags.
func wideBody(n int, tag string) string {
	var b strings.Builder
	b.WriteString(`{"items":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"v":"%s%d"}`, tag, i)
	}
	b.WriteString("]}")
	return b.String()
}

func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestCompareBounded: the review's wide diff (16,000 changed items took
// 20 s to show) stops at MaxChanges and says so; the class still says
// changed, and the text says the diff is incomplete.
func TestCompareBounded(t *testing.T) {
	a := ex("A", 200, "ok", nil, wideBody(16000, "a"))
	b := ex("B", 200, "ok", nil, wideBody(16000, "b"))
	d := Compare(a, b, nil)
	if len(d.Changes) != MaxChanges || d.Incomplete == "" || d.Class != ClassChanged || d.Same() {
		t.Fatalf("%d changes, incomplete %q, class %q", len(d.Changes), d.Incomplete, d.Class)
	}
	if d.Changes[0].Path != "body.items[0].v" || !strings.Contains(d.Text(), "(incomplete: more than 1000 changes") {
		t.Errorf("first change %q; text ends %q", d.Changes[0].Path, d.Text()[len(d.Text())-80:])
	}
}

// TestCompareWorkBudget: matching deep paths against many ignore patterns
// is the one superlinear corner; the budget stops it with a reason.
func TestCompareWorkBudget(t *testing.T) {
	key := strings.Repeat("k", 200)
	deep := func(leaf string) string {
		return strings.Repeat(`{"`+key+`":`, 500) + `"` + leaf + `"` + strings.Repeat("}", 500)
	}
	var ignore []string
	for i := range 200 {
		ignore = append(ignore, fmt.Sprintf("body.**.nothing%d", i))
	}
	var d *Diff
	got := allocated(func() { d = Compare(ex("A", 200, "ok", nil, deep("x")), ex("B", 200, "ok", nil, deep("y")), ignore) })
	if d.Incomplete == "" || d.Class != ClassChanged {
		t.Errorf("incomplete %q, class %q", d.Incomplete, d.Class)
	}
	if got > 64<<20 && !raceEnabled {
		t.Errorf("allocated %d MB", got>>20)
	}
}

// countdown is a context whose Err turns Canceled after n calls: it shows
// that a long comparison asks, and stops when told.
type countdown struct {
	context.Context
	n atomic.Int64
}

func (c *countdown) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

func TestCompareContextCancels(t *testing.T) {
	// Identical but for volatile ids: the whole body is walked.
	a := ex("A", 200, "ok", nil, wideBody(50000, "11111111-2222-3333-4444-555555555555-"))
	b := ex("B", 200, "ok", nil, wideBody(50000, "11111111-2222-3333-4444-555555555555-"))
	if d, err := CompareContext(context.Background(), a, b, nil); err != nil || !d.Same() {
		t.Fatalf("uncancelled: %v, %+v", err, d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := CompareContext(ctx, a, b, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled before: %v", err)
	}
	cd := &countdown{Context: context.Background()}
	cd.n.Store(3)
	if _, err := CompareContext(cd, a, b, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled during: %v", err)
	}
	if left := cd.n.Load(); left < -1 {
		t.Errorf("the comparison asked %d more times after it was cancelled", -left-1)
	}
}

// TestCompareDeepJSON: bodies nested past 512 are compared as text: one
// change, memory linear in the bodies.
func TestCompareDeepJSON(t *testing.T) {
	for _, depth := range []int{100_000, 10_000} {
		a := ex("A", 200, "ok", nil, strings.Repeat("[", depth)+"1"+strings.Repeat("]", depth))
		b := ex("B", 200, "ok", nil, strings.Repeat("[", depth)+"2"+strings.Repeat("]", depth))
		var d *Diff
		got := allocated(func() { d = Compare(a, b, nil); _ = d.Text() })
		if len(d.Changes) != 1 || d.Changes[0].Path != "body" {
			t.Errorf("depth %d: %+v", depth, d.Changes)
		}
		if max := uint64(40*len(a.Response.Body)) + 1<<20; got > max {
			t.Errorf("depth %d: allocated %d bytes for %d-byte bodies, want at most %d", depth, got, len(a.Response.Body), max)
		}
	}
}

// FuzzCompare: no pair of bodies panics the diff or its text, changes stay
// within MaxChanges, and an exchange compared with itself is the same.
// Run longer with
// go test ./server/replay -run '^$' -fuzz FuzzCompare -fuzztime 5m
func FuzzCompare(f *testing.F) {
	f.Add(`{"a":[1,{"b":"x"}]}`, `{"a":[1,{"b":"y"},3]}`, "body.a[*].b")
	f.Add(`{"body":"{\"x\":1}"}`, `{"body":"{\"x\":2}"}`, "x")
	f.Add("line 1\nline 2", "line 1\nline 3", "")
	f.Add("[[[[", "]]]]", "**")
	f.Fuzz(func(t *testing.T, a, b, ignore string) {
		x := ex("A", 200, "ok", map[string][]string{"X": {a}}, a)
		y := ex("B", 500, "ok", map[string][]string{"X": {b}}, b)
		d := Compare(x, y, strings.Split(ignore, ","))
		if len(d.Changes) > MaxChanges+2 { // +status and the header
			t.Fatalf("%d changes", len(d.Changes))
		}
		_ = d.Text()
		if same := Compare(x, x, nil); !same.Same() || same.Class != ClassSame {
			t.Fatalf("an exchange differs from itself: %+v", same)
		}
	})
}
