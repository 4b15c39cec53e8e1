package trace

import (
	"math"
	"slices"
	"strings"
)

// MapRequest is one exchange for the service map: what the client saw,
// and its trace (nil when it has none).
type MapRequest struct {
	TraceID    string
	APIID      string // "" for a direct invoke
	APIType    string // "HTTP", "REST"
	Stage      string
	Function   string
	Status     int
	DurationMs float64
	// Direct is set for an Invoke API exchange: the client called Lambda.
	Direct bool
	Trace  *Trace
}

// MapNode is a service of the map: the client, an API stage, a function,
// or a downstream service (AWS by namespace aws, hosts by namespace
// remote). Keys are those of the list's node filter.
type MapNode struct {
	Key       string  `json:"key"`
	Name      string  `json:"name"`
	Type      string  `json:"type"`
	Count     int     `json:"count"`
	Errors    int     `json:"errors"` // 4xx, throttles included (as X-Ray counts them)
	Faults    int     `json:"faults"`
	Throttles int     `json:"throttles"`
	P50Ms     float64 `json:"p50Ms"`
	P99Ms     float64 `json:"p99Ms"`
	durations []float64

	Layer int     `json:"layer"`
	X     float64 `json:"x"`
	Y     float64 `json:"y"`
}

// MapEdge is a call from one node to another.
type MapEdge struct {
	From      string  `json:"from"`
	To        string  `json:"to"`
	Count     int     `json:"count"`
	Errors    int     `json:"errors"`
	Faults    int     `json:"faults"`
	Throttles int     `json:"throttles"`
	P50Ms     float64 `json:"p50Ms"`
	P99Ms     float64 `json:"p99Ms"`
	durations []float64
}

// ServiceMap is the map of a set of exchanges, laid out in layers from the
// client, left to right.
type ServiceMap struct {
	Nodes         []*MapNode
	Edges         []*MapEdge
	Width, Height float64
}

// Layout of the map, in SVG user units.
const (
	mapLayerGap = 230
	mapRowGap   = 130
	mapMargin   = 130
)

// BuildMap aggregates the exchanges' traces as X-Ray's service map does: a
// node per service segment (API Gateway's stage, the function; Lambda's
// service and function segments are one node), one per downstream service
// a subsegment called, edges by the calls between them, each with its
// count, error (4xx), fault (5xx) and throttle (429) counts and latency
// percentiles. A trace shared by several exchanges (a function invoking
// another) counts once. HTTP APIs, which X-Ray does not trace, are nodes
// from gatescope's own records.
func BuildMap(reqs []MapRequest) *ServiceMap {
	m := &ServiceMap{}
	nodes := map[string]*MapNode{}
	edges := map[[2]string]*MapEdge{}
	node := func(key, name, typ string) *MapNode {
		n := nodes[key]
		if n == nil {
			n = &MapNode{Key: key, Name: name, Type: typ}
			nodes[key] = n
			m.Nodes = append(m.Nodes, n)
		}
		return n
	}
	count := func(n *MapNode, st Status, ms float64) {
		n.Count++
		switch st {
		case StatusError:
			n.Errors++
		case StatusFault:
			n.Faults++
		case StatusThrottle:
			n.Throttles++
			n.Errors++
		}
		if ms >= 0 && len(n.durations) < 100_000 {
			n.durations = append(n.durations, ms)
		}
	}
	edge := func(from, to string, st Status, ms float64) {
		if from == "" || to == "" || from == to {
			return
		}
		k := [2]string{from, to}
		e := edges[k]
		if e == nil {
			e = &MapEdge{From: from, To: to}
			edges[k] = e
			m.Edges = append(m.Edges, e)
		}
		e.Count++
		switch st {
		case StatusError:
			e.Errors++
		case StatusFault:
			e.Faults++
		case StatusThrottle:
			e.Throttles++
			e.Errors++
		}
		if ms >= 0 && len(e.durations) < 100_000 {
			e.durations = append(e.durations, ms)
		}
	}
	client := node("client", "Client", "client")

	seenTrace := map[string]bool{}
	for _, r := range reqs {
		st := httpStatus(r.Status)
		if r.Direct && r.Trace != nil && calledFromTrace(r.Trace) {
			continue // counted in its caller's trace
		}
		count(client, st, r.DurationMs)
		entry := ""
		if r.APIID != "" {
			typ := "AWS::ApiGateway::Stage"
			if r.APIType == "HTTP" {
				typ = "HTTP API (gatescope)"
			}
			entry = "api:" + r.APIID
			count(node(entry, r.APIID+"/"+r.Stage, typ), st, r.DurationMs)
			edge(client.Key, entry, st, r.DurationMs)
		}
		fnSeen := false
		if r.Trace != nil && r.TraceID != "" && !seenTrace[r.TraceID] {
			seenTrace[r.TraceID] = true
			fnSeen = walkTrace(r.Trace, entry, node, count, edge)
		} else if r.Trace != nil && seenTrace[r.TraceID] {
			fnSeen = true
		}
		if !fnSeen && r.Function != "" {
			fn := "fn:" + r.Function
			count(node(fn, r.Function, "AWS::Lambda::Function"), st, r.DurationMs)
			from := entry
			if from == "" {
				from = client.Key
			}
			edge(from, fn, st, r.DurationMs)
		}
	}
	for _, n := range m.Nodes {
		n.P50Ms, n.P99Ms = percentiles(n.durations)
		n.durations = nil
	}
	for _, e := range m.Edges {
		e.P50Ms, e.P99Ms = percentiles(e.durations)
		e.durations = nil
	}
	m.layout()
	return m
}

