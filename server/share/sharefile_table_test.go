package share

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/gatescope/gatescope/server/testenv"
)

// sharebodies is the table shared with the share file's script
// (web/jstest/sharefile.test.js): a part's whole text, as the share pages
// show its start and the file shows all of it after Show all.
var sharebodies = filepath.Join("..", "..", "web", "testdata", "sharebodies.json")

type sharebodyCase struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"` // body or json
	Input    string `json:"input"`
	IsBase64 bool   `json:"isBase64"`
	Text     string `json:"text"`
	Note     string `json:"note"`
}

// TestShareFileScriptTable: shareBody and shareJSON give each case's text
// and note (with -update, they write them).
func TestShareFileScriptTable(t *testing.T) {
	b, err := os.ReadFile(sharebodies)
	if err != nil {
		t.Fatal(err)
	}
	var table struct {
		About string          `json:"about"`
		Cases []sharebodyCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &table); err != nil {
		t.Fatalf("%s: %v", sharebodies, err)
	}
	if len(table.Cases) < 20 {
		t.Fatalf("%s has %d cases", sharebodies, len(table.Cases))
	}
	for i, c := range table.Cases {
		var got shownBody
		switch c.Kind {
		case "body":
			got = shareBody(c.Input, c.IsBase64)
		case "json":
			got = shareJSON([]byte(c.Input))
		default:
			t.Fatalf("%s: kind %q", c.Name, c.Kind)
		}
		if got.cut {
			t.Fatalf("%s: cut; keep the table's inputs under %d bytes", c.Name, shownBytes)
		}
		if testenv.Updating() {
			table.Cases[i].Text, table.Cases[i].Note = got.text, got.note
			continue
		}
		if got.text != c.Text || got.note != c.Note {
			t.Errorf("%s: got %q (%q), the table says %q (%q); if Go is right, run go test ./server/share -run TestShareFileScriptTable -update and check the script against it",
				c.Name, got.text, got.note, c.Text, c.Note)
		}
	}
	if testenv.Updating() {
		out, err := json.MarshalIndent(table, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(sharebodies, append(out, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
