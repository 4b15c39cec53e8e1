package dashboard

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/httpio"
	"github.com/gatescope/gatescope/server/trace"
	"github.com/gatescope/gatescope/store"
	"github.com/gatescope/gatescope/web"
)

// mapWindows are the time windows the map offers.
var mapWindows = []web.Option{{Value: "5m", Label: "Last 5 minutes"}, {Value: "15m", Label: "Last 15 minutes"},
	{Value: "1h", Label: "Last hour"}, {Value: "24h", Label: "Last day"}}

// serviceMap builds the map of a session (id or name; "" for all) within
// a window ("" for any time): the newest store.MaxLimit exchanges.
func (h *Handlers) serviceMap(ctx context.Context, session, window string) (*trace.ServiceMap, int, bool, error) {
	f := store.Filter{Session: session, Limit: store.MaxLimit}
	if window != "" {
		d, err := time.ParseDuration(window)
		if err != nil || d <= 0 {
			return nil, 0, false, httpio.BadRequest("window %q: want a duration such as 15m or 1h", window)
		}
		f.Since = time.Now().Add(-d)
	}
	xs, next, err := h.opts.Store.Exchanges(ctx, f)
	if err != nil {
		return nil, 0, false, err
	}
	roots := map[string]bool{}
	var ids []string
	for _, x := range xs {
		if r := trace.RootFromHeaderID(x.TraceID); r != "" && !roots[r] {
			roots[r] = true
			ids = append(ids, r)
		}
	}
	docs, err := h.opts.Store.TraceDocsMany(ctx, ids)
	if err != nil {
		return nil, 0, false, err
	}
	traces := map[string]*trace.Trace{}
	var reqs []trace.MapRequest
	for i := len(xs) - 1; i >= 0; i-- { // oldest first: a caller before the call it made
		x := xs[i]
		r := trace.RootFromHeaderID(x.TraceID)
		t := traces[r]
		if t == nil && len(docs[r]) > 0 {
			t = trace.Assemble(r, docs[r])
			traces[r] = t
		}
		reqs = append(reqs, mapRequest(x, r, t))
	}
	return trace.BuildMap(reqs), len(xs), next != "", nil
}

func mapRequest(x *exchange.Exchange, root string, t *trace.Trace) trace.MapRequest {
	return trace.MapRequest{TraceID: root, APIID: x.API.ID, APIType: x.API.Type, Stage: x.API.Stage,
		Function: x.Function.Name, Status: x.Response.Status, DurationMs: x.DurationMs,
		Direct: x.API.ID == "" && x.Function.Name != "", Trace: t}
}

// MapAPI serves GET /api/map?session=&window=: the service map's nodes and
// edges with their counts and latencies, laid out.
func (h *Handlers) MapAPI(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	m, n, limited, err := h.serviceMap(r.Context(), q.Get("session"), q.Get("window"))
	if err != nil {
		httpio.Error(h.log, w, r, err)
		return
	}
	httpio.WriteJSON(w, http.StatusOK, map[string]any{"exchanges": n, "limited": limited, "nodes": m.Nodes, "edges": m.Edges})
}

// MapPage serves GET /map: the service map as SVG, drawn on the server.
func (h *Handlers) MapPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	session, window := q.Get("session"), q.Get("window")
	m, n, limited, err := h.serviceMap(r.Context(), session, window)
	if err != nil {
		httpio.PageError(h.log, w, r, err)
		return
	}
	v := web.MapView{Session: session, Window: window, Windows: mapWindows, Exchanges: n, Limited: limited,
		Width: max(m.Width, 400), Height: max(m.Height, 200),
		JSONURL: "/api/map?" + url.Values{"session": {session}, "window": {window}}.Encode()}
	if ss, err := h.opts.Store.Sessions(r.Context()); err == nil {
		for _, se := range ss {
			v.Sessions = append(v.Sessions, web.Option{Value: se.Name, Label: fmt.Sprintf("%s (%d)", se.Name, se.Exchanges)})
		}
	}
	pos := map[string]*trace.MapNode{}
	for _, nd := range m.Nodes {
		pos[nd.Key] = nd
		v.Nodes = append(v.Nodes, mapNodeView(nd, session))
	}
	for _, e := range m.Edges {
		f, t := pos[e.From], pos[e.To]
		if f == nil || t == nil {
			continue
		}
		x1, y1, x2, y2 := f.X+32, f.Y, t.X-34, t.Y
		if t.X <= f.X { // back to an earlier layer: loop below
			x1, x2 = f.X, t.X
			y1, y2 = f.Y+32, t.Y+32
		}
		cx := (x1 + x2) / 2
		ev := web.MapEdgeView{From: e.From, To: e.To, Href: listHref(session, e.To),
			D:     fmt.Sprintf("M %.1f %.1f C %.1f %.1f, %.1f %.1f, %.1f %.1f", x1, y1, cx, y1, cx, y2, x2, y2),
			Label: fmt.Sprintf("%d · %s", e.Count, web.FormatMs(e.P50Ms)), LX: cx, LY: (y1+y2)/2 - 6,
			Class: "s-" + string(worst(e.Count, e.Errors-e.Throttles, e.Faults, e.Throttles))}
		v.Edges = append(v.Edges, ev)
	}
	httpio.Page(h.log, w, r, http.StatusOK, web.ServiceMap(v))
}

// listHref is the live list filtered to the exchanges through a node.
func listHref(session, key string) string {
	q := url.Values{}
	if session != "" {
		q.Set("session", session)
	}
	if key != "client" {
		q.Set("node", key)
	}
	if len(q) == 0 {
		return "/"
	}
	return "/?" + q.Encode()
}

func worst(count, errors, faults, throttles int) trace.Status {
	switch {
	case faults > 0:
		return trace.StatusFault
	case throttles > 0:
		return trace.StatusThrottle
	case errors > 0:
		return trace.StatusError
	}
	return trace.StatusOK
}

func mapNodeView(n *trace.MapNode, session string) web.MapNodeView {
	errs := n.Errors - n.Throttles // X-Ray counts throttles as errors; the ring shows them apart
	okN := max(n.Count-errs-n.Faults-n.Throttles, 0)
	v := web.MapNodeView{Key: n.Key, Name: n.Name, Type: n.Type, Href: listHref(session, n.Key), X: n.X, Y: n.Y,
		Status: string(worst(n.Count, errs, n.Faults, n.Throttles)),
		Stats:  fmt.Sprintf("%d req · p50 %s · p99 %s", n.Count, web.FormatMs(n.P50Ms), web.FormatMs(n.P99Ms))}
	pct := func(k int) float64 { return 100 * float64(k) / float64(max(n.Count, 1)) }
	v.Ratios = fmt.Sprintf("%.0f%% error · %.0f%% fault · %.0f%% throttle", pct(errs), pct(n.Faults), pct(n.Throttles))
	circ := 2 * math.Pi * 30
	at := 0.0
	for _, part := range []struct {
		class string
		k     int
	}{{"ok", okN}, {"error", errs}, {"fault", n.Faults}, {"throttle", n.Throttles}} {
		if part.k == 0 {
			continue
		}
		l := circ * float64(part.k) / float64(max(n.Count, 1))
		v.Arcs = append(v.Arcs, web.Arc{Class: part.class, Dash: fmt.Sprintf("%.2f %.2f", l, circ-l), Offset: fmt.Sprintf("%.2f", -at)})
		at += l
	}
	return v
}
