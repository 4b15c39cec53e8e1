package share

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// node is a JSON value that keeps object key order, so a redacted event
// still reads like the one AWS would send (key order is part of what
// gatescope reproduces), and unchanged documents are never rewritten.
type node struct {
	kind byte // '{', '[', '"', or 'v' for numbers, booleans and null
	keys []string
	vals []*node // object values (parallel to keys) or array items
	str  string
	raw  json.RawMessage // kind 'v'
}

// maxDepth bounds nesting while parsing: documents come from files users
// import and share, and recursion must not blow the stack.
const maxDepth = 512

func parseNode(b []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	n, err := readNode(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after JSON value")
	}
	return n, nil
}

func readNode(dec *json.Decoder, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, errors.New("JSON nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &node{kind: '{'}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key is %T", kt)
				}
				v, err := readNode(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, k)
				n.vals = append(n.vals, v)
			}
			_, err := dec.Token() // '}'
			return n, err
		case '[':
			n := &node{kind: '['}
			for dec.More() {
				v, err := readNode(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.vals = append(n.vals, v)
			}
			_, err := dec.Token() // ']'
			return n, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case string:
		return &node{kind: '"', str: t}, nil
	case json.Number:
		return &node{kind: 'v', raw: json.RawMessage(t)}, nil
	case bool:
		if t {
			return &node{kind: 'v', raw: json.RawMessage("true")}, nil
		}
		return &node{kind: 'v', raw: json.RawMessage("false")}, nil
	case nil:
		return &node{kind: 'v', raw: json.RawMessage("null")}, nil
	}
	return nil, fmt.Errorf("unexpected token %T", tok)
}

func (n *node) encode(buf *bytes.Buffer) {
	switch n.kind {
	case '{':
		buf.WriteByte('{')
		for i, k := range n.keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeString(buf, k)
			buf.WriteByte(':')
			n.vals[i].encode(buf)
		}
		buf.WriteByte('}')
	case '[':
		buf.WriteByte('[')
		for i, v := range n.vals {
			if i > 0 {
				buf.WriteByte(',')
			}
			v.encode(buf)
		}
		buf.WriteByte(']')
	case '"':
		writeString(buf, n.str)
	default:
		buf.Write(n.raw)
	}
}

// writeString writes s as a JSON string without HTML escaping, which would
// turn a body's "<" into "\u003c" and make a redacted copy differ needlessly.
func writeString(buf *bytes.Buffer, s string) {
	var tmp bytes.Buffer
	enc := json.NewEncoder(&tmp)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a Go string always encodes
	buf.Write(bytes.TrimSuffix(tmp.Bytes(), []byte("\n")))
}

func (n *node) bytes() []byte {
	var buf bytes.Buffer
	n.encode(&buf)
	return buf.Bytes()
}
