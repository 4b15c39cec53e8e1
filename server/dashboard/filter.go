package dashboard

import (
	"context"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/httpio"
	"github.com/gatescope/gatescope/store"
	"github.com/gatescope/gatescope/web"
)

// query is a parsed list request: the store's filter and, for the list's
// windows, its sort and position.
type query struct {
	store.ListQuery
	// Summary asks for row summaries (view=summary), not full exchanges.
	Summary bool
	// Form is the filter as the user wrote it, for the page's form and links.
	Form web.Filter
}

// AllSessions is the session parameter that lists every session; without
// one the list page shows the current run's session.
const AllSessions = "*"

// parseQuery reads the list filter from a URL query. Errors are bad requests
// naming the parameter.
func parseQuery(v url.Values, defaultLimit int) (query, error) {
	get := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	q := query{ListQuery: store.ListQuery{Filter: store.Filter{
		Session: get("session"),
		Route:   get("route"),
		Method:  strings.ToUpper(get("method")),
		Outcome: get("outcome"),
		Query:   get("q"),
		Node:    get("node"),
		Before:  get("before"),
		After:   get("after"),
		// One WebSocket connection's exchanges (its connection page).
		Connection: get("connection"),
		Function:   get("function"),
		API:        get("api"),
		Cold:       isOn(v.Get("cold")),
		Failed:     isOn(v.Get("failed")),
		Replays:    get("replays"),
		Limit:      defaultLimit,
	},
		Sort:   get("sort"),
		Asc:    get("dir") == "asc",
		Cursor: get("cursor"),
		Count:  isOn(v.Get("count")),
	},
		Summary: get("view") == "summary",
	}
	q.Form = web.Filter{Session: q.Session, Route: q.Route, Method: q.Method, Outcome: q.Outcome, Q: q.Query, Node: q.Node,
		Status: strings.ToLower(get("status")), Function: q.Function, API: q.API, Min: get("min"), Max: get("max"),
		Cold: q.Cold, Failed: q.Failed, Replays: q.Replays, Sort: q.Sort, Dir: get("dir")}
	if q.Session == AllSessions {
		q.Session = ""
	}
	if q.Before != "" && q.After != "" {
		return q, httpio.BadRequest("use either before or after, not both")
	}
	switch q.Replays {
	case "", store.ReplaysOnly, store.ReplaysHidden:
	default:
		return q, httpio.BadRequest("replays %q: want %s or %s", q.Replays, store.ReplaysOnly, store.ReplaysHidden)
	}
	if !store.ValidSort(q.Sort) {
		return q, httpio.BadRequest("sort %q: want duration, size, function or none (time)", q.Sort)
	}
	if (q.Sort != "" || q.Cursor != "") && (q.Before != "" || q.After != "") {
		return q, httpio.BadRequest("before and after walk the time order: not with sort or cursor")
	}
	for _, p := range []struct {
		name string
		dst  *int
		min  int
	}{{"limit", &q.Limit, 1}, {"offset", &q.Offset, 0}} {
		if s := v.Get(p.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < p.min {
				return q, httpio.BadRequest("%s %q: want a whole number of at least %d", p.name, s, p.min)
			}
			*p.dst = n
		}
	}
	q.Limit = min(q.Limit, store.MaxLimit)
	if s := v.Get("snapshot"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			return q, httpio.BadRequest("snapshot %q: want the snapshot a list answer gave", s)
		}
		q.StoredBefore = n
	}
	for _, p := range []struct {
		name string
		dst  *float64
	}{{"min", &q.MinMs}, {"max", &q.MaxMs}} {
		if s := get(p.name); s != "" {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil || f < 0 || math.IsInf(f, 0) {
				return q, httpio.BadRequest("%s %q: want a duration in milliseconds", p.name, s)
			}
			*p.dst = f
		}
	}
	if s := q.Form.Status; s != "" {
		cls, exact, err := parseStatus(s)
		if err != nil {
			return q, err
		}
		q.StatusClass, q.Status = cls, exact
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"since", &q.Since}, {"until", &q.Until}} {
		s := v.Get(p.name)
		if s == "" {
			continue
		}
		t, err := parseTime(s)
		if err != nil {
			return q, httpio.BadRequest("%s %q: want RFC 3339 or Unix milliseconds", p.name, s)
		}
		*p.dst = t
	}
	return q, nil
}

// isOn reads a flag parameter: present and not "0" or "false".
func isOn(s string) bool { return s != "" && s != "0" && s != "false" }

// parseStatus accepts a class ("5xx" or "5") or an exact code ("502").
func parseStatus(s string) (class, exact int, err error) {
	c := strings.TrimSuffix(s, "xx")
	if len(c) == 1 && c[0] >= '1' && c[0] <= '5' {
		return int(c[0] - '0'), 0, nil
	}
	n, convErr := strconv.Atoi(s)
	if convErr != nil || n < 100 || n > 599 {
		return 0, 0, httpio.BadRequest("status %q: want a class like 5xx or a code like 502", s)
	}
	return n / 100, n, nil
}

func parseTime(s string) (time.Time, error) {
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms), nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

// find returns a page of exchanges matching q and the cursor of the next
// page.
func find(ctx context.Context, st Store, q query) ([]*exchange.Exchange, string, error) {
	return st.Exchanges(ctx, q.Filter)
}
