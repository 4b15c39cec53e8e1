package config

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Helpers over yaml.Node trees. We keep templates as nodes (never decode to
// maps) so that every value still knows its line for warnings and errors.

// deref follows aliases (*anchor) to the node they stand for.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		return deref(n.Content[0])
	}
	return n
}

type pair struct {
	key string
	k   *yaml.Node
	v   *yaml.Node
}

// pairs lists a mapping's entries in order. YAML merge keys ("<<: *x") are
// expanded with lower priority than the mapping's own keys; a repeated key
// keeps its first value.
func pairs(m *yaml.Node) []pair {
	m = deref(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	var own, merged []pair
	seen := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Tag == "!!merge" {
			src := deref(v)
			if src != nil && src.Kind == yaml.SequenceNode {
				for _, c := range src.Content {
					merged = append(merged, pairs(c)...)
				}
			} else {
				merged = append(merged, pairs(src)...)
			}
			continue
		}
		if seen[k.Value] {
			continue
		}
		seen[k.Value] = true
		own = append(own, pair{key: k.Value, k: k, v: v})
	}
	for _, p := range merged {
		if !seen[p.key] {
			seen[p.key] = true
			own = append(own, p)
		}
	}
	return own
}

// get returns the value of key in mapping m, or nil.
func get(m *yaml.Node, key string) *yaml.Node {
	for _, p := range pairs(m) {
		if p.key == key {
			return p.v
		}
	}
	return nil
}

// getFold is get with a case-insensitive key, for OpenAPI extensions that
// AWS documents as camelCase while SAM uses PascalCase for the same thing.
func getFold(m *yaml.Node, key string) *yaml.Node {
	for _, p := range pairs(m) {
		if strings.EqualFold(p.key, key) {
			return p.v
		}
	}
	return nil
}

// scalar returns a scalar's text exactly as written (so 2.0 stays "2.0" and
// 0123 stays "0123"); false for null, mappings and sequences.
func scalar(n *yaml.Node) (string, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", false
	}
	return n.Value, true
}

func isMap(n *yaml.Node) bool {
	n = deref(n)
	return n != nil && n.Kind == yaml.MappingNode
}

func isSeq(n *yaml.Node) bool {
	n = deref(n)
	return n != nil && n.Kind == yaml.SequenceNode
}

func strNode(s string, line, col int) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Line: line, Column: col}
}

func boolNode(b bool, line, col int) *yaml.Node {
	v := "false"
	if b {
		v = "true"
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: v, Line: line, Column: col}
}

func seqNode(line, col int, items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: line, Column: col, Content: items}
}

func mapNode(line, col int) *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: line, Column: col}
}

// line returns n's line, or fallback when n is nil or has none.
func line(n *yaml.Node, fallback int) int {
	if n != nil && n.Line > 0 {
		return n.Line
	}
	return fallback
}

// describe names a value for error messages: its text, or its kind.
func describe(n *yaml.Node) string {
	n = deref(n)
	switch {
	case n == nil:
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Tag == "!!null":
		return "null"
	default:
		return strconv.Quote(n.Value)
	}
}
