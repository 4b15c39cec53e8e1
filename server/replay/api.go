package replay

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/httpio"
)

// Request body limits: an edit carries at most one Lambda payload (6 MB)
// plus headers; session options are a few fields.
const (
	maxEditBody    = 8 << 20
	maxOptionsBody = 64 << 10
)

// Handlers serve the replay JSON API; package ui mounts them.
type Handlers struct {
	log *slog.Logger
	r   *Replayer
}

// NewHandlers returns the JSON API over r.
func NewHandlers(logger *slog.Logger, r *Replayer) *Handlers {
	return &Handlers{log: logger, r: r}
}

// ReplayExchange serves POST /api/exchanges/{id}/replay. The body is
// optional: an Edit (any subset of the request, or an event, and a target).
func (h *Handlers) ReplayExchange(w http.ResponseWriter, r *http.Request) {
	var e Edit
	if err := httpio.Decode(w, r, &e, httpio.DecodeOptions{Limit: maxEditBody, Optional: true}); err != nil {
		httpio.Error(h.log, w, r, err)
		return
	}
	if bytes.Equal(bytes.TrimSpace(e.Event), []byte("null")) {
		e.Event = nil
	}
	if e.Request != nil && e.Event != nil {
		httpio.Error(h.log, w, r, httpio.BadRequest(`invalid replay body: give "request" or "event", not both`))
		return
	}
	x, err := h.r.Replay(r.Context(), r.PathValue("id"), e)
	if err != nil {
		httpio.Error(h.log, w, r, err)
		return
	}
	httpio.WriteJSON(w, http.StatusOK, x)
}

// ReplaySession serves POST /api/sessions/{id}/replay.
func (h *Handlers) ReplaySession(w http.ResponseWriter, r *http.Request) {
	var opts SessionOptions
	err := httpio.Decode(w, r, &opts, httpio.DecodeOptions{Limit: maxOptionsBody, Optional: true})
	if err == nil && (opts.Concurrency < 0 || opts.Concurrency > MaxConcurrency) {
		err = httpio.BadRequest("concurrency %d: want 1 to %d", opts.Concurrency, MaxConcurrency)
	}
	if err != nil {
		httpio.Error(h.log, w, r, err)
		return
	}
	rep, err := h.r.ReplaySession(r.Context(), r.PathValue("id"), opts)
	if err != nil {
		httpio.Error(h.log, w, r, err)
		return
	}
	httpio.WriteJSON(w, http.StatusOK, rep)
}

// GetDiff serves GET /api/exchanges/{id}/diff?against=REPLAY&ignore=....
func (h *Handlers) GetDiff(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d, _, _, err := h.r.DiffOf(r.Context(), r.PathValue("id"), q.Get("against"), Ignores(q["ignore"]))
	if err != nil {
		httpio.Error(h.log, w, r, err)
		return
	}
	httpio.WriteJSON(w, http.StatusOK, d)
}

// Ignores splits repeated and comma-separated ignore values.
func Ignores(vs []string) []string {
	var out []string
	for _, v := range vs {
		for p := range strings.SplitSeq(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

type replaysResponse struct {
	Replays []*exchange.Exchange `json:"replays"`
}

// ListReplays serves GET /api/exchanges/{id}/replays.
func (h *Handlers) ListReplays(w http.ResponseWriter, r *http.Request) {
	xs, err := h.r.Replays(r.Context(), r.PathValue("id"))
	if err != nil {
		httpio.Error(h.log, w, r, err)
		return
	}
	httpio.WriteJSON(w, http.StatusOK, replaysResponse{Replays: xs})
}
