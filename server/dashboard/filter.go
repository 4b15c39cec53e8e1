package dashboard

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/httpio"
	"github.com/gatescope/gatescope/store"
	"github.com/gatescope/gatescope/web"
)

// query is a parsed exchange filter: the store's Filter plus an exact status,
// which the store cannot filter on (it knows status classes only).
type query struct {
	store.Filter
	Status int
	// Form is the filter as the user wrote it, for the page's form and links.
	Form web.Filter
}

// parseQuery reads the list filter from a URL query. Errors are bad requests
// naming the parameter.
func parseQuery(v url.Values, defaultLimit int) (query, error) {
	q := query{
		Filter: store.Filter{
			Session: strings.TrimSpace(v.Get("session")),
			Route:   strings.TrimSpace(v.Get("route")),
			Method:  strings.ToUpper(strings.TrimSpace(v.Get("method"))),
			Outcome: strings.TrimSpace(v.Get("outcome")),
			Query:   strings.TrimSpace(v.Get("q")),
			Node:    strings.TrimSpace(v.Get("node")),
			Before:  strings.TrimSpace(v.Get("before")),
			After:   strings.TrimSpace(v.Get("after")),
			// One WebSocket connection's exchanges (its connection page).
			Connection: strings.TrimSpace(v.Get("connection")),
			Limit:      defaultLimit,
		},
	}
	q.Form = web.Filter{Session: q.Session, Route: q.Route, Method: q.Method, Outcome: q.Outcome, Q: q.Query, Node: q.Node,
		Status: strings.ToLower(strings.TrimSpace(v.Get("status")))}
	if q.Before != "" && q.After != "" {
		return q, httpio.BadRequest("use either before or after, not both")
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return q, httpio.BadRequest("limit %q: want a positive whole number", s)
		}
		q.Limit = min(n, store.MaxLimit)
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

// maxScanPages bounds how many store pages one exact-status request reads, so
// a rare status over a big database answers with a cursor, not a long scan.
const maxScanPages = 20

// find returns a page of exchanges matching q and the cursor of the next
// page. An exact status filters the status class's pages in memory.
func find(ctx context.Context, st Store, q query) ([]*exchange.Exchange, string, error) {
	if q.Status == 0 {
		return st.Exchanges(ctx, q.Filter)
	}
	f := q.Filter
	limit := f.Limit
	if limit <= 0 {
		limit = store.DefaultLimit
	}
	f.Limit = store.MaxLimit
	out := make([]*exchange.Exchange, 0, limit)
	for range maxScanPages {
		xs, next, err := st.Exchanges(ctx, f)
		if err != nil {
			return nil, "", err
		}
		for i, x := range xs {
			if x.Response.Status != q.Status {
				continue
			}
			out = append(out, x)
			if len(out) == limit {
				if i < len(xs)-1 || next != "" {
					return out, x.ID, nil
				}
				return out, "", nil
			}
		}
		if next == "" {
			return out, "", nil
		}
		if f.After != "" {
			f.After = next
		} else {
			f.Before = next
		}
	}
	// Scan budget spent: hand back where we stopped so the client can go on.
	if f.After != "" {
		return out, f.After, nil
	}
	return out, f.Before, nil
}
