package web

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// durationCases reads the table shared with the JavaScript tests
// (web/jstest/common.test.js), so both formatters follow one rule.
func durationCases(t *testing.T) [][2]any {
	t.Helper()
	b, err := os.ReadFile("testdata/durations.json")
	if err != nil {
		t.Fatal(err)
	}
	var table struct {
		Cases [][2]any `json:"cases"`
	}
	if err := json.Unmarshal(b, &table); err != nil {
		t.Fatalf("testdata/durations.json: %v", err)
	}
	if len(table.Cases) < 10 {
		t.Fatalf("testdata/durations.json has %d cases", len(table.Cases))
	}
	return table.Cases
}

func TestFormatMs(t *testing.T) {
	for _, c := range durationCases(t) {
		ms, ok1 := c[0].(float64)
		want, ok2 := c[1].(string)
		if !ok1 || !ok2 {
			t.Fatalf("bad case %v: want [number, string]", c)
		}
		if got := FormatMs(ms); got != want {
			t.Errorf("FormatMs(%v) = %q, want %q", ms, got, want)
		}
	}
	// JSON has no NaN; JavaScript's !(ms > 0) and Go's agree on it too.
	if got := FormatMs(math.NaN()); got != "0 ms" {
		t.Errorf("FormatMs(NaN) = %q", got)
	}
}

// TestFormatSize follows testdata/sizes.json, which the JavaScript tests
// read too (formatSize in web/static/common.js).
func TestFormatSize(t *testing.T) {
	b, err := os.ReadFile("testdata/sizes.json")
	if err != nil {
		t.Fatal(err)
	}
	var table struct {
		Cases [][2]any `json:"cases"`
	}
	if err := json.Unmarshal(b, &table); err != nil || len(table.Cases) < 8 {
		t.Fatalf("testdata/sizes.json: %d cases, %v", len(table.Cases), err)
	}
	for _, c := range table.Cases {
		n, _ := c[0].(float64)
		if got := FormatSize(int(n)); got != c[1] {
			t.Errorf("FormatSize(%v) = %q, want %q", n, got, c[1])
		}
	}
}
