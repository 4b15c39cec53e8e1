package config

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// longForm maps a CloudFormation short-form tag to its long-form key.
func longForm(tag string) (string, bool) {
	switch tag {
	case "!Ref":
		return "Ref", true
	case "!Condition":
		return "Condition", true
	case "!GetAtt", "!Sub", "!If", "!Join", "!Select", "!Split", "!Equals",
		"!Not", "!And", "!Or", "!FindInMap", "!Base64", "!ImportValue",
		"!GetAZs", "!Cidr", "!Transform", "!Length", "!ToJsonString":
		return "Fn::" + tag[1:], true
	}
	return "", false
}

// rewriteTags turns short-form intrinsics into their long form in place
// (!Ref X → {Ref: X}, !GetAtt A.B → {Fn::GetAtt: [A, B]}), so the resolver
// only ever sees one form. Unknown local tags are dropped with a warning:
// the value is kept as if untagged.
func (l *loader) rewriteTags(n *yaml.Node) {
	if n == nil || n.Kind == yaml.AliasNode {
		return // the anchored node is rewritten where it is defined
	}
	for _, c := range n.Content {
		l.rewriteTags(c)
	}
	tag := n.Tag
	if !strings.HasPrefix(tag, "!") || strings.HasPrefix(tag, "!!") {
		return
	}
	name, ok := longForm(tag)
	if !ok {
		l.warn(Warning{Line: n.Line, Message: "unknown tag " + tag + " ignored"})
		n.Tag = plainTag(n)
		n.Style &^= yaml.TaggedStyle
		return
	}
	inner := *n
	inner.Tag = plainTag(n)
	inner.Style &^= yaml.TaggedStyle
	inner.Anchor = ""
	arg := &inner
	if name == "Fn::GetAtt" && inner.Kind == yaml.ScalarNode {
		// Only the first dot separates the resource; attributes may contain dots.
		if res, attr, found := strings.Cut(inner.Value, "."); found {
			arg = seqNode(n.Line, n.Column, strNode(res, n.Line, n.Column), strNode(attr, n.Line, n.Column))
		}
	}
	*n = yaml.Node{
		Kind:    yaml.MappingNode,
		Tag:     "!!map",
		Anchor:  n.Anchor,
		Line:    n.Line,
		Column:  n.Column,
		Content: []*yaml.Node{strNode(name, n.Line, n.Column), arg},
	}
}

// plainTag is the tag a node would have without its explicit local tag.
// A tagged scalar is a string (!Ref 123 names "123").
func plainTag(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "!!map"
	case yaml.SequenceNode:
		return "!!seq"
	}
	return "!!str"
}
