package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

func TestMergeGlobals(t *testing.T) {
	tests := []struct {
		name          string
		global, local string
		want          any
	}{
		{
			name:   "scalars: resource wins",
			global: "{Timeout: 10, Runtime: go}",
			local:  "{Timeout: 20}",
			want:   map[string]any{"Timeout": 20, "Runtime": "go"},
		},
		{
			name:   "maps merge key by key, recursively",
			global: "{Environment: {Variables: {A: g, B: g}}}",
			local:  "{Environment: {Variables: {B: l, C: l}}}",
			want:   map[string]any{"Environment": map[string]any{"Variables": map[string]any{"A": "g", "B": "l", "C": "l"}}},
		},
		{
			name:   "lists concatenate, globals first",
			global: "{Layers: [g1, g2]}",
			local:  "{Layers: [l1]}",
			want:   map[string]any{"Layers": []any{"g1", "g2", "l1"}},
		},
		{
			name:   "an intrinsic is a value, not a map to merge",
			global: "{Environment: {Variables: {A: g}}}",
			local:  "{Environment: {Ref: Env}}",
			want:   map[string]any{"Environment": map[string]any{"Ref": "Env"}},
		},
		{
			name:   "type mismatch: resource wins",
			global: "{Layers: [g1]}",
			local:  "{Layers: l1}",
			want:   map[string]any{"Layers": "l1"},
		},
		{
			name:   "no globals",
			global: "",
			local:  "{Timeout: 5}",
			want:   map[string]any{"Timeout": 5},
		},
		{
			name:   "no properties",
			global: "{Timeout: 5}",
			local:  "",
			want:   map[string]any{"Timeout": 5},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			node := func(s string) *yaml.Node {
				if s == "" {
					return nil
				}
				var n yaml.Node
				if err := yaml.Unmarshal([]byte(s), &n); err != nil {
					t.Fatal(err)
				}
				return &n
			}
			var got any
			if err := mergeGlobals(node(tt.global), node(tt.local)).Decode(&got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("merge mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