// calledFromTrace reports whether a direct invoke's Lambda segment was
// called by a subsegment of another service (its parent_id is set).
func calledFromTrace(t *Trace) bool {
	for _, s := range t.Segments {
		if s.Origin == "AWS::Lambda" {
			return s.ParentID != ""
		}
	}
	return false
}

// walkTrace adds a trace's function and downstream nodes and their edges;
// it reports whether it found a function.
func walkTrace(t *Trace, entry string,
	node func(key, name, typ string) *MapNode,
	count func(*MapNode, Status, float64),
	edge func(from, to string, st Status, ms float64)) bool {
	// owner maps every (sub)segment id to the node whose work it is.
	owner := map[string]string{}
	ids := map[string]*Segment{}
	parentOf := map[*Segment]*Segment{}
	for _, s := range t.Segments {
		s.Walk(func(seg, p *Segment, _ int) {
			ids[seg.ID] = seg
			if p != nil {
				parentOf[seg] = p
			}
		})
	}
	keyOf := func(s *Segment) string {
		switch s.Origin {
		case "AWS::ApiGateway::Stage":
			if entry != "" {
				return entry
			}
			return "api:" + strings.SplitN(s.Name, "/", 2)[0]
		case "AWS::Lambda", "AWS::Lambda::Function":
			return "fn:" + s.Name
		}
		return ""
	}
	// Resolve owners: a segment's own key, or its parent's owner.
	var ownerOf func(s *Segment, depth int) string
	ownerOf = func(s *Segment, depth int) string {
		if k, ok := owner[s.ID]; ok {
			return k
		}
		if depth > 64 {
			return ""
		}
		k := keyOf(s)
		if k == "" {
			if p := parentOf[s]; p != nil {
				k = ownerOf(p, depth+1)
			} else if p := ids[s.ParentID]; p != nil && p != s {
				k = ownerOf(p, depth+1)
			}
		}
		owner[s.ID] = k
		return k
	}
	found := false
	for _, s := range t.Segments {
		if s.Origin == "AWS::Lambda::Function" {
			found = true
			k := keyOf(s)
			count(node(k, s.Name, "AWS::Lambda::Function"), s.Status(), s.durMs())
			// Its caller: Lambda's service segment's parent, a Lambda call.
			from := entry
			if svc := ids[s.ParentID]; svc != nil {
				if call := ids[svc.ParentID]; call != nil {
					from = ownerOf(call, 0)
				}
			}
			edge(from, k, s.Status(), s.durMs())
		}
	}
	// Downstream calls: subsegments in namespace aws or remote that are not
	// a call whose callee is in the trace (gatescope's own Lambda calls).
	called := map[string]bool{}
	for _, s := range t.Segments {
		if s.ParentID != "" {
			called[s.ParentID] = true
		}
	}
	for _, s := range t.Segments {
		s.Walk(func(seg, _ *Segment, _ int) {
			k := DownstreamKey(seg)
			if k == "" || called[seg.ID] {
				return
			}
			from := ownerOf(seg, 0)
			if from == "" {
				return
			}
			typ := "remote"
			if seg.Namespace == "aws" {
				typ = "AWS::" + seg.Name
			} else if len(seg.SQL) > 0 {
				typ = "database"
			}
			count(node(k, seg.Name, typ), seg.Status(), seg.durMs())
			edge(from, k, seg.Status(), seg.durMs())
		})
	}
	return found
}

