package exchange

import (
	"testing"
	"time"
)

func TestNewIDSortsByTime(t *testing.T) {
	a := time.UnixMilli(1_700_000_000_000)
	prev := ""
	for i := range 100 {
		at := a.Add(time.Duration(i) * time.Millisecond)
		id := NewID(at)
		if len(id) != 26 || id <= prev {
			t.Fatalf("id %q after %q", id, prev)
		}
		if got, ok := IDTime(id); !ok || !got.Equal(at) {
			t.Fatalf("IDTime(%q) = %v, %v; want %v", id, got, ok, at)
		}
		prev = id
	}
}
