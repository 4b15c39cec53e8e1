package dashboard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/httpjson"
	"github.com/gatescope/gatescope/store"
)

// maxReplayBody bounds a replay body: Lambda's own payload limit is 6 MB, and
// an edited request or event carries at most one such payload plus headers.
const maxReplayBody = 8 << 20

func (s *server) getHealth(w http.ResponseWriter, r *http.Request) {
	if s.opts.Health == nil {
		httpjson.Write(w, http.StatusOK, map[string]string{"status": "ok"})
		return
	}
	err := s.opts.Health()
	switch {
	case err == nil:
		httpjson.Write(w, http.StatusOK, map[string]string{"status": "ok"})
	case errors.Is(err, ErrStarting):
		httpjson.Write(w, http.StatusServiceUnavailable, map[string]string{"status": "starting", "error": err.Error()})
	default:
		httpjson.Write(w, http.StatusServiceUnavailable, map[string]string{"status": "error", "error": err.Error()})
	}
}

type exchangesResponse struct {
	Exchanges []*exchange.Exchange `json:"exchanges"`
	Next      string               `json:"next"`
}

func (s *server) listExchanges(w http.ResponseWriter, r *http.Request) {
	q, err := parseQuery(r.URL.Query(), store.DefaultLimit)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	xs, next, err := find(r.Context(), s.opts.Store, q)
	if errors.Is(err, store.ErrNotFound) {
		// Only a cursor can be missing here: the client's fault, not a 404.
		err = &BadRequestError{Msg: fmt.Sprintf("unknown cursor: %v", err)}
	}
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if xs == nil {
		xs = []*exchange.Exchange{}
	}
	if err := s.opts.Store.Annotate(r.Context(), xs); err != nil {
		s.apiError(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, exchangesResponse{Exchanges: xs, Next: next})
}

func (s *server) getExchange(w http.ResponseWriter, r *http.Request) {
	x, err := s.opts.Store.Exchange(r.Context(), r.PathValue("id"))
	if err == nil {
		err = s.opts.Store.Annotate(r.Context(), []*exchange.Exchange{x})
	}
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, x)
}

func (s *server) replayExchange(w http.ResponseWriter, r *http.Request) {
	if s.opts.Replay == nil {
		httpjson.Write(w, http.StatusNotImplemented, map[string]string{"error": "replay is not available in this mode"})
		return
	}
	req, err := decodeReplay(http.MaxBytesReader(w, r.Body, maxReplayBody))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	x, err := s.opts.Replay.Replay(r.Context(), r.PathValue("id"), req)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, x)
}

// decodeReplay reads the optional replay body strictly: unknown fields and
// trailing data are errors, so a typo never replays the unedited original.
func decodeReplay(body io.Reader) (ReplayRequest, error) {
	var req ReplayRequest
	b, err := io.ReadAll(body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return req, badRequest(fmt.Sprintf("replay body is larger than %d bytes", tooBig.Limit))
		}
		return req, fmt.Errorf("read replay body: %w", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return req, nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, badRequest("invalid replay body: " + httpjson.Problem(err))
	}
	if dec.More() {
		return req, badRequest("invalid replay body: unexpected data after the JSON object")
	}
	if bytes.Equal(bytes.TrimSpace(req.Event), []byte("null")) {
		req.Event = nil
	}
	if req.Request != nil && req.Event != nil {
		return req, badRequest(`invalid replay body: give "request" or "event", not both`)
	}
	return req, nil
}

type sessionsResponse struct {
	Sessions []*store.Session `json:"sessions"`
}

func (s *server) listSessions(w http.ResponseWriter, r *http.Request) {
	ss, err := s.opts.Store.Sessions(r.Context())
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if ss == nil {
		ss = []*store.Session{}
	}
	httpjson.Write(w, http.StatusOK, sessionsResponse{Sessions: ss})
}

func (s *server) deleteSession(w http.ResponseWriter, r *http.Request) {
	if err := s.opts.Store.DeleteSession(r.Context(), r.PathValue("id")); err != nil {
		s.apiError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// statsResponse is the store's Stats with the capture counters alongside.
type statsResponse struct {
	*store.Stats
	Counters
}

func (s *server) getStats(w http.ResponseWriter, r *http.Request) {
	st, err := s.opts.Store.Stats(r.Context(), r.URL.Query().Get("session"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, statsResponse{Stats: st, Counters: s.counters()})
}

func (s *server) counters() Counters {
	if s.opts.Counters == nil {
		return Counters{}
	}
	return s.opts.Counters()
}

// live hands the connection to the hub, which checks the Origin itself.
func (s *server) live(w http.ResponseWriter, r *http.Request) {
	if s.opts.Live == nil {
		httpjson.Write(w, http.StatusServiceUnavailable, map[string]string{"error": "live feed is not available"})
		return
	}
	s.opts.Live.ServeWS(w, r)
}

func (s *server) apiNotFound(w http.ResponseWriter, r *http.Request) {
	httpjson.Write(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("no API route %s %s", r.Method, r.URL.Path)})
}