func (s *Segment) durMs() float64 {
	if s.EndTime == 0 || s.EndTime < s.StartTime {
		return -1
	}
	return (s.EndTime - s.StartTime) * 1000
}

func httpStatus(code int) Status {
	switch {
	case code == 429:
		return StatusThrottle
	case code >= 500 || code == 0:
		return StatusFault
	case code >= 400:
		return StatusError
	}
	return StatusOK
}

func percentiles(d []float64) (p50, p99 float64) {
	if len(d) == 0 {
		return 0, 0
	}
	slices.Sort(d)
	at := func(p float64) float64 {
		rank := int(math.Ceil(p / 100 * float64(len(d))))
		return d[max(rank, 1)-1]
	}
	return at(50), at(99)
}

// layout places nodes in layers by their longest path from the client,
// ordered in each layer by where their callers are.
func (m *ServiceMap) layout() {
	byKey := map[string]*MapNode{}
	for _, n := range m.Nodes {
		byKey[n.Key] = n
		n.Layer = 0
	}
	// Longest path by relaxation; a cycle stops after len(nodes) rounds.
	for range len(m.Nodes) {
		changed := false
		for _, e := range m.Edges {
			f, t := byKey[e.From], byKey[e.To]
			if f != nil && t != nil && t.Layer < f.Layer+1 && f.Layer+1 < len(m.Nodes) {
				t.Layer = f.Layer + 1
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	layers := map[int][]*MapNode{}
	maxLayer := 0
	for _, n := range m.Nodes {
		layers[n.Layer] = append(layers[n.Layer], n)
		maxLayer = max(maxLayer, n.Layer)
	}
	tallest := 0
	for l := 0; l <= maxLayer; l++ {
		ns := layers[l]
		// Barycenter of callers' rows, then name, for a stable order.
		bary := map[*MapNode]float64{}
		for _, n := range ns {
			sum, k := 0.0, 0
			for _, e := range m.Edges {
				if e.To == n.Key {
					if f := byKey[e.From]; f != nil && f.Layer < l {
						sum += f.Y
						k++
					}
				}
			}
			if k > 0 {
				bary[n] = sum / float64(k)
			}
		}
		slices.SortStableFunc(ns, func(a, b *MapNode) int {
			if d := bary[a] - bary[b]; d != 0 {
				if d < 0 {
					return -1
				}
				return 1
			}
			return strings.Compare(a.Key, b.Key)
		})
		for i, n := range ns {
			n.X = mapMargin + float64(l)*mapLayerGap
			n.Y = mapMargin + float64(i)*mapRowGap
		}
		tallest = max(tallest, len(ns))
	}
	// Centre each layer on the tallest.
	for l := 0; l <= maxLayer; l++ {
		ns := layers[l]
		off := float64(tallest-len(ns)) * mapRowGap / 2
		for _, n := range ns {
			n.Y += off
		}
	}
	m.Width = 2*mapMargin + float64(maxLayer)*mapLayerGap + 60
	m.Height = 2*mapMargin + float64(max(tallest-1, 0))*mapRowGap + 20
}
