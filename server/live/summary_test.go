package live

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gatescope/gatescope/server/exchange"
)

// TestSummarizeMatchesScript: the list's script builds its rows from
// summaries, from the feed and from the list API alike; this table (read
// by the script's tests too, web/jstest) pins their shape, "failed",
// "size" and the waterfall's "phases" included.
func TestSummarizeMatchesScript(t *testing.T) {
	b, err := os.ReadFile("../../web/testdata/summaries.json")
	if err != nil {
		t.Fatal(err)
	}
	var table struct {
		Cases []struct {
			Name     string          `json:"name"`
			Exchange json.RawMessage `json:"exchange"`
			Summary  map[string]any  `json:"summary"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(b, &table); err != nil {
		t.Fatal(err)
	}
	if len(table.Cases) < 4 {
		t.Fatalf("%d cases", len(table.Cases))
	}
	for _, c := range table.Cases {
		t.Run(c.Name, func(t *testing.T) {
			var x exchange.Exchange
			if err := json.Unmarshal(c.Exchange, &x); err != nil {
				t.Fatal(err)
			}
			sb, err := json.Marshal(Summarize(&x))
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(sb, &got); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(c.Summary, got); d != "" {
				t.Errorf("Summarize differs from web/testdata/summaries.json (-file +Go):\n%s", d)
			}
		})
	}
}
