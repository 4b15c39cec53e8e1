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

// statsWindow is how many of the newest exchanges the latency percentiles
// are computed over: recent behaviour is what a developer asks about, and a
// bounded window keeps /api/stats fast at any store size. Counts are exact.
const statsWindow = 10_000

// Stats computes Stats for session (id or name; "" for all sessions). An
// unknown session yields empty stats. Total, ByOutcome and each route's
// Count cover every stored exchange; P50Ms and P99Ms the newest statsWindow.
func (db *DB) Stats(ctx context.Context, session string) (*Stats, error) {
	st, err := db.stats(ctx, session)
	if err != nil {
		return nil, fmt.Errorf("stats %q: %w", session, err)
	}
	return st, nil
}

// sessionIDQuery resolves a session id or name, preferring the id.
const sessionIDQuery = `(SELECT id FROM sessions WHERE id = ? OR name = ? ORDER BY id = ? DESC LIMIT 1)`

func (db *DB) stats(ctx context.Context, session string) (*Stats, error) {
	where, args := "", []any{}
	if session != "" {
		where, args = `WHERE session_id = `+sessionIDQuery, []any{session, session, session}
	}
	st := &Stats{ByOutcome: map[string]int{}, Routes: []RouteStats{}}
	rows, err := db.r.QueryContext(ctx, `SELECT route_key, outcome, n FROM route_counts `+where+` ORDER BY route_key`, args...)
	if err != nil {
		return nil, err
	}
	byRoute := map[string]int{}
	for rows.Next() {
		var route, outcome string
		var n int
		if err := rows.Scan(&route, &outcome, &n); err != nil {
			rows.Close()
			return nil, err
		}
		if n <= 0 {
			continue
		}
		if _, ok := byRoute[route]; !ok {
			byRoute[route] = len(st.Routes)
			st.Routes = append(st.Routes, RouteStats{RouteKey: route})
		}
		st.Routes[byRoute[route]].Count += n
		st.ByOutcome[outcome] += n
		st.Total += n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	rows, err = db.r.QueryContext(ctx, `SELECT route_key, duration_ms FROM
		(SELECT route_key, duration_ms FROM exchanges `+where+` ORDER BY seq DESC LIMIT `+fmt.Sprint(statsWindow)+`)
		ORDER BY route_key, duration_ms`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var durs []float64
	flush := func(route string) {
		if i, ok := byRoute[route]; ok && len(durs) > 0 {
			st.Routes[i].P50Ms, st.Routes[i].P99Ms = percentile(durs, 50), percentile(durs, 99)
		}
		durs = durs[:0]
	}
	var last string
	for rows.Next() {
		var route string
		var d float64
		if err := rows.Scan(&route, &d); err != nil {
			return nil, err
		}
		if route != last {
			flush(last)
			last = route
		}
		durs = append(durs, d)
	}
	flush(last)
	return st, rows.Err()
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
// cheaper than Stats: it reads the counts triggers keep, not the exchanges.
func (db *DB) RouteCounts(ctx context.Context, session string) ([]RouteCount, error) {
	q := `SELECT route_key, sum(n) FROM route_counts GROUP BY route_key HAVING sum(n) > 0 ORDER BY route_key`
	var args []any
	if session != "" {
		q = `SELECT route_key, sum(n) FROM route_counts WHERE session_id = ` + sessionIDQuery + `
			GROUP BY route_key HAVING sum(n) > 0 ORDER BY route_key`
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
