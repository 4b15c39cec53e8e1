package dashboard

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/httpio"
	"github.com/gatescope/gatescope/store"
)

// Health serves GET /api/health.
func (h *Handlers) Health(w http.ResponseWriter, r *http.Request) {
	var err error
	if h.opts.Health != nil {
		err = h.opts.Health()
	}
	switch {
	case err == nil:
		httpio.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	case errors.Is(err, ErrStarting):
		httpio.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "starting", "error": err.Error()})
	default:
		httpio.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "error", "error": err.Error()})
	}
}

type exchangesResponse struct {
	Exchanges []*exchange.Exchange `json:"exchanges"`
	Next      string               `json:"next"`
}

// summariesResponse is a window of the list: row summaries, no bodies
// or logs. Snapshot goes back in the next window's request so that
// offsets hold while exchanges arrive; Total is there when asked (count=1).
type summariesResponse struct {
	Exchanges []exchange.Summary `json:"exchanges"`
	Next      string             `json:"next"`
	Snapshot  int64              `json:"snapshot,omitempty"`
	Total     *int               `json:"total,omitempty"`
}

// ListExchanges serves GET /api/exchanges: full exchanges (the contract
// other tools read), or with view=summary the list's windows of row
// summaries, which take sort, dir, cursor, offset, snapshot and count too.
func (h *Handlers) ListExchanges(w http.ResponseWriter, r *http.Request) {
	q, err := parseQuery(r.URL.Query(), store.DefaultLimit)
	if err != nil {
		httpio.Error(h.log, w, r, err)
		return
	}
	if q.Summary {
		h.listSummaries(w, r, q)
		return
	}
	if q.Sort != "" || q.Cursor != "" || q.Offset != 0 {
		httpio.Error(h.log, w, r, httpio.BadRequest("sort, cursor and offset come with view=summary"))
		return
	}
	xs, next, err := find(r.Context(), h.opts.Store, q)
	if errors.Is(err, store.ErrNotFound) {
		// Only a cursor can be missing here: the client's fault, not a 404.
		err = httpio.BadRequest("unknown cursor: %v", err)
	}
	if err == nil {
		err = h.opts.Store.Annotate(r.Context(), xs)
	}
	if err != nil {
		httpio.Error(h.log, w, r, err)
		return
	}
	if xs == nil {
		xs = []*exchange.Exchange{}
	}
	httpio.WriteJSON(w, http.StatusOK, exchangesResponse{Exchanges: xs, Next: next})
}

func (h *Handlers) listSummaries(w http.ResponseWriter, r *http.Request, q query) {
	win, err := h.opts.Store.List(r.Context(), q.ListQuery)
	switch {
	case errors.Is(err, store.ErrNotFound):
		err = httpio.BadRequest("unknown cursor: %v", err)
	case errors.Is(err, store.ErrBadCursor):
		err = httpio.BadRequest("%v", err)
	}
	if err != nil {
		httpio.Error(h.log, w, r, err)
		return
	}
	res := summariesResponse{Exchanges: win.Items, Next: win.Next, Snapshot: win.Snapshot}
	if res.Exchanges == nil {
		res.Exchanges = []exchange.Summary{}
	}
	if q.Count {
		res.Total = &win.Total
	}
	httpio.WriteJSON(w, http.StatusOK, res)
}

// Facets serves GET /api/facets: the list chips' counts for a filter
// (the list's parameters), read from the store.
func (h *Handlers) Facets(w http.ResponseWriter, r *http.Request) {
	q, err := parseQuery(r.URL.Query(), store.DefaultLimit)
	if err != nil {
		httpio.Error(h.log, w, r, err)
		return
	}
	fc, err := h.opts.Store.Facets(r.Context(), q.Filter)
	if err != nil {
		httpio.Error(h.log, w, r, err)
		return
	}
	httpio.WriteJSON(w, http.StatusOK, fc)
}

// GetExchange serves GET /api/exchanges/{id}.
func (h *Handlers) GetExchange(w http.ResponseWriter, r *http.Request) {
	x, err := h.opts.Store.Exchange(r.Context(), r.PathValue("id"))
	if err == nil {
		err = h.opts.Store.Annotate(r.Context(), []*exchange.Exchange{x})
	}
	if err != nil {
		httpio.Error(h.log, w, r, err)
		return
	}
	httpio.WriteJSON(w, http.StatusOK, x)
}

type sessionsResponse struct {
	Sessions []*store.Session `json:"sessions"`
}

// ListSessions serves GET /api/sessions.
func (h *Handlers) ListSessions(w http.ResponseWriter, r *http.Request) {
	ss, err := h.opts.Store.Sessions(r.Context())
	if err != nil {
		httpio.Error(h.log, w, r, err)
		return
	}
	if ss == nil {
		ss = []*store.Session{}
	}
	httpio.WriteJSON(w, http.StatusOK, sessionsResponse{Sessions: ss})
}

// DeleteSession serves DELETE /api/sessions/{id}.
func (h *Handlers) DeleteSession(w http.ResponseWriter, r *http.Request) {
	if err := h.opts.Store.DeleteSession(r.Context(), r.PathValue("id")); err != nil {
		httpio.Error(h.log, w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// statsResponse is the store's Stats with the capture counters alongside.
type statsResponse struct {
	*store.Stats
	Counters
}

// Stats serves GET /api/stats.
func (h *Handlers) Stats(w http.ResponseWriter, r *http.Request) {
	st, err := h.opts.Store.Stats(r.Context(), r.URL.Query().Get("session"))
	if err != nil {
		httpio.Error(h.log, w, r, err)
		return
	}
	httpio.WriteJSON(w, http.StatusOK, statsResponse{Stats: st, Counters: h.counters()})
}

// APINotFound answers API paths no route serves, in JSON.
func (h *Handlers) APINotFound(w http.ResponseWriter, r *http.Request) {
	httpio.WriteJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("no API route %s %s", r.Method, r.URL.Path)})
}
