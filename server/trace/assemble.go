package trace

import (
	"encoding/json"
	"slices"
)

// Trace is one trace as GET /api/exchanges/{id}/trace serves it: its
// segment documents with subsegments nested, gatescope's own (API Gateway,
// Lambda) and whatever functions sent.
type Trace struct {
	TraceID  string     `json:"traceId"`
	Segments []*Segment `json:"segments"`
}

// Assemble nests a trace's documents as X-Ray reads them. docs come in the
// order they were received; a document that cannot be decoded is skipped.
//
//   - A complete document replaces an in-progress one with the same id; of
//     two alike, the later wins.
//   - Children that arrive embedded stay where they are: the Go SDK gives
//     them the Lambda facade's id as parent_id, which is not their parent.
//   - A subsegment sent alone goes under the (sub)segment its parent_id
//     names; under the function segment (AWS::Lambda::Function) that is
//     its Invocation subsegment, where the X-Ray console shows the
//     function's own work. One also sent embedded keeps the embedded copy.
//     One whose parent never came stays at the top.
//   - Segments stay at the top: their parent_id links them to the
//     subsegment that called them (Tree draws them there).
func Assemble(traceID string, docs []json.RawMessage) *Trace {
	type entry struct {
		seg   *Segment
		order int
	}
	chosen := map[string]*entry{}
	for i, d := range docs {
		s := new(Segment)
		if json.Unmarshal(d, s) != nil || s.ID == "" {
			continue
		}
		if old, ok := chosen[s.ID]; ok && !old.seg.InProgress && s.InProgress {
			continue // an in-progress copy never replaces the complete one
		}
		chosen[s.ID] = &entry{s, i}
	}
	tops := make([]*entry, 0, len(chosen))
	for _, e := range chosen {
		tops = append(tops, e)
	}
	slices.SortFunc(tops, func(a, b *entry) int { return a.order - b.order })

	embedded := map[string]bool{}
	for _, e := range tops {
		e.seg.Walk(func(seg, parent *Segment, depth int) {
			if depth > 0 {
				embedded[seg.ID] = true
			}
		})
	}
	index := map[string]*Segment{}
	var kept []*Segment
	for _, e := range tops {
		if embedded[e.seg.ID] {
			continue
		}
		kept = append(kept, e.seg)
		e.seg.Walk(func(seg, _ *Segment, _ int) {
			if _, dup := index[seg.ID]; !dup {
				index[seg.ID] = seg
			}
		})
	}
	attached := map[*Segment]bool{}
	for _, s := range kept {
		if !s.IsSubsegment() || s.ParentID == "" {
			continue
		}
		p := index[s.ParentID]
		if p == nil || p == s || contains(s, p) {
			continue
		}
		if inv := invocationOf(p); inv != nil {
			p = inv
		}
		p.Subsegments = append(p.Subsegments, s)
		attached[s] = true
	}
	t := &Trace{TraceID: traceID, Segments: []*Segment{}}
	for _, s := range kept {
		if !attached[s] {
			t.Segments = append(t.Segments, s)
		}
	}
	byStart := func(a, b *Segment) int {
		switch {
		case a.StartTime < b.StartTime:
			return -1
		case a.StartTime > b.StartTime:
			return 1
		}
		return 0
	}
	for _, s := range t.Segments {
		s.Walk(func(seg, _ *Segment, _ int) {
			seg.Subsegments = slices.DeleteFunc(seg.Subsegments, func(c *Segment) bool { return c == nil })
			slices.SortStableFunc(seg.Subsegments, byStart)
		})
	}
	slices.SortStableFunc(t.Segments, byStart)
	return t
}

// invocationOf is the Invocation subsegment of a function segment, or nil.
func invocationOf(p *Segment) *Segment {
	if p.Origin != "AWS::Lambda::Function" {
		return nil
	}
	for _, c := range p.Subsegments {
		if c != nil && c.Name == "Invocation" {
			return c
		}
	}
	return nil
}

// contains reports whether p is s or below it.
func contains(s, p *Segment) bool {
	found := false
	s.Walk(func(seg, _ *Segment, _ int) {
		if seg == p {
			found = true
		}
	})
	return found
}

// Row is one line of a trace's waterfall: a segment or subsegment at its
// depth below the trace's first segment.
type Row struct {
	Seg   *Segment
	Depth int
	// Service is set for segments (a service's own document), false for
	// subsegments (work a service did, or a call it made).
	Service bool
}

// Rows flattens the trace for a waterfall, depth first: each segment under
// the subsegment its parent_id names (API Gateway's Lambda call contains
// Lambda's segment, which contains the function's), subsegments under
// their segment. Siblings are in start order. A segment whose parent is
// not in the trace starts at depth 0.
func (t *Trace) Rows() []Row {
	ids := map[string]*Segment{}
	for _, s := range t.Segments {
		s.Walk(func(seg, _ *Segment, _ int) { ids[seg.ID] = seg })
	}
	children := map[*Segment][]*Segment{}
	var roots []*Segment
	for _, s := range t.Segments {
		p := ids[s.ParentID]
		if s.ParentID == "" || p == nil || contains(s, p) {
			roots = append(roots, s)
			continue
		}
		if inv := invocationOf(p); inv != nil && s.Origin == "" {
			p = inv // a function's own segment (OpenTelemetry's server span) is its Invocation's work
		}
		children[p] = append(children[p], s)
	}
	var rows []Row
	seen := map[*Segment]bool{}
	var visit func(s *Segment, depth int, service bool)
	visit = func(s *Segment, depth int, service bool) {
		if seen[s] || depth > 64 {
			return
		}
		seen[s] = true
		rows = append(rows, Row{Seg: s, Depth: depth, Service: service})
		kids := make([]*Segment, 0, len(s.Subsegments)+len(children[s]))
		kids = append(kids, s.Subsegments...)
		kids = append(kids, children[s]...)
		slices.SortStableFunc(kids, func(a, b *Segment) int {
			switch {
			case a.StartTime < b.StartTime:
				return -1
			case a.StartTime > b.StartTime:
				return 1
			}
			return 0
		})
		for _, k := range kids {
			visit(k, depth+1, slices.Contains(children[s], k))
		}
	}
	for _, r := range roots {
		visit(r, 0, !r.IsSubsegment())
	}
	return rows
}
