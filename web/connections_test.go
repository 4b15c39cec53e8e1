package web

import (
	"encoding/json"
	"os"
	"testing"
	"time"
)

// TestFormatAge follows the table connections.js's formatAge is tested
// against too.
func TestFormatAge(t *testing.T) {
	b, err := os.ReadFile("testdata/ages.json")
	if err != nil {
		t.Fatal(err)
	}
	var table struct {
		Cases [][2]any `json:"cases"`
	}
	if err := json.Unmarshal(b, &table); err != nil || len(table.Cases) < 5 {
		t.Fatalf("testdata/ages.json: %v", err)
	}
	for _, c := range table.Cases {
		ms, want := c[0].(float64), c[1].(string)
		if got := FormatAge(time.Duration(ms) * time.Millisecond); got != want {
			t.Errorf("FormatAge(%v ms) = %q, want %q", ms, got, want)
		}
	}
}
