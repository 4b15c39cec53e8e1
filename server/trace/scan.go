package trace

import (
	"encoding/json"
	"slices"
	"unicode/utf8"
)

// scanHead reads the keys a document is filed by (trace_id, id,
// parent_id, in_progress) and the downstream nodes of it and its
// subsegments, without decoding the rest: the daemon reads every document
// a function sends, and reflection-based decoding cost more than storing
// it. b must be valid JSON (json.Valid); ok is false when b is not an
// object.
func scanHead(b []byte) (h docHead, nodes []string, ok bool) {
	s := scanner{b: b}
	s.ws()
	if !s.object(&h, &nodes, 0) {
		return docHead{}, nil, false
	}
	return h, nodes, true
}

type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// str reads a string at i and returns its value.
func (s *scanner) str() (string, bool) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return "", false
	}
	start := s.i
	s.i++
	escaped := false
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '\\':
			escaped = true
			s.i += 2
			continue
		case '"':
			s.i++
			if raw := s.b[start+1 : s.i-1]; !escaped && utf8.Valid(raw) {
				return string(raw), true
			}
			var v string
			if json.Unmarshal(s.b[start:s.i], &v) != nil {
				return "", false
			}
			return v, true
		}
		s.i++
	}
	return "", false
}

// skip passes over one value.
func (s *scanner) skip() bool {
	s.ws()
	if s.i >= len(s.b) {
		return false
	}
	switch s.b[s.i] {
	case '"':
		_, ok := s.str()
		return ok
	case '{', '[':
		depth := 0
		for s.i < len(s.b) {
			switch c := s.b[s.i]; c {
			case '"':
				if _, ok := s.str(); !ok {
					return false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return true
				}
			}
			s.i++
		}
		return false
	default:
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return true
			}
			s.i++
		}
		return true
	}
}

// object reads an object's filing keys into h (depth 0) and the nodes of
// it and its subsegments.
func (s *scanner) object(h *docHead, nodes *[]string, depth int) bool {
	if s.i >= len(s.b) || s.b[s.i] != '{' || depth > 64 {
		return false
	}
	s.i++
	var name, namespace string
	for {
		s.ws()
		if s.i < len(s.b) && s.b[s.i] == '}' {
			s.i++
			break
		}
		key, ok := s.str()
		if !ok {
			return false
		}
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return false
		}
		s.i++
		s.ws()
		isStr := s.i < len(s.b) && s.b[s.i] == '"'
		switch {
		case isStr && (key == "name" || key == "namespace" || depth == 0 && (key == "trace_id" || key == "id" || key == "parent_id")):
			v, ok := s.str()
			if !ok {
				return false
			}
			switch key {
			case "name":
				name = v
			case "namespace":
				namespace = v
			case "trace_id":
				h.TraceID = v
			case "id":
				h.ID = v
			case "parent_id":
				h.ParentID = v
			}
		case key == "in_progress" && depth == 0:
			h.InProgress = s.i+4 <= len(s.b) && string(s.b[s.i:s.i+4]) == "true"
			if !s.skip() {
				return false
			}
		case key == "subsegments" && s.i < len(s.b) && s.b[s.i] == '[':
			s.i++
			for {
				s.ws()
				if s.i < len(s.b) && s.b[s.i] == ']' {
					s.i++
					break
				}
				if s.i < len(s.b) && s.b[s.i] == '{' {
					var child docHead
					if !s.object(&child, nodes, depth+1) {
						return false
					}
				} else if !s.skip() {
					return false
				}
				s.ws()
				if s.i < len(s.b) && s.b[s.i] == ',' {
					s.i++
				}
			}
		default:
			if !s.skip() {
				return false
			}
		}
		s.ws()
		if s.i < len(s.b) && s.b[s.i] == ',' {
			s.i++
		}
	}
	if k := DownstreamKey(&Segment{Name: name, Namespace: namespace}); k != "" && len(*nodes) < maxDocNodes && !slices.Contains(*nodes, k) {
		*nodes = append(*nodes, k)
	}
	return true
}
