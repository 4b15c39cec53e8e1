package store

import (
	"context"
	"fmt"
	"math"
)

// Stats summarises the exchanges of a session, or of all sessions.
type Stats struct {
	Total     int            `json:"total"`
	ByOutcome map[string]int `json:"byOutcome"`
	Routes    []RouteStats   `json:"routes"`
}

// RouteStats are per-route counts and latency percentiles (nearest rank).
type RouteStats struct {
	RouteKey string  `json:"routeKey"`
	Count    int     `json:"count"`
	P50Ms    float64 `json:"p50Ms"`
	P99Ms    float64 `json:"p99Ms"`
}

// Stats computes Stats for session (id or name; "" for all sessions). An
// unknown session yields empty stats.
func (db *DB) Stats(ctx context.Context, session string) (*Stats, error) {
	st, err := db.stats(ctx, session)
	if err != nil {
		return nil, fmt.Errorf("stats %q: %w", session, err)
	}
	return st, nil
}

func (db *DB) stats(ctx context.Context, session string) (*Stats, error) {
	where, args := "", []any{}
	if session != "" {
		where = `WHERE session_id = (SELECT id FROM sessions WHERE id = ? OR name = ? ORDER BY id = ? DESC LIMIT 1)`
		args = []any{session, session, session}
	}
	// Sorted by route then duration: percentiles come from one pass.
	rows, err := db.r.QueryContext(ctx, `SELECT route_key, outcome, duration_ms FROM exchanges `+
		where+` ORDER BY route_key, duration_ms`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	st := &Stats{ByOutcome: map[string]int{}, Routes: []RouteStats{}}
	var durs []float64
	flush := func(route string) {
		if len(durs) == 0 {
			return
		}
		st.Routes = append(st.Routes, RouteStats{RouteKey: route, Count: len(durs),
			P50Ms: percentile(durs, 50), P99Ms: percentile(durs, 99)})
		durs = durs[:0]
	}
	var last string
	for rows.Next() {
		var route, outcome string
		var d float64
		if err := rows.Scan(&route, &outcome, &d); err != nil {
			return nil, err
		}
		if route != last {
			flush(last)
			last = route
		}
		durs = append(durs, d)
		st.Total++
		st.ByOutcome[outcome]++
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	flush(last)
	return st, nil
}

// percentile returns the nearest-rank p-th percentile of sorted values.
func percentile(sorted []float64, p float64) float64 {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[max(rank, 1)-1]
}

// RouteCount is how many exchanges a route key has.
type RouteCount struct {
	RouteKey string `json:"routeKey"`
	Count    int    `json:"count"`
}

// RouteCounts returns the route keys seen (in a session, or everywhere)
// with their counts, by route key. It is what a filter menu needs, and far
// cheaper than Stats: SQLite counts over the route index without handing a
// row per exchange to Go.
func (db *DB) RouteCounts(ctx context.Context, session string) ([]RouteCount, error) {
	q := `SELECT route_key, COUNT(*) FROM exchanges GROUP BY route_key ORDER BY route_key`
	var args []any
	if session != "" {
		q = `SELECT route_key, COUNT(*) FROM exchanges
			WHERE session_id = (SELECT id FROM sessions WHERE id = ? OR name = ? ORDER BY id = ? DESC LIMIT 1)
			GROUP BY route_key ORDER BY route_key`
		args = []any{session, session, session}
	}
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("route counts %q: %w", session, err)
	}
	defer rows.Close()
	var out []RouteCount
	for rows.Next() {
		var rc RouteCount
		if err := rows.Scan(&rc.RouteKey, &rc.Count); err != nil {
			return nil, fmt.Errorf("route counts %q: %w", session, err)
		}
		out = append(out, rc)
	}
	return out, rows.Err()
}
